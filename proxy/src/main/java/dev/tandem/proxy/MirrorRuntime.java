package dev.tandem.proxy;

import dev.tandem.protocol.frame.FrameObserver;
import dev.tandem.protocol.sql.Identifiers;
import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.capture.CaptureBudget;
import dev.tandem.proxy.capture.CaptureMetrics;
import dev.tandem.proxy.capture.CapturedTransaction;
import dev.tandem.proxy.capture.ChunkHypertables;
import dev.tandem.proxy.capture.ChunkNameDirectory;
import dev.tandem.proxy.capture.ChunkNames;
import dev.tandem.proxy.capture.GapLedger;
import dev.tandem.proxy.capture.InFlightCommits;
import dev.tandem.proxy.capture.HypertableDirectory;
import dev.tandem.proxy.capture.MirroredTables;
import dev.tandem.proxy.capture.PartitionDirectory;
import dev.tandem.proxy.capture.RelationOverlay;
import dev.tandem.proxy.capture.RowTimesReading;
import dev.tandem.proxy.capture.SourceColumnLists;
import dev.tandem.proxy.capture.SourceOrderedTimeColumns;
import dev.tandem.proxy.capture.SourceRelations;
import dev.tandem.proxy.capture.SessionCapture;
import dev.tandem.proxy.capture.SpoolingSink;
import dev.tandem.proxy.capture.TimeColumnDirectory;
import dev.tandem.proxy.capture.UnknownOutcome;
import dev.tandem.proxy.capture.UpsertWindows;
import dev.tandem.proxy.capture.VolatileDefaults;
import dev.tandem.proxy.config.ConfigChoice;
import dev.tandem.proxy.config.Durations;
import dev.tandem.proxy.config.MirrorMode;
import dev.tandem.proxy.config.ProxyConfig;
import dev.tandem.proxy.config.SpoolConfig;
import dev.tandem.proxy.mirror.MirrorApplier;
import dev.tandem.proxy.mirror.MirrorDrain;
import dev.tandem.proxy.mirror.MirrorSettings;
import dev.tandem.proxy.mirror.SyncTimeoutLog;
import dev.tandem.proxy.relay.SessionEnd;
import dev.tandem.proxy.relay.SessionTap;
import dev.tandem.proxy.relay.Transport;
import dev.tandem.proxy.spool.AppendClock;
import dev.tandem.proxy.spool.Spool;
import dev.tandem.proxy.spool.SpoolPosition;
import dev.tandem.proxy.spool.SpoolSettings;
import dev.tandem.proxy.spool.SpoolLoss;
import dev.tandem.proxy.spool.SpoolStats;
import dev.tandem.proxy.verifier.DivergenceVerifier;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.internal.PlatformDependent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dual-write half of the proxy: spool, applier, and the per-session capture the relay taps in. Built only when
 * {@code mirror.mode} is not {@code off}.
 */
final class MirrorRuntime implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MirrorRuntime.class);

    private final ProxyConfig config;
    private final Spool spool;
    private final MirrorApplier applier;
    private final GapLedger gaps;
    private final InFlightCommits inFlight;
    private final HypertableDirectory hypertables;
    private final PartitionDirectory partitions;
    private final ChunkNameDirectory chunkNames;
    private final VolatileDefaults volatileDefaults;
    private final TimeColumnDirectory timeColumns;
    /** Null without {@code source.user}: rows' times are read by the target's column order. */
    private final SourceColumnLists sourceColumns;
    private final RowTimesReading rowTimes;
    private final ChunkHypertables chunkHypertables;
    /** Null without {@code source.user}: names resolve by the target's catalog alone. */
    private final SourceRelations sourceRelations;
    private final CaptureMetrics captureMetrics;
    private final UpsertWindows upsertWindows = new UpsertWindows();
    private final CaptureBudget captureBudget;
    private final SpoolingSink sink;
    private final Set<String> sourceDatabases = ConcurrentHashMap.newKeySet();
    /** Source database -> the tables its committed transactions wrote: what the verifier compares. */
    private final Map<String, Set<TableName>> mirroredTables = new ConcurrentHashMap<>();
    private final DivergenceVerifier verifier;
    private boolean drained;
    /** What every session's capture hands its transactions to. */
    private final SessionCapture.Sink sessionSink = new SessionCapture.Sink() {
        @Override
        public CompletionStage<?> committed(CapturedTransaction tx) {
            Set<TableName> tables = mirroredTables.computeIfAbsent(tx.database(), db -> ConcurrentHashMap.newKeySet());
            tx.statements().forEach(s -> tables.add(s.table()));
            return sink.committed(tx);
        }

        @Override
        public void outcomeUnknown(UnknownOutcome outcome) {
            gaps.outcomeUnknown(outcome);
        }

        @Override
        public void ambiguousTable(String database, long sessionId, TableName table, String sql, String reason) {
            gaps.ambiguousTable(database, sessionId, table, sql, reason);
        }
    };

    /** @param transport the relay's sockets, which the mirror's target connections use too */
    MirrorRuntime(ProxyConfig config, MeterRegistry registry, Transport transport) {
        this.config = config;
        // refuses another instance's spool: the applier would find no progress for this id and apply it again
        this.spool = Spool.open(spoolSettings(config.mirror().spool()), config.instanceId());
        // what is started so far, closed in reverse if a later step fails: the spool's directory lock and the
        // threads would otherwise outlive a proxy that never ran
        Deque<AutoCloseable> started = new ArrayDeque<>();
        started.push(spool);
        try {
            Duration catalogRefresh = config.mirror().catalogRefresh();
            this.chunkHypertables = started(started, new ChunkHypertables(config.source()));
            this.applier = started(started, new MirrorApplier(spool, MirrorSettings.from(config), registry, transport,
                    chunkHypertables));
            this.timeColumns = started(started, new TimeColumnDirectory(config.target(), catalogRefresh,
                    config.verifier().timeColumns()));
            this.sourceColumns = config.source().user().isEmpty() ? null
                    : started(started, new SourceColumnLists(config.source(), catalogRefresh));
            this.rowTimes = started(started,
                    new RowTimesReading(new SourceOrderedTimeColumns(timeColumns, sourceColumns)));
            this.gaps = started(started, new GapLedger(config.target(), config.instanceId(), registry,
                    Duration.ofSeconds(5), config.logging().redactSql(), config.mirror().spool().dir(), rowTimes));
            // before the applier reads: which databases the lost records were for is gone with them
            spool.onRecordsLost(loss -> {
                Set<String> databases = targetDatabases();
                databases.addAll(config.target().databases().values());
                gaps.spoolRecordsLost(loss, databases, applier.appliedSequences());
            });
            // nothing to close: the mapping goes with the buffer, and a slot still marked is a session not closed
            this.inFlight = openInFlight(config, gaps);
            this.hypertables = started(started, new HypertableDirectory(config.target(), catalogRefresh));
            this.partitions = started(started, new PartitionDirectory(config.target(), catalogRefresh));
            this.chunkNames = started(started, new ChunkNameDirectory(config.target(), catalogRefresh));
            this.volatileDefaults = started(started, new VolatileDefaults(config.target(), catalogRefresh));
            this.sourceRelations = config.source().user().isEmpty() ? null
                    : started(started, new SourceRelations(config.source(), catalogRefresh));
            this.captureMetrics = new CaptureMetrics(registry, config.admin().metricsPerPartition());
            partitions.onDropped(new DroppedTableSeries(registry,
                    List.of(applier::forgetTables, captureMetrics::forgetTables)));
            this.captureBudget = new CaptureBudget(config.mirror().maxCapturedBytes());
            Gauge.builder("tandem.capture.held.bytes", captureBudget, CaptureBudget::used).strongReference(true)
                    .description("Captured bytes open transactions hold in memory until they commit").register(registry);
            MemoryLimitCheck.warnings(captureBudget.max(), config.limits().maxHeldBytes(),
                    Runtime.getRuntime().maxMemory(), PlatformDependent.maxDirectMemory()).forEach(log::warn);
            Counter syncTimeouts = Counter.builder("tandem.mirror.sync.timeouts")
                    .description("Sync-mode commits answered after mirror.sync-timeout before the target committed them")
                    .register(registry);
            long syncTimeoutMillis = config.mirror().syncTimeout().toMillis();
            SyncTimeoutLog syncTimeoutLog = new SyncTimeoutLog(config.mirror().syncTimeout(), Duration.ofMinutes(1),
                    System::nanoTime);
            // A copy times out, not the applier's own future, which is shared with whoever else waits for the record.
            // The client is answered anyway: without the count, a sync-mode client's "committed" would no longer mean
            // "on the target" with nothing to show for it.
            // A client waits for its own target database only: another one the mirror cannot apply to for now
            // (parked) does not hold it up.
            BiFunction<String, SpoolPosition, CompletionStage<?>> afterAppend = config.mirror().mode()
                    == MirrorMode.SYNC
                    ? (database, position) -> applier.awaitApplied(config.target().targetDatabase(database), position)
                            .copy()
                            .orTimeout(syncTimeoutMillis, TimeUnit.MILLISECONDS)
                            .whenComplete((applied, failure) -> {
                                if (failure instanceof TimeoutException) {
                                    syncTimeouts.increment();
                                    syncTimeoutLog.timedOut();
                                }
                            })
                    : (database, position) -> CompletableFuture.completedFuture(null);
            this.sink = new SpoolingSink(spool.writer(), gaps, afterAppend);
            applier.start();
            this.verifier = started(started, new DivergenceVerifier(config.verifier(), config.source(), config.target(),
                    () -> Map.copyOf(mirroredTables), this::lag, config.instanceId(), registry).start());
        } catch (RuntimeException | Error e) {
            while (!started.isEmpty()) {
                try {
                    started.pop().close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
        log.info("mirroring {} to {}:{} in {} mode (spool {}, fsync {})", describeTables(), config.target().host(),
                config.target().port(), config.mirror().mode().configValue(), config.mirror().spool().dir(),
                ConfigChoice.spelling(config.mirror().spool().fsync()));
    }

    /** Commits a proxy killed before left in flight may be on the source only: ledgered, kept on disk first. */
    private static InFlightCommits openInFlight(ProxyConfig config, GapLedger gaps) {
        try {
            return InFlightCommits.open(config.mirror().spool().dir(), config.limits().maxConnections(), left -> {
                left.forEach(gaps::outcomeUnknown);
                gaps.saveJournal();
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the trace of commits in flight in the spool directory "
                    + config.mirror().spool().dir() + ": " + e.getMessage(), e);
        }
    }

    private static <T extends AutoCloseable> T started(Deque<AutoCloseable> started, T part) {
        started.push(part);
        return part;
    }

    private String describeTables() {
        return config.mirror().tables().include().isEmpty() ? "every hypertable"
                : "tables matching " + config.mirror().tables().include();
    }

    private static SpoolSettings spoolSettings(SpoolConfig c) {
        return new SpoolSettings(c.dir(), c.maxBytes(), c.segmentBytes(), c.fsync(), c.fsyncInterval(),
                c.onFull());
    }

    /**
     * Opens the capture for each client session. Its database is only the client's claim until the source accepts the
     * login: it counts as in use (status, "mark every database") and its catalog is looked up on the target only from
     * then on, so a peer that cannot log in cannot make the proxy watch databases, real or not. A query pipelined
     * before that is captured as if the target's catalog were not known yet.
     */
    SessionTap.Factory taps() {
        return context -> {
            AtomicReference<Supplier<Set<TableName>>> hypertablesOf = new AtomicReference<>(() -> null);
            AtomicReference<Supplier<PartitionDirectory.Partitions>> partitionsOf = new AtomicReference<>(() -> null);
            AtomicReference<Supplier<ChunkNames>> chunkNamesOf = new AtomicReference<>(() -> null);
            AtomicReference<Supplier<Map<TableName, Set<String>>>> defaultsOf = new AtomicReference<>(Map::of);
            // until the source accepts the login: not known, and apart from every version that follows
            AtomicReference<LongSupplier> versionOf = new AtomicReference<>(() -> -1);
            boolean byHypertables = config.mirror().tables().includesHypertables();
            // the target's tables resolve unqualified names in either case
            AtomicReference<Supplier<SourceRelations.Relations>> sourceTablesOf = new AtomicReference<>(() -> null);
            AtomicReference<Supplier<RelationOverlay>> recentOf = new AtomicReference<>(() -> RelationOverlay.NONE);
            MirroredTables targetTables = new MirroredTables(config.mirror().tables(),
                    byHypertables ? () -> hypertablesOf.get().get() : Set::of, () -> partitionsOf.get().get(),
                    () -> chunkNamesOf.get().get(), () -> versionOf.get().getAsLong());
            MirroredTables tables = sourceRelations == null ? targetTables
                    : targetTables.withSourceTables(() -> sourceTablesOf.get().get(), () -> recentOf.get().get(),
                            changes -> sourceRelations.committed(context.database(), changes),
                            () -> sourceRelations.changed(context.database()));
            SessionCapture capture = new SessionCapture(context, tables, () -> defaultsOf.get().get(),
                    captureMetrics, upsertWindows, sessionSink, config.mirror().maxTransactionBytes(), captureBudget,
                    config.source().user().isPresent(), inFlight.claim(), chunkHypertables, rowTimes);
            return new SessionTap() {
                @Override
                public FrameObserver frontend() {
                    return capture.frontend();
                }

                @Override
                public FrameObserver backend() {
                    return capture.backend();
                }

                @Override
                public void authenticated() {
                    sourceDatabases.add(context.database());
                    if (byHypertables) {
                        hypertablesOf.set(hypertables.forSourceDatabase(context.database()));
                    }
                    partitionsOf.set(partitions.forSourceDatabase(context.database()));
                    chunkNamesOf.set(chunkNames.forSourceDatabase(context.database()));
                    defaultsOf.set(volatileDefaults.forSourceDatabase(context.database()));
                    // known before a gap needs it: the target is down by then, when a spool fills
                    timeColumns.forSourceDatabase(context.database());
                    if (sourceColumns != null) {
                        sourceColumns.forSourceDatabase(context.database());
                    }
                    if (sourceRelations != null) {
                        sourceTablesOf.set(sourceRelations.forSourceDatabase(context.database()));
                        recentOf.set(sourceRelations.recent(context.database()));
                    }
                    versionOf.set(() -> partitions.changes() + chunkNames.changes()
                            + (byHypertables ? hypertables.changes() : 0)
                            + (sourceRelations == null ? 0 : sourceRelations.changes()));
                }

                @Override
                public boolean awaitsOutcome() {
                    return capture.awaitsOutcome();
                }

                @Override
                public void closed(SessionEnd end) {
                    capture.closed(end);
                }
            };
        };
    }

    /**
     * Reads the target's time columns of a database's tables now, and the source's column orders with
     * {@code source.user}, blocking ({@link ProxyApplication}).
     */
    void lookUpTimeColumns(String sourceDatabase) {
        timeColumns.lookUpNow(sourceDatabase);
        if (sourceColumns != null) {
            sourceColumns.lookUpNow(sourceDatabase);
        }
    }

    /** Waits for the source catalog's look-ups asked for so far ({@link ProxyApplication}). */
    void awaitSourceCatalog() throws InterruptedException {
        if (sourceRelations != null) {
            sourceRelations.awaitLookUps();
        }
    }

    /** Age of the oldest spooled transaction the target has not applied yet. */
    Duration lag() {
        return spool.stats().lag(AppendClock.SYSTEM.now());
    }

    MirrorApplier applier() {
        return applier;
    }

    /** Records lost from the spool while no target database was known to ledger them in ({@code /status}). */
    List<SpoolLoss> spoolRecordsLostUnledgered() {
        return gaps.spoolRecordsLostUnledgered();
    }

    Spool spool() {
        return spool;
    }

    /**
     * Target databases of the sessions seen so far, and those this instance applied to before a restart, for "mark
     * every database" and {@code /status}.
     */
    Set<String> targetDatabases() {
        Set<String> out = new TreeSet<>(applier.appliedDatabases());
        sourceDatabases.forEach(db -> out.add(config.target().targetDatabase(db)));
        return out;
    }

    private void logStop(MirrorDrain drain, boolean paused) {
        String instance = Identifiers.quoteLiteral(config.instanceId());
        if (drain.applied() && !drain.marked().isEmpty()) {
            log.info("mirror stopped cleanly: every spooled transaction is applied, and tandem.mirror_progress in"
                    + " target database(s) {} says instance {} stopped (stopped_at), so tandem-backfill copy,"
                    + " repair and verify do not wait for it; its next start clears the mark before it relays"
                    + " anything, or says loudly that it cannot", String.join(", ", drain.marked()), instance);
        }
        if (!drain.applied() && !drain.marked().isEmpty()) {
            log.info("mirror: target database(s) {} have every spooled transaction applied, and tandem.mirror_progress"
                    + " there says instance {} stopped (stopped_at); the others' transactions stay in the spool",
                    String.join(", ", drain.marked()), instance);
        }
        if (drain.applied() && drain.unmarked().isEmpty()) {
            return;
        }
        SpoolStats left = spool.stats();
        String why = paused ? "the mirror is paused"
                : applier.failure().isPresent() ? "the mirror stopped reading the spool (" + applier.failure().get()
                        + ")"
                : !applier.targetUp() ? "the target " + config.target().host() + ":" + config.target().port()
                        + " could not apply them (see the warnings above)"
                : "shutdown.mirror-drain (" + Durations.format(config.shutdown().mirrorDrain()) + ") ran out";
        if (left.pendingRecords() > 0) {
            log.warn("mirror stopped with {} transaction(s) ({} bytes) not applied on the target, {}: they stay in the"
                    + " spool {}, and the next start of instance {} on this spool applies them. Until then this"
                    + " instance's row in tandem.mirror_progress stays as it was, and tandem-backfill copy, repair and"
                    + " verify wait for it (--mirror-wait) instead of going ahead without those rows",
                    left.pendingRecords(), left.pendingBytes(), why, config.mirror().spool().dir(), instance);
            return;
        }
        Set<String> unmarked = drain.applied() ? drain.unmarked() : applier.appliedDatabases();
        if (unmarked.isEmpty()) {
            return; // nothing spooled, nothing ever applied: no row to mark
        }
        log.warn("mirror stopped with every spooled transaction applied, but target database(s) {} could not be told"
                + " ({}): instance {}'s row in their tandem.mirror_progress still says it runs, and tandem-backfill"
                + " copy, repair and verify there wait for it (--mirror-wait). Start the proxy and stop it again, or"
                + " mark it by hand: UPDATE tandem.mirror_progress SET stopped_at = now() WHERE instance_id = {}"
                + " (deleting the row instead would make the next start on this spool apply its records again)",
                String.join(", ", new TreeSet<>(unmarked)), drain.applied() ? "they could not be reached" : why,
                instance, instance);
    }

    /**
     * Before the relay starts: waits, at most {@code target.connect-timeout}, until the applier has tried to clear the
     * marks its last clean stop left, so that a target database it reaches no longer says this instance stopped
     * before a transaction for it is spooled. One it cannot reach still says so, and the backfill there would go on
     * without the transactions spooled for it: the source must keep being served, so the relay starts anyway, and
     * the log, {@code /status} and {@code tandem_mirror_still_marked_stopped} say so until the mark is cleared.
     */
    void clearStopMarks() throws InterruptedException {
        boolean tried = applier.awaitStopMarksTried(config.target().connectTimeout());
        Set<String> left = applier.stillMarkedStopped();
        if (left.isEmpty()) {
            return;
        }
        String instance = Identifiers.quoteLiteral(config.instanceId());
        log.error("mirror: target database(s) {} may still say instance {} stopped cleanly (tandem.mirror_progress"
                + ".stopped_at: its last stop set it, or asked for it to be set by hand), and {}: tandem-backfill copy,"
                + " repair and verify there do NOT wait for the transactions this proxy spools from now on, and would"
                + " copy or compare ranges before they"
                + " are applied. The mark is cleared as soon as the mirror reaches the database (the log says so;"
                + " GET /status mirror.stillMarkedStopped, tandem_mirror_still_marked_stopped). Until then run none of"
                + " them there, or clear it by hand if the backfill can reach the target: UPDATE tandem.mirror_progress"
                + " SET stopped_at = NULL WHERE instance_id = {}",
                String.join(", ", left), instance, tried ? "the mirror cannot connect to them (the target down, or refusing the"
                        + " proxy's log-in: target.user, its password, pg_hba.conf; the mirror's WARN says which once it"
                        + " has a transaction for them)"
                        : "the mirror has not reached them within target.connect-timeout ("
                        + Durations.format(config.target().connectTimeout()) + ")", instance);
    }

    /** Everything committed and spooled so far has been applied (or ledgered) on the target. */
    boolean caughtUp() {
        return applier.appliedSequence() >= spool.stats().lastSequence() && gaps.waiting() == 0;
    }

    /**
     * Called after the relay closed, so nothing more is spooled: the applier applies what is left, for at most
     * {@code shutdown.mirror-drain}, and the log says whether the target has it all. The spool can still be read
     * after it, until {@link #close}.
     */
    void drain() {
        if (drained) {
            return;
        }
        drained = true;
        verifier.close();
        boolean paused = applier.isPaused();
        logStop(applier.drain(config.shutdown().mirrorDrain()), paused);
    }

    /** Stops the mirror, after {@link #drain}ing it if that was not done. */
    @Override
    public void close() {
        drain();
        applier.close();
        gaps.close();
        rowTimes.close();
        timeColumns.close();
        if (sourceColumns != null) {
            sourceColumns.close();
        }
        hypertables.close();
        partitions.close();
        chunkNames.close();
        volatileDefaults.close();
        chunkHypertables.close();
        if (sourceRelations != null) {
            sourceRelations.close();
        }
        spool.close();
    }
}
