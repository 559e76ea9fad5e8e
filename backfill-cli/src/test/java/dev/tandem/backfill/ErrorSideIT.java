package dev.tandem.backfill;

import static dev.tandem.backfill.Fixtures.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.PgServer;
import dev.tandem.testing.PostgresPairExtension;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A database error says which server raised it, source or target, on stderr and in what status shows. */
class ErrorSideIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    /** A role that may log in to both servers but read or create nothing of its own. */
    private static final String ROLE = "error_side_reader";

    @BeforeAll
    static void role() {
        for (PgServer server : new PgServer[] {PG.source(), PG.target()}) {
            server.execute("postgres", "DROP ROLE IF EXISTS " + ROLE + "; CREATE ROLE " + ROLE + " LOGIN");
        }
    }

    private static String url(PgServer server, String user, String db) {
        return "postgres://" + user + "@" + server.host() + ":" + server.port() + "/" + db;
    }

    @Test
    void rowsTheTargetRefusesFailTheirTaskNamingTheTarget() {
        String db = PG.pair().freshDatabase("targetrefuses");
        Fixtures.metrics(PG.pair(), db, "metrics");
        // on the target only: the rows of the last two days break it (v is a tenth of the hour's number)
        PG.target().execute(db, "ALTER TABLE metrics ADD CONSTRAINT small_v CHECK (v < 5)");
        Fixtures.stage(PG.pair(), db, "--table", "metrics:t");

        Cli.Run copy = Cli.both("copy", PG.source(), PG.target(), db);
        assertThat(copy.exitCode()).as(copy.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(copy.err()).containsPattern("task \\d+ public\\.metrics \\[.*\\) failed: the target refused: ERROR: new"
                        + " row for relation \"metrics\" violates check constraint \"small_v\"")
                .contains("(SQLSTATE 23514)").doesNotContain("the source");
        assertThat(ok(Cli.targetOnly("status", PG.target(), db)).out())
                .containsPattern("failed task \\d+ public\\.metrics: the target refused: ERROR: new row for relation"
                        + " \"metrics\" violates check constraint \"small_v\"")
                .contains("(SQLSTATE 23514)");
    }

    @Test
    void aSourceThatRefusesTheReadIsNamedByCopyAndVerify() throws Exception {
        String db = PG.pair().freshDatabase("sourcerefuses");
        Fixtures.metrics(PG.pair(), db, "metrics");
        Fixtures.stage(PG.pair(), db, "--table", "metrics:t");
        String[] asReader = {"--source", url(PG.source(), ROLE, db), "--target", url(PG.target(), PG.target().user(), db)};

        // a source that refused the COPY itself once left the copy waiting for its rows forever
        Cli.Run copy = CompletableFuture.supplyAsync(() -> Cli.run(join("copy", asReader))).get(120, TimeUnit.SECONDS);
        assertThat(copy.exitCode()).as(copy.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(copy.err()).containsPattern("task \\d+ public\\.metrics \\[.*\\) failed: the source refused: ERROR:"
                + " permission denied for table metrics \\(SQLSTATE 42501\\)");
        assertThat(ok(Cli.targetOnly("status", PG.target(), db)).out())
                .contains(": the source refused: ERROR: permission denied for table metrics (SQLSTATE 42501)");

        ok(Cli.both("copy", PG.source(), PG.target(), db));
        Cli.Run verify = Cli.run(join("verify", asReader));
        assertThat(verify.exitCode()).as(verify.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(verify.err())
                .contains("error: the source refused: ERROR: permission denied for table metrics (SQLSTATE 42501)");

        // the staged table dropped on the source: said before any statement reads it
        PG.source().execute(db, "DROP TABLE metrics");
        Cli.Run dropped = Cli.both("verify", PG.source(), PG.target(), db);
        assertThat(dropped.exitCode()).as(dropped.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(dropped.err()).contains("error: table public.metrics does not exist on the source");
    }

    @Test
    void stageNamesTheSideThatLacksTheTableOrRefuses() {
        String db = PG.pair().freshDatabase("stagesides");
        Fixtures.metrics(PG.pair(), db, "metrics");
        PG.source().execute(db, "CREATE TABLE source_only (t timestamptz NOT NULL)");
        PG.target().execute(db, "CREATE TABLE target_only (t timestamptz NOT NULL)");

        Cli.Run noTarget = Cli.both("stage", PG.source(), PG.target(), db, "--until", Fixtures.T,
                "--table", "source_only:t");
        assertThat(noTarget.exitCode()).as(noTarget.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(noTarget.err()).contains("table does not exist on the target");
        Cli.Run noSource = Cli.both("stage", PG.source(), PG.target(), db, "--until", Fixtures.T,
                "--table", "target_only:t");
        assertThat(noSource.exitCode()).as(noSource.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(noSource.err()).contains("table does not exist on the source");

        Cli.Run unreadable = Cli.run("stage", "--source", url(PG.source(), ROLE, db),
                "--target", url(PG.target(), PG.target().user(), db), "--until", Fixtures.T, "--table", "metrics:t");
        assertThat(unreadable.exitCode()).as(unreadable.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(unreadable.err())
                .contains("error: the source refused: ERROR: permission denied for table metrics (SQLSTATE 42501)");

        Cli.Run unwritable = Cli.run("stage", "--source", url(PG.source(), PG.source().user(), db),
                "--target", url(PG.target(), ROLE, db), "--until", Fixtures.T, "--table", "metrics:t");
        assertThat(unwritable.exitCode()).as(unwritable.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(unwritable.err()).contains("error: the target refused: ERROR: permission denied for ")
                .contains("(SQLSTATE 42501)");
    }

    private static String[] join(String command, String[] args) {
        String[] all = new String[args.length + 1];
        all[0] = command;
        System.arraycopy(args, 0, all, 1, args.length);
        return all;
    }
}
