package dev.tandem.backfill;

import static dev.tandem.backfill.Fixtures.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.PostgresPairExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** copy: exactly once, resumable, shared by processes, replacing dual-written rows, any target column order. */
class CopyIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    @Test
    void dualWrittenRowsInARangeAreReplacedByTheSourcesAndRowsFromTOnAreKept() {
        String db = PG.pair().freshDatabase("dualwritten");
        Fixtures.metrics(PG.pair(), db, "metrics");
        // rows the proxy mirrored: one in a backfilled range with other values, one at T and later (must stay)
        PG.target().execute(db, "INSERT INTO metrics VALUES ('2026-01-02 03:00:00+00', 99, -1, 'mirrored early'),"
                + "('2026-01-03 00:00:00+00', 3, 7.2, 'row 48'), ('" + Fixtures.T + "', 1, 1, 'mirrored at T'),"
                + "('2026-01-05 01:00:00+00', 1, 1, 'mirrored after T')");
        Fixtures.stage(PG.pair(), db, "--table", "public.metrics:t");
        ok(Cli.both("copy", PG.source(), PG.target(), db));

        Fixtures.assertCopied(PG.pair(), db, "metrics");
        assertThat(PG.target().query(db, "SELECT note FROM metrics WHERE t >= '" + Fixtures.T + "' ORDER BY t"))
                .containsExactly(List.of("mirrored at T"), List.of("mirrored after T"));
        ok(Cli.both("verify", PG.source(), PG.target(), db));
    }

    @Test
    void aKeyTheTargetsSequenceGaveAMirroredRowFailsTheTaskWithTheWayOut() {
        String db = PG.pair().freshDatabase("serialkey");
        PG.pair().executeOnBoth(db, "CREATE TABLE orders (id bigserial PRIMARY KEY, t timestamptz NOT NULL, note text)");
        PG.source().execute(db, "INSERT INTO orders (t, note) SELECT '2026-01-04 00:00:00+00'::timestamptz"
                + " + i * interval '1 hour', 'before T' FROM generate_series(0, 23) i;"
                + " INSERT INTO orders (t, note) VALUES ('2026-01-05 01:00:00+00', 'after T')");
        // the mirror's INSERT of the row after T left id out: the target's own sequence numbered it 1, the id the
        // source gave its first row, which this range holds
        PG.target().execute(db, "INSERT INTO orders (t, note) VALUES ('2026-01-05 01:00:00+00', 'after T')");
        Fixtures.stage(PG.pair(), db, "--table", "public.orders:t");
        Cli.Run copy = Cli.both("copy", PG.source(), PG.target(), db);
        assertThat(copy.exitCode()).as(copy.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(copy.err()).contains("duplicate key value violates unique constraint \"orders_pkey\"")
                .contains("the target holds these keys in rows the task did not delete")
                .contains("docs/migration.md, step 2, \"Sequences of mirrored tables\"");
        assertThat(ok(Cli.targetOnly("status", PG.target(), db)).out()).contains("Sequences of mirrored tables");
    }

    @Test
    void copyWaitsForEveryProxysMirrorToCatchUpAndStopsWhenOneDoesNot() throws Exception {
        String db = PG.pair().freshDatabase("mirrorwait");
        Fixtures.metrics(PG.pair(), db, "metrics");
        Fixtures.stage(PG.pair(), db, "--table", "public.metrics:t");
        // what a proxy writes: one instance caught up, one whose spool still holds what was committed an hour ago, one
        // that connected but has not committed its first group yet, and one that stopped cleanly an hour ago with
        // everything applied (its caught_up_to stands still, and nothing is in flight)
        PG.target().execute(db, "INSERT INTO tandem.mirror_progress VALUES"
                + " ('current', 1, 0, 0, now(), now() + interval '1 hour'),"
                + " ('lagging', 1, 0, 0, now() - interval '1 hour', now() - interval '1 hour'),"
                + " ('listed', 0, 0, 0, now(), NULL)");
        PG.target().execute(db, "INSERT INTO tandem.mirror_progress (instance_id, sequence, next_segment, next_offset,"
                + " applied_at, caught_up_to, stopped_at) VALUES ('stopped', 3, 0, 0, now() - interval '1 hour',"
                + " now() - interval '1 hour', now() - interval '1 hour')");

        Cli.Run stopped = Cli.both("copy", PG.source(), PG.target(), db, "--mirror-wait", "1 s");
        assertThat(stopped.exitCode()).as(stopped.toString()).isEqualTo(1);
        assertThat(stopped.err()).contains("proxy instance 'lagging'", "--mirror-wait", "copying now could duplicate them")
                .containsPattern("committed on the source before \\d{4}-\\d\\d-\\d\\d [\\d:.]+[+-]\\d\\d ")
                .contains("'listed' (caught up to an unknown time: it has applied nothing yet")
                .contains("tandem-backfill forget-instance --target ... <id> (for 'lagging', 'listed')")
                .doesNotContain("'current'").doesNotContain("'stopped'");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM metrics")).isEqualTo("0");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.backfill_task WHERE state <> 'pending'"))
                .isEqualTo("0");
        assertThat(ok(Cli.targetOnly("status", PG.target(), db)).out())
                .containsPattern("proxy lagging: last applied .*, caught up to .* \\(3[56]\\d\\d\\.\\d s ago\\)")
                .contains("proxy current: ")
                .containsPattern("proxy listed: connected at .*, has applied nothing yet")
                .containsPattern("proxy stopped: stopped cleanly at .* with everything it spooled applied");

        // the lagging mirror catches up while copy waits: copy goes on
        CompletableFuture<Void> catchUp = CompletableFuture.runAsync(() -> {
            try {
                TimeUnit.MILLISECONDS.sleep(1500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            PG.target().execute(db, "UPDATE tandem.mirror_progress SET caught_up_to = now() + interval '1 hour'");
        });
        long start = System.nanoTime();
        Cli.Run copied = ok(Cli.both("copy", PG.source(), PG.target(), db, "--mirror-wait", "30 s"));
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(1400);
        assertThat(copied.err()).contains("waited for the mirror of proxy instances current, lagging, listed (listed in")
                .containsPattern("not waited for proxy instance stopped \\(at [^)]+\\), marked stopped cleanly")
                .contains("check that its GET /status does not list this database under mirror.stillMarkedStopped");
        catchUp.get();
        Fixtures.assertCopied(PG.pair(), db, "metrics");
    }

    @Test
    void aMirrorWaitWithoutAUnitIsAUsageError() {
        Cli.Run run = Cli.both("copy", PG.source(), PG.target(), "postgres", "--mirror-wait", "5");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--mirror-wait must be a duration");
    }

    @Test
    void targetColumnOrderMayDiffer() {
        String db = PG.pair().freshDatabase("colorder");
        PG.source().execute(db, "CREATE TABLE metrics (t timestamptz NOT NULL, device int, v double precision, note text)");
        PG.target().execute(db, "CREATE TABLE metrics (note text, v double precision, t timestamptz NOT NULL, device int)");
        PG.source().execute(db, "INSERT INTO metrics SELECT '2026-01-01 00:00:00+00'::timestamptz + i * interval '1 hour', "
                + "i % 7, i * 0.1, 'row ' || i FROM generate_series(0, 120) i");
        Fixtures.stage(PG.pair(), db, "--table", "metrics:t");
        assertThat(ok(Cli.both("copy", PG.source(), PG.target(), db)).err())
                .contains("no proxy is listed in tandem.mirror_progress on this target database");

        Fixtures.assertCopied(PG.pair(), db, "metrics");
        ok(Cli.both("verify", PG.source(), PG.target(), db));
    }

    @Test
    void aColumnTypeChangedSinceStageFailsTheTableNamingTheColumnInsteadOfCopyingOtherValues() {
        String db = PG.pair().freshDatabase("typechanged");
        PG.pair().executeOnBoth(db, "CREATE TABLE m (t timestamptz NOT NULL, n bigint)");
        PG.source().execute(db, "INSERT INTO m SELECT '2026-01-01'::timestamptz + i * interval '1 hour', i"
                + " FROM generate_series(0, 50) i");
        Fixtures.stage(PG.pair(), db, "--table", "m:t");
        // the same width: a binary bigint was stored as a double precision of other value (5e-324), without an error
        PG.target().execute(db, "ALTER TABLE m ALTER COLUMN n TYPE double precision");
        Cli.Run copy = Cli.both("copy", PG.source(), PG.target(), db);
        assertThat(copy.exitCode()).as(copy.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(copy.err()).contains("public.m's columns differ on source and target since the plan was staged,"
                + " so nothing of it is copied: column n: source type bigint, target type double precision");
        assertThat(PG.target().query(db, "SELECT count(*) FROM m")).containsExactly(List.of("0"));

        PG.target().execute(db, "ALTER TABLE m ALTER COLUMN n TYPE bigint");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        ok(Cli.both("verify", PG.source(), PG.target(), db));
    }

    @Test
    void typesWithoutSafeBinaryIoFallBackToTextAndUnhashableTypesAreVerifiedByText() {
        String db = PG.pair().freshDatabase("textfallback");
        // created in a different order on each side, so the enum's OID differs: binary arrays of it would be refused
        PG.target().execute(db, "CREATE TYPE filler AS ENUM ('x')");
        PG.pair().executeOnBoth(db, "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');"
                + "CREATE TABLE feelings (t timestamptz NOT NULL, moods mood[], pair int4range, spot point)");
        PG.source().execute(db, "INSERT INTO feelings SELECT '2026-01-01'::timestamptz + i * interval '1 hour', "
                + "ARRAY['sad', 'happy']::mood[], int4range(i, i + 3), point(i, i / 3.0) FROM generate_series(0, 50) i");
        Fixtures.stage(PG.pair(), db, "--table", "feelings:t");
        ok(Cli.both("copy", PG.source(), PG.target(), db));

        assertThat(PG.target().query(db, "SELECT * FROM feelings ORDER BY t"))
                .isEqualTo(PG.source().query(db, "SELECT * FROM feelings ORDER BY t"));
        ok(Cli.both("verify", PG.source(), PG.target(), db));

        // point has no hash function: verify hashes the rows' text instead, and still sees a changed value
        PG.target().execute(db, "UPDATE feelings SET spot = point(0, 0.5) WHERE t = '2026-01-01 03:00:00+00'");
        Cli.Run verify = Cli.both("verify", PG.source(), PG.target(), db);
        assertThat(verify.exitCode()).as(verify.toString()).isEqualTo(ExitCodes.MISMATCH);
        assertThat(verify.out()).contains("row contents differ");
    }

    @Test
    void aCopyKilledMidTaskLeavesTheRangeUnchangedAndResumesWithoutDuplicatesOrGaps() throws Exception {
        String db = PG.pair().freshDatabase("killed");
        Fixtures.metrics(PG.pair(), db, "metrics");
        // a row already on the target in the range the killed task covers: it must survive the failed attempt
        PG.target().execute(db, "INSERT INTO metrics VALUES ('2026-01-02 05:00:00+00', 5, 0.5, 'row 29')");
        // the target stalls on one row of the second day, so the test can kill that task's connection mid-COPY
        PG.target().execute(db, "CREATE FUNCTION stall() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                + "IF NEW.note = 'row 30' THEN PERFORM pg_sleep(60); END IF; RETURN NEW; END $$;"
                + "CREATE TRIGGER stall BEFORE INSERT ON metrics FOR EACH ROW EXECUTE FUNCTION stall()");
        Fixtures.stage(PG.pair(), db, "--table", "metrics:t");

        CompletableFuture<Cli.Run> copy = CompletableFuture.supplyAsync(
                () -> Cli.both("copy", PG.source(), PG.target(), db, "--parallelism", "2"));
        int killed = 0;
        for (int i = 0; i < 600 && killed == 0; i++) {
            killed = Integer.parseInt(PG.target().queryValue(db, "SELECT count(pg_terminate_backend(pid)) "
                    + "FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep' "
                    + "AND application_name = 'tandem-backfill'"));
            Thread.sleep(100);
        }
        assertThat(killed).isEqualTo(1);
        Cli.Run first = copy.get(60, TimeUnit.SECONDS);
        assertThat(first.exitCode()).as(first.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(first.err()).contains("failed: lost the connection to the target: ");
        assertThat(PG.target().query(db, "SELECT note FROM metrics WHERE t >= '2026-01-02' AND t < '2026-01-03'"))
                .containsExactly(List.of("row 29"));
        assertThat(Cli.targetOnly("status", PG.target(), db).out()).contains(": lost the connection to the target: ");

        PG.target().execute(db, "DROP TRIGGER stall ON metrics");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        Fixtures.assertCopied(PG.pair(), db, "metrics");
        ok(Cli.both("verify", PG.source(), PG.target(), db));
    }

    @Test
    void aStopRequestBeforeAClaimLeavesTheRemainingTasksPending() {
        String db = PG.pair().freshDatabase("stopped");
        Fixtures.metrics(PG.pair(), db, "metrics");
        Fixtures.stage(PG.pair(), db, "--table", "metrics:t");
        TandemBackfill app = new TandemBackfill();
        app.stopRequested().set(true);
        java.io.StringWriter out = new java.io.StringWriter();
        picocli.CommandLine cli = new picocli.CommandLine(app);
        cli.setOut(new java.io.PrintWriter(out, true));
        java.util.List<String> args = new java.util.ArrayList<>(List.of("copy"));
        args.addAll(Cli.connection(PG.source(), PG.target(), db));
        // not a success: 'copy && verify' stops here instead of verifying ranges no task copied
        assertThat(cli.execute(args.toArray(String[]::new))).isEqualTo(ExitCodes.FAILURE);
        assertThat(out.toString()).contains("copied 0 tasks").contains("stopped on request");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.backfill_task WHERE state = 'pending'"))
                .isEqualTo("4");
    }

    @Test
    void aStopRequestEndsTheWaitForALaggingMirror() throws Exception {
        String db = PG.pair().freshDatabase("stopwait");
        Fixtures.metrics(PG.pair(), db, "metrics");
        Fixtures.stage(PG.pair(), db, "--table", "metrics:t");
        PG.target().execute(db, "INSERT INTO tandem.mirror_progress VALUES"
                + " ('lagging', 1, 0, 0, now() - interval '1 hour', now() - interval '1 hour')");
        TandemBackfill app = new TandemBackfill();
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cli = new picocli.CommandLine(app);
        cli.setOut(new java.io.PrintWriter(new java.io.StringWriter(), true));
        cli.setErr(new java.io.PrintWriter(err, true));
        java.util.List<String> args = new java.util.ArrayList<>(List.of("copy", "--mirror-wait", "10 min"));
        args.addAll(Cli.connection(PG.source(), PG.target(), db));
        CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> cli.execute(args.toArray(String[]::new)));
        // a long wait is announced, so that the command does not look hung
        for (int i = 0; i < 600 && !err.toString().contains("up to 600 s (--mirror-wait)"); i++) {
            TimeUnit.MILLISECONDS.sleep(100);
        }
        assertThat(err.toString()).contains("waiting for the mirror of proxy instance 'lagging'")
                .contains("up to 600 s (--mirror-wait)");
        app.stopRequested().set(true); // Ctrl-C
        assertThat(run.get(60, TimeUnit.SECONDS)).isEqualTo(ExitCodes.FAILURE);
        assertThat(err.toString()).contains("stopped on request while waiting for the mirror of proxy instance 'lagging'");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.backfill_task WHERE state = 'pending'"))
                .isEqualTo("4");
    }

    @Test
    void twoCopyProcessesShareOnePlanAndCopyEachTaskOnce() throws Exception {
        String db = PG.pair().freshDatabase("shared");
        Fixtures.metrics(PG.pair(), db, "metrics");
        Fixtures.stage(PG.pair(), db, "--table", "metrics:t", "--slice", "1h");

        CompletableFuture<Cli.Run> a = CompletableFuture.supplyAsync(
                () -> Cli.both("copy", PG.source(), PG.target(), db, "--parallelism", "2"));
        CompletableFuture<Cli.Run> b = CompletableFuture.supplyAsync(
                () -> Cli.both("copy", PG.source(), PG.target(), db, "--parallelism", "2"));
        ok(a.get(120, TimeUnit.SECONDS));
        ok(b.get(120, TimeUnit.SECONDS));

        Fixtures.assertCopied(PG.pair(), db, "metrics");
        try (Connection c = PG.target().connect(db); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*), count(*) FILTER (WHERE state = 'done' AND copies = 1) "
                     + "FROM tandem.backfill_task")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(96);
            assertThat(rs.getInt(2)).isEqualTo(96);
        }
    }

    @Test
    void aTaskHeldByAnotherSessionIsLeftPendingAndSaidSo() throws Exception {
        String db = PG.pair().freshDatabase("held");
        Fixtures.metrics(PG.pair(), db, "metrics");
        Fixtures.stage(PG.pair(), db, "--table", "metrics:t");
        // what a copy process that died unnoticed (or one still at work elsewhere) leaves: its task's row locked
        try (java.sql.Connection holder = PG.target().connect(db)) {
            holder.setAutoCommit(false);
            holder.createStatement().execute("SELECT 1 FROM tandem.backfill_task WHERE id = (SELECT min(id)"
                    + " FROM tandem.backfill_task) FOR UPDATE");
            Cli.Run first = ok(Cli.both("copy", PG.source(), PG.target(), db));
            assertThat(first.out()).contains("copied 3 tasks")
                    .contains("1 task still pending, held by another copy run or by a connection the target"
                            + " still thinks is open");
            holder.rollback();
        }
        Cli.Run second = ok(Cli.both("copy", PG.source(), PG.target(), db));
        assertThat(second.out()).contains("copied 1 task,").doesNotContain("still pending");
        Fixtures.assertCopied(PG.pair(), db, "metrics");
    }
}
