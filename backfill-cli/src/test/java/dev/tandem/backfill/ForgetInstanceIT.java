package dev.tandem.backfill;

import static dev.tandem.backfill.Fixtures.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.PostgresPairExtension;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * forget-instance: a proxy lost with its spool stops holding copy up, the window it may have lost is ledgered for the
 * tables of the plan, and a proxy still applying (its applier connection holds the instance's lock) is refused.
 */
class ForgetInstanceIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    @Test
    void aLostInstanceIsMarkedAndItsWindowLedgeredAndARunningOneIsRefused() throws Exception {
        String db = PG.pair().freshDatabase("forget");
        Fixtures.metrics(PG.pair(), db, "metrics");
        Fixtures.stage(PG.pair(), db, "--table", "public.metrics:t");
        // what two proxies leave on the target: 'lost' was killed an hour after it had caught up (its host and spool
        // are gone), 'live' is running and behind, its applier connection holding the instance's lock
        PG.target().execute(db, "INSERT INTO tandem.mirror_progress VALUES"
                + " ('lost', 7, 0, 4096, now() - interval '1 hour', '2026-01-04 23:00:00+00'),"
                + " ('live', 3, 0, 512, now(), now() - interval '1 hour')");
        try (Connection applier = DriverManager.getConnection(PG.target().jdbcUrl(db) + "?user=" + PG.target().user());
             Statement s = applier.createStatement()) {
            s.execute("SELECT pg_advisory_lock(hashtext('tandem.mirror'), hashtext('live'))");

            Cli.Run waited = Cli.both("copy", PG.source(), PG.target(), db, "--mirror-wait", "1 s");
            assertThat(waited.exitCode()).as(waited.toString()).isEqualTo(ExitCodes.FAILURE);
            assertThat(waited.err()).contains("tandem-backfill forget-instance");

            Cli.Run refused = Cli.targetOnly("forget-instance", PG.target(), db, "live");
            assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(ExitCodes.FAILURE);
            assertThat(refused.err()).contains("proxy instance 'live' is running")
                    .contains("holds its applier lock").contains("nothing was changed");
            assertThat(PG.target().queryValue(db, "SELECT stopped_at IS NULL FROM tandem.mirror_progress"
                    + " WHERE instance_id = 'live'")).isEqualTo("t");
        }

        Cli.Run unknown = Cli.targetOnly("forget-instance", PG.target(), db, "nosuch");
        assertThat(unknown.exitCode()).as(unknown.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(unknown.err()).contains("no proxy instance 'nosuch' is listed in tandem.mirror_progress")
                .contains("live, lost");

        Cli.Run forgot = ok(Cli.targetOnly("forget-instance", PG.target(), db, "lost"));
        assertThat(forgot.out()).contains("proxy instance 'lost'")
                .contains("from 2026-01-04 23:00:00+00").contains("public.metrics");
        // its position stays: should the instance come back on its spool after all, it applies nothing twice
        assertThat(PG.target().query(db, "SELECT sequence, next_offset, stopped_at IS NOT NULL,"
                + " caught_up_to = '2026-01-04 23:00:00+00' FROM tandem.mirror_progress WHERE instance_id = 'lost'"))
                .containsExactly(List.of("7", "4096", "t", "t"));
        assertThat(PG.target().query(db, "SELECT instance_id, table_schema, table_name, recorded_at"
                + " = '2026-01-04 23:00:00+00', recorded_until > now() - interval '1 minute', repaired_at IS NULL"
                + " FROM tandem.divergence"))
                .containsExactly(List.of("lost", "public", "metrics", "t", "t", "t"));
        assertThat(PG.target().queryValue(db, "SELECT message FROM tandem.divergence"))
                .contains("lost with the spool of proxy instance 'lost'");
        assertThat(ok(Cli.targetOnly("status", PG.target(), db)).out()).contains("public.metrics, without a time range")
                .contains("proxy lost: forgotten at").contains("it had caught up to 2026-01-04 23:00:00+00");

        Cli.Run again = Cli.targetOnly("forget-instance", PG.target(), db, "lost");
        assertThat(again.exitCode()).as(again.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(again.err()).contains("already marked stopped");

        // copy waits for the live one only, which catches up
        PG.target().execute(db, "UPDATE tandem.mirror_progress SET caught_up_to = now() + interval '1 hour'"
                + " WHERE instance_id = 'live'");
        assertThat(ok(Cli.both("copy", PG.source(), PG.target(), db, "--mirror-wait", "5 s")).err())
                .containsPattern("not waited for proxy instance lost \\(forgotten at [^)]+\\), marked stopped");
        Fixtures.assertCopied(PG.pair(), db, "metrics");
    }

    @Test
    void withoutAPlanTheWindowIsLedgeredUnderNoTable() {
        String db = PG.pair().freshDatabase("forgetnoplan");
        PG.target().execute(db, dev.tandem.protocol.state.TandemSchema.ddl());
        PG.target().execute(db, "INSERT INTO tandem.mirror_progress VALUES ('lost', 0, 0, 0, now(), NULL)");

        Cli.Run forgot = ok(Cli.targetOnly("forget-instance", PG.target(), db, "lost"));
        assertThat(forgot.out()).contains("no plan is staged");
        assertThat(PG.target().query(db, "SELECT table_name IS NULL, recorded_at <= now(), recorded_until IS NOT NULL"
                + " FROM tandem.divergence WHERE instance_id = 'lost'")).containsExactly(List.of("t", "t", "t"));
    }
}
