package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.protocol.state.TandemSchema;
import dev.tandem.proxy.config.TargetConfig;
import dev.tandem.proxy.jdbc.ServerJdbc;
import dev.tandem.proxy.spool.SpoolLoss;
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
import java.util.HashSet;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gaps the proxy finds itself, outside the mirror's applier: committed source transactions the mirror could not
 * keep (spool full in {@code shed} mode, or the spool failed), and transactions the source may have committed after
 * the proxy closed the session ({@link UnknownOutcome}). Each is written to the target's divergence ledger so an
 * operator can re-copy or verify, and is never lost silently. Gaps wait in memory until the target takes them, in
 * {@link PendingGaps}: only what the ledger rows say (database, session, tables, reason, time), and past its cap one
 * summary per table, since the target being down is exactly when shedding starts. The ledger rows carry the commit
 * time (or the session's end), and the range of the rows' times in each table when every one of them could be read
 * ({@link RowTimesReading}, {@link OutcomeTimes}), so {@code tandem-backfill repair} re-copies them wherever they are
 * dated; without it the entry says the rows' times are unknown (or, for an unknown outcome, to compare the table),
 * and the operator re-copies a window that holds them.
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
    /** Why the last transaction left out of the log was not spooled, for the line that counts them. */
    private volatile String unloggedReason;
    private final TargetConfig target;
    private final String instanceId;
    private final MeterRegistry registry;
    private final boolean redactSql;
    private final Counter shed;
    private final Counter recordsLostUnledgered;
    private final List<SpoolLoss> lostUnledgered = new CopyOnWriteArrayList<>();
    private final int maxEntries;
    private final PendingGaps gaps;
    /** Null: gaps wait in memory only. */
    private final GapJournal journal;
    /** Null: the rows' times of shed transactions and unknown outcomes are not read. */
    private final RowTimesReading times;
    /** Gaps whose rows' times are being read, each with how to record it without them. */
    private final Map<Object, Runnable> reading = new ConcurrentHashMap<>();
    private final AtomicBoolean saveScheduled = new AtomicBoolean();
    /**
     * Target databases whose last write failed (down, not created yet): the log says when their ledger takes what
     * waited, since until then only the shed lines and the backlog's WARN spoke of it. Guarded by {@code this}.
     */
    private final Set<String> notTaking = new HashSet<>();
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
     * @param times            reads where a shed transaction's rows lie on their time column
     */
    public GapLedger(TargetConfig target, String instanceId, MeterRegistry registry, Duration flushInterval,
                     boolean redactSql, Path journalDirectory, RowTimesReading times) {
        this(target, instanceId, registry, flushInterval, redactSql, PendingGaps.MAX_ENTRIES, journalDirectory, times);
    }

    /**
     * @param maxEntries       gaps kept one entry each before further ones are summarised per table
     * @param journalDirectory null: gaps wait in memory only
     * @param times            null: shed transactions' rows' times are not read
     */
    GapLedger(TargetConfig target, String instanceId, MeterRegistry registry, Duration flushInterval, boolean redactSql,
              int maxEntries, Path journalDirectory, RowTimesReading times) {
        this.target = target;
        this.times = times;
        this.instanceId = instanceId;
        this.registry = registry;
        this.redactSql = redactSql;
        this.maxEntries = maxEntries;
        this.gaps = new PendingGaps(maxEntries);
        this.journal = journalDirectory == null ? null : new GapJournal(journalDirectory);
        recover();
        this.recordsLostUnledgered = Counter.builder("tandem.spool.records.lost.unledgered")
                .description("Spooled transactions lost from the spool while the proxy knew no target database to"
                        + " record them in the divergence ledger of")
                .register(registry);
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

    /**
     * Records a transaction the spool did not take; returns at once (callers may be on an event loop). Its rows'
     * times are read first, at once when its data is small, else on the reading thread.
     */
    public void shed(CapturedTransaction tx, String reason) {
        // counted here, once per transaction: ledger retries and summaries do not pass here again
        shed.increment();
        if (times == null) {
            recordShed(tx, reason, Map.of());
            return;
        }
        Object key = new Object();
        AtomicBoolean recorded = new AtomicBoolean();
        reading.put(key, () -> {
            if (recorded.compareAndSet(false, true)) {
                recordShed(tx, reason, Map.of());
            }
        });
        times.transaction(tx).whenComplete((ranges, failure) -> {
            if (recorded.compareAndSet(false, true)) {
                recordShed(tx, reason, ranges == null ? Map.of() : ranges);
            }
            reading.remove(key);
        });
    }

    private void recordShed(CapturedTransaction tx, String reason, Map<TableName, TimeRange> ranges) {
        PendingGaps.Entry gap = PendingGaps.Entry.shed(target.targetDatabase(tx.database()), tx, reason, ranges);
        add(gap);
        long now = System.nanoTime();
        long last = lastLogged.get();
        if (last != NEVER_LOGGED && now - last < LOG_EVERY_NANOS || !lastLogged.compareAndSet(last, now)) {
            // a full spool sheds every transaction: one line per interval says as much as one per transaction
            unloggedReason = reason;
            unlogged.increment();
            return;
        }
        long others = unlogged.sumThenReset();
        List<TableName> unknown = new ArrayList<>();
        for (int i = 0; i < gap.tables().size(); i++) {
            if (gap.range(i) == null) {
                unknown.add(gap.tables().get(i));
            }
        }
        String advice = unknown.isEmpty() ? "tandem-backfill repair re-copies the time range of its rows"
                : "the times of its rows in " + unknown + " are unknown and may lie outside the window of its commit"
                        + " time: re-copy a window that holds them, then close " + (unknown.size() == 1 ? "that entry"
                        : "those entries") + " with tandem-backfill settle" + (unknown.size() == gap.tables().size()
                        ? "" : "; tandem-backfill repair re-copies the others' time ranges");
        log.error("a committed transaction of session {} ({} statement(s) into {}) was not spooled: {}; it is recorded in"
                + " the divergence ledger: {}{}", tx.sessionId(), tx.statements().size(), gap.tables(), reason, advice,
                others == 0 ? "" : " (and " + others + " more since the last such message)");
    }

    /**
     * Records writes the source may have committed after the session ended; returns at once (callers are on an event
     * loop). Their rows' times are read first, at once when their data is small, else on the reading thread. Rare (a
     * session the proxy gave up on with a commit in flight), so each one is logged.
     */
    public void outcomeUnknown(UnknownOutcome outcome) {
        if (times == null || outcome.times() == null) {
            recordOutcomeUnknown(outcome, Map.of());
            return;
        }
        Object key = new Object();
        AtomicBoolean recorded = new AtomicBoolean();
        reading.put(key, () -> {
            if (recorded.compareAndSet(false, true)) {
                recordOutcomeUnknown(outcome, Map.of());
            }
        });
        times.outcome(outcome.times()).whenComplete((ranges, failure) -> {
            if (recorded.compareAndSet(false, true)) {
                recordOutcomeUnknown(outcome, ranges == null ? Map.of() : ranges);
            }
            reading.remove(key);
        });
    }

    private void recordOutcomeUnknown(UnknownOutcome outcome, Map<TableName, TimeRange> ranges) {
        PendingGaps.Entry gap = PendingGaps.Entry.outcomeUnknown(target.targetDatabase(outcome.database()), outcome,
                ranges);
        add(gap);
        List<TableName> ranged = new ArrayList<>();
        List<TableName> unranged = new ArrayList<>();
        for (int i = 0; i < gap.tables().size(); i++) {
            (gap.range(i) == null ? unranged : ranged).add(gap.tables().get(i));
        }
        String advice = (ranged.isEmpty() ? "" : "tandem-backfill repair re-copies the time range of its rows in "
                + ranged + (unranged.isEmpty() ? "" : "; ")) + (unranged.isEmpty() ? ""
                : "compare " + unranged + " with tandem-backfill verify");
        log.warn("session {} ended because {} while the source still owed the answer to {}: the source may have"
                + " committed its writes into {} after the proxy closed the connection; recorded in the divergence"
                + " ledger (outcome_unknown): {}", outcome.sessionId(), outcome.cause(), outcome.awaited(),
                gap.tables(), advice);
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

    /**
     * Records spooled records lost from the spool in the ledger of each of {@code databases} that may not have applied
     * them: which database they were for is lost with them, so every one is told that has not applied past them. One
     * that applied the last of them (or a later record) before they were lost had applied whichever were its own, and
     * an entry would send its operators to re-copy a window the mirror had already brought over.
     *
     * @param appliedThrough per target database, the sequence number of the last record applied there as far as this
     *                       proxy knows (in this run or an earlier one on the spool); a database it lacks is not known
     *                       to have applied any
     */
    public void spoolRecordsLost(SpoolLoss loss, Set<String> databases, Map<String, Long> appliedThrough) {
        Set<String> owed = new TreeSet<>();
        Map<String, Long> past = new TreeMap<>();
        for (String database : databases) {
            Long applied = appliedThrough.get(database);
            if (applied != null && applied >= loss.lastSequence()) {
                past.put(database, applied);
            } else {
                owed.add(database);
                add(PendingGaps.Entry.spoolRecordsLost(database, loss));
            }
        }
        String notNeeded = past.entrySet().stream()
                .map(e -> e.getKey() + " (applied through spool sequence " + e.getValue() + ")")
                .collect(Collectors.joining(", "));
        if (databases.isEmpty()) {
            lostUnledgered.add(loss);
            recordsLostUnledgered.increment(loss.records());
            log.error("spool records {} to {} ({} transaction(s)) were lost from the spool, and this proxy knows no"
                    + " target database to record that in (it has applied to none yet): no divergence ledger entry"
                    + " says so. They are counted in tandem_spool_records_lost_unledgered_total and listed in /status"
                    + " (mirror.spoolRecordsLostUnledgered) until the proxy stops: re-copy the window they were"
                    + " appended in ({}before {}) in the target databases the proxy mirrors to",
                    loss.firstSequence(), loss.lastSequence(), loss.records(),
                    loss.after() == null ? "" : "after " + loss.after() + " and ", loss.before());
        } else if (owed.isEmpty()) {
            log.warn("spool records {} to {} were lost from the spool after every target database this proxy knows of"
                    + " had applied them: {}; no divergence ledger entry is needed", loss.firstSequence(),
                    loss.lastSequence(), notNeeded);
        } else {
            log.warn("spool records {} to {} lost from the spool are recorded in the divergence ledger of target"
                    + " database(s) {} (spool_records_lost), which had not applied them or are not known to have{}",
                    loss.firstSequence(), loss.lastSequence(), String.join(", ", owed),
                    past.isEmpty() ? "" : "; " + notNeeded + " had applied them before they were lost and need no"
                            + " entry");
        }
    }

    /**
     * Records lost from the spool while this proxy knew no target database to ledger them in, oldest first: only the
     * log, {@code tandem_spool_records_lost_unledgered_total} and {@code /status} say so.
     */
    public List<SpoolLoss> spoolRecordsLostUnledgered() {
        return List.copyOf(lostUnledgered);
    }

    /**
     * Gives the reading of gaps' rows' times a few seconds to end, then records those still being read without them: a
     * gap is never dropped for its range.
     */
    private void awaitReading() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!reading.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        List.copyOf(reading.values()).forEach(Runnable::run);
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

    /**
     * (transaction, table) pairs shed and not yet in the ledger, including those being written right now; and a
     * shed transaction whose rows' times are being read counts as one.
     */
    public long waiting() {
        return gaps.tableGaps() + reading.size();
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
        logUnlogged(false);
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
        long rows = 0;
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
                    if (e.tables().isEmpty()) {
                        Counter.builder("tandem.ledger.entries").tag("table", "?").tag("reason", e.kind().reason)
                                .register(registry).increment();
                    }
                    for (TableName table : e.tables()) {
                        Counter.builder("tandem.ledger.entries").tag("table", table.toString())
                                .tag("reason", e.kind().reason).register(registry).increment();
                    }
                    rows += Math.max(1, e.tables().size());
                }
            }
            if (notTaking.remove(database)) {
                log.info("the divergence ledger of target database {} took the {} row(s) that waited for it"
                        + " (tandem.divergence)", database, rows);
            }
        } catch (SQLException e) {
            notTaking.add(database);
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
                + " database, session, table_schema, table_name, sqlstate, message, statement, recorded_until,"
                + " time_column, range_start, range_end)"
                + " VALUES (to_timestamp(? / 1000.0), ?, ?, ?, ?, ?, NULL, ?, ?, to_timestamp(? / 1000.0), ?, ?, ?)")) {
            for (PendingGaps.Entry e : batch) {
                if (e.tables().isEmpty()) {
                    addRow(insert, e, null, e.reason(), null, false);
                }
                for (int i = 0; i < e.tables().size(); i++) {
                    TimeRange range = e.range(i);
                    if (range == null || range.bounded()) {
                        addRow(insert, e, e.tables().get(i), message(e, range), range, true);
                    }
                    if (range != null && range.infinite() > 0) {
                        // an entry of their own, without a range, as the applier's: repair closes the finite rows'
                        // entry once it re-copied them, and these stay open until copied by hand
                        addRow(insert, e, e.tables().get(i),
                                described(e) + "; " + range.atInfinity(e.summary() ? "their" : "its"), range, false);
                    }
                }
            }
            insert.executeBatch();
        }
    }

    /**
     * @param table  null for an entry naming no table
     * @param bounds whether the row holds {@code range}'s bounds; else only its time column (rows at infinity)
     */
    private void addRow(PreparedStatement insert, PendingGaps.Entry e, TableName table, String message,
                        TimeRange range, boolean bounds) throws SQLException {
        insert.setLong(1, e.firstAt());
        insert.setString(2, instanceId);
        insert.setString(3, e.targetDatabase());
        insert.setString(4, e.session());
        insert.setString(5, table == null ? null : table.schema());
        insert.setString(6, table == null ? null : table.name());
        insert.setString(7, message);
        insert.setString(8, e.statement() == null ? null : redactSql ? REDACTED : e.statement());
        // a summary is settled only by a re-copy of its whole span: settle reads its end here; records lost from the
        // spool were appended somewhere in theirs
        if (e.summary() || e.tables().isEmpty() && e.lastAt() != e.firstAt()) {
            insert.setLong(9, e.lastAt());
        } else {
            insert.setNull(9, Types.BIGINT);
        }
        insert.setString(10, range == null ? null : range.column());
        insert.setString(11, range == null || !bounds ? null : range.start());
        insert.setString(12, range == null || !bounds ? null : range.end());
        insert.addBatch();
    }

    /**
     * The ledger row's message; {@code recorded_at} holds the (first) commit time, or the end of the session.
     *
     * @param range the range of the rows' times in the row's table, when known
     */
    private static String message(PendingGaps.Entry e, TimeRange range) {
        if (e.kind() == PendingGaps.Kind.OUTCOME_UNKNOWN) {
            String what = !e.summary() ? e.reason() : "outcome_unknown: " + e.transactions() + " session(s) ended from"
                    + " this time to " + Instant.ofEpochMilli(e.lastAt()) + " while the source still owed the answer"
                    + " to a commit of this table's writes (summarised in one entry to bound the proxy's memory); the"
                    + " source may have committed them after the proxy closed the connection";
            return range == null ? what + ": compare the table with tandem-backfill verify"
                    : what + ": tandem-backfill repair re-copies the time range of "
                    + (e.summary() ? "their rows" : "its rows");
        }
        String what = described(e);
        if (e.kind() != PendingGaps.Kind.SHED) {
            return what;
        }
        String rows = e.summary() ? "their rows" : "its rows";
        return range != null ? what + "; tandem-backfill repair re-copies the time range of " + rows
                : what + "; the times of " + rows + " are unknown and may lie outside the window of "
                        + (e.summary() ? "these commit times" : "its commit time") + ": re-copy a window that holds"
                        + " them, then close this entry with tandem-backfill settle";
    }

    /** What a gap of rows not mirrored is, without the way to close its entry. */
    private static String described(PendingGaps.Entry e) {
        return !e.summary() ? "not mirrored: " + e.reason() + " (committed on the source at this time)"
                : "not mirrored: " + e.reason() + " (" + e.transactions() + " transaction(s) committed on the source"
                        + " from this time to " + Instant.ofEpochMilli(e.lastAt()) + ", summarised in one entry to"
                        + " bound the proxy's memory)";
    }

    /**
     * Says how many transactions were left out of the log since the last line about one, once the interval passed or
     * at {@code last}: counted only into the next such line, those shed by a spool that then recovered (disk space freed,
     * the target back) were never told, and the log read as if one transaction had been lost where thousands were.
     */
    private void logUnlogged(boolean last) {
        long now = System.nanoTime();
        long logged = lastLogged.get();
        if (unlogged.sum() == 0 || !last && now - logged < LOG_EVERY_NANOS || !lastLogged.compareAndSet(logged, now)) {
            return;
        }
        long others = unlogged.sumThenReset();
        if (others > 0) {
            log.error("{} more committed transaction(s) were not spooled since the last such message (the last because"
                    + " {}); each is recorded in the divergence ledger, and tandem_spool_shed_transactions_total counts"
                    + " them", others, unloggedReason);
        }
    }

    @Override
    public void close() {
        awaitReading();
        writer.shutdown();
        logUnlogged(true);
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
