package dev.tandem.proxy.verifier;

import dev.tandem.protocol.sql.Identifiers;
import dev.tandem.protocol.sql.TableName;
import dev.tandem.protocol.state.RangeChecksum;
import dev.tandem.protocol.state.TimeType;
import dev.tandem.proxy.capture.TargetJdbc;
import dev.tandem.proxy.config.Durations;
import dev.tandem.proxy.config.SourceConfig;
import dev.tandem.proxy.config.TargetConfig;
import dev.tandem.proxy.config.VerifierConfig;
import dev.tandem.proxy.config.VerifierMode;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live divergence verifier of one source database: while the proxy dual-writes, it compares source and target
 * over the recent <em>closed</em> time buckets of each mirrored table, so operators see divergence within minutes
 * instead of at cutover.
 *
 * <p>Every {@code verifier.interval}, on its own thread (never a relay event loop), for each mirrored table with a
 * known time column, the buckets of {@code verifier.bucket} inside {@code [now - lookback, now - settle)} are compared,
 * where {@code settle} is the mirror lag plus {@code verifier.margin}: newer rows may still be on their way. A bucket
 * is compared by row count and the order-independent checksum {@code tandem-backfill verify} uses
 * ({@link RangeChecksum}), each side in one query bounded by the time column and by
 * {@code verifier.statement-timeout}. The results are exported as metrics (see {@link VerifierMetrics}) and each
 * newly divergent bucket is written once to the target's divergence ledger for {@code tandem-backfill repair}.
 *
 * <p>Failures (a side unreachable, a timeout) end the run with outcome {@code error} and a WARN line; nothing escapes
 * the verifier's thread, and the next run tries again.
 */
public final class DivergenceVerifier implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DivergenceVerifier.class);

    private final VerifierConfig config;
    private final SourceConfig source;
    private final TargetConfig target;
    private final String sourceDatabase;
    private final String targetDatabase;
    private final Supplier<Set<TableName>> tables;
    private final Supplier<Duration> mirrorLag;
    private final Clock clock;
    private final VerifierMetrics metrics;
    private final TableCatalog catalog;
    private final DivergenceLedger ledger;
    private final Set<String> said = ConcurrentHashMap.newKeySet();
    private final String disabledReason;
    private final Object runLock = new Object();
    private ScheduledExecutorService scheduler;

    /**
     * @param sourceDatabase the database clients use on the source; its target database follows
     *                       {@code target.databases}
     * @param tables         the mirrored tables of that database, kept fresh by the caller; read once per run
     * @param mirrorLag      how far the mirror is behind now; buckets younger than this plus the margin are skipped
     * @param instanceId     written into the ledger entries
     */
    public DivergenceVerifier(VerifierConfig config, SourceConfig source, TargetConfig target, String sourceDatabase,
                              Supplier<Set<TableName>> tables, Supplier<Duration> mirrorLag, String instanceId,
                              MeterRegistry registry) {
        this(config, source, target, sourceDatabase, tables, mirrorLag, instanceId, registry, Clock.systemUTC());
    }

    DivergenceVerifier(VerifierConfig config, SourceConfig source, TargetConfig target, String sourceDatabase,
                       Supplier<Set<TableName>> tables, Supplier<Duration> mirrorLag, String instanceId,
                       MeterRegistry registry, Clock clock) {
        this.config = config;
        this.source = source;
        this.target = target;
        this.sourceDatabase = sourceDatabase;
        this.targetDatabase = target.targetDatabase(sourceDatabase);
        this.tables = tables;
        this.mirrorLag = mirrorLag;
        this.clock = clock;
        this.metrics = new VerifierMetrics(registry);
        this.catalog = new TableCatalog(config.timeColumns());
        this.ledger = new DivergenceLedger(instanceId, targetDatabase);
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
                Thread t = new Thread(r, "tandem-verifier-" + sourceDatabase);
                t.setDaemon(true);
                return t;
            });
            long every = config.interval().toMillis();
            scheduler.scheduleWithFixedDelay(this::runOnce, every, every, TimeUnit.MILLISECONDS);
            log.info("verifier: comparing the closed {} buckets of the last {} of database {} every {}",
                    Durations.format(config.bucket()), Durations.format(config.lookback()), sourceDatabase,
                    Durations.format(config.interval()));
        }
        return this;
    }

    /** One verification run now, on the calling thread; never throws. Runs do not overlap. */
    public Outcome runOnce() {
        if (disabledReason != null) {
            return Outcome.SKIPPED;
        }
        synchronized (runLock) {
            return run();
        }
    }

    private Outcome run() {
        Outcome outcome;
        try {
            outcome = compareAll();
        } catch (SQLException e) {
            log.warn("verifier: run for database {} failed: {} (SQLSTATE {})", sourceDatabase, e.getMessage(),
                    e.getSQLState());
            outcome = Outcome.ERROR;
        } catch (RuntimeException e) {
            log.warn("verifier: run for database {} failed: {}", sourceDatabase, e.toString());
            outcome = Outcome.ERROR;
        }
        if (outcome != Outcome.SKIPPED) {
            metrics.finished(outcome, clock.millis());
        }
        return outcome;
    }

    private Outcome compareAll() throws SQLException {
        List<TableName> mirrored = tables.get().stream()
                .sorted(Comparator.comparing(TableName::toString)).toList();
        String targetName = "target " + target.address() + " database " + targetDatabase;
        try (Connection t = connect(targetName, () -> TargetJdbc.connect(target, targetDatabase))) {
            if (config.mode() == VerifierMode.AUTO && !TableCatalog.hasHypertables(t)) {
                sayOnce("verifier off for target database " + targetDatabase + ": it has no TimescaleDB hypertables"
                        + " (verifier.enabled: auto; set it to true to verify plain tables)");
                return Outcome.SKIPPED;
            }
            if (mirrored.isEmpty()) {
                return Outcome.OK;
            }
            ledger.prepare(t);
            String sourceName = "source " + source.address() + " database " + sourceDatabase;
            try (Connection s = connect(sourceName, () -> SourceJdbc.connect(source, sourceDatabase))) {
                boolean divergent = false;
                boolean failed = false;
                for (TableName table : mirrored) {
                    try {
                        divergent |= compareTable(s, t, table);
                    } catch (SQLException e) {
                        failed = true;
                        log.warn("verifier: cannot compare {} in database {}: {} (SQLSTATE {})", table, sourceDatabase,
                                e.getMessage(), e.getSQLState());
                    }
                }
                return failed ? Outcome.ERROR : divergent ? Outcome.DIVERGENT : Outcome.OK;
            }
        }
    }

    private interface Connector {
        Connection connect() throws SQLException;
    }

    /** A connection with the checksum's session settings and the statement timeout applied. */
    private Connection connect(String name, Connector connector) throws SQLException {
        Connection c;
        try {
            c = connector.connect();
        } catch (SQLException e) {
            throw new SQLException("cannot connect to the " + name + ": " + e.getMessage(), e.getSQLState(), e);
        }
        try (Statement st = c.createStatement()) {
            st.execute(RangeChecksum.SESSION_SETTINGS + "; SET statement_timeout = "
                    + Math.max(1, config.statementTimeout().toMillis()));
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** @return true when some bucket diverged */
    private boolean compareTable(Connection s, Connection t, TableName table) throws SQLException {
        TableCatalog.Description description = catalog.describe(s, t, table);
        if (description instanceof TableCatalog.Skipped skipped) {
            sayOnce("verifier: not comparing " + table + " of database " + sourceDatabase + ": " + skipped.reason());
            return false;
        }
        VerifiedTable verified = (VerifiedTable) description;
        List<Bucket> buckets = buckets(s, verified);
        long rows = 0;
        long divergentBuckets = 0;
        for (Bucket bucket : buckets) {
            String sql = verified.checksum().sql(bucket.start(), bucket.end(), verified.recordHash());
            Digest onSource = Digest.of(s, sql);
            Digest onTarget = Digest.of(t, sql);
            DivergentBucket divergent = DivergentBucket.compare(verified, bucket, onSource.rows(), onSource.checksum(),
                    onTarget.rows(), onTarget.checksum());
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
        metrics.divergence(table, rows, divergentBuckets);
        return divergentBuckets > 0;
    }

    /** The closed buckets to compare now, oldest first. */
    private List<Bucket> buckets(Connection s, VerifiedTable table) throws SQLException {
        Duration settle = mirrorLag.get().plus(config.margin());
        TimeType type = table.checksum().timeType();
        if (!type.isInteger()) {
            long now = micros(clock.instant());
            return Bucket.within(now - micros(config.lookback()), now - micros(settle), micros(config.bucket()));
        }
        long width = config.integerBucket();
        if (width == 0) {
            sayOnce("verifier: not comparing " + table.name() + " of database " + sourceDatabase + ": its time column"
                    + " is an integer; set verifier.integer-bucket to a bucket width in the column's units");
            return List.of();
        }
        Long newest = newest(s, table);
        if (newest == null) {
            return List.of();
        }
        // durations become widths: lookback and settle span as many integer buckets as they span duration buckets
        double perBucket = (double) width / config.bucket().toNanos();
        long end = newest + 1;
        long lookback = (long) Math.floor(config.lookback().toNanos() * perBucket);
        long settleUnits = (long) Math.ceil(settle.toNanos() * perBucket);
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

    private void sayOnce(String line) {
        if (said.add(line)) {
            log.info(line);
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

    /** Stops the schedule and removes this verifier's per-table gauges. */
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
