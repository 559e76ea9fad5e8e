package dev.tandem.backfill;

import static dev.tandem.backfill.Fixtures.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.PgServer;
import dev.tandem.testing.PostgresPairExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * copy killed with SIGKILL at each point of a task, and commands run while a copy runs: every row before T ends up on
 * the target exactly once.
 */
class CopyCrashIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    /** Held by the test; the copy blocks where a trigger takes it, and goes on (to find its client gone) once freed. */
    private static final int GATE = 4242;

    private static final String GATE_ROW_30 = "CREATE FUNCTION gate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            + "IF NEW.note = 'row 30' THEN PERFORM pg_advisory_xact_lock_shared(" + GATE + "); END IF; RETURN NEW; END $$";

    /** 2026-01-02 00:00 UTC, the start of the task that holds 'row 30', in microseconds. */
    private static final long DAY_2 = 1_767_312_000_000_000L;

    /** Where the copy process is when it is killed. */
    enum KillPoint {
        /** the source's COPY TO STDOUT waits for a lock on the source table: target DELETE done, COPY FROM STDIN open */
        SOURCE_COPY(true, "CREATE TABLE unused ()"),
        /** the target's COPY FROM STDIN has written part of the range */
        TARGET_COPY(false, GATE_ROW_30 + "; CREATE TRIGGER gate BEFORE INSERT ON metrics FOR EACH ROW"
                + " EXECUTE FUNCTION gate()"),
        /** the rows are in, the task is being marked done, COMMIT not sent yet */
        BEFORE_COMMIT(false, "CREATE FUNCTION gate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM"
                + " pg_advisory_xact_lock_shared(" + GATE + "); RETURN NEW; END $$; CREATE TRIGGER gate BEFORE UPDATE ON tandem.backfill_task FOR EACH ROW"
                + " WHEN (NEW.state = 'done') EXECUTE FUNCTION gate()"),
        /** COMMIT sent, the server still runs the deferred trigger: the server commits, the client never hears of it */
        DURING_COMMIT(false, GATE_ROW_30 + "; CREATE CONSTRAINT TRIGGER gate AFTER INSERT ON metrics DEFERRABLE"
                + " INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION gate()");

        final boolean onSource;
        final String setup;

        KillPoint(boolean onSource, String setup) {
            this.onSource = onSource;
            this.setup = setup;
        }
    }

    @ParameterizedTest
    @EnumSource(KillPoint.class)
    void aCopyProcessKilledWithSigkillLeavesEveryRangeWholeOrUntouchedAndTheNextCopyFinishesIt(KillPoint point)
            throws Exception {
        String db = PG.pair().freshDatabase("kill" + point.ordinal());
        Fixtures.metrics(PG.pair(), db, "metrics");
        // already on the target in the range of the task that gets stuck: a rolled-back attempt must leave it there
        PG.target().execute(db, "INSERT INTO metrics VALUES ('2026-01-02 05:00:00+00', 5, 0.5, 'row 29')");
        Fixtures.stage(PG.pair(), db, "--table", "metrics:t");
        PG.target().execute(db, point.setup);
        PgServer gated = point.onSource ? PG.source() : PG.target();

        Process copy;
        try (Connection gate = gated.connect(db); Statement s = gate.createStatement()) {
            gate.setAutoCommit(false);
            s.execute(point.onSource ? "LOCK TABLE metrics IN ACCESS EXCLUSIVE MODE" : "SELECT pg_advisory_lock(" + GATE + ")");
            copy = startCopyProcess(db);
            try {
                awaitCondition("the copy blocks at " + point, () -> !"0".equals(gated.queryValue(db, "SELECT count(*)"
                        + " FROM pg_stat_activity WHERE application_name = 'tandem-backfill' AND wait_event_type = 'Lock'"
                        + " AND datname = current_database()")), copy);
            } finally {
                copy.destroyForcibly();
                copy.waitFor(30, TimeUnit.SECONDS);
            }
            gate.rollback();
            s.execute("SELECT pg_advisory_unlock_all()");
        }
        for (PgServer server : List.of(PG.source(), PG.target())) {
            awaitCondition("the killed copy's sessions end", () -> "0".equals(server.queryValue(db,
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tandem-backfill'"
                    + " AND datname = current_database()")), null);
        }

        String done = PG.target().query(db, "SELECT '(t >= ''' || to_timestamp(range_start / 1e6) || ''' AND t < '''"
                + " || to_timestamp(range_end / 1e6) || ''')' FROM tandem.backfill_task WHERE state = 'done'").stream()
                .map(row -> row.get(0) + " OR ").collect(Collectors.joining("", "(", "false)"));
        if (point == KillPoint.DURING_COMMIT) {
            assertThat(PG.target().queryValue(db, "SELECT state FROM tandem.backfill_task WHERE range_start = "
                    + DAY_2)).as("the server committed the task whose client was killed").isEqualTo("done");
        }
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.backfill_task WHERE state NOT IN"
                + " ('pending', 'done')")).isEqualTo("0");
        String rows = "SELECT t, device, v, note FROM metrics WHERE ";
        assertThat(PG.target().query(db, rows + done + " ORDER BY t")).as("the ranges of the tasks done")
                .isEqualTo(PG.source().query(db, rows + done + " ORDER BY t"));
        assertThat(PG.target().query(db, rows + "NOT " + done + " ORDER BY t")).as("the other ranges are unchanged")
                .isEqualTo(PG.target().query(db, "SELECT * FROM (VALUES ('2026-01-02 05:00:00+00'::timestamptz, 5,"
                        + " 0.5::float8, 'row 29')) AS metrics (t, device, v, note) WHERE NOT " + done));

        PG.target().execute(db, point.onSource ? "DROP TABLE unused" : "DROP FUNCTION gate() CASCADE");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        Fixtures.assertCopied(PG.pair(), db, "metrics");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.backfill_task WHERE state <> 'done'"
                + " OR copies <> 1")).isEqualTo("0");
        assertThat(ok(Cli.targetOnly("status", PG.target(), db)).out()).containsPattern("done\\s+4\\s+96");
    }

    @Test
    void aRangeQueuedByRepairWhileACopyRunsIsCopiedOnlyOnceTheMirrorsCaughtUpWithIt() throws Exception {
        String db = PG.pair().freshDatabase("queuedlater");
        Fixtures.metrics(PG.pair(), db, "metrics");
        Fixtures.stage(PG.pair(), db, "--table", "metrics:t");
        PG.target().execute(db, "INSERT INTO tandem.mirror_progress VALUES ('proxy-1', 1, 0, 0, now(),"
                + " now() + interval '1 hour')");
        // a dual-written row the proxy failed to mirror, and its ledger entry
        PG.source().execute(db, "INSERT INTO metrics VALUES ('2026-01-05 10:00:00+00', 1, 1, 'late a')");
        PG.target().execute(db, "INSERT INTO tandem.divergence (instance_id, database, table_schema, table_name,"
                + " sqlstate, message, time_column, range_start, range_end) VALUES ('proxy-1', current_database(),"
                + " 'public', 'metrics', '23505', 'duplicate key', 't', '2026-01-05 10:00:00+00',"
                + " '2026-01-05 11:00:00+00')");

        CompletableFuture<Cli.Run> copy;
        CompletableFuture<Cli.Run> repair;
        try (Connection lock = PG.target().connect(db); Statement s = lock.createStatement()) {
            lock.setAutoCommit(false);
            s.execute("LOCK TABLE metrics IN SHARE MODE");
            copy = CompletableFuture.supplyAsync(() -> Cli.both("copy", PG.source(), PG.target(), db,
                    "--parallelism", "1", "--mirror-wait", "1 s"));
            awaitCondition("the copy's first task waits for the lock", () -> !"0".equals(PG.target().queryValue(db,
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tandem-backfill'"
                            + " AND wait_event_type = 'Lock' AND datname = current_database()")), null);
            // the proxy falls behind after the copy waited for it: what the source commits from now on may be spooled
            PG.target().execute(db, "UPDATE tandem.mirror_progress SET caught_up_to = clock_timestamp()");
            repair = CompletableFuture.supplyAsync(() -> Cli.both("repair", PG.source(), PG.target(), db));
            awaitCondition("repair queues the ledger range", () -> "1".equals(PG.target().queryValue(db,
                    "SELECT count(*) FROM tandem.backfill_task WHERE origin = 'repair'")), null);
        }

        Cli.Run first = copy.get(60, TimeUnit.SECONDS);
        assertThat(first.exitCode()).as(first.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(first.err()).contains("proxy instance 'proxy-1'", "copying now could duplicate them");
        assertThat(PG.target().queryValue(db, "SELECT state FROM tandem.backfill_task WHERE origin = 'repair'"))
                .isEqualTo("pending");

        PG.target().execute(db, "UPDATE tandem.mirror_progress SET caught_up_to = now() + interval '1 hour'");
        ok(repair.get(60, TimeUnit.SECONDS));
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        Fixtures.assertCopied(PG.pair(), db, "metrics");
        String window = "SELECT * FROM metrics WHERE t >= '2026-01-05 10:00:00+00' AND t < '2026-01-05 11:00:00+00'"
                + " ORDER BY t, note";
        assertThat(PG.target().query(db, window)).isEqualTo(PG.source().query(db, window)).hasSize(2);
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.backfill_task WHERE state <> 'done'"
                + " OR copies <> 1")).isEqualTo("0");
    }

    private static Process startCopyProcess(String db) throws Exception {
        Path jar = Path.of("target", "tandem-backfill.jar");
        assertThat(jar).as("built by 'package', which runs before the integration tests").exists();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString(), "copy", "--parallelism", "2"));
        command.addAll(Cli.connection(PG.source(), PG.target(), db));
        Path log = Files.createTempFile("tandem-copy", ".log");
        log.toFile().deleteOnExit();
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Waits up to a minute; fails early, with the process's exit code, if {@code process} ends meanwhile. */
    private static void awaitCondition(String what, BooleanSupplier condition, Process process) throws Exception {
        for (int i = 0; i < 600; i++) {
            if (condition.getAsBoolean()) {
                return;
            }
            if (process != null && !process.isAlive()) {
                throw new AssertionError("waiting until " + what + ": the copy process ended with " + process.exitValue());
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out waiting until " + what);
    }
}
