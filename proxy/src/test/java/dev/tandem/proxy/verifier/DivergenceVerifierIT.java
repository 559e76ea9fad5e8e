package dev.tandem.proxy.verifier;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.tandem.protocol.sql.TableName;
import dev.tandem.protocol.state.RangeChecksum;
import dev.tandem.protocol.state.TandemSchema;
import dev.tandem.protocol.state.TimeType;
import dev.tandem.proxy.config.SourceConfig;
import dev.tandem.proxy.config.TargetConfig;
import dev.tandem.proxy.config.TlsMode;
import dev.tandem.proxy.config.VerifierConfig;
import dev.tandem.proxy.config.VerifierMode;
import dev.tandem.testing.HypertableCatalog;
import dev.tandem.testing.PostgresPairExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * The verifier against a real source and target: identical tables on both, rows in the past hour, divergences made by
 * hand on the target.
 */
class DivergenceVerifierIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static final TableName METRICS = new TableName("public", "metrics");
    private static final String CREATE = "CREATE TABLE metrics (time timestamptz NOT NULL, device int,"
            + " value double precision, note text); CREATE INDEX ON metrics (time)";

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(DivergenceVerifier.class);
    /** A bucket boundary 40 to 45 minutes ago: its bucket and the next two are well inside the compared window. */
    private final Instant base = Instant.ofEpochSecond(Math.floorDiv(Instant.now().getEpochSecond() - 40 * 60, 300) * 300);
    private String db;

    @BeforeEach
    void setUp() {
        logs.start();
        logger.addAppender(logs);
        db = PG.pair().freshDatabase("verifier");
        PG.pair().executeOnBoth(db, CREATE);
        markDualWriteStart(db, Instant.parse("2000-01-01T00:00:00Z"));
    }

    /** The operator's mark that every writer goes through the proxy: the target holds what comes after it. */
    private static void markDualWriteStart(String database, Instant at) {
        PG.target().execute(database, TandemSchema.ddl() + "; INSERT INTO tandem.dual_write (database, marked_at)"
                + " VALUES ('" + database + "', '" + at + "') ON CONFLICT (database) DO UPDATE SET marked_at = '" + at
                + "'");
    }

    @AfterEach
    void tearDown() {
        logger.detachAppender(logs);
        registry.close();
    }

    private static VerifierConfig config(VerifierMode mode, Duration statementTimeout, Map<TableName, String> columns) {
        return new VerifierConfig(mode, Duration.ofMinutes(1), Duration.ofHours(1), Duration.ofMinutes(5),
                Duration.ofMinutes(1), statementTimeout, 0, columns);
    }

    private static VerifierConfig config() {
        return config(VerifierMode.ON, Duration.ofSeconds(10), Map.of(METRICS, "time"));
    }

    private static SourceConfig source(int port, Optional<String> user) {
        return new SourceConfig("127.0.0.1", port, TlsMode.DISABLE, user, "UNUSED", Optional.empty(),
                Duration.ofSeconds(5), Optional.empty());
    }

    private static SourceConfig source() {
        return source(PG.source().port(), Optional.of(PG.source().user()));
    }

    private static TargetConfig target() {
        return new TargetConfig("127.0.0.1", PG.target().port(), PG.target().user(), "UNUSED", Optional.empty(),
                TlsMode.DISABLE, Map.of(), Duration.ofSeconds(5), Optional.empty());
    }

    private DivergenceVerifier verifier(VerifierConfig config, SourceConfig source, Duration lag) {
        return new DivergenceVerifier(config, source, target(), () -> Map.of(db, Set.of(METRICS)), () -> lag, "proxy-a",
                registry);
    }

    private DivergenceVerifier verifier() {
        return verifier(config(), source(), Duration.ZERO);
    }

    /** Three rows in each of the three buckets starting at {@link #base}, on both sides. */
    private void insertHistory() {
        PG.pair().executeOnBoth(db, "INSERT INTO metrics VALUES " + historyValues(0) + ", " + historyValues(1) + ", "
                + historyValues(2));
    }

    /** The three rows of the {@code bucket}-th bucket (0 to 2) of {@link #insertHistory}, as VALUES tuples. */
    private String historyValues(int bucket) {
        StringBuilder sql = new StringBuilder();
        for (int row = 0; row < 3; row++) {
            Instant at = base.plus(bucket * 5L, ChronoUnit.MINUTES).plusSeconds(10 + 60L * row);
            sql.append(row == 0 ? "" : ", ").append("('").append(at).append("', ").append(row)
                    .append(", ").append(bucket * 0.1 + row / 3.0).append(", 'n").append(row).append("')");
        }
        return sql.toString();
    }

    private double gauge(String name) {
        return registry.get(name).tag("table", "public.metrics").gauge().value();
    }

    private double runs(String outcome) {
        return registry.get(VerifierMetrics.RUNS).tag("outcome", outcome).counter().count();
    }

    private List<String> warnings() {
        return logs.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
                .toList();
    }

    /**
     * A database dropped on both sides stays among the mirror's (its progress is kept): every run for it fails, and
     * each warned, once a minute per database for good. Warned once now; each run still counts as an error.
     */
    @Test
    void aDatabaseThatFailsTheSameWayEveryRunIsWarnedAboutOnce() {
        try (DivergenceVerifier verifier = new DivergenceVerifier(config(), source(), target(),
                () -> Map.of("tandem_dropped_db", Set.of(METRICS)), () -> Duration.ZERO, "proxy-a", registry)) {
            for (int run = 0; run < 3; run++) {
                assertThat(verifier.runOnce()).isEqualTo(Outcome.ERROR);
            }
        }
        assertThat(runs("error")).isEqualTo(3);
        assertThat(warnings()).filteredOn(w -> w.contains("tandem_dropped_db")).singleElement().asString()
                .contains("3D000", "said once while it fails so");
    }

    @Test
    void equalTablesGiveZeroDivergenceAndAnOkRun() {
        insertHistory();
        try (DivergenceVerifier verifier = verifier()) {
            assertThat(verifier.runOnce()).isEqualTo(Outcome.OK);
            assertThat(gauge(VerifierMetrics.DIVERGENCE_ROWS)).isZero();
            assertThat(gauge(VerifierMetrics.DIVERGENCE_BUCKETS)).isZero();
            assertThat(registry.get(VerifierMetrics.LAST_RUN).gauge().value())
                    .isGreaterThan(Instant.now().minusSeconds(600).getEpochSecond());
        }
        assertThat(runs("ok")).isEqualTo(1);
        assertThat(runs("divergent")).isZero();
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence")).isEqualTo("0");
    }

    @Test
    void aMissingAChangedAndAnExtraRowAreFoundAndEachBucketLedgeredOnce() {
        insertHistory();
        Instant first = base;
        Instant second = base.plus(5, ChronoUnit.MINUTES);
        Instant third = base.plus(10, ChronoUnit.MINUTES);
        PG.target().execute(db, "DELETE FROM metrics WHERE time = '" + first.plusSeconds(70) + "'");
        PG.target().execute(db, "UPDATE metrics SET value = value + 1 WHERE time = '" + second.plusSeconds(10) + "'");
        PG.target().execute(db, "INSERT INTO metrics VALUES ('" + third.plusSeconds(200) + "', 9, 9.5, 'extra')");

        try (DivergenceVerifier verifier = verifier()) {
            assertThat(verifier.runOnce()).isEqualTo(Outcome.DIVERGENT);
            assertThat(verifier.runOnce()).isEqualTo(Outcome.DIVERGENT);
            // 1 missing + 3 rows of the bucket whose counts agree but contents do not + 1 extra
            assertThat(gauge(VerifierMetrics.DIVERGENCE_ROWS)).isEqualTo(5);
            assertThat(gauge(VerifierMetrics.DIVERGENCE_BUCKETS)).isEqualTo(3);
        }
        assertThat(runs("divergent")).isEqualTo(2);
        assertThat(registry.get(VerifierMetrics.LEDGER_ENTRIES).tag("table", "public.metrics").tag("reason", "verifier")
                .counter().count()).isEqualTo(3);
        assertThat(PG.target().query(db, "SELECT table_schema, table_name, time_column, range_start, range_end,"
                + " sqlstate, message, instance_id, database FROM tandem.divergence ORDER BY range_start"))
                .containsExactly(
                        ledgerRow(first, "verifier: source 3 rows, target 2 rows, checksums differ"),
                        ledgerRow(second, "verifier: source 3 rows, target 3 rows, checksums differ"),
                        ledgerRow(third, "verifier: source 3 rows, target 4 rows, checksums differ"));
        // repair's view of the ledger: the text bounds parse back to the bucket
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM metrics m JOIN tandem.divergence d"
                + " ON m.time >= d.range_start::timestamptz AND m.time < d.range_end::timestamptz")).isEqualTo("9");
    }

    /**
     * Writes may name a partition instead of its table: the partition is compared with its table's time column, and
     * only once when the table is named too (comparing the table covers the partition's rows).
     */
    @Test
    void aPartitionIsComparedByItsTablesTimeColumnAndNotAgainWhenItsTableIsCompared() {
        PG.pair().executeOnBoth(db, "CREATE TABLE pm (time timestamptz NOT NULL, v int) PARTITION BY RANGE (time);"
                + " CREATE TABLE pm_all PARTITION OF pm FOR VALUES FROM (MINVALUE) TO (MAXVALUE);"
                + " INSERT INTO pm VALUES ('" + base.plusSeconds(10) + "', 1), ('" + base.plusSeconds(20) + "', 2)");
        PG.target().execute(db, "DELETE FROM pm WHERE v = 2");
        TableName table = new TableName("public", "pm");
        TableName partition = new TableName("public", "pm_all");
        VerifierConfig config = config(VerifierMode.ON, Duration.ofSeconds(10), Map.of(table, "time"));
        try (DivergenceVerifier verifier = new DivergenceVerifier(config, source(), target(),
                () -> Map.of(db, Set.of(partition)), () -> Duration.ZERO, "proxy-a", registry)) {
            assertThat(verifier.runOnce()).isEqualTo(Outcome.DIVERGENT);
        }
        try (DivergenceVerifier verifier = new DivergenceVerifier(config, source(), target(),
                () -> Map.of(db, Set.of(table, partition)), () -> Duration.ZERO, "proxy-a", registry)) {
            assertThat(verifier.runOnce()).isEqualTo(Outcome.DIVERGENT);
        }
        assertThat(PG.target().query(db, "SELECT table_name, count(*) FROM tandem.divergence GROUP BY 1 ORDER BY 1"))
                .containsExactly(List.of("pm", "1"), List.of("pm_all", "1"));
        assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage).noneMatch(m -> m.contains("pm_all")
                && m.contains("no time column known"));
    }

    /**
     * A table range-partitioned on one column is compared by its partition key when verifier.time-columns does not
     * name it, and so is a partition written by its own name. Before, both were left out: no time column known.
     */
    @Test
    void aRangePartitionedTableNotInTheConfigurationIsComparedByItsPartitionKey() {
        PG.pair().executeOnBoth(db, "CREATE TABLE rp (at timestamptz NOT NULL, v int) PARTITION BY RANGE (at);"
                + " CREATE TABLE rp_all PARTITION OF rp FOR VALUES FROM (MINVALUE) TO (MAXVALUE);"
                + " CREATE INDEX ON rp (at);"
                + " INSERT INTO rp VALUES ('" + base.plusSeconds(10) + "', 1), ('" + base.plusSeconds(20) + "', 2)");
        PG.target().execute(db, "DELETE FROM rp WHERE v = 2");
        TableName table = new TableName("public", "rp");
        TableName partition = new TableName("public", "rp_all");
        for (TableName written : List.of(table, partition)) {
            try (DivergenceVerifier verifier = new DivergenceVerifier(config(), source(), target(),
                    () -> Map.of(db, Set.of(written)), () -> Duration.ZERO, "proxy-a", registry)) {
                assertThat(verifier.runOnce()).as(written.toString()).isEqualTo(Outcome.DIVERGENT);
            }
        }
        assertThat(PG.target().query(db, "SELECT table_name, time_column, range_start FROM tandem.divergence"
                + " ORDER BY table_name")).containsExactly(List.of("rp", "at", text(base)),
                        List.of("rp_all", "at", text(base)));
        assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage)
                .noneMatch(m -> m.contains("no time column known"));
    }

    @Test
    void gaugesKeepTheLastComparisonWhileEveryBucketWaitsAndGoWithTheTable() {
        insertHistory();
        PG.target().execute(db, "INSERT INTO metrics VALUES ('" + base.plusSeconds(200) + "', 9, 9.5, 'extra')");
        AtomicReference<Set<TableName>> mirrored = new AtomicReference<>(Set.of(METRICS));
        AtomicReference<Duration> lag = new AtomicReference<>(Duration.ZERO);
        try (DivergenceVerifier verifier = new DivergenceVerifier(config(), source(), target(),
                () -> Map.of(db, mirrored.get()), lag::get, "proxy-a", registry)) {
            assertThat(verifier.runOnce()).isEqualTo(Outcome.DIVERGENT);
            assertThat(gauge(VerifierMetrics.DIVERGENCE_ROWS)).isEqualTo(1);
            // the mirror falls two hours behind: no bucket is closed, nothing is compared, nothing is known to be fixed
            lag.set(Duration.ofHours(2));
            assertThat(verifier.runOnce()).isEqualTo(Outcome.OK);
            assertThat(gauge(VerifierMetrics.DIVERGENCE_ROWS)).isEqualTo(1);
            assertThat(gauge(VerifierMetrics.DIVERGENCE_BUCKETS)).isEqualTo(1);
            mirrored.set(Set.of());
            assertThat(verifier.runOnce()).isEqualTo(Outcome.OK);
            assertThat(registry.find(VerifierMetrics.DIVERGENCE_ROWS).gauges()).isEmpty();
            assertThat(registry.find(VerifierMetrics.DIVERGENCE_BUCKETS).gauges()).isEmpty();
        }
    }

    @Test
    void everyDatabaseIsComparedAndLedgeredInItsOwnTargetDatabase() {
        insertHistory();
        String other = PG.pair().freshDatabase("verifier");
        PG.pair().executeOnBoth(other, CREATE);
        markDualWriteStart(other, Instant.parse("2000-01-01T00:00:00Z"));
        PG.pair().executeOnBoth(other, "INSERT INTO metrics VALUES ('" + base.plusSeconds(1) + "', 1, 1, 'a')");
        PG.target().execute(other, "INSERT INTO metrics VALUES ('" + base.plusSeconds(2) + "', 2, 2, 'b')");
        try (DivergenceVerifier verifier = new DivergenceVerifier(config(), source(), target(),
                () -> Map.of(db, Set.of(METRICS), other, Set.of(METRICS)), () -> Duration.ZERO, "proxy-a", registry)) {
            assertThat(verifier.runOnce()).isEqualTo(Outcome.DIVERGENT);
            assertThat(gauge(VerifierMetrics.DIVERGENCE_ROWS)).isEqualTo(1);
        }
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence")).isEqualTo("0");
        assertThat(PG.target().queryValue(other, "SELECT database FROM tandem.divergence")).isEqualTo(other);
    }

    @Test
    void withoutAMarkOrABackfillPlanNothingIsComparedAndThatIsSaidOnce() {
        String unmarked = PG.pair().freshDatabase("verifier");
        PG.pair().executeOnBoth(unmarked, CREATE);
        // the proxy mirrors, but the target has none of the history yet, and writers may still bypass the proxy
        PG.source().execute(unmarked, "INSERT INTO metrics VALUES ('" + base.plusSeconds(10) + "', 1, 1, 'history')");
        try (DivergenceVerifier verifier = new DivergenceVerifier(config(), source(), target(),
                () -> Map.of(unmarked, Set.of(METRICS)), () -> Duration.ZERO, "proxy-a", registry)) {
            assertThat(verifier.runOnce()).isEqualTo(Outcome.OK);
            assertThat(verifier.runOnce()).isEqualTo(Outcome.OK);
        }
        assertThat(PG.target().queryValue(unmarked, "SELECT count(*) FROM tandem.divergence")).isEqualTo("0");
        assertThat(registry.find(VerifierMetrics.DIVERGENCE_ROWS).gauges()).isEmpty();
        assertThat(logs.list).filteredOn(e -> e.getFormattedMessage().contains("should hold by now")).singleElement()
                .satisfies(e -> assertThat(e.getFormattedMessage()).contains("no dual-write mark yet"));
    }

    @Test
    void historyBeforeTheMarkIsComparedOnlyWhereTheBackfillCopiedIt() {
        insertHistory();
        Instant second = base.plus(5, ChronoUnit.MINUTES);
        Instant mark = base.plus(10, ChronoUnit.MINUTES);
        markDualWriteStart(db, mark);
        // the backfill has not copied the first two buckets yet: the target lacks their rows
        PG.target().execute(db, "DELETE FROM metrics WHERE time < '" + mark + "'");
        try (DivergenceVerifier verifier = verifier()) {
            assertThat(verifier.runOnce()).as("only the bucket from the mark on").isEqualTo(Outcome.OK);

            // a stand-in for the backfill's plan (BackfillSchema.CREATE_TASK, the columns read here): the first range
            // is copied, the second still pending
            PG.target().execute(db, "CREATE TABLE tandem.backfill_task (table_schema text, table_name text,"
                    + " time_column text, range_start bigint, range_end bigint, origin text, state text);"
                    + " INSERT INTO tandem.backfill_task VALUES"
                    + " ('public', 'metrics', 'time', " + micros(base) + ", " + micros(second) + ", 'plan', 'done'),"
                    + " ('public', 'metrics', 'time', " + micros(second) + ", " + micros(mark) + ", 'plan', 'pending')");
            PG.target().execute(db, "INSERT INTO metrics VALUES " + historyValues(0));
            assertThat(verifier.runOnce()).as("the copied range too, not the pending one").isEqualTo(Outcome.OK);

            // the second range is recorded as copied, but its rows are not there: now that is a divergence
            PG.target().execute(db, "UPDATE tandem.backfill_task SET state = 'done'");
            assertThat(verifier.runOnce()).isEqualTo(Outcome.DIVERGENT);
            assertThat(gauge(VerifierMetrics.DIVERGENCE_BUCKETS)).isEqualTo(1);
        }
        assertThat(PG.target().queryValue(db, "SELECT range_start FROM tandem.divergence")).isEqualTo(text(second));
    }

    private static long micros(Instant instant) {
        return instant.getEpochSecond() * 1_000_000L;
    }

    private List<String> ledgerRow(Instant start, String message) {
        return Arrays.asList("public", "metrics", "time", text(start), text(start.plus(5, ChronoUnit.MINUTES)), null,
                message, "proxy-a", db);
    }

    /** The bucket bound as PostgreSQL prints a timestamptz in UTC. */
    private static String text(Instant instant) {
        return instant.toString().replace('T', ' ').replace("Z", "+00");
    }

    @Test
    void aRepairedBucketThatDivergesAgainIsLedgeredAgain() {
        insertHistory();
        PG.target().execute(db, "DELETE FROM metrics WHERE time = '" + base.plusSeconds(10) + "'");
        try (DivergenceVerifier verifier = verifier()) {
            verifier.runOnce();
            PG.target().execute(db, "UPDATE tandem.divergence SET repaired_at = now()");
            verifier.runOnce();
        }
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence WHERE repaired_at IS NULL"))
                .isEqualTo("1");
    }

    @Test
    void aRepairedBucketCountsZeroOnTheNextRunAndStaysOneRepairedEntry() {
        insertHistory();
        PG.target().execute(db, "DELETE FROM metrics WHERE time = '" + base.plusSeconds(10) + "'");
        try (DivergenceVerifier verifier = verifier()) {
            assertThat(verifier.runOnce()).isEqualTo(Outcome.DIVERGENT);
            assertThat(gauge(VerifierMetrics.DIVERGENCE_BUCKETS)).isEqualTo(1);
            // what repair does: the range re-copied, its entry marked repaired
            PG.target().execute(db, "INSERT INTO metrics VALUES ('" + base.plusSeconds(10) + "', 0, 0, 'n0');"
                    + " UPDATE tandem.divergence SET repaired_at = now()");
            assertThat(verifier.runOnce()).isEqualTo(Outcome.OK);
            assertThat(gauge(VerifierMetrics.DIVERGENCE_ROWS)).isZero();
            assertThat(gauge(VerifierMetrics.DIVERGENCE_BUCKETS)).isZero();
        }
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence")).isEqualTo("1");
    }

    /** Another proxy ledgers the same bucket in a transaction that has not committed yet when this one looks. */
    @Test
    void twoProxiesLedgeringTheSameBucketAtOnceWriteOneEntry() throws Exception {
        insertHistory();
        PG.target().execute(db, "DELETE FROM metrics WHERE time = '" + base.plusSeconds(10) + "'");
        PG.target().execute(db, TandemSchema.ddl());
        long start = base.getEpochSecond() * 1_000_000L;
        try (Connection s = PG.source().connect(db); Connection other = PG.target().connect(db);
             Connection watch = PG.target().connect(db); Statement w = watch.createStatement()) {
            VerifiedTable table = (VerifiedTable) new TableCatalog(Map.of(METRICS, "time")).describe(s, other, METRICS);
            other.setAutoCommit(false);
            assertThat(new DivergenceLedger("proxy-b", db).record(other, DivergentBucket.compare(table,
                    new Bucket(start, start + 300_000_000L), 3, "x", 2, "y"))).isTrue();
            CompletableFuture<Outcome> run;
            try (DivergenceVerifier verifier = verifier()) {
                run = CompletableFuture.supplyAsync(verifier::runOnce);
                while (!run.isDone()) {
                    try (ResultSet rs = w.executeQuery("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                            + " AND NOT granted")) {
                        rs.next();
                        if (rs.getLong(1) > 0) {
                            break;
                        }
                    }
                    Thread.sleep(20);
                }
                other.commit();
                assertThat(run.get(30, TimeUnit.SECONDS)).isEqualTo(Outcome.DIVERGENT);
            }
        }
        assertThat(PG.target().query(db, "SELECT instance_id FROM tandem.divergence")).containsExactly(List.of("proxy-b"));
    }

    @Test
    void bucketsNewerThanTheMirrorLagPlusMarginAreNotCompared() {
        insertHistory();
        Instant now = Instant.now();
        // inside the margin (1 minute)
        PG.target().execute(db, "INSERT INTO metrics VALUES ('" + now.minusSeconds(20) + "', 1, 1, 'in flight')");
        // older than the margin but younger than margin + a 20 minute mirror lag
        PG.target().execute(db, "INSERT INTO metrics VALUES ('" + now.minus(15, ChronoUnit.MINUTES) + "', 1, 1, 'lag')");

        try (DivergenceVerifier verifier = verifier(config(), source(), Duration.ofMinutes(20))) {
            assertThat(verifier.runOnce()).isEqualTo(Outcome.OK);
        }
        try (DivergenceVerifier verifier = verifier(config(), source(), Duration.ZERO)) {
            assertThat(verifier.runOnce()).as("without the lag the older row's bucket is closed")
                    .isEqualTo(Outcome.DIVERGENT);
            assertThat(gauge(VerifierMetrics.DIVERGENCE_ROWS)).isEqualTo(1);
        }
    }

    /**
     * Another proxy instance mirrors into the same target database and its target connection is down: the rows its
     * spool holds are in flight, though this proxy's own mirror is caught up.
     */
    @Test
    void bucketsAnotherInstanceHasNotAppliedYetAreNotCompared() {
        insertHistory();
        PG.target().execute(db, TandemSchema.ddl());
        PG.target().execute(db, "INSERT INTO tandem.mirror_progress (instance_id, sequence, next_segment, next_offset,"
                + " applied_at, caught_up_to) VALUES ('proxy-b', 7, 0, 0, now() - interval '50 minutes',"
                + " now() - interval '50 minutes')");
        // still in proxy-b's spool
        PG.target().execute(db, "DELETE FROM metrics WHERE time = '" + base.plusSeconds(10) + "'");

        try (DivergenceVerifier verifier = verifier(config(VerifierMode.ON, Duration.ofSeconds(1), Map.of(METRICS, "time")),
                source(), Duration.ZERO)) {
            assertThat(verifier.runOnce()).isEqualTo(Outcome.OK);
            assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence")).isEqualTo("0");

            // proxy-b caught up and stopped: its caught_up_to no longer moves, and the second look at the bucket
            // gives up waiting for it rather than hide the loss
            PG.target().execute(db, "UPDATE tandem.mirror_progress SET caught_up_to = now() WHERE instance_id = 'proxy-b'");
            assertThat(verifier.runOnce()).as("the row is missing").isEqualTo(Outcome.DIVERGENT);
        }
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence")).isEqualTo("1");
    }

    /** An instance behind by more than the look-back holds every bucket back, and the warning says how to retire it. */
    @Test
    void anInstanceBehindTheWholeLookBackIsNamedWithTheCommandThatForgetsIt() {
        insertHistory();
        PG.target().execute(db, TandemSchema.ddl());
        PG.target().execute(db, "INSERT INTO tandem.mirror_progress (instance_id, sequence, next_segment, next_offset,"
                + " applied_at, caught_up_to) VALUES ('proxy-b''s', 7, 0, 0, now() - interval '2 hours',"
                + " now() - interval '2 hours')");

        try (DivergenceVerifier verifier = verifier(config(), source(), Duration.ZERO)) {
            verifier.runOnce();
        }
        assertThat(warnings()).filteredOn(w -> w.contains("comparing nothing")).singleElement().asString()
                .contains("proxy instance 'proxy-b's'")
                .contains("tandem-backfill forget-instance --target ... proxy-b's (docs/migration.md");
    }

    /**
     * A {@code timestamp} column holding New York wall-clock times, as the backfill plan says: the compared buckets
     * are the closed ones of New York's clock, not of UTC's, which lies hours ahead of the rows' times.
     */
    @Test
    void timestampColumnsAreBucketedInThePlansZone() {
        PG.pair().executeOnBoth(db, "CREATE TABLE readings (t timestamp NOT NULL, v int)");
        ZoneId newYork = ZoneId.of("America/New_York");
        LocalDateTime lost = LocalDateTime.now(newYork).minusMinutes(30).truncatedTo(ChronoUnit.SECONDS);
        LocalDateTime kept = lost.minusMinutes(20);
        LocalDateTime inFlight = LocalDateTime.now(newYork).minusSeconds(20).truncatedTo(ChronoUnit.SECONDS);
        PG.pair().executeOnBoth(db, "INSERT INTO readings VALUES ('" + kept + "', 1), ('" + lost + "', 2)");
        PG.source().execute(db, "INSERT INTO readings VALUES ('" + inFlight + "', 3)");
        PG.target().execute(db, "DELETE FROM readings WHERE v = 2");
        PG.target().execute(db, "CREATE SCHEMA IF NOT EXISTS tandem; CREATE TABLE tandem.backfill_plan (id int"
                + " PRIMARY KEY, arguments text NOT NULL, until_text text, time_zone text NOT NULL DEFAULT 'UTC');"
                + " INSERT INTO tandem.backfill_plan VALUES (1, '', NULL, 'America/New_York')");
        TableName readings = new TableName("public", "readings");
        VerifierConfig config = new VerifierConfig(VerifierMode.ON, Duration.ofMinutes(1), Duration.ofHours(6),
                Duration.ofMinutes(5), Duration.ofMinutes(1), Duration.ofSeconds(10), 0, Map.of(readings, "t"));
        try (DivergenceVerifier verifier = new DivergenceVerifier(config, source(), target(),
                () -> Map.of(db, Set.of(readings)), () -> Duration.ZERO, "proxy-a", registry)) {
            assertThat(verifier.runOnce()).isEqualTo(Outcome.DIVERGENT);
        }
        LocalDateTime start = lost.truncatedTo(ChronoUnit.HOURS).plusMinutes(lost.getMinute() / 5 * 5);
        DateTimeFormatter iso = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss");
        assertThat(PG.target().query(db, "SELECT range_start, range_end FROM tandem.divergence"))
                .containsExactly(List.of(iso.format(start), iso.format(start.plusMinutes(5))));
    }

    @Test
    void namesThatNeedQuotingAreQuotedInQueriesAndLedgeredAsTheyAre() {
        PG.pair().executeOnBoth(db, "CREATE SCHEMA \"Plant A\"; CREATE TABLE \"Plant A\".\"Sensor \"\"X\"\"\""
                + " (\"Time\" timestamptz NOT NULL, v int); INSERT INTO \"Plant A\".\"Sensor \"\"X\"\"\" VALUES ('"
                + base.plusSeconds(5) + "', 1), ('" + base.plusSeconds(6) + "', 2)");
        PG.target().execute(db, "DELETE FROM \"Plant A\".\"Sensor \"\"X\"\"\" WHERE v = 2");
        TableName sensor = new TableName("Plant A", "Sensor \"X\"");
        VerifierConfig config = config(VerifierMode.ON, Duration.ofSeconds(10), Map.of(sensor, "Time"));
        try (DivergenceVerifier verifier = new DivergenceVerifier(config, source(), target(),
                () -> Map.of(db, Set.of(sensor)), () -> Duration.ZERO, "proxy-a", registry)) {
            assertThat(verifier.runOnce()).isEqualTo(Outcome.DIVERGENT);
        }
        assertThat(PG.target().query(db, "SELECT table_schema, table_name, time_column, range_start FROM tandem.divergence"))
                .containsExactly(List.of("Plant A", "Sensor \"X\"", "Time", text(base)));
    }

    /**
     * This proxy's own progress row stands still after its target connection dropped, until its next mirrored write
     * into the database: its in-process lag tells how far it is, not that row.
     */
    @Test
    void thisProxysOwnProgressRowStandingStillDoesNotHoldBucketsBack() {
        insertHistory();
        PG.target().execute(db, TandemSchema.ddl());
        PG.target().execute(db, "INSERT INTO tandem.mirror_progress (instance_id, sequence, next_segment, next_offset,"
                + " applied_at, caught_up_to) VALUES ('proxy-a', 7, 0, 0, now() - interval '50 minutes',"
                + " now() - interval '50 minutes')");
        PG.target().execute(db, "DELETE FROM metrics WHERE time = '" + base.plusSeconds(10) + "'");
        try (DivergenceVerifier verifier = verifier()) {
            assertThat(verifier.runOnce()).isEqualTo(Outcome.DIVERGENT);
        }
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence")).isEqualTo("1");
    }

    /**
     * A late row, committed on the source into a closed bucket, is still on its way to the target in another proxy's
     * spool while the bucket is compared: that mirror applies it (and notes its progress) only once the verifier waits
     * for the mirrors.
     */
    @Test
    void aLateRowStillInFlightWhenItsBucketIsComparedIsNotLedgered() throws Exception {
        insertHistory();
        PG.target().execute(db, TandemSchema.ddl());
        PG.target().execute(db, "INSERT INTO tandem.mirror_progress (instance_id, sequence, next_segment, next_offset,"
                + " applied_at, caught_up_to) VALUES ('proxy-b', 1, 0, 0, now(), now() - interval '1 minute')");
        String lateRow = "INSERT INTO metrics VALUES ('" + base.plusSeconds(30) + "', 7, 7, 'late')";
        PG.source().execute(db, lateRow);

        AtomicBoolean done = new AtomicBoolean();
        CompletableFuture<Boolean> mirror;
        try (Connection apply = PG.target().connect(db); Connection watch = PG.target().connect(db)) {
            apply.setAutoCommit(false);
            try (Statement st = apply.createStatement()) {
                st.execute(lateRow);
            }
            mirror = CompletableFuture.supplyAsync(() -> {
                try (Statement w = watch.createStatement(); Statement a = apply.createStatement()) {
                    while (!done.get()) {
                        try (ResultSet rs = w.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE pid <>"
                                + " pg_backend_pid() AND query LIKE '%WHERE caught_up_to < CAST(%'")) {
                            rs.next();
                            if (rs.getLong(1) > 0) {
                                a.execute("UPDATE tandem.mirror_progress SET caught_up_to = clock_timestamp()");
                                apply.commit();
                                return true;
                            }
                        }
                        Thread.sleep(20);
                    }
                    apply.rollback();
                    return false;
                } catch (SQLException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            try (DivergenceVerifier verifier = verifier()) {
                assertThat(verifier.runOnce()).isEqualTo(Outcome.OK);
                assertThat(gauge(VerifierMetrics.DIVERGENCE_ROWS)).isZero();
            } finally {
                done.set(true);
            }
            assertThat(mirror.get(30, TimeUnit.SECONDS)).as("the verifier waited for the mirror").isTrue();
        }
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence")).isEqualTo("0");
    }

    @Test
    void rowsWithoutAnExtendedHashAreComparedByTheirText() {
        PG.pair().executeOnBoth(db, "CREATE TABLE shapes (time timestamptz NOT NULL, at point)");
        PG.pair().executeOnBoth(db, "INSERT INTO shapes VALUES ('" + base.plusSeconds(5) + "', point(1, 2)),"
                + " ('" + base.plusSeconds(6) + "', point(3, 4))");
        PG.target().execute(db, "UPDATE shapes SET at = point(3, 5) WHERE at[1] = 4");
        TableName shapes = new TableName("public", "shapes");
        VerifierConfig config = config(VerifierMode.ON, Duration.ofSeconds(10), Map.of(shapes, "time"));
        try (DivergenceVerifier verifier = new DivergenceVerifier(config, source(), target(), () -> Map.of(db, Set.of(shapes)),
                () -> Duration.ZERO, "proxy-a", registry)) {
            assertThat(verifier.runOnce()).isEqualTo(Outcome.DIVERGENT);
            assertThat(registry.get(VerifierMetrics.DIVERGENCE_ROWS).tag("table", "public.shapes").gauge().value())
                    .isEqualTo(2);
        }
    }

    /** 1.50 and 1.5, -0 and 0 are equal numerics and floats, and hash alike: the target's values differ all the same. */
    @Test
    void valuesTheirTypeCallsEqualToTheSourcesAreADivergence() {
        PG.pair().executeOnBoth(db, "CREATE TABLE amounts (time timestamptz NOT NULL, amount numeric, delta float8)");
        PG.pair().executeOnBoth(db, "INSERT INTO amounts VALUES ('" + base.plusSeconds(5) + "', 1.50, 1),"
                + " ('" + base.plusSeconds(305) + "', 2, '-0')");
        TableName amounts = new TableName("public", "amounts");
        VerifierConfig config = config(VerifierMode.ON, Duration.ofSeconds(10), Map.of(amounts, "time"));
        try (DivergenceVerifier verifier = new DivergenceVerifier(config, source(), target(),
                () -> Map.of(db, Set.of(amounts)), () -> Duration.ZERO, "proxy-a", registry)) {
            assertThat(verifier.runOnce()).isEqualTo(Outcome.OK);
            PG.target().execute(db, "UPDATE amounts SET amount = 1.5 WHERE amount = 1.50;"
                    + " UPDATE amounts SET delta = 0 WHERE amount = 2");
            assertThat(verifier.runOnce()).isEqualTo(Outcome.DIVERGENT);
            assertThat(registry.get(VerifierMetrics.DIVERGENCE_BUCKETS).tag("table", "public.amounts").gauge().value())
                    .isEqualTo(2);
        }
    }

    @Test
    void aStatementTimeoutEndsTheRunWithAnErrorAndAWarning() throws Exception {
        insertHistory();
        VerifierConfig config = config(VerifierMode.ON, Duration.ofMillis(300), Map.of(METRICS, "time"));
        try (Connection locker = PG.target().connect(db); Statement s = locker.createStatement();
             DivergenceVerifier verifier = verifier(config, source(), Duration.ZERO)) {
            locker.setAutoCommit(false);
            s.execute("LOCK TABLE metrics IN ACCESS EXCLUSIVE MODE");
            assertThat(verifier.runOnce()).isEqualTo(Outcome.ERROR);
            locker.rollback();
        }
        assertThat(runs("error")).isEqualTo(1);
        assertThat(warnings()).anySatisfy(w -> assertThat(w).contains("cannot compare public.metrics")
                .contains("SQLSTATE 57014"));
    }

    /**
     * A column the source has and the target lacks: each run's checksum query failed ("column r.note does not
     * exist"), was logged again and counted as an error, every interval, for as long as the schemas differed.
     */
    @Test
    void aColumnMissingOnTheTargetIsNamedOnceAndComparedAgainOnceAdded() {
        insertHistory();
        PG.target().execute(db, "ALTER TABLE metrics DROP COLUMN note");
        try (DivergenceVerifier verifier = verifier()) {
            assertThat(verifier.runOnce()).isEqualTo(Outcome.OK);
            assertThat(verifier.runOnce()).isEqualTo(Outcome.OK);
            assertThat(runs("error")).isZero();
            assertThat(warnings()).containsExactly("verifier: not comparing public.metrics of database " + db
                    + ": its source's column note (text) is missing on the target (its rows there are refused and"
                    + " ledgered): add it there; 'tandem-backfill stage' lists every difference between the two"
                    + " tables");
            PG.target().execute(db, "ALTER TABLE metrics ADD note text; UPDATE metrics SET note = 'n' || device");
            assertThat(verifier.runOnce()).isEqualTo(Outcome.OK);
            assertThat(gauge(VerifierMetrics.DIVERGENCE_BUCKETS)).isZero();
            // compared again, the table's breakage was forgotten: a new one is named again
            PG.target().execute(db, "ALTER TABLE metrics DROP COLUMN note");
            assertThat(verifier.runOnce()).isEqualTo(Outcome.OK);
            assertThat(warnings()).hasSize(2).allSatisfy(warning -> assertThat(warning)
                    .startsWith("verifier: not comparing public.metrics of database " + db + ": its source's column"
                            + " note (text) is missing on the target"));
        }
    }

    @Test
    void anUnreachableSourceEndsTheRunWithAnErrorAndAWarning() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        try (DivergenceVerifier verifier = verifier(config(), source(closedPort, Optional.of("postgres")),
                Duration.ZERO)) {
            assertThat(verifier.runOnce()).isEqualTo(Outcome.ERROR);
        }
        assertThat(runs("error")).isEqualTo(1);
        assertThat(warnings()).anySatisfy(w -> assertThat(w).contains("cannot connect to the source")
                .contains("127.0.0.1:" + closedPort));
    }

    @Test
    void withoutASourceUserTheVerifierIsOffAndSaysSoOnce() {
        try (DivergenceVerifier verifier = verifier(config(), source(PG.source().port(), Optional.empty()),
                Duration.ZERO)) {
            verifier.start();
            assertThat(verifier.runOnce()).isEqualTo(Outcome.SKIPPED);
        }
        assertThat(logs.list).filteredOn(e -> e.getFormattedMessage().contains("verifier disabled"))
                .singleElement()
                .satisfies(e -> assertThat(e.getFormattedMessage()).contains("source.user is not set"));
        assertThat(runs("ok") + runs("error") + runs("divergent")).isZero();
    }

    @Test
    void autoIsOffOnPlainPostgresql() {
        insertHistory();
        try (DivergenceVerifier verifier = verifier(config(VerifierMode.AUTO, Duration.ofSeconds(10), Map.of()),
                source(), Duration.ZERO)) {
            assertThat(verifier.runOnce()).isEqualTo(Outcome.SKIPPED);
            assertThat(verifier.runOnce()).isEqualTo(Outcome.SKIPPED);
        }
        assertThat(logs.list).filteredOn(e -> e.getFormattedMessage().contains("no TimescaleDB hypertables"))
                .hasSize(1);
    }

    /**
     * A target whose only hypertable is calendar-chunked (2.25), which the {@code hypertables} view leaves out, has
     * hypertables: auto mode is on before any mirrored table was written.
     */
    @Test
    void autoIsOnWhereTheOnlyHypertableIsCalendarChunked() {
        PG.target().execute(db, HypertableCatalog.CREATE
                + HypertableCatalog.calendarHypertable(1, "public", "metrics", "time"));
        try (DivergenceVerifier verifier = new DivergenceVerifier(config(VerifierMode.AUTO, Duration.ofSeconds(10),
                Map.of()), source(), target(), () -> Map.of(db, Set.of()), () -> Duration.ZERO, "proxy-a", registry)) {
            assertThat(verifier.runOnce()).isEqualTo(Outcome.OK);
        }
        assertThat(logs.list).noneSatisfy(e -> assertThat(e.getFormattedMessage()).contains("verifier off"));
    }

    /**
     * Auto mode was off on every database without hypertables, even for tables whose time column the configuration
     * names or whose partition key is one: an operator who set verifier.time-columns was not verified unless they also
     * set verifier.enabled to true. It is on once a mirrored table has a time column.
     */
    @Test
    void autoIsOnOnPlainPostgresqlForATableWithATimeColumn() {
        insertHistory();
        PG.pair().executeOnBoth(db, "CREATE TABLE rp (at timestamptz NOT NULL, v int) PARTITION BY RANGE (at);"
                + " CREATE TABLE rp_all PARTITION OF rp FOR VALUES FROM (MINVALUE) TO (MAXVALUE);"
                + " INSERT INTO rp VALUES ('" + base.plusSeconds(10) + "', 1), ('" + base.plusSeconds(20) + "', 2)");
        PG.target().execute(db, "DELETE FROM rp WHERE v = 2");
        PG.target().execute(db, "DELETE FROM metrics WHERE time = '" + base.plusSeconds(10) + "'");
        TableName partitioned = new TableName("public", "rp");
        try (DivergenceVerifier verifier = new DivergenceVerifier(
                config(VerifierMode.AUTO, Duration.ofSeconds(10), Map.of(METRICS, "time")), source(), target(),
                () -> Map.of(db, Set.of(METRICS)), () -> Duration.ZERO, "proxy-a", registry)) {
            assertThat(verifier.runOnce()).as("configured time column").isEqualTo(Outcome.DIVERGENT);
        }
        try (DivergenceVerifier verifier = new DivergenceVerifier(
                config(VerifierMode.AUTO, Duration.ofSeconds(10), Map.of()), source(), target(),
                () -> Map.of(db, Set.of(partitioned)), () -> Duration.ZERO, "proxy-a", registry)) {
            assertThat(verifier.runOnce()).as("partition key").isEqualTo(Outcome.DIVERGENT);
        }
        assertThat(PG.target().query(db, "SELECT table_name, time_column FROM tandem.divergence ORDER BY table_name"))
                .containsExactly(List.of("metrics", "time"), List.of("rp", "at"));
        assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage)
                .noneMatch(m -> m.contains("no TimescaleDB hypertables"));
    }

    /**
     * Plain PostgreSQL has no TimescaleDB: the target carries a stand-in of its catalog ({@link HypertableCatalog}),
     * so auto mode and the time column look-up run; the real catalog is exercised where TimescaleDB runs. The
     * hypertable is calendar-chunked (2.25), which the {@code hypertables} view leaves out.
     */
    @Test
    void autoFindsAHypertablesTimeColumnInTheTargetsCatalog() {
        insertHistory();
        PG.target().execute(db, HypertableCatalog.CREATE
                + HypertableCatalog.calendarHypertable(1, "public", "metrics", "time")
                + HypertableCatalog.spaceDimension(1, "device"));
        PG.target().execute(db, "DELETE FROM metrics WHERE time = '" + base.plusSeconds(10) + "'");
        try (DivergenceVerifier verifier = verifier(config(VerifierMode.AUTO, Duration.ofSeconds(10), Map.of()),
                source(), Duration.ZERO)) {
            assertThat(verifier.runOnce()).isEqualTo(Outcome.DIVERGENT);
        }
        assertThat(PG.target().queryValue(db, "SELECT time_column FROM tandem.divergence")).isEqualTo("time");
    }

    @Test
    void aTableWithoutAKnownTimeColumnIsLeftOutAndSaidOnce() {
        insertHistory();
        PG.pair().executeOnBoth(db, "CREATE TABLE settings (k text, v text)");
        TableName settings = new TableName("public", "settings");
        try (DivergenceVerifier verifier = new DivergenceVerifier(config(), source(), target(),
                () -> Map.of(db, Set.of(METRICS, settings)), () -> Duration.ZERO, "proxy-a", registry)) {
            assertThat(verifier.runOnce()).isEqualTo(Outcome.OK);
            assertThat(verifier.runOnce()).isEqualTo(Outcome.OK);
        }
        assertThat(logs.list).filteredOn(e -> e.getFormattedMessage().contains("not comparing public.settings"))
                .singleElement()
                .satisfies(e -> assertThat(e.getFormattedMessage()).contains("no time column known: not in"
                        + " verifier.time-columns, and on the target not a hypertable, not range-partitioned on one"
                        + " column and in no staged backfill plan"));
    }

    @Test
    void aTableWithoutAnIndexOnItsTimeColumnIsComparedAndWarnedAboutOnce() {
        PG.pair().executeOnBoth(db, "CREATE TABLE unindexed (time timestamptz NOT NULL, v int);"
                + " INSERT INTO unindexed VALUES ('" + base.plusSeconds(10) + "', 1)");
        TableName unindexed = new TableName("public", "unindexed");
        try (DivergenceVerifier verifier = new DivergenceVerifier(
                config(VerifierMode.ON, Duration.ofSeconds(10), Map.of(METRICS, "time", unindexed, "time")), source(),
                target(), () -> Map.of(db, Set.of(METRICS, unindexed)), () -> Duration.ZERO, "proxy-a", registry)) {
            assertThat(verifier.runOnce()).isEqualTo(Outcome.OK);
            assertThat(verifier.runOnce()).isEqualTo(Outcome.OK);
        }
        assertThat(warnings()).singleElement().asString()
                .contains("public.unindexed", "no index starting with time", "scans the whole table");
    }

    @Test
    void enumValuesAreComparedByTheirLabelsThoughEachServerGaveThemOtherOids() {
        // one type more on the target first: the enum's values get other OIDs there, which is what enums hash by
        PG.target().execute(db, "CREATE TYPE filler AS ENUM ('x')");
        PG.pair().executeOnBoth(db, "CREATE TYPE mood AS ENUM ('calm', 'busy');"
                + " CREATE TABLE moods (time timestamptz NOT NULL, mood mood, history mood[]);"
                + " CREATE INDEX ON moods (time);"
                + " INSERT INTO moods VALUES ('" + base.plusSeconds(10) + "', 'busy', '{calm,busy}')");
        TableName moods = new TableName("public", "moods");
        try (DivergenceVerifier verifier = new DivergenceVerifier(
                config(VerifierMode.ON, Duration.ofSeconds(10), Map.of(moods, "time")), source(), target(),
                () -> Map.of(db, Set.of(moods)), () -> Duration.ZERO, "proxy-a", registry)) {
            assertThat(verifier.runOnce()).isEqualTo(Outcome.OK);
            PG.target().execute(db, "UPDATE moods SET mood = 'calm'");
            assertThat(verifier.runOnce()).isEqualTo(Outcome.DIVERGENT);
        }
    }

    /** The bucket query is served by the time index, not a scan of the table. */
    @Test
    void theBucketQueryUsesTheTimeIndex() {
        PG.source().execute(db, "INSERT INTO metrics SELECT now() - g * interval '1 second', g % 10, g, 'n'"
                + " FROM generate_series(1, 200000) g; ANALYZE metrics");
        long end = Instant.now().getEpochSecond() * 1_000_000L;
        RangeChecksum checksum = new RangeChecksum("public", "metrics", "time", TimeType.TIMESTAMPTZ,
                List.of(new RangeChecksum.Column("time", "timestamp with time zone"),
                        new RangeChecksum.Column("device", "integer"),
                        new RangeChecksum.Column("value", "double precision"),
                        new RangeChecksum.Column("note", "text")));
        // hash_record_extended came with PostgreSQL 14: before it the verifier hashes each row's text
        boolean recordHash = PG.source().majorVersion() >= 14;
        String plan = PG.source().query(db, "EXPLAIN " + checksum.sql(end - 300_000_000L, end, recordHash)).stream()
                .map(row -> row.get(0)).reduce("", (a, b) -> a + "\n" + b);
        assertThat(plan).contains("metrics_time_idx").doesNotContain("Seq Scan");
    }

    @Test
    void integerTimeColumnsUseTheConfiguredWidthBelowTheNewestValue() {
        PG.pair().executeOnBoth(db, "CREATE TABLE ticks (t bigint NOT NULL, v int);"
                + "INSERT INTO ticks SELECT g, g FROM generate_series(1, 10000) g");
        // newest value 10000: the bucket [9000, 10000) reaches into the settle span (the last 200 units) and is not
        // compared, [8000, 9000) is
        PG.target().execute(db, "DELETE FROM ticks WHERE t IN (8500, 9995)");
        TableName ticks = new TableName("public", "ticks");
        // 1000 units per 5 minute bucket: lookback 1 h = 12000 units, settle 1 min = 200 units
        VerifierConfig config = new VerifierConfig(VerifierMode.ON, Duration.ofMinutes(1), Duration.ofHours(1),
                Duration.ofMinutes(5), Duration.ofMinutes(1), Duration.ofSeconds(10), 1000, Map.of(ticks, "t"));
        try (DivergenceVerifier verifier = new DivergenceVerifier(config, source(), target(), () -> Map.of(db, Set.of(ticks)),
                () -> Duration.ZERO, "proxy-a", registry)) {
            assertThat(verifier.runOnce()).isEqualTo(Outcome.DIVERGENT);
        }
        assertThat(PG.target().query(db, "SELECT range_start, range_end FROM tandem.divergence"))
                .containsExactly(List.of("8000", "9000"));
    }
}
