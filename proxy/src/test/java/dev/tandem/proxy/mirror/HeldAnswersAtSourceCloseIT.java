package dev.tandem.proxy.mirror;

import static dev.tandem.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.proxy.relay.WireClient;
import dev.tandem.testing.PostgresPairExtension;
import io.micrometer.core.instrument.Counter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * In sync mode the source's answers wait in the proxy behind a commit's ReadyForQuery until the target committed. A
 * pipelining client (postgres.js, pgbench pipelines, pgjdbc batches) has more commits in flight behind it; when the
 * source closes the connection meanwhile, because the client left or sent Terminate, the answers it sent before
 * closing are still in the proxy, unread by the capture. They say those commits happened: they must be mirrored (and,
 * when the client is still there, relayed to it), not ledgered as outcome_unknown nor dropped. The target is stopped
 * to hold the first commit for as long as the test needs.
 */
class HeldAnswersAtSourceCloseIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static String freshDatabase(String name) {
        String db = PG.pair().freshDatabase(name);
        PG.pair().executeOnBoth(db, "CREATE TABLE m (id int PRIMARY KEY, pad text)");
        return db;
    }

    private static byte[] threeCommits() {
        return WireClient.concat(WireClient.query("INSERT INTO m (id) VALUES (1)"),
                WireClient.query("INSERT INTO m (id) VALUES (2)"), WireClient.query("INSERT INTO m (id) VALUES (3)"));
    }

    /** The source committed all three rows and its backend for the session is gone. */
    private static void awaitSourceDone(String db) throws InterruptedException {
        eventually("the source committed the three rows and ended the session", () ->
                "3".equals(PG.source().queryValue(db, "SELECT count(*) FROM m"))
                        && "0".equals(PG.source().queryValue(db, "SELECT count(*) FROM pg_stat_activity"
                        + " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        + " AND backend_type = 'client backend'")));
    }

    private static void assertMirroredWithoutLedger(RunningMirrorProxy proxy, String db) throws Exception {
        // each commit is read only once the one before it is applied: the spool is caught up after each of them
        eventually("the target has the three rows", () -> "3".equals(PG.target().queryValue(db,
                "SELECT count(*) FROM m")));
        proxy.awaitCaughtUp(Duration.ofSeconds(60));
        proxy.assertIdentical("m");
        assertThat(proxy.app.registry().find("tandem.ledger.entries").counters().stream().mapToDouble(Counter::count)
                .sum()).as("divergence ledger entries").isZero();
    }

    @Test
    void commitsAnsweredBehindAHeldOneAreMirroredWhenTheClientLeaves(@TempDir Path spool) throws Exception {
        String db = freshDatabase("held_client_left");
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, "--mirror-table", "public.m",
                "--mirror-mode", "sync", "--set", "mirror.sync-timeout=120s")) {
            PG.target().stop();
            try {
                try (WireClient client = new WireClient(proxy.app.relayAddress().getPort())) {
                    client.login("postgres", db);
                    client.send(threeCommits());
                }
                awaitSourceDone(db);
            } finally {
                PG.target().start();
            }
            assertMirroredWithoutLedger(proxy, db);
        }
    }

    @Test
    void commitsAnsweredBeforeTerminateReachTheClientAndTheTarget(@TempDir Path spool) throws Exception {
        String db = freshDatabase("held_terminate");
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, "--mirror-table", "public.m",
                "--mirror-mode", "sync", "--set", "mirror.sync-timeout=120s")) {
            PG.target().stop();
            try (WireClient client = new WireClient(proxy.app.relayAddress().getPort())) {
                try {
                    client.login("postgres", db);
                    client.send(WireClient.concat(threeCommits(), WireClient.frame('X', new byte[0])));
                    awaitSourceDone(db);
                } finally {
                    PG.target().start();
                }
                for (int i = 1; i <= 3; i++) {
                    List<WireClient.Message> answer = client.readUntilReady();
                    assertThat(answer).as("answer to INSERT %d", i).extracting(WireClient.Message::type)
                            .containsExactly('C', 'Z');
                }
            }
            assertMirroredWithoutLedger(proxy, db);
        }
    }
}
