package dev.tandem.proxy.mirror;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.spool.AppendClock;
import dev.tandem.proxy.spool.Spool;
import dev.tandem.proxy.spool.SpoolBacklog;
import dev.tandem.proxy.spool.SpoolStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.function.ToDoubleFunction;

/**
 * The mirror's meters, named as in {@code docs/metrics.md}: dotted Micrometer names that the Prometheus registry turns
 * into {@code tandem_mirror_transactions_total} and so on.
 */
final class MirrorMetrics {

    static final String TRANSACTIONS = "tandem.mirror.transactions";
    static final String ROWS = "tandem.mirror.rows";
    static final String SOURCE_ROWS = "tandem.source.rows";
    static final String TARGET_ROWS = "tandem.target.rows";
    static final String MISMATCHES = "tandem.mirror.row.count.mismatches";
    static final String LATE_ROWS = "tandem.mirror.late.rows";
    static final String RETRIES = "tandem.mirror.retries";
    static final String TARGET_TRANSACTIONS = "tandem.mirror.target.transactions";
    static final String UNDECODABLE = "tandem.mirror.undecodable.records";
    static final String TARGET_REGRESSIONS = "tandem.mirror.target.regressions";
    static final String LEDGER_ENTRIES = "tandem.ledger.entries";
    static final String LAG_SECONDS = "tandem.mirror.lag.seconds";
    static final String LAG_BYTES = "tandem.mirror.lag.bytes";
    static final String PAUSED = "tandem.mirror.paused";
    static final String TARGET_UP = "tandem.mirror.target.up";
    static final String STILL_MARKED_STOPPED = "tandem.mirror.still.marked.stopped";
    static final String PARKED_DATABASES = "tandem.mirror.parked.databases";
    static final String FAILED = "tandem.mirror.failed";
    static final String DATABASE_LAG_SECONDS = "tandem.mirror.database.lag.seconds";
    static final String DATABASE_LAG_BYTES = "tandem.mirror.database.lag.bytes";
    static final String SPOOL_BYTES = "tandem.spool.bytes";
    static final String SPOOL_RECORDS = "tandem.spool.records";
    static final String SPOOL_MAX_BYTES = "tandem.spool.max.bytes";
    static final String SPOOL_GAPS = "tandem.spool.gaps";
    static final String SPOOL_BLOCKED_COMMITS = "tandem.spool.blocked.commits";

    static final String APPLIED = "applied";
    static final String LEDGERED = "ledgered";
    static final String REJECTED = "rejected";
    static final String NOT_REPLAYABLE = "not_replayable";
    static final String NOT_ON_TARGET = "not_on_target";
    static final String CHUNK_UNMAPPED = "chunk_unmapped";

    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Counter retries;
    private final Counter targetCommitted;
    private final Counter targetRolledBack;
    private final Counter undecodable;
    private final Counter targetRegressions;
    private final List<Meter> gauges = new CopyOnWriteArrayList<>();
    /** What a target database has still to apply ({@link #database}). */
    private final Function<String, SpoolBacklog> backlog;
    /**
     * The target databases with lag gauges, each with its gauges: as many as the databases the mirror applies to, and
     * no more than it knows ({@link #forget}).
     */
    private final Map<String, List<Meter>> databases = new ConcurrentHashMap<>();

    MirrorMetrics(MeterRegistry registry, Spool spool, BooleanSupplier paused, BooleanSupplier targetUp,
                  IntSupplier stillMarkedStopped, IntSupplier parkedDatabases, BooleanSupplier failed,
                  Function<String, SpoolBacklog> backlog) {
        this.registry = registry;
        this.backlog = backlog;
        this.retries = Counter.builder(RETRIES)
                .description("Apply attempts retried after a transient target error").register(registry);
        this.targetCommitted = Counter.builder(TARGET_TRANSACTIONS).tag("outcome", "committed")
                .description("Target transactions the mirror applied groups of source transactions in, by outcome")
                .register(registry);
        this.targetRolledBack = Counter.builder(TARGET_TRANSACTIONS).tag("outcome", "rolled_back")
                .description("Target transactions the mirror applied groups of source transactions in, by outcome")
                .register(registry);
        this.undecodable = Counter.builder(UNDECODABLE)
                .description("Spool records this version cannot read, set aside in the spool's quarantine folder")
                .register(registry);
        this.targetRegressions = Counter.builder(TARGET_REGRESSIONS)
                .description("Reconnects that found the target without transactions this proxy had applied there")
                .register(registry);
        gauge(LAG_SECONDS, "Age of the oldest committed source transaction not yet applied on the target", spool,
                s -> lagSeconds(s.stats()));
        gauge(LAG_BYTES, "Spooled bytes not yet applied on the target", spool, s -> s.stats().pendingBytes());
        gauge(SPOOL_BYTES, "Bytes in spool segment files on disk", spool, s -> s.stats().bytesOnDisk());
        gauge(SPOOL_RECORDS, "Transactions in the spool not yet applied on the target", spool,
                s -> s.stats().pendingRecords());
        gauge(SPOOL_MAX_BYTES, "The spool's size cap", spool, s -> s.settings().maxBytes());
        gauge(SPOOL_BLOCKED_COMMITS, "Committed transactions waiting for room in the full spool (on-full: block), their"
                + " sessions not read meanwhile", spool, s -> s.stats().blockedAppends());
        gauges.add(FunctionCounter.builder(SPOOL_GAPS, spool, s -> s.stats().gaps())
                .description("Times the mirror found records missing from the spool, which may not be on the target")
                .register(registry));
        gauge(PAUSED, "1 while the mirror is paused", paused, p -> p.getAsBoolean() ? 1 : 0);
        gauge(TARGET_UP, "1 while the mirror has a working connection to the target and no target database is"
                + " parked", targetUp, u -> u.getAsBoolean() ? 1 : 0);
        gauge(PARKED_DATABASES, "Target databases whose transactions wait in the spool after failing to apply, while"
                + " the others are applied", parkedDatabases, IntSupplier::getAsInt);
        gauge(STILL_MARKED_STOPPED, "Target databases that may still say this instance stopped cleanly, which it has"
                + " not reached since it started: tandem-backfill there does not wait for what it spools",
                stillMarkedStopped, IntSupplier::getAsInt);
        gauge(FAILED, "1 once the mirror stopped on an error it cannot get past (a spool file damaged or deleted, out"
                + " of memory): the proxy still relays and spools but applies nothing until restarted; GET /status"
                + " mirror.failure says why", failed, f -> f.getAsBoolean() ? 1 : 0);
    }

    private <T> void gauge(String name, String description, T object, ToDoubleFunction<T> value) {
        gauges.add(Gauge.builder(name, object, value).description(description).strongReference(true)
                .register(registry));
    }

    /**
     * Registers the lag gauges of a target database the mirror applies to, once: which database is behind when one
     * is parked, which {@link #LAG_SECONDS} cannot say. Applier thread.
     */
    void database(String database) {
        if (databases.containsKey(database)) {
            return;
        }
        List<Meter> lag = List.of(Gauge.builder(DATABASE_LAG_SECONDS, database,
                        d -> backlog.apply(d).lag(AppendClock.SYSTEM.now()).toMillis() / 1000.0)
                .description("Age of the oldest committed source transaction not yet applied on this target database")
                .tag("database", database).strongReference(true).register(registry),
                Gauge.builder(DATABASE_LAG_BYTES, database, d -> backlog.apply(d).bytes())
                .description("Spooled bytes from this target database's oldest transaction not yet applied on, other"
                        + " databases' after it included")
                .tag("database", database).strongReference(true).register(registry));
        gauges.addAll(lag);
        databases.put(database, lag);
    }

    /**
     * Removes the lag gauges of a target database the mirror forgot (dropped, with nothing of it in the spool): a
     * proxy in front of short-lived databases would otherwise keep a series per database it ever applied to.
     * Applier thread.
     */
    void forget(String database) {
        List<Meter> lag = databases.remove(database);
        if (lag != null) {
            lag.forEach(registry::remove);
            gauges.removeAll(lag);
        }
    }

    /** The target databases with lag gauges. */
    Set<String> databases() {
        return Set.copyOf(databases.keySet());
    }

    /**
     * Removes the gauges, which hold the spool and the applier: a later applier on the same registry registers its
     * own. Counters stay, as counters do across restarts of a component.
     */
    void close() {
        gauges.forEach(registry::remove);
    }

    private static double lagSeconds(SpoolStats stats) {
        return stats.lag(AppendClock.SYSTEM.now()).toMillis() / 1000.0;
    }

    void retry() {
        retries.increment();
    }

    /** A group (or a part of one, or a lone member) was sent as one target transaction and committed or failed. */
    void targetTransaction(boolean committed) {
        (committed ? targetCommitted : targetRolledBack).increment();
    }

    void undecodable() {
        undecodable.increment();
    }

    void targetRegression() {
        targetRegressions.increment();
    }

    void transaction(TableName table, String outcome, long rows) {
        transactions(table, outcome, 1, rows);
    }

    /** {@code transactions} transactions of {@code outcome} that wrote {@code rows} rows of {@code table} together. */
    void transactions(TableName table, String outcome, long transactions, long rows) {
        counter(TRANSACTIONS, table, outcome).increment(transactions);
        rows(table, outcome, rows);
    }

    /**
     * A statement of a transaction the target does not take into {@code table} ({@code outcome}: not on the target, a
     * chunk written by its own name): the transaction counts once per table, when {@code counted} (the tables of this
     * transaction counted so far) first meets it; the statement's source rows ({@code -1}: unknown) each time.
     */
    void leftOut(TableName table, String outcome, long sourceRows, Set<TableName> counted) {
        long rows = Math.max(0, sourceRows);
        if (counted.add(table)) {
            transaction(table, outcome, rows);
        } else {
            rows(table, outcome, rows);
        }
    }

    private void rows(TableName table, String outcome, long rows) {
        if (rows > 0) {
            counter(ROWS, table, outcome).increment(rows);
        }
    }

    /**
     * Replayed statements of one table: the row counts of their source's and target's CommandCompletes added up (-1:
     * none had one), and how many of them differed.
     */
    void statements(TableName table, long sourceRows, long targetRows, long mismatches) {
        if (sourceRows >= 0) {
            counter(SOURCE_ROWS, table, null).increment(sourceRows);
        }
        if (targetRows >= 0) {
            counter(TARGET_ROWS, table, null).increment(targetRows);
        }
        if (mismatches > 0) {
            counter(MISMATCHES, table, null).increment(mismatches);
        }
    }

    /** Mirrored rows whose time was before the dual-write mark (see {@link LateRows}). */
    void lateRows(TableName table, long rows) {
        counter(LATE_ROWS, table, null).increment(rows);
    }

    /** A statement that never reached the target: only its source rows count. */
    void sourceOnly(TableName table, long sourceRows) {
        statements(table, sourceRows, -1, 0);
    }

    void ledgerEntry(TableName table, String reason) {
        counter(LEDGER_ENTRIES, "table", table.toString(), "reason", reason).increment();
    }

    /**
     * Forgets the counters of tables dropped from the target ({@code table} label values), which the caller removed
     * from the registry: a table written again afterwards gets new ones instead of counting into removed ones.
     */
    void forgetTables(Set<String> tables) {
        tableCounters.values().removeIf(c -> tables.contains(c.getId().getTag("table")));
        counters.values().removeIf(c -> tables.contains(c.getId().getTag("table")));
    }

    /** Looked up per replayed statement: keyed by a record, so no label string is built on the way. */
    private record Key(String name, TableName table, String outcome) {
    }

    private Counter counter(String name, TableName table, String outcome) {
        return tableCounters.computeIfAbsent(new Key(name, table, outcome), k -> {
            Counter.Builder b = Counter.builder(name).tag("table", table.toString());
            return (outcome == null ? b : b.tag("outcome", outcome)).register(registry);
        });
    }

    private final Map<Key, Counter> tableCounters = new ConcurrentHashMap<>();

    private Counter counter(String name, String... tags) {
        String key = name + String.join("\u0000", tags);
        return counters.computeIfAbsent(key, k -> Counter.builder(name).tags(tags).register(registry));
    }
}
