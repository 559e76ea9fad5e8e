package dev.tandem.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.proxy.config.ProxyOptions;
import dev.tandem.proxy.mirror.MirrorApplier;
import dev.tandem.proxy.demo.BackfillRunner;
import dev.tandem.proxy.relay.Transport;
import dev.tandem.testing.PostgresPairExtension;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Several proxies behind a load balancer, each with its own instance-id and spool, and one of them lost for good with
 * its spool while it held transactions the target had not applied: the backfill waits for it until told to forget it
 * ({@code tandem-backfill forget-instance}), which a running instance refuses, and the window it may have lost is in
 * the ledger. The other is then retired with a clean stop and started again.
 */
class LostProxyIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static final String ADMIN_TOKEN = "lost-proxy-token";

    @TempDir
    Path spools;

    private ProxyApplication start(String instanceId, Path spool) throws Exception {
        List<String> args = new ArrayList<>(List.of("--listen", "127.0.0.1:0",
                "--source", "127.0.0.1:" + PG.source().port(), "--source-tls", "disable",
                "--target", "127.0.0.1:" + PG.target().port(), "--target-user", PG.target().user(),
                "--target-tls", "disable", "--spool-dir", spool.toString(), "--admin-listen", "127.0.0.1:0",
                "--instance-id", instanceId, "--mirror-table", "public.g", "--set", "verifier.enabled=false",
                "--set", "shutdown.mirror-drain=10s",
                "--set", "mirror.retry.min-backoff=50ms", "--set", "mirror.retry.max-backoff=500ms"));
        ProxyOptions options = new ProxyOptions();
        new CommandLine(options).parseArgs(args.toArray(String[]::new));
        return new ProxyApplication(options.load(Map.of("TANDEM_ADMIN_TOKEN", ADMIN_TOKEN)))
                .start(Transport.choose("auto"));
    }

    private static void pause(ProxyApplication proxy) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + proxy.adminPort() + "/mirror/pause"))
                .header("Authorization", "Bearer " + ADMIN_TOKEN).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    /** Rows {@code from} to {@code to} through the proxy, one transaction each. */
    private static void write(ProxyApplication proxy, String db, int from, int to) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:"
                + proxy.relayAddress().getPort() + "/" + db, PG.source().user(), PG.source().password());
             PreparedStatement ps = c.prepareStatement("INSERT INTO g (id, ts, pad) VALUES (?, now(), 'proxy')")) {
            for (int i = from; i <= to; i++) {
                ps.setInt(1, i);
                ps.executeUpdate();
            }
        }
    }

    private static void awaitCaughtUp(ProxyApplication proxy) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!proxy.mirrorCaughtUp()) {
            assertThat(System.nanoTime()).as("the mirror caught up within 60 s").isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private record Run(int exit, String output) {
    }

    private static Run backfill(String db, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(args));
        if (!List.of("status", "forget-instance", "settle").contains(args[0])) {
            command.addAll(List.of("--source", PG.source().jdbcUrl(db) + "?user=" + PG.source().user()));
        }
        command.addAll(List.of("--target", PG.target().jdbcUrl(db) + "?user=" + PG.target().user()));
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        int exit = BackfillRunner.locate(new PrintStream(output, true, StandardCharsets.UTF_8))
                .run(command.toArray(String[]::new));
        return new Run(exit, output.toString(StandardCharsets.UTF_8));
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }

    private static String stopped(String db, String instanceId) {
        return PG.target().queryValue(db, "SELECT stopped_at IS NOT NULL FROM tandem.mirror_progress"
                + " WHERE instance_id = '" + instanceId + "'");
    }

    @Test
    void aProxyLostWithItsSpoolIsForgottenWithItsWindowLedgeredAndTheOtherRetiresCleanly() throws Exception {
        String db = PG.pair().freshDatabase("lost_proxy");
        PG.pair().executeOnBoth(db, "CREATE TABLE g (id int PRIMARY KEY, ts timestamptz NOT NULL, pad text)");
        PG.source().execute(db, "INSERT INTO g SELECT -i, '2024-06-01 00:00:00+00'::timestamptz + i * interval"
                + " '1 hour', 'history' FROM generate_series(1, 100) i");
        Path spoolA = Files.createDirectories(spools.resolve("a"));
        Path spoolB = Files.createDirectories(spools.resolve("b"));
        ProxyApplication a = start("proxy-a", spoolA);
        ProxyApplication b = start("proxy-b", spoolB);
        try {
            write(a, db, 1, 10);
            write(b, db, 11, 20);
            awaitCaughtUp(a);
            awaitCaughtUp(b);
            // A's mirror holds back (paused, as if the target were slow for it), then its host is lost with the spool:
            // the target's state is that of a kill -9, its row unmarked and behind
            pause(a);
            String before = PG.target().queryValue(db, "SELECT now()::text");
            write(a, db, 21, 30);
            a.close();
            a = null;
            delete(spoolA);
            String after = PG.target().queryValue(db, "SELECT now()::text");
            write(b, db, 31, 40);
            awaitCaughtUp(b);
            assertThat(PG.target().queryValue(db, "SELECT count(*) FROM g WHERE id BETWEEN 21 AND 30"))
                    .as("lost with A's spool").isEqualTo("0");
            assertThat(stopped(db, "proxy-a")).isEqualTo("f");

            assertThat(backfill(db, "stage", "--table", "public.g:ts", "--until", "2025-01-01 00:00:00+00"))
                    .satisfies(r -> assertThat(r.exit()).as(r.output()).isZero());
            Run waited = backfill(db, "copy", "--mirror-wait", "1 s");
            assertThat(waited.exit()).as(waited.output()).isEqualTo(1);
            assertThat(waited.output()).contains("proxy instance 'proxy-a'", "tandem-backfill forget-instance")
                    .doesNotContain("'proxy-b' (");

            // B is running: its applier connection holds the instance's lock on the target
            Run refused = backfill(db, "forget-instance", "proxy-b");
            assertThat(refused.exit()).as(refused.output()).isEqualTo(1);
            assertThat(refused.output()).contains("proxy instance 'proxy-b' is running", "nothing was changed");
            assertThat(stopped(db, "proxy-b")).isEqualTo("f");

            Run forgot = backfill(db, "forget-instance", "proxy-a");
            assertThat(forgot.exit()).as(forgot.output()).isZero();
            assertThat(forgot.output()).contains("forgot proxy instance 'proxy-a'", "public.g");
            assertThat(PG.target().queryValue(db, "SELECT recorded_at <= '" + before + "' AND recorded_until >= '"
                    + after + "' FROM tandem.divergence WHERE instance_id = 'proxy-a' AND table_name = 'g'"))
                    .as("the ledgered window holds the commits lost with the spool").isEqualTo("t");
            Run copied = backfill(db, "copy", "--mirror-wait", "5 s");
            assertThat(copied.exit()).as(copied.output()).isZero();
            assertThat(copied.output()).contains("proxy-b");
            Run status = backfill(db, "status");
            assertThat(status.output()).contains("proxy proxy-a: forgotten at", "public.g, without a time range");

            // B retired cleanly while nothing else runs: marked, and not waited for
            b.close();
            b = null;
            assertThat(stopped(db, "proxy-b")).isEqualTo("t");
            Run verify = backfill(db, "verify", "--mirror-wait", "1 s");
            assertThat(verify.exit()).as(verify.output()).isZero();
            // started again later on its spool: waited for again, its mark cleared before it relays
            b = start("proxy-b", spoolB);
            assertThat(stopped(db, "proxy-b")).isEqualTo("f");
            write(b, db, 41, 45);
            awaitCaughtUp(b);
            b.close();
            b = null;
            assertThat(stopped(db, "proxy-b")).isEqualTo("t");
            assertThat(PG.target().queryValue(db, "SELECT count(*) FROM g WHERE id > 0")).isEqualTo("35");
        } finally {
            if (a != null) {
                a.close();
            }
            if (b != null) {
                b.close();
            }
        }
    }

    @Test
    void aSecondProxyStartedWithTheSameInstanceIdIsNotFoughtOverTheLockButNamedByTheFirst() throws Exception {
        String db = PG.pair().freshDatabase("same_id");
        PG.pair().executeOnBoth(db, "CREATE TABLE g (id int PRIMARY KEY, ts timestamptz NOT NULL, pad text)");
        ProxyApplication first = start("twin", Files.createDirectories(spools.resolve("first")));
        ProxyApplication second = null;
        try {
            write(first, db, 1, 5);
            awaitCaughtUp(first);
            // started by mistake with the same instance-id on another spool: it ends the first's applier connection,
            // as a restart ends a killed predecessor's
            second = start("twin", Files.createDirectories(spools.resolve("second")));
            write(second, db, 6, 10);
            awaitCaughtUp(second);
            ProxyApplication twin = second;
            List<String> firstSays = LoggedWarnings.andErrorsOf(MirrorApplier.class, () -> {
                try {
                    write(first, db, 11, 15);
                    write(twin, db, 16, 20);
                    awaitCaughtUp(twin);
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    while (PG.target().queryValue(db, "SELECT count(*) FROM pg_stat_activity WHERE datname = '" + db
                            + "' AND application_name LIKE 'tandem-mirror%'").equals("2")
                            && System.nanoTime() < deadline) {
                        Thread.sleep(50);
                    }
                    Thread.sleep(2000); // the first's retries, had it gone on ending the second's connection
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(firstSays).anySatisfy(w -> assertThat(w).contains("another proxy",
                    "with instance-id 'twin'", "started after this one", "Give each proxy its own instance-id"));
            // the second mirrors on undisturbed: all it relayed is applied, once, and nothing was ledgered
            assertThat(PG.target().queryValue(db, "SELECT count(*) FROM g WHERE id BETWEEN 6 AND 10 OR id > 15"))
                    .isEqualTo("10");
            assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence")).isEqualTo("0");
            assertThat(first.mirrorCaughtUp()).as("the first's rows since wait in its spool").isFalse();
        } finally {
            first.close();
            if (second != null) {
                second.close();
            }
        }
    }
}
