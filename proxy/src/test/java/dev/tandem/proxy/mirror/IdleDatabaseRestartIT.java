package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.PostgresPairExtension;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A target database that receives nothing while the others fill and free spool segments, over restarts on the same
 * spool: the epoch its progress names is forgotten once its records are deleted, and that is not a regression of
 * the target (walkthrough: every restart logged "target database a no longer has transactions this proxy applied
 * there: its progress ... is at spool sequence 121, but sequence 121 was applied" for a database idle since).
 */
class IdleDatabaseRestartIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static final String[] FLAGS = {"--mirror-table", "public.t",
            "--set", "mirror.spool.segment-bytes=64KiB", "--set", "mirror.spool.max-bytes=4MiB"};

    @TempDir
    Path spool;

    @Test
    void aDatabaseIdleWhileItsSegmentsAreDeletedIsNotReportedAsRegressedAfterRestarts() throws Exception {
        String idle = PG.pair().freshDatabase("idle_db");
        String busy = PG.pair().freshDatabase("busy_db");
        PG.pair().executeOnBoth(idle, "CREATE TABLE t (id int, v text)");
        PG.pair().executeOnBoth(busy, "CREATE TABLE t (id int, v text)");

        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), idle, spool, FLAGS)) {
            insert(proxy, idle, 1, 1);
            proxy.awaitCaughtUp(Duration.ofSeconds(60));
        }
        // two runs filling several segments each: the idle database's records and then its epoch are gone
        for (int run = 0; run < 2; run++) {
            try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), busy, spool, FLAGS)) {
                insert(proxy, busy, run * 1000 + 1, run * 1000 + 1000);
                proxy.awaitCaughtUp(Duration.ofSeconds(60));
            }
        }
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), idle, spool, FLAGS)) {
            List<String> logged = dev.tandem.proxy.LoggedWarnings.andErrorsOf(MirrorApplier.class, () -> {
                try {
                    insert(proxy, idle, 2, 2);
                    proxy.awaitCaughtUp(Duration.ofSeconds(60));
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            assertThat(logged).noneMatch(line -> line.contains("no longer has transactions this proxy applied"));
            assertThat(proxy.app.registry().get("tandem.mirror.target.regressions").counter().count()).isZero();
            proxy.assertIdentical("t");
        }
        assertThat(RunningMirrorProxy.contents(PG.target(), busy, "t"))
                .isEqualTo(RunningMirrorProxy.contents(PG.source(), busy, "t"));
    }

    /** One autocommit INSERT per id into {@code database}, through the proxy. */
    private static void insert(RunningMirrorProxy proxy, String database, int from, int to) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:"
                        + proxy.app.relayAddress().getPort() + "/" + database, PG.source().user(),
                PG.source().password());
             PreparedStatement insert = c.prepareStatement("INSERT INTO t VALUES (?, 'row of a size to fill the"
                     + " spool segments a little faster than a bare id would')")) {
            for (int id = from; id <= to; id++) {
                insert.setInt(1, id);
                insert.executeUpdate();
            }
        }
    }
}
