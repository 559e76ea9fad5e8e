package dev.tandem.backfill;

import static dev.tandem.backfill.Fixtures.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.PostgresPairExtension;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A task's target session ended by the server while the source still streams its range: the task fails alone, and the
 * next tasks, which reuse the worker's pooled source session, copy their ranges.
 */
class CopySessionLossIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    /** Held by the test; the target's COPY of the first day blocks on it at its first row. */
    private static final int GATE = 4343;

    @Test
    void aTaskWhoseTargetSessionIsTerminatedMidStreamFailsAloneAndTheNextTasksOnItsSourceSessionCopy() throws Exception {
        String db = PG.pair().freshDatabase("sessionloss");
        PG.pair().executeOnBoth(db, "CREATE TABLE wide (t timestamptz NOT NULL, note text)");
        // the first day is far larger than the copy's queue and the sockets' buffers, so its source COPY is cut off
        PG.source().execute(db, "INSERT INTO wide SELECT '2026-01-01'::timestamptz + i * interval '1 second',"
                + " CASE WHEN i = 0 THEN 'gate' ELSE repeat('x', 200) END FROM generate_series(0, 59999) i");
        PG.source().execute(db, "INSERT INTO wide SELECT '2026-01-02'::timestamptz + i * interval '1 hour', 'day ' || i"
                + " FROM generate_series(0, 71) i");
        PG.target().execute(db, "CREATE FUNCTION gate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                + " IF NEW.note = 'gate' THEN PERFORM pg_advisory_xact_lock_shared(" + GATE + "); END IF; RETURN NEW;"
                + " END $$; CREATE TRIGGER gate BEFORE INSERT ON wide FOR EACH ROW EXECUTE FUNCTION gate()");
        ok(Cli.both("stage", PG.source(), PG.target(), db, "--table", "wide:t", "--until", "2026-01-05 00:00:00+00"));

        CompletableFuture<Cli.Run> copy;
        try (Connection gate = PG.target().connect(db); Statement s = gate.createStatement()) {
            s.execute("SELECT pg_advisory_lock(" + GATE + ")");
            copy = CompletableFuture.supplyAsync(() -> Cli.both("copy", PG.source(), PG.target(), db,
                    "--parallelism", "1"));
            awaitLockWait(db);
            PG.target().execute(db, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name ="
                    + " 'tandem-backfill' AND wait_event_type = 'Lock' AND datname = current_database()");
        }

        Cli.Run run = copy.get(120, TimeUnit.SECONDS);
        assertThat(run.err()).as(run.toString()).contains("task 1 public.wide", "lost the connection to the target")
                .doesNotContain("task 2", "task 3", "task 4");
        assertThat(run.out()).as(run.toString()).contains("copied 3 tasks", "1 task FAILED");
        assertThat(PG.target().query(db, "SELECT state, count(*) FROM tandem.backfill_task GROUP BY 1 ORDER BY 1"))
                .as(run.toString()).containsExactly(List.of("done", "3"), List.of("failed", "1"));

        PG.target().execute(db, "DROP FUNCTION gate() CASCADE");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        String rows = "SELECT t, note FROM wide ORDER BY t, note";
        assertThat(PG.target().query(db, rows)).isEqualTo(PG.source().query(db, rows)).hasSize(60072);
    }

    private static void awaitLockWait(String db) throws InterruptedException {
        for (int i = 0; i < 600; i++) {
            if (!"0".equals(PG.target().queryValue(db, "SELECT count(*) FROM pg_stat_activity WHERE application_name ="
                    + " 'tandem-backfill' AND wait_event_type = 'Lock' AND datname = current_database()"))) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out waiting until the copy's first task waits for the gate");
    }
}
