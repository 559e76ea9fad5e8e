package dev.tandem.proxy.verifier;

import dev.tandem.protocol.sql.Identifiers;
import dev.tandem.protocol.sql.TableName;
import dev.tandem.protocol.state.CompressedRows;
import dev.tandem.protocol.state.RangeChecksum;
import dev.tandem.protocol.state.TimeIndex;
import dev.tandem.protocol.state.TimeType;
import dev.tandem.proxy.config.Durations;
import dev.tandem.proxy.config.SourceConfig;
import dev.tandem.proxy.config.TargetConfig;
import dev.tandem.proxy.config.VerifierConfig;
import dev.tandem.proxy.config.VerifierMode;
import dev.tandem.proxy.jdbc.ServerJdbc;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live divergence verifier: while the proxy dual-writes, it compares source and target over the recent
 * <em>closed</em> time buckets of each mirrored table, so operators see divergence within minutes instead of at
 * cutover.
 *
 * <p>Every {@code verifier.interval}, on its own thread (never a relay event loop), for each mirrored table with a
 * known time column, the buckets of {@code verifier.bucket} inside {@code [now - lookback, now - settle)} are compared,
 * where {@code settle} is the mirror lag plus {@code verifier.margin}: newer rows may still be on their way. The lag is
 * the larger of this proxy's own and that of the slowest instance mirroring into the target database
 * ({@link MirrorProgress}); {@code now} is the wall-clock time of the backfill plan's zone for a {@code timestamp}
 * column. A bucket is compared by row count and the order-independent checksum {@code tandem-backfill verify} uses
 * ({@link RangeChecksum}), each side in one query bounded by the time column and by
 * {@code verifier.statement-timeout}; a bucket that differs is compared again once the mirrors caught up. The results are exported as metrics (see {@link VerifierMetrics}; a table name
 * found in several databases reports their sum) and each newly divergent bucket is written once to the divergence
 * ledger of its target database for {@code tandem-backfill repair}.
 *
 * <p>Failures (a side unreachable, a timeout) end the run with outcome {@code error} and a WARN line; nothing escapes
 * the verifier's thread, and the next run tries again.
 */
public final class DivergenceVerifier implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DivergenceVerifier.class);

    private final VerifierConfig config;
    private final SourceConfig source;
    private final TargetConfig target;
    private final Supplier<Map<String, Set<TableName>>> mirroredTables;
    private final Supplier<Duration> mirrorLag;
    private final String instanceId;
    private final Clock clock = Clock.systemUTC();
    private final VerifierMetrics metrics;
    private final TableCatalog catalog;
    private final Set<String> said = ConcurrentHashMap.newKeySet();
    /** Per database whose last run failed, why (see {@link #failed}). */
    private final Map<String, String> failing = new ConcurrentHashMap<>();
    /**
     * Why each table was not compared, as said, by {@code database\0schema.table}: forgotten once the table is compared
     * again, so that a later breakage of it (a column dropped again) is said again too.
     */
    private final Map<String, Set<String>> notCompared = new ConcurrentHashMap<>();
    /** Tables whose time index was looked for already, as {@code database\0schema.table}. */
    private final Set<String> indexChecked = ConcurrentHashMap.newKeySet();
    private final String disabledReason;
    private final Object runLock = new Object();
    private ScheduledExecutorService scheduler;

    /**
     * What decides a database's buckets' fate besides the table: the mirrors, how far behind the slowest other
     * instance is, the zone of {@code timestamp} columns, whether the mirrors caught up when last waited for, and
     * what history the target should hold by now.
     */
    private record Settled(MirrorProgress mirrors, Duration othersBehind, String zone, AtomicBoolean mirrorsKeepUp,
                           ExpectedHistory history) {
    }

    /** What one table's comparison found, summed over its divergent buckets. */
    private record TableResult(long rows, long buckets) {

        TableResult plus(TableResult other) {
            return new TableResult(rows + other.rows, buckets + other.buckets);
        }
    }

    /**
     * @param mirroredTables source database → its mirrored tables, kept fresh by the caller and read once per run; a
     *                       database's target database follows {@code target.databases}
     * @param mirrorLag      how far the mirror is behind now; buckets younger than this plus the margin are left out
     * @param instanceId     written into the ledger entries
     */
    public DivergenceVerifier(VerifierConfig config, SourceConfig source, TargetConfig target,
                              Supplier<Map<String, Set<TableName>>> mirroredTables, Supplier<Duration> mirrorLag,
                              String instanceId, MeterRegistry registry) {
        this.config = config;
        this.source = source;
        this.target = target;
        this.mirroredTables = mirroredTables;
        this.mirrorLag = mirrorLag;
        this.instanceId = instanceId;
        this.metrics = new VerifierMetrics(registry);
        this.catalog = new TableCatalog(config.timeColumns());
        if (config.mode() == VerifierMode.OFF) {
            disabledReason = "verifier disabled (verifier.enabled: false)";
        } else if (source.user().isEmpty()) {
            disabledReason = "verifier disabled: source.user is not set, and the verifier compares source and target"
                    + " with its own source connection (set source.user and source.password-env to enable it)";
        } else {
            disabledReason = null;
        }
    }

    /** Schedules a run every {@code verifier.interval}, the first one interval from now; or logs why it will not. */
    public synchronized DivergenceVerifier start() {
        if (disabledReason != null) {
            log.info(disabledReason);
            return this;
        }
        if (scheduler == null) {
            scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "tandem-verifier");
                t.setDaemon(true);
                return t;
            });
            long every = config.interval().toMillis();
            scheduler.scheduleWithFixedDelay(this::runOnce, every, every, TimeUnit.MILLISECONDS);
            log.info("verifier: comparing the closed {} buckets of the last {} every {}",
                    Durations.format(config.bucket()), Durations.format(config.lookback()),
                    Durations.format(config.interval()));
        }
        return this;
    }

    /**
     * One verification run of every database now, on the calling thread; never throws. Runs do not overlap.
     *
     * @return {@code SKIPPED} when the verifier is off, or {@code auto} found no hypertables in any database
     */
    public Outcome runOnce() {
        if (disabledReason != null) {
            return Outcome.SKIPPED;
        }
        synchronized (runLock) {
            return run();
        }
    }

    private Outcome run() {
        Map<TableName, TableResult> results = new TreeMap<>(Comparator.comparing(TableName::toString));
        Outcome outcome = Outcome.SKIPPED;
        Map<String, Set<TableName>> databases;
        try {
            databases = new TreeMap<>(mirroredTables.get());
        } catch (RuntimeException e) {
            log.warn("verifier: cannot tell which tables are mirrored: {}", e.toString());
            databases = Map.of();
            outcome = Outcome.ERROR;
        }
        if (databases.isEmpty() && outcome == Outcome.SKIPPED) {
            outcome = Outcome.OK;
        }
        if (outcome != Outcome.ERROR) {
            // a table no longer mirrored anywhere is not verified any more: its last result would stand forever
            Set<TableName> mirrored = new HashSet<>();
            databases.values().forEach(mirrored::addAll);
            metrics.retain(mirrored);
        }
        for (Map.Entry<String, Set<TableName>> database : databases.entrySet()) {
            Outcome found;
            try {
                found = compareDatabase(database.getKey(), database.getValue(), results);
                if (failing.remove(database.getKey()) != null) {
                    log.info("verifier: database {} is compared again", database.getKey());
                }
            } catch (SQLException e) {
                failed(database.getKey(), e.getMessage() + " (SQLSTATE " + e.getSQLState() + ")");
                found = Outcome.ERROR;
            } catch (RuntimeException e) {
                failed(database.getKey(), e.toString());
                found = Outcome.ERROR;
            }
            outcome = worse(outcome, found);
        }
        results.forEach((table, result) -> metrics.divergence(table, result.rows(), result.buckets()));
        if (outcome != Outcome.SKIPPED) {
            metrics.finished(outcome, clock.millis());
        }
        return outcome;
    }

    /** Error beats divergent beats ok beats skipped. */
    private static Outcome worse(Outcome a, Outcome b) {
        List<Outcome> order = List.of(Outcome.SKIPPED, Outcome.OK, Outcome.DIVERGENT, Outcome.ERROR);
        return order.indexOf(a) >= order.indexOf(b) ? a : b;
    }

    private Outcome compareDatabase(String sourceDatabase, Set<TableName> tables, Map<TableName, TableResult> results)
            throws SQLException {
        String targetDatabase = target.targetDatabase(sourceDatabase);
        String targetName = "target " + target.address() + " database " + targetDatabase;
        try (Connection t = connect(targetName, () -> ServerJdbc.target(target, targetDatabase))) {
            if (config.mode() == VerifierMode.AUTO && !TableCatalog.hasHypertables(t)
                    && !catalog.anyHasTimeColumn(t, tables)) {
                sayOnce("verifier off for target database " + targetDatabase + ": it has no TimescaleDB hypertables,"
                        + " and no mirrored table written so far has a time column (verifier.time-columns, a table"
                        + " range-partitioned on one column, a staged backfill plan; verifier.enabled: auto, which"
                        + " turns it on once one has)");
                return Outcome.SKIPPED;
            }
            if (tables.isEmpty()) {
                return Outcome.OK;
            }
            DivergenceLedger ledger = new DivergenceLedger(instanceId, targetDatabase);
            ledger.prepare(t);
            ExpectedHistory expected = ExpectedHistory.read(t, targetDatabase, sourceDatabase);
            MirrorProgress mirrors = new MirrorProgress(t, instanceId, mirrorLag);
            Duration othersBehind = othersBehind(mirrors, targetDatabase);
            String zone = wallClockZone(t);
            // once the mirrors did not catch up in time, the rest of the database's buckets do not wait for them again
            AtomicBoolean mirrorsKeepUp = new AtomicBoolean(true);
            String sourceName = "source " + source.address() + " database " + sourceDatabase;
            try (Connection s = connect(sourceName, () -> ServerJdbc.source(source, sourceDatabase))) {
                Outcome outcome = Outcome.OK;
                for (TableName table : tables.stream().sorted(Comparator.comparing(TableName::toString)).toList()) {
                    try {
                        Optional<TableName> root = TableCatalog.partitionRoot(t, table);
                        if (root.isPresent() && tables.contains(root.get())) {
                            continue; // a partition written by its own name: comparing its table covers its rows
                        }
                        TableResult result = compareTable(s, t, ledger, sourceDatabase, table,
                                new Settled(mirrors, othersBehind, zone, mirrorsKeepUp, expected));
                        if (result != null) {
                            results.merge(table, result, TableResult::plus);
                            outcome = worse(outcome, result.buckets() > 0 ? Outcome.DIVERGENT : Outcome.OK);
                        }
                    } catch (SQLException e) {
                        outcome = Outcome.ERROR;
                        log.warn("verifier: cannot compare {} in database {}: {} (SQLSTATE {})", table, sourceDatabase,
                                e.getMessage(), e.getSQLState());
                    }
                }
                return outcome;
            }
        }
    }

    private interface Connector {
        Connection connect() throws SQLException;
    }

    /**
     * A connection with the checksum's session settings, the rows of compressed TimescaleDB chunks visible and the
     * statement timeout applied.
     */
    private Connection connect(String name, Connector connector) throws SQLException {
        Connection c;
        try {
            c = connector.connect();
        } catch (SQLException e) {
            throw new SQLException("cannot connect to the " + name + ": " + e.getMessage(), e.getSQLState(), e);
        }
        try (Statement st = c.createStatement()) {
            st.execute(RangeChecksum.SESSION_SETTINGS + "; " + CompressedRows.VISIBLE + "; SET statement_timeout = "
                    + Math.max(1, config.statementTimeout().toMillis()));
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /**
     * @return what the table's closed buckets show, or null when the table is not compared (nor when every bucket of
     *     it waits for the mirrors: its gauges then keep the last result rather than report a comparison not made)
     */
    private TableResult compareTable(Connection s, Connection t, DivergenceLedger ledger, String sourceDatabase,
                                     TableName table, Settled settled) throws SQLException {
        String tableKey = sourceDatabase + "\0" + table;
        TableCatalog.Description description = catalog.describe(s, t, table);
        if (description instanceof TableCatalog.Skipped skipped) {
            notComparing(tableKey, "verifier: not comparing " + table + " of database " + sourceDatabase + ": "
                    + skipped.reason(), skipped.warning());
            return null;
        }
        VerifiedTable verified = (VerifiedTable) description;
        if (verified.checksum().timeType().isInteger() && config.integerBucket() == 0) {
            notComparing(tableKey, "verifier: not comparing " + table + " of database " + sourceDatabase + ": its time"
                    + " column is an integer; set verifier.integer-bucket to a bucket width in the column's units", false);
            return null;
        }
        notCompared.remove(tableKey);
        String column = verified.checksum().timeColumn();
        // once per table and database: indexes are not added or dropped between runs often enough to ask each minute
        if (indexChecked.add(tableKey)
                && !TimeIndex.exists(s, table.schema(), table.name(), column)) {
            warnOnce("verifier: " + table + " of database " + sourceDatabase + " has no index starting with " + column
                    + " on the source, so every bucket compared scans the whole table there, each run: add one");
        }
        long rows = 0;
        long divergentBuckets = 0;
        ExpectedHistory.Expected expected = settled.history().expected(verified, settled.zone(),
                buckets(s, verified, settled.othersBehind(), settled.zone()));
        if (expected.waiting() != null) {
            sayOnce("verifier: comparing only the buckets of " + table + " in database " + sourceDatabase
                    + " that the target should hold by now: " + expected.waiting());
        }
        List<Bucket> closed = expected.buckets();
        if (closed.isEmpty()) {
            return null;
        }
        for (Bucket bucket : closed) {
            DivergentBucket divergent = compare(s, t, verified, bucket);
            // a late row committed around the source's query may not have reached the target yet, or reached it
            // before the target's query: once the mirrors applied everything committed until now, look again. If
            // they do not get there in time, the first look stands rather than hide a loss.
            if (divergent != null && settled.mirrorsKeepUp().get()) {
                settled.mirrorsKeepUp().set(settled.mirrors().awaitCaughtUp(config.statementTimeout()));
                if (settled.mirrorsKeepUp().get()) {
                    divergent = compare(s, t, verified, bucket);
                }
            }
            if (divergent == null) {
                continue;
            }
            rows += divergent.divergentRows();
            divergentBuckets++;
            if (ledger.record(t, divergent)) {
                metrics.ledgered(table);
                TimeType type = verified.checksum().timeType();
                log.warn("verifier: {} in database {} diverges in [{}, {}): source {} rows, target {} rows, checksums"
                                + " {}; recorded in the divergence ledger for tandem-backfill repair", table,
                        sourceDatabase, type.display(bucket.start()), type.display(bucket.end()),
                        divergent.sourceRows(), divergent.targetRows(), divergent.checksumsEqual() ? "equal" : "differ");
            }
        }
        return new TableResult(rows, divergentBuckets);
    }

    /**
     * How far behind the slowest proxy instance that mirrors into this target database is: rows another instance's
     * spool still holds are in flight as much as those in ours, and our own lag does not show them.
     */
    private Duration othersBehind(MirrorProgress mirrors, String targetDatabase) throws SQLException {
        Optional<MirrorProgress.Slowest> slowest = mirrors.slowestOther();
        if (slowest.isEmpty()) {
            return Duration.ZERO;
        }
        MirrorProgress.Slowest s = slowest.get();
        if (s.behind().compareTo(config.lookback().minus(config.margin())) > 0) {
            warnOnce("verifier: comparing nothing in target database " + targetDatabase + " while proxy instance '"
                    + s.instanceId() + "' has not applied what the source committed more than "
                    + Durations.format(config.lookback()) + " ago (tandem.mirror_progress.caught_up_to): its spool may"
                    + " still hold rows of every bucket. An instance that will not run again (its host or spool"
                    + " lost) is forgotten with: tandem-backfill forget-instance --target ... " + s.instanceId()
                    + " (docs/migration.md, step 8, \"A proxy lost for good\")");
        }
        return s.behind();
    }

    /**
     * The zone whose wall-clock times the target database's {@code timestamp} time columns hold: the backfill plan's
     * ({@code stage --time-zone}, which {@code repair} reads its ranges in too), UTC without a plan as for
     * {@code stage}. Read through {@code to_jsonb} because plans staged before the column existed lack it.
     */
    private static String wallClockZone(Connection t) throws SQLException {
        try (Statement st = t.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT to_regclass('tandem.backfill_plan') IS NOT NULL")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return "UTC";
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT to_jsonb(p) ->> 'time_zone' FROM tandem.backfill_plan p"
                    + " WHERE id = 1")) {
                String zone = rs.next() ? rs.getString(1) : null;
                return zone == null ? "UTC" : zone;
            }
        }
    }

    /** Now as a position of {@code type}: for {@code timestamp}, the wall-clock time in {@code zone}. */
    private long now(Connection s, TimeType type, String zone) throws SQLException {
        if (type != TimeType.TIMESTAMP) {
            return micros(clock.instant());
        }
        try (PreparedStatement ps = s.prepareStatement("SELECT "
                + TimeType.TIMESTAMP.positionOf(TimeType.TIMESTAMPTZ.cast("?") + " AT TIME ZONE ?"))) {
            ps.setString(1, clock.instant().toString());
            ps.setString(2, zone);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Null when both sides agree. */
    private static DivergentBucket compare(Connection s, Connection t, VerifiedTable table, Bucket bucket)
            throws SQLException {
        String sql = table.checksum().sql(bucket.start(), bucket.end(), table.recordHash());
        Digest onSource = Digest.of(s, sql);
        Digest onTarget = Digest.of(t, sql);
        return DivergentBucket.compare(table, bucket, onSource.rows(), onSource.checksum(), onTarget.rows(),
                onTarget.checksum());
    }

    /** The closed buckets to compare now, oldest first. */
    private List<Bucket> buckets(Connection s, VerifiedTable table, Duration othersBehind, String zone)
            throws SQLException {
        Duration lag = mirrorLag.get();
        Duration settle = (othersBehind.compareTo(lag) > 0 ? othersBehind : lag).plus(config.margin());
        if (!table.checksum().timeType().isInteger()) {
            long now = now(s, table.checksum().timeType(), zone);
            return Bucket.within(now - micros(config.lookback()), now - micros(settle), micros(config.bucket()));
        }
        Long newest = newest(s, table);
        if (newest == null) {
            return List.of();
        }
        // an integer column has no clock: its newest value stands for now, and lookback and settle span as many
        // integer buckets as they span duration buckets
        long width = config.integerBucket();
        double perNano = (double) width / config.bucket().toNanos();
        long end = newest + 1;
        long lookback = (long) Math.floor(config.lookback().toNanos() * perNano);
        long settleUnits = (long) Math.ceil(settle.toNanos() * perNano);
        return Bucket.within(end - lookback, end - settleUnits, width);
    }

    private static Long newest(Connection s, VerifiedTable table) throws SQLException {
        RangeChecksum c = table.checksum();
        try (Statement st = s.createStatement();
             ResultSet rs = st.executeQuery("SELECT max(" + Identifiers.quoteIdentifier(c.timeColumn()) + ")::bigint"
                     + " FROM " + Identifiers.quoteQualified(c.schema(), c.table()))) {
            rs.next();
            long value = rs.getLong(1);
            return rs.wasNull() ? null : value;
        }
    }

    private static long micros(Instant instant) {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1000);
    }

    private static long micros(Duration duration) {
        return duration.toNanos() / 1000;
    }

    /**
     * A run for {@code database} failed: warned about once while it fails the same way. A database dropped on both
     * sides stays among the mirror's (its progress is kept), and its every run failed with a warning: one a minute
     * each, for good.
     */
    private void failed(String database, String why) {
        if (why.equals(failing.put(database, why))) {
            log.debug("verifier: run for database {} failed again: {}", database, why);
        } else {
            log.warn("verifier: run for database {} failed: {} (said once while it fails so; each run still counts in"
                    + " tandem_verifier_runs_total{outcome=\"error\"})", database, why);
        }
    }

    private void sayOnce(String line) {
        if (said.add(line)) {
            log.info(line);
        }
    }

    private void notComparing(String tableKey, String line, boolean warning) {
        if (notCompared.computeIfAbsent(tableKey, key -> ConcurrentHashMap.newKeySet()).add(line)) {
            if (warning) {
                log.warn(line);
            } else {
                log.info(line);
            }
        }
    }

    private void warnOnce(String line) {
        if (said.add(line)) {
            log.warn(line);
        }
    }

    /** Count and checksum of one bucket on one side. */
    private record Digest(long rows, String checksum) {

        static Digest of(Connection connection, String sql) throws SQLException {
            try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                rs.next();
                return new Digest(rs.getLong(1), rs.getString(4));
            }
        }
    }

    /** Stops the schedule and removes this verifier's gauges. */
    @Override
    public synchronized void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            scheduler = null;
        }
        synchronized (runLock) {
            metrics.close();
        }
    }
}
