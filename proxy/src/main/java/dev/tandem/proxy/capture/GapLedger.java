package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.protocol.state.TandemSchema;
import dev.tandem.proxy.config.TargetConfig;
import dev.tandem.proxy.jdbc.ServerJdbc;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gaps the proxy finds itself, outside the mirror's applier: committed source transactions the mirror could not
 * keep (spool full in {@code shed} mode, or the spool failed), and transactions the source may have committed after
 * the proxy closed the session ({@link UnknownOutcome}). Each is written to the target's divergence ledger so an
 * operator can re-copy or verify, and is never lost silently. Gaps wait in memory until the target takes them, in
 * {@link PendingGaps}: only what the ledger rows say (database, session, tables, reason, time), and past its cap one
 * summary per table, since the target being down is exactly when shedding starts. The ledger rows carry the commit
 * time (or the session's end) so an operator can find the range.
 *
 * <p>What waits is also kept on disk ({@link GapJournal}, beside the spool), saved within {@link #SAVE_DELAY_MILLIS}
 * of a change, so a proxy restarted or killed during a target outage writes the gaps when it starts again. A gap the
 * target took just before a crash, ahead of the next save, is written again: a ledger row twice, never none.
 */
public final class GapLedger implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(GapLedger.class);

    /** Entries per target transaction: a long backlog is written in a few round trips, not one per gap. */
    private static final int ENTRIES_PER_WRITE = 1_000;

    /** What the ledger's statement column holds with {@code logging.redact-sql}, as the applier's entries do. */
    private static final String REDACTED = "<redacted>";

    /** How long a change waits before the journal is saved: a burst of shed transactions is one write. */
    static final long SAVE_DELAY_MILLIS = 500;

    private static final long NEVER_LOGGED = Long.MIN_VALUE;
    private static final long LOG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final AtomicLong lastLogged = new AtomicLong(NEVER_LOGGED);
    private final LongAdder unlogged = new LongAdder();
    private final TargetConfig target;
    private final String instanceId;
    private final MeterRegistry registry;
    private final boolean redactSql;
    private final Counter shed;
    private final int maxEntries;
    private final PendingGaps gaps;
    /** Null: gaps wait in memory only. */
    private final GapJournal journal;
    private final AtomicBoolean saveScheduled = new AtomicBoolean();
    /** The last save failed: logged once until one succeeds. */
    private boolean saveFailing;
    private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tandem-gap-ledger");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param redactSql        store a placeholder instead of the statements ({@code logging.redact-sql})
     * @param journalDirectory where waiting gaps are kept across restarts (the spool's directory); the gaps found
     *                         there are written first
     */
    public GapLedger(TargetConfig target, String instanceId, MeterRegistry registry, Duration flushInterval,
                     boolean redactSql, Path journalDirectory) {
        this(target, instanceId, registry, flushInterval, redactSql, PendingGaps.MAX_ENTRIES, journalDirectory);
    }

    /**
     * @param maxEntries       gaps kept one entry each before further ones are summarised per table
     * @param journalDirectory null: gaps wait in memory only
     */
    GapLedger(TargetConfig target, String instanceId, MeterRegistry registry, Duration flushInterval, boolean redactSql,
              int maxEntries, Path journalDirectory) {
        this.target = target;
        this.instanceId = instanceId;
        this.registry = registry;
        this.redactSql = redactSql;
        this.maxEntries = maxEntries;
        this.gaps = new PendingGaps(maxEntries);
        this.journal = journalDirectory == null ? null : new GapJournal(journalDirectory);
        recover();
        this.shed = Counter.builder("tandem.spool.shed.transactions")
                .description("Committed transactions dropped because the spool was full (on-full: shed) or failed")
                .register(registry);
        writer.scheduleWithFixedDelay(this::flush, flushInterval.toMillis(), flushInterval.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** Takes the gaps a proxy that stopped before the target took them left in the journal. */
    private void recover() {
        if (journal == null) {
            return;
        }
        List<PendingGaps.Entry> recovered;
        try {
            recovered = journal.load();
        } catch (IOException e) {
            Path aside = journal.file().resolveSibling(GapJournal.FILE_NAME + ".unreadable-" + System.currentTimeMillis());
            try {
                Files.move(journal.file(), aside);
            } catch (IOException moveFailed) {
                e.addSuppressed(moveFailed);
            }
            log.error("cannot read {} (moved to {}): divergence ledger entries recorded before the last stop may be"
                    + " missing from the target's ledger; compare the mirrored tables with tandem-backfill verify",
                    journal.file(), aside, e);
            return;
        }
        if (recovered.isEmpty()) {
            return;
        }
        long rows = 0;
        for (PendingGaps.Entry e : recovered) {
            gaps.add(e);
            rows += e.tables().size(); // a summary is one row per table, however many transactions it stands for
        }
        log.warn("{} divergence ledger row(s) recorded before the last stop were not in the target's ledger yet (kept in"
                + " {}): written as soon as the target takes them", rows, journal.file());
    }

    /** Records a transaction the spool did not take; returns at once (callers may be on an event loop). */
    public void shed(CapturedTransaction tx, String reason) {
        // counted here, once per transaction: ledger retries and summaries do not pass here again
        shed.increment();
        PendingGaps.Entry gap = PendingGaps.Entry.shed(target.targetDatabase(tx.database()), tx, reason);
        add(gap);
        long now = System.nanoTime();
        long last = lastLogged.get();
        if (last != NEVER_LOGGED && now - last < LOG_EVERY_NANOS || !lastLogged.compareAndSet(last, now)) {
            // a full spool sheds every transaction: one line per interval says as much as one per transaction
            unlogged.increment();
            return;
        }
        long others = unlogged.sumThenReset();
        log.error("a committed transaction of session {} ({} statement(s) into {}) was not spooled: {}; it is recorded in"
                + " the divergence ledger: re-copy the window of its commit time, then close the entry with"
                + " tandem-backfill settle{}", tx.sessionId(), tx.statements().size(),
                gap.tables(), reason, others == 0 ? "" : " (and " + others + " more since the last such message)");
    }

    /**
     * Records writes the source may have committed after the session ended; returns at once (callers are on an event
     * loop). Rare (a session the proxy gave up on with a commit in flight), so each one is logged.
     */
    public void outcomeUnknown(UnknownOutcome outcome) {
        PendingGaps.Entry gap = PendingGaps.Entry.outcomeUnknown(target.targetDatabase(outcome.database()), outcome);
        add(gap);
        log.warn("session {} ended because {} while the source still owed the answer to {}: the source may have"
                + " committed its writes into {} after the proxy closed the connection; recorded in the divergence"
                + " ledger (outcome_unknown), compare with tandem-backfill verify", outcome.sessionId(),
                outcome.cause(), outcome.awaited(), gap.tables());
    }

    /**
     * Records a committed write into {@code table} or the session's temporary table of the same name, the proxy cannot
     * tell which ({@link SessionCapture}); returns at once (callers are on an event loop).
     */
    public void ambiguousTable(String database, long sessionId, TableName table, String sql, String reason) {
        PendingGaps.Entry gap = PendingGaps.Entry.ambiguousTable(target.targetDatabase(database), sessionId, table, sql,
                reason, System.currentTimeMillis());
        add(gap);
    }

    /** A new gap waits for the target, and is kept on disk soon. */
    private void add(PendingGaps.Entry gap) {
        if (gaps.add(gap)) {
            warnSummarising();
        }
        changed();
    }

    private void warnSummarising() {
        log.warn("{} gaps are waiting for the target's divergence ledger: further ones are kept as one entry per table"
                + " and kind (count, first and last time) until the target takes the backlog", maxEntries);
    }

    /** (transaction, table) pairs shed and not yet in the ledger, including those being written right now. */
    public long waiting() {
        return gaps.tableGaps();
    }

    /** The waiting gaps changed: the journal is saved soon, once for a burst of changes. */
    private void changed() {
        if (journal != null && saveScheduled.compareAndSet(false, true)) {
            try {
                writer.schedule(this::saveJournal, SAVE_DELAY_MILLIS, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closing) {
                saveScheduled.set(false); // close() saves what waits
            }
        }
    }

    /** Keeps what waits now on disk, replacing what was kept. */
    public synchronized void saveJournal() {
        saveScheduled.set(false);
        if (journal == null) {
            return;
        }
        try {
            journal.save(gaps.snapshot());
            saveFailing = false;
        } catch (IOException | RuntimeException e) {
            if (!saveFailing) {
                log.error("cannot save the gaps waiting for the divergence ledger to {}: they are kept in memory, and"
                        + " lost if the proxy stops before the target takes them", journal.file(), e);
            }
            saveFailing = true;
        }
    }

    /** Writes waiting gaps to the target; those it cannot write wait for the next round. */
    public synchronized void flush() {
        Map<String, List<PendingGaps.Entry>> byDatabase = new LinkedHashMap<>();
        List<PendingGaps.Entry> drained = gaps.drain();
        for (PendingGaps.Entry e : drained) {
            byDatabase.computeIfAbsent(e.targetDatabase(), db -> new ArrayList<>()).add(e);
        }
        List<PendingGaps.Entry> unwritten = new ArrayList<>();
        byDatabase.forEach((database, entries) -> unwritten.addAll(write(database, entries)));
        if (gaps.putBack(unwritten)) {
            warnSummarising();
        }
        if (unwritten.size() < drained.size()) {
            saveJournal(); // the target has those: the journal must not keep them
        }
    }

    /** Writes one database's entries, a batch per transaction; returns those not written. */
    private List<PendingGaps.Entry> write(String database, List<PendingGaps.Entry> entries) {
        int done = 0;
        try (Connection c = ServerJdbc.target(target, database)) {
            try (Statement s = c.createStatement()) {
                s.execute(TandemSchema.ddl());
            }
            c.setAutoCommit(false);
            while (done < entries.size()) {
                List<PendingGaps.Entry> batch =
                        entries.subList(done, Math.min(entries.size(), done + ENTRIES_PER_WRITE));
                insert(c, batch);
                c.commit();
                done += batch.size();
                // counted once committed: a write that fails is retried, and must not count its rows again
                for (PendingGaps.Entry e : batch) {
                    gaps.written(e);
                    for (TableName table : e.tables()) {
                        Counter.builder("tandem.ledger.entries").tag("table", table.toString())
                                .tag("reason", e.kind().reason).register(registry).increment();
                    }
                }
            }
        } catch (SQLException e) {
            log.debug("cannot write to the divergence ledger of target database {} yet ({} entries wait): {}",
                    database, entries.size() - done, e.getMessage());
        } catch (RuntimeException e) {
            // the entries are out of PendingGaps now: a failure of any kind must put them back, not lose them
            log.warn("writing to the divergence ledger of target database {} failed ({} entries wait)", database,
                    entries.size() - done, e);
        }
        return entries.subList(done, entries.size());
    }

    private void insert(Connection c, List<PendingGaps.Entry> batch) throws SQLException {
        try (PreparedStatement insert = c.prepareStatement("INSERT INTO tandem.divergence (recorded_at, instance_id,"
                + " database, session, table_schema, table_name, sqlstate, message, statement, recorded_until)"
                + " VALUES (to_timestamp(? / 1000.0), ?, ?, ?, ?, ?, NULL, ?, ?, to_timestamp(? / 1000.0))")) {
            for (PendingGaps.Entry e : batch) {
                for (TableName table : e.tables()) {
                    insert.setLong(1, e.firstAt());
                    insert.setString(2, instanceId);
                    insert.setString(3, e.targetDatabase());
                    insert.setString(4, e.session());
                    insert.setString(5, table.schema());
                    insert.setString(6, table.name());
                    insert.setString(7, message(e));
                    insert.setString(8, e.statement() == null ? null : redactSql ? REDACTED : e.statement());
                    // a summary is settled only by a re-copy of its whole span: settle reads its end here
                    if (e.summary()) {
                        insert.setLong(9, e.lastAt());
                    } else {
                        insert.setNull(9, Types.BIGINT);
                    }
                    insert.addBatch();
                }
            }
            insert.executeBatch();
        }
    }

    /** The ledger row's message; {@code recorded_at} holds the (first) commit time, or the end of the session. */
    private static String message(PendingGaps.Entry e) {
        if (e.kind() == PendingGaps.Kind.OUTCOME_UNKNOWN) {
            return !e.summary() ? e.reason() : "outcome_unknown: " + e.transactions() + " session(s) ended from this"
                    + " time to " + Instant.ofEpochMilli(e.lastAt()) + " while the source still owed the answer to a"
                    + " commit of this table's writes (summarised in one entry to bound the proxy's memory); the source"
                    + " may have committed them after the proxy closed the connection: compare the table with"
                    + " tandem-backfill verify";
        }
        if (!e.summary()) {
            return "not mirrored: " + e.reason() + " (committed on the source at this time)";
        }
        return "not mirrored: " + e.reason() + " (" + e.transactions() + " transaction(s) committed on the source from"
                + " this time to " + Instant.ofEpochMilli(e.lastAt()) + ", summarised in one entry to bound"
                + " the proxy's memory)";
    }

    @Override
    public void close() {
        writer.shutdown();
        flush();
        saveJournal();
        List<PendingGaps.Entry> left = gaps.snapshot();
        if (!left.isEmpty()) {
            Set<TableName> tables = new TreeSet<>(Comparator.comparing(TableName::toString));
            long first = Long.MAX_VALUE;
            long last = Long.MIN_VALUE;
            for (PendingGaps.Entry e : left) {
                tables.addAll(e.tables());
                first = Math.min(first, e.firstAt());
                last = Math.max(last, e.lastAt());
            }
            String kept = journal == null || saveFailing ? "they are lost"
                    : "they are kept in " + journal.file() + " and written when the proxy starts again on this spool";
            log.error("divergence ledger entries (committed transactions that were not spooled, or that the source may"
                    + " have committed after a session ended) could not be written before shutdown: {}; they concern"
                    + " {} from {} to {} (tandem-backfill verify compares them)", kept, tables,
                    Instant.ofEpochMilli(first), Instant.ofEpochMilli(last));
        }
    }
}
