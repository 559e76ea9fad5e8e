package dev.tandem.proxy.mirror;

import static dev.tandem.proxy.mirror.MirrorFixture.INSTANCE;
import static dev.tandem.proxy.mirror.MirrorFixture.simple;
import static dev.tandem.proxy.mirror.MirrorFixture.tx;
import static dev.tandem.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.proxy.spool.SpoolPosition;
import dev.tandem.testing.PostgresPairExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * One target database the mirror cannot apply to (missing, or failing every attempt) holds up no other: its
 * transactions wait in the spool, in order, and are applied once, when it can take them.
 */
class DatabaseIsolationIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static final String TABLE = "CREATE TABLE t (seq bigserial, id int, v text)";
    private static final int GROUP = 4;

    @TempDir
    Path spoolDir;
    /** Source and target database of the healthy side. */
    private String a;
    /** Source database of the broken side, mirrored into {@link #bTarget} with {@code target.databases}. */
    private String b;
    private String bTarget;

    @BeforeEach
    void createDatabases() {
        a = PG.pair().freshDatabase("isolated");
        PG.target().execute(a, TABLE);
        b = a + "_b";
        bTarget = a + "_b_on_target";
    }

    private MirrorFixture fixture() {
        return new MirrorFixture(spoolDir, PG.target(), false, false, GROUP, Map.of(b, bTarget));
    }

    private static dev.tandem.proxy.capture.CapturedTransaction insert(String database, int id) {
        return tx(database, simple("t", 1, "INSERT INTO t (id, v) VALUES (" + id + ", '" + database + "')"));
    }

    /** The table in the order the target inserted its rows. */
    private static List<List<String>> rows(String database) {
        return PG.target().query(database, "SELECT id, v FROM t ORDER BY seq");
    }

    private static List<List<String>> expected(String source, int from, int to) {
        List<List<String>> rows = new ArrayList<>();
        for (int id = from; id <= to; id++) {
            rows.add(List.of(Integer.toString(id), source));
        }
        return rows;
    }

    private static void await(MirrorFixture f, String targetDatabase, SpoolPosition position) throws Exception {
        f.applier.awaitApplied(targetDatabase, position).get(60, TimeUnit.SECONDS);
    }

    private void createB() {
        PG.target().createDatabase(bTarget);
        PG.target().execute(bTarget, TABLE);
    }

    @Test
    void aMissingTargetDatabaseWaitsInTheSpoolWhileTheOthersAreAppliedThenCatchesUpInOrderOnce() throws Exception {
        try (MirrorFixture f = fixture()) {
            f.applier.start();
            SpoolPosition firstB = null;
            SpoolPosition lastB = null;
            SpoolPosition lastA = null;
            for (int id = 1; id <= 20; id++) {
                lastB = f.append(insert(b, id));
                firstB = firstB == null ? lastB : firstB;
                lastA = f.append(insert(a, id));
            }
            await(f, a, lastA);
            assertThat(rows(a)).isEqualTo(expected(a, 1, 20));
            // a sync-mode client of the broken database is not answered as applied, one of the other is
            assertThat(f.applier.awaitApplied(bTarget, firstB)).isNotDone();
            assertThat(f.applier.awaitApplied(firstB)).isNotDone();
            assertThat(f.applier.awaitApplied(a, lastA)).isCompleted();
            assertThat(f.gauge("tandem.spool.records")).isGreaterThanOrEqualTo(20);
            assertThat(f.gauge("tandem.mirror.parked.databases")).isEqualTo(1);
            assertThat(f.gauge("tandem.mirror.target.up")).isZero();
            assertThat(f.applier.parkedDatabases()).containsOnlyKeys(bTarget);

            // the healthy database goes on while the other stays parked
            SpoolPosition moreB = f.append(insert(b, 21));
            await(f, a, f.append(insert(a, 21)));
            assertThat(f.applier.awaitApplied(bTarget, moreB)).isNotDone();

            createB();
            await(f, bTarget, lastB);
            await(f, bTarget, moreB);
            assertThat(rows(bTarget)).isEqualTo(expected(b, 1, 21));
            assertThat(rows(a)).isEqualTo(expected(a, 1, 21));
            assertThat(f.applier.awaitApplied(firstB)).isCompleted();
            eventually("nothing pending once every database caught up", () -> f.gauge("tandem.spool.records") == 0);
            assertThat(f.gauge("tandem.mirror.parked.databases")).isZero();
            assertThat(f.applier.parkedDatabases()).isEmpty();
        }
    }

    /**
     * An operator creates the missing database, then restores its schema: a retry that comes in between finds the
     * database without its table, which keeps it parked rather than ledgering every transaction that waited for it.
     */
    @Test
    void aDatabaseCreatedWithoutItsSchemaYetStaysParkedUntilTheTableExists() throws Exception {
        try (MirrorFixture f = fixture()) {
            f.applier.start();
            SpoolPosition lastB = null;
            for (int id = 1; id <= 10; id++) {
                lastB = f.append(insert(b, id));
            }
            SpoolPosition lastA = f.append(insert(a, 1));
            await(f, a, lastA);
            assertThat(f.applier.parkedDatabases()).containsOnlyKeys(bTarget);

            // a transaction the target rejects for good once the schema is there: ledgered during the catch-up
            SpoolPosition rejected = f.append(tx(b, simple("t", 1, "INSERT INTO t (id, v, missing) VALUES (0, '', 0)")));
            PG.target().createDatabase(bTarget);
            eventually("a retry finds the new database without its table", () -> String.valueOf(
                    f.applier.parkedDatabases().getOrDefault(bTarget, Map.of()).get("error")).contains("42P01"));
            assertThat(f.applier.awaitApplied(bTarget, lastB)).isNotDone();
            assertThat(PG.target().queryValue(bTarget, "SELECT count(*) FROM tandem.divergence")).isEqualTo("0");

            List<String> lines = dev.tandem.proxy.LoggedWarnings.infoAndAbove(MirrorApplier.class, () -> {
                PG.target().execute(bTarget, TABLE);
                try {
                    await(f, bTarget, rejected);
                    eventually("b rejoins the others", () -> f.applier.parkedDatabases().isEmpty());
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            assertThat(rows(bTarget)).isEqualTo(expected(b, 1, 10));
            assertThat(PG.target().queryValue(bTarget, "SELECT sqlstate FROM tandem.divergence")).isEqualTo("42703");
            assertThat(lines).filteredOn(l -> l.contains("caught up")).singleElement().asString()
                    .contains("target database " + bTarget + " caught up", "(1 of them ledgered in its"
                            + " tandem.divergence instead")
                    // how long it was left behind, not only since when: the on-call reads the outage's length
                    .containsPattern("caught up after \\d+ s parked: ");
            assertThat(f.applier.parkedDatabases()).isEmpty();

            // caught up, a missing table is a rejected transaction again, ledgered, as in any other database
            PG.target().execute(bTarget, "DROP TABLE t");
            await(f, bTarget, f.append(insert(b, 11)));
            assertThat(PG.target().queryValue(bTarget, "SELECT sqlstate FROM tandem.divergence ORDER BY id DESC"
                    + " LIMIT 1")).isEqualTo("42P01");
        }
    }

    /**
     * A stop while a database is parked marks only the others stopped and keeps its records; the next start on the
     * same spool applies them once, and applies nothing of the others again.
     */
    @Test
    void aDatabaseParkedAtAStopCatchesUpAfterTheRestartOnce() throws Exception {
        try (MirrorFixture f = fixture()) {
            f.applier.start();
            f.append(insert(b, 1));
            f.append(insert(a, 1));
            f.append(insert(b, 2));
            await(f, a, f.append(insert(a, 2)));
            MirrorDrain drain = f.applier.drain(Duration.ofSeconds(60));
            assertThat(drain.applied()).isFalse();
            assertThat(drain.marked()).containsExactly(a);
            assertThat(drain.unmarked()).contains(bTarget);
            f.applier.close();
            f.spool.close();

            f.openSpool();
            f.applier = f.newApplier();
            f.append(insert(b, 3));
            SpoolPosition lastA = f.append(insert(a, 3));
            f.applier.start();
            await(f, a, lastA);
            assertThat(rows(a)).isEqualTo(expected(a, 1, 3));
            createB();
            SpoolPosition lastB = f.append(insert(b, 4));
            await(f, bTarget, lastB);
            assertThat(rows(bTarget)).isEqualTo(expected(b, 1, 4));
            assertThat(rows(a)).isEqualTo(expected(a, 1, 3));
        }
    }

    /**
     * A lock another session holds on a mirrored table in one target database (an index built without CONCURRENTLY, a
     * transaction left open) parks that database once the mirror waited {@code mirror.lock-timeout} for it, instead of
     * holding up every database; when the lock is gone it catches up, in order, once.
     */
    @Test
    void aLockHeldInOneTargetDatabaseParksItAfterTheLockTimeoutWhileTheOthersGoOn() throws Exception {
        createB();
        try (MirrorFixture f = fixture().lockTimeout(Duration.ofMillis(300))) {
            f.applier.start();
            await(f, bTarget, f.append(insert(b, 1)));
            SpoolPosition lastB = null;
            try (Connection holder = PG.target().connect(bTarget); Statement s = holder.createStatement()) {
                holder.setAutoCommit(false);
                s.execute("LOCK TABLE t IN ACCESS EXCLUSIVE MODE");
                for (int id = 2; id <= 5; id++) {
                    lastB = f.append(insert(b, id));
                }
                SpoolPosition lastA = null;
                for (int id = 1; id <= 5; id++) {
                    lastA = f.append(insert(a, id));
                }
                await(f, a, lastA);
                assertThat(rows(a)).isEqualTo(expected(a, 1, 5));
                assertThat(f.applier.parkedDatabases()).containsOnlyKeys(bTarget);
                assertThat(String.valueOf(f.applier.parkedDatabases().get(bTarget).get("error"))).contains("55P03");
                assertThat(f.applier.awaitApplied(bTarget, lastB)).isNotDone();
                // its retries meet the lock again, and the others still go on
                eventually("b retried", () -> ((Number) f.applier.parkedDatabases().getOrDefault(bTarget, Map.of())
                        .getOrDefault("failedAttempts", 0)).intValue() >= 2);
                await(f, a, f.append(insert(a, 6)));
                // read in the lock holder's transaction: ACCESS EXCLUSIVE keeps other readers out too
                try (java.sql.ResultSet held = s.executeQuery("SELECT count(*) FROM t")) {
                    held.next();
                    assertThat(held.getInt(1)).isEqualTo(1);
                }
                holder.rollback();
            }
            await(f, bTarget, lastB);
            assertThat(rows(bTarget)).isEqualTo(expected(b, 1, 5));
            assertThat(rows(a)).isEqualTo(expected(a, 1, 6));
            eventually("b rejoins the others", () -> f.applier.parkedDatabases().isEmpty());
            assertThat(PG.target().queryValue(bTarget, "SELECT count(*) FROM tandem.divergence")).isEqualTo("0");
        }
    }

    /**
     * A replayed INSERT whose values call a slow function runs into {@code mirror.statement-timeout} in one target
     * database: that database is parked while the others go on, the slow transaction is applied alone at its retries,
     * and once it timed out alone {@link MirrorApplier#TIMEOUTS_BEFORE_LEDGER} times it is ledgered and the database's
     * later transactions are applied, in order, once.
     */
    @Test
    void aReplayLongerThanTheStatementTimeoutParksItsDatabaseWhileTheOthersGoOnThenIsLedgered() throws Exception {
        createB();
        try (MirrorFixture f = fixture().statementTimeout(Duration.ofSeconds(1))) {
            f.applier.start();
            await(f, bTarget, f.append(insert(b, 1)));
            List<String> lines = dev.tandem.proxy.LoggedWarnings.infoAndAbove(MirrorApplier.class, () -> {
                try {
                    f.append(insert(b, 2));
                    f.append(tx(b, simple("t", 1, "INSERT INTO t (id, v) VALUES (99, (SELECT 'slow' FROM"
                            + " pg_sleep(600)))")));
                    SpoolPosition lastB = f.append(insert(b, 3));
                    SpoolPosition lastA = null;
                    for (int id = 1; id <= 5; id++) {
                        lastA = f.append(insert(a, id));
                    }
                    // without the timeout, the replay of pg_sleep(600) holds up a's mirror for ten minutes
                    await(f, a, lastA);
                    assertThat(rows(a)).isEqualTo(expected(a, 1, 5));
                    await(f, bTarget, lastB);
                    await(f, bTarget, f.append(insert(b, 4)));
                    eventually("b rejoins the others", () -> f.applier.parkedDatabases().isEmpty());
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            assertThat(rows(bTarget)).isEqualTo(expected(b, 1, 4));
            assertThat(PG.target().query(bTarget, "SELECT sqlstate, message FROM tandem.divergence"))
                    .singleElement().satisfies(entry -> {
                        assertThat(entry.get(0)).isEqualTo("57014");
                        assertThat(entry.get(1)).contains("longer than mirror.statement-timeout (1s)",
                                MirrorApplier.TIMEOUTS_BEFORE_LEDGER + " times in a row");
                    });
            // the group's timeout, then each alone but the last (whose line is the ledger's)
            assertThat(lines).filteredOn(l -> l.contains("ran longer than mirror.statement-timeout (1s)"))
                    .hasSize(MirrorApplier.TIMEOUTS_BEFORE_LEDGER)
                    .allSatisfy(l -> assertThat(l).contains(bTarget, "pg_sleep(600)"));
            assertThat(lines).anySatisfy(l -> assertThat(l).contains("applied alone, ran longer",
                    "(" + (MirrorApplier.TIMEOUTS_BEFORE_LEDGER - 1) + " of " + MirrorApplier.TIMEOUTS_BEFORE_LEDGER
                            + " times"));
            assertThat(rows(a)).isEqualTo(expected(a, 1, 5));
        }
    }

    /**
     * The ledger entry of a transaction that timed out alone has no time range: finding one replays its statements into
     * a scratch copy of the table, which runs as long again under the same timeout. Before, a table with a time column
     * had its slow statement run once more for the entry (twice with {@code source.user}), holding up every target
     * database another {@code mirror.statement-timeout} or two.
     */
    @Test
    void aTransactionLedgeredForTheStatementTimeoutIsNotReplayedAgainForTheTimeRangeOfItsEntry() throws Exception {
        createB();
        // each call counted by a sequence, which the cancelled replay's rollback does not give back
        PG.target().execute(bTarget, "CREATE TABLE timed (ts timestamptz NOT NULL, v text); CREATE SEQUENCE slow_calls;"
                + " CREATE FUNCTION slow() RETURNS text LANGUAGE plpgsql AS $$ BEGIN PERFORM nextval('slow_calls');"
                + " PERFORM pg_sleep(600); RETURN 'slow'; END $$;"
                + " CREATE SCHEMA IF NOT EXISTS tandem;"
                + " CREATE TABLE IF NOT EXISTS tandem.backfill_task (table_schema text, table_name text,"
                + " time_column text);"
                + " INSERT INTO tandem.backfill_task VALUES ('public', 'timed', 'ts')");
        try (MirrorFixture f = fixture().statementTimeout(Duration.ofSeconds(1))) {
            f.applier.start();
            List<String> lines = dev.tandem.proxy.LoggedWarnings.infoAndAbove(MirrorApplier.class, () -> {
                try {
                    f.append(insert(b, 1));
                    f.append(tx(b, simple("timed", 1, "INSERT INTO timed VALUES ('2024-02-01 00:00:00+00', slow())")));
                    await(f, bTarget, f.append(insert(b, 2)));
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            // each cancelled replay is logged, but the one that ledgers it
            List<String> cancelled = lines.stream()
                    .filter(l -> l.contains("ran longer than mirror.statement-timeout (1s)")).toList();
            assertThat(cancelled).hasSizeBetween(MirrorApplier.TIMEOUTS_BEFORE_LEDGER - 1,
                    MirrorApplier.TIMEOUTS_BEFORE_LEDGER);
            assertThat(PG.target().queryValue(bTarget, "SELECT last_value FROM slow_calls"))
                    .isEqualTo(Integer.toString(cancelled.size() + 1));
            assertThat(PG.target().query(bTarget, "SELECT sqlstate, time_column, range_start, message"
                    + " FROM tandem.divergence")).singleElement().satisfies(entry -> {
                        assertThat(entry.get(0)).isEqualTo("57014");
                        assertThat(entry.get(2)).isNull();
                        assertThat(entry.get(3)).contains("the times of its rows are unknown",
                                "tandem-backfill settle");
                    });
            assertThat(rows(bTarget)).isEqualTo(expected(b, 1, 2));
        }
    }

    /**
     * Restarted while a database is still parked and cannot be reached, the proxy shows it where the last run saw it
     * applied up to, not at the first of its records still in the spool (applied long ago): {@code /status}
     * appliedSequence, its lag and the spool's pending count; and still applies each waiting transaction once.
     */
    @Test
    void aDatabaseStillParkedAfterRestartsIsShownWhereItWasAppliedUpTo() throws Exception {
        createB();
        long firstWaiting;
        SpoolPosition lastB;
        try (MirrorFixture f = fixture()) {
            f.applier.start();
            for (int id = 1; id <= 3; id++) {
                await(f, bTarget, f.append(insert(b, id)));
                await(f, a, f.append(insert(a, id)));
            }
            PG.target().execute(bTarget, """
                    CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql
                        AS $$BEGIN RAISE EXCEPTION 'not now' USING ERRCODE = '40001'; END$$;
                    CREATE TRIGGER refuse BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION refuse();
                    """);
            f.append(insert(b, 4));
            firstWaiting = f.spool.stats().lastSequence();
            lastB = f.append(insert(b, 5));
            await(f, a, f.append(insert(a, 4)));
            eventually("b is parked", () -> f.applier.parkedDatabases().containsKey(bTarget));
            assertThat(f.applier.appliedSequenceShown()).isEqualTo(firstWaiting - 1);
            f.applier.drain(Duration.ofSeconds(60));
            f.applier.close();
            f.spool.close();
            PG.target().execute(a, "ALTER DATABASE " + bTarget + " ALLOW_CONNECTIONS false");

            // twice: the first restart's note must not move the second's back either
            for (int restart = 1; restart <= 2; restart++) {
                f.openSpool();
                f.applier = f.newApplier();
                f.applier.start();
                await(f, a, f.append(insert(a, 4 + restart)));
                eventually("b is parked again", () -> f.applier.parkedDatabases().containsKey(bTarget));
                long waiting = f.spool.stats().lastSequence() - firstWaiting + 1;
                assertThat(f.applier.appliedSequenceShown()).as("restart " + restart).isEqualTo(firstWaiting - 1);
                assertThat(f.gauge("tandem.spool.records")).as("restart " + restart).isEqualTo(waiting);
                assertThat(f.applier.lagByDatabase().get(bTarget)).as("restart " + restart)
                        .containsEntry("pendingTransactions", waiting);
                assertThat(f.applier.lagByDatabase().get(a)).containsEntry("pendingTransactions", 0L);
                if (restart == 1) {
                    f.applier.drain(Duration.ofSeconds(60));
                    f.applier.close();
                    f.spool.close();
                }
            }

            PG.target().execute(a, "ALTER DATABASE " + bTarget + " ALLOW_CONNECTIONS true");
            PG.target().execute(bTarget, "DROP TRIGGER refuse ON t");
            await(f, bTarget, lastB);
            assertThat(rows(bTarget)).isEqualTo(expected(b, 1, 5));
            assertThat(rows(a)).isEqualTo(expected(a, 1, 6));
        }
    }

    /**
     * With one database parked, its own lag series says which one is behind: it grows with its waiting transactions
     * while the other database's stays at zero.
     */
    @Test
    void eachDatabaseHasItsOwnLagAndOnlyTheParkedOnesGrows() throws Exception {
        try (MirrorFixture f = fixture()) {
            f.applier.start();
            f.append(insert(b, 1));
            await(f, a, f.append(insert(a, 1)));
            assertThat(f.applier.parkedDatabases()).containsOnlyKeys(bTarget);
            assertThat(databaseGauge(f, "tandem.mirror.database.lag.bytes", a)).isZero();
            assertThat(databaseGauge(f, "tandem.mirror.database.lag.seconds", a)).isZero();
            double bytes = databaseGauge(f, "tandem.mirror.database.lag.bytes", bTarget);
            assertThat(bytes).isPositive();
            eventually("b's oldest waiting transaction ages",
                    () -> databaseGauge(f, "tandem.mirror.database.lag.seconds", bTarget) > 0);

            f.append(insert(b, 2));
            await(f, a, f.append(insert(a, 2)));
            assertThat(databaseGauge(f, "tandem.mirror.database.lag.bytes", bTarget)).isGreaterThan(bytes);
            assertThat(databaseGauge(f, "tandem.mirror.database.lag.bytes", a)).isZero();
            assertThat(databaseGauge(f, "tandem.mirror.database.lag.seconds", a)).isZero();
            assertThat(f.applier.lagByDatabase()).containsOnlyKeys(a, bTarget);
            assertThat(f.applier.lagByDatabase().get(bTarget)).containsEntry("pendingTransactions", 4L);
            assertThat(f.applier.lagByDatabase().get(a)).containsEntry("pendingTransactions", 0L)
                    .containsEntry("lagSeconds", 0.0);

            createB();
            await(f, bTarget, f.append(insert(b, 3)));
            eventually("b caught up", () -> f.applier.parkedDatabases().isEmpty());
            assertThat(databaseGauge(f, "tandem.mirror.database.lag.bytes", bTarget)).isZero();
        }
    }

    private static double databaseGauge(MirrorFixture f, String name, String database) {
        return f.registry.get(name).tag("database", database).gauge().value();
    }

    /**
     * The backfill waits for {@code caught_up_to}: a database whose transactions fail (here a trigger refuses them
     * with a serialization failure, which is retried) must not have it moved past them while the others' moves on.
     */
    @Test
    void aParkedDatabasesCaughtUpToStaysBeforeItsWaitingTransactions() throws Exception {
        createB();
        try (MirrorFixture f = fixture()) {
            f.applier.start();
            await(f, bTarget, f.append(insert(b, 1)));
            PG.target().execute(bTarget, """
                    CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql
                        AS $$BEGIN RAISE EXCEPTION 'not now' USING ERRCODE = '40001'; END$$;
                    CREATE TRIGGER refuse BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION refuse();
                    """);
            Instant beforeB = Instant.now();
            SpoolPosition waiting = f.append(insert(b, 2));
            await(f, a, f.append(insert(a, 1)));
            eventually("a's caught_up_to passes b's waiting transaction",
                    () -> caughtUpAfter(a, beforeB.plusSeconds(1)));
            // more groups of a, and quiet-database notes, while b waits
            for (int id = 2; id <= 10; id++) {
                await(f, a, f.append(insert(a, id)));
            }
            assertThat(caughtUpAfter(bTarget, beforeB)).isFalse();
            assertThat(f.applier.awaitApplied(bTarget, waiting)).isNotDone();

            PG.target().execute(bTarget, "DROP TRIGGER refuse ON t");
            await(f, bTarget, waiting);
            eventually("b's caught_up_to passes its applied transaction", () -> caughtUpAfter(bTarget, beforeB));
            assertThat(rows(bTarget)).isEqualTo(expected(b, 1, 2));
            assertThat(rows(a)).isEqualTo(expected(a, 1, 10));
        }
    }

    /**
     * Through the proxy in sync mode: a client of the database that cannot be applied is answered after
     * {@code mirror.sync-timeout} (counted), while each commit of the other database is answered once the target has
     * it, as without the broken one.
     */
    @Test
    void aSyncClientOfAParkedDatabaseWaitsOutItsTimeoutWhileTheOthersAreAnsweredOnceApplied(@TempDir Path spool)
            throws Exception {
        String healthy = PG.pair().freshDatabase("sync_isolated");
        String broken = PG.pair().freshDatabase("sync_parked");
        String brokenTarget = broken + "_on_target";
        PG.pair().executeOnBoth(healthy, "CREATE TABLE m (id int PRIMARY KEY, v text)");
        PG.pair().executeOnBoth(broken, "CREATE TABLE m (id int PRIMARY KEY, v text)");
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), healthy, spool, "--mirror-table",
                "public.m", "--mirror-mode", "sync", "--set", "mirror.sync-timeout=1s", "--set",
                "target.databases." + broken + "=" + brokenTarget)) {
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:"
                    + proxy.app.relayAddress().getPort() + "/" + broken, PG.source().user(), PG.source().password());
                 Statement s = c.createStatement()) {
                s.execute("INSERT INTO m VALUES (1)");
            }
            assertThat(syncTimeouts(proxy)).as("the broken database's client was answered after its timeout")
                    .isEqualTo(1);
            try (Connection c = proxy.connect(); Statement s = c.createStatement()) {
                for (int id = 1; id <= 5; id++) {
                    s.execute("INSERT INTO m VALUES (" + id + ")");
                    // no waiting: in sync mode the row is on the target when the client hears "committed"
                    assertThat(PG.target().queryValue(healthy, "SELECT count(*) FROM m WHERE id = " + id))
                            .isEqualTo("1");
                }
            }
            assertThat(syncTimeouts(proxy)).isEqualTo(1);
            assertThat(proxy.app.mirrorCaughtUp()).as("not caught up while a database waits").isFalse();
            // GET /status says which database is behind
            JsonNode lag = status(proxy).path("mirror").path("lagByDatabase");
            assertThat(lag.path(brokenTarget).path("pendingTransactions").asLong()).isPositive();
            assertThat(lag.path(healthy).path("pendingTransactions").isIntegralNumber()).as(lag.toString()).isTrue();
            assertThat(lag.path(healthy).path("pendingTransactions").asLong()).isZero();
            assertThat(lag.path(healthy).path("lagSeconds").asDouble()).isZero();

            PG.target().createDatabase(brokenTarget);
            PG.target().execute(brokenTarget, "CREATE TABLE m (id int PRIMARY KEY, v text)");
            proxy.awaitCaughtUp(Duration.ofSeconds(60));
            assertThat(PG.target().query(brokenTarget, "SELECT id FROM m")).containsExactly(List.of("1"));
            proxy.assertIdentical("m");
        }
    }

    /**
     * Through the proxy, {@code --set mirror.statement-timeout}: a trigger only the target has makes the replay of one
     * database's INSERT slow; the other database's commits are mirrored meanwhile, and the slow one is ledgered.
     */
    @Test
    void aTriggerSlowOnlyOnTheTargetIsBoundedByTheStatementTimeoutThroughTheProxy(@TempDir Path spool)
            throws Exception {
        String healthy = PG.pair().freshDatabase("timeout_healthy");
        String slow = PG.pair().freshDatabase("timeout_slow");
        PG.pair().executeOnBoth(healthy, "CREATE TABLE m (id int PRIMARY KEY, v text)");
        PG.pair().executeOnBoth(slow, "CREATE TABLE m (id int PRIMARY KEY, v text)");
        PG.target().execute(slow, """
                CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql
                    AS $$BEGIN PERFORM pg_sleep(600); RETURN NEW; END$$;
                CREATE TRIGGER slow BEFORE INSERT ON m FOR EACH ROW WHEN (NEW.id = 2) EXECUTE FUNCTION slow();
                """);
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), healthy, spool, "--mirror-table",
                "public.m", "--set", "mirror.statement-timeout=1s")) {
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:"
                    + proxy.app.relayAddress().getPort() + "/" + slow, PG.source().user(), PG.source().password());
                 Statement s = c.createStatement()) {
                for (int id = 1; id <= 3; id++) {
                    s.execute("INSERT INTO m VALUES (" + id + ")");
                }
            }
            try (Connection c = proxy.connect(); Statement s = c.createStatement()) {
                for (int id = 1; id <= 3; id++) {
                    s.execute("INSERT INTO m VALUES (" + id + ")");
                }
            }
            // without the timeout (mirror.statement-timeout=0), not caught up for ten minutes
            proxy.awaitCaughtUp(Duration.ofSeconds(60));
            proxy.assertIdentical("m");
            assertThat(PG.target().query(slow, "SELECT id FROM m ORDER BY id"))
                    .containsExactly(List.of("1"), List.of("3"));
            assertThat(PG.target().queryValue(slow, "SELECT sqlstate FROM tandem.divergence")).isEqualTo("57014");
        }
    }

    private static JsonNode status(RunningMirrorProxy proxy) throws Exception {
        String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + proxy.app.adminPort() + "/status")).build(), HttpResponse.BodyHandlers.ofString()).body();
        return new ObjectMapper().readTree(body);
    }

    private static double syncTimeouts(RunningMirrorProxy proxy) {
        return proxy.app.registry().get("tandem.mirror.sync.timeouts").counter().count();
    }

    private static boolean caughtUpAfter(String database, Instant t) {
        return "t".equals(PG.target().queryValue(database, "SELECT coalesce(caught_up_to > '" + t
                + "'::timestamptz, false) FROM tandem.mirror_progress WHERE instance_id = '" + INSTANCE + "'"));
    }
}
