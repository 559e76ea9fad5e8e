package dev.tandem.proxy.demo;

import dev.tandem.proxy.ProxyApplication;
import dev.tandem.proxy.config.ProxyOptions;
import dev.tandem.proxy.relay.Transport;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;

/**
 * The demo behind the README's first command, the whole migration in miniature on embedded PostgreSQL: a source
 * with history, the proxy dual-writing a live workload, the operator's dual-write mark, the backfill up to that mark,
 * verification, and a report.
 */
public final class Demo implements AutoCloseable {

    static final String TABLE_DDL = "CREATE TABLE metrics (time timestamptz NOT NULL, device int NOT NULL, "
            + "value double precision, PRIMARY KEY (time, device))";

    private final PrintStream out;
    private DemoDatabases databases;
    private ProxyApplication proxy;
    private Path spool;

    public Demo(PrintStream out) {
        this.out = out;
    }

    /** What the demo did, for the report and for tests. */
    public record Report(String connectionString, long sourceRows, long targetRows, long workloadRows,
                         int backfillVerifyExit, String metricsUrl) {
    }

    public Report run(int preferredPort, int historyDays, int workloadRows) throws Exception {
        step("1. Starting embedded source and target PostgreSQL");
        databases = DemoDatabases.start();
        try (Connection s = databases.source(); Connection t = databases.target();
             Statement ss = s.createStatement(); Statement ts = t.createStatement()) {
            ss.execute(TABLE_DDL);
            ts.execute(TABLE_DDL); // the schema clone (pg_dump --schema-only in a real migration)
            ss.execute("INSERT INTO metrics SELECT g, d, round((random() * 100)::numeric, 2) FROM generate_series("
                    + "now() - interval '" + historyDays + " days', now() - interval '1 hour', interval '1 minute') g,"
                    + " generate_series(1, 3) d");
        }
        out.println("   source has " + count(databases.source()) + " historical rows in public.metrics; target has none");

        step("2. Starting the Tandem proxy in front of the source, mirroring public.metrics to the target");
        String token = UUID.randomUUID().toString();
        spool = Files.createTempDirectory("tandem-demo-spool-");
        ProxyOptions options = new ProxyOptions();
        new CommandLine(options).parseArgs(
                "--listen", "127.0.0.1:" + freePortOr(preferredPort),
                "--source", "127.0.0.1:" + databases.sourcePort(), "--source-tls", "disable",
                "--target", "127.0.0.1:" + databases.targetPort(), "--target-user", "postgres", "--target-tls", "disable",
                "--mirror-table", "public.metrics", "--spool-dir", spool.toString(),
                "--admin-listen", "127.0.0.1:" + freePortOr(9187));
        proxy = new ProxyApplication(options.load(Map.of("TANDEM_ADMIN_TOKEN", token))).start(Transport.choose("auto"));
        int port = proxy.relayAddress().getPort();
        String url = "postgresql://postgres@127.0.0.1:" + port + "/" + DemoDatabases.DATABASE;
        String metrics = "http://127.0.0.1:" + proxy.adminPort() + "/metrics";

        step("3. All writers are on the proxy: marking the dual-write start (POST /dual-write/mark)");
        String mark = post("http://127.0.0.1:" + proxy.adminPort() + "/dual-write/mark", token,
                "{\"database\":\"" + DemoDatabases.DATABASE + "\"}");
        out.println("   " + mark);
        Thread.sleep(1100); // the backfill refuses a mark younger than its --max-lateness

        step("4. The application writes " + workloadRows + " rows through the proxy (mirrored as they commit)");
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/"
                + DemoDatabases.DATABASE, "postgres", "");
             PreparedStatement insert = c.prepareStatement("INSERT INTO metrics VALUES (?, ?, ?)")) {
            Instant start = Instant.now();
            for (int i = 0; i < workloadRows; i++) {
                insert.setObject(1, OffsetDateTime.ofInstant(start.plusMillis(i), ZoneOffset.UTC));
                insert.setInt(2, 1 + i % 3);
                insert.setDouble(3, i);
                insert.executeUpdate();
            }
        }
        awaitMirror();
        out.println("   target now has the " + count(databases.target()) + " dual-written rows");

        step("5. Backfilling the history up to the dual-write start, then verifying it and the dual-write window");
        BackfillRunner backfill = BackfillRunner.locate(out);
        String source = "jdbc:postgresql://127.0.0.1:" + databases.sourcePort() + "/" + DemoDatabases.DATABASE
                + "?user=postgres";
        String target = "jdbc:postgresql://127.0.0.1:" + databases.targetPort() + "/" + DemoDatabases.DATABASE
                + "?user=postgres";
        int staged = backfill.run("stage", "--source", source, "--target", target, "--table", "public.metrics:time",
                "--until", "dual-write-start", "--max-lateness", "1s");
        int copied = staged == 0 ? backfill.run("copy", "--source", source, "--target", target, "--parallelism", "2") : staged;
        // the workload is over (its rows are dated before now): its dual-write window must match too
        int verified = copied == 0 ? backfill.run("verify", "--source", source, "--target", target, "--through", "now")
                : copied;

        Report report = new Report(url, count(databases.source()), count(databases.target()), workloadRows, verified,
                metrics);
        out.println();
        out.println("Tandem demo " + (verified == 0 ? "finished: source and target agree." : "found a problem (see above)."));
        out.println("  rows in public.metrics : source " + report.sourceRows() + ", target " + report.targetRows());
        out.println("  mirror lag             : " + (proxy.mirrorCaughtUp() ? "0 (caught up)" : "catching up"));
        out.println("  backfill verify        : " + (verified == 0 ? "every range matches (exit 0)" : "exit " + verified));
        return report;
    }

    /**
     * Where the running demo can be reached, printed only when it goes on serving: after {@code --exit-when-done} the
     * proxy and its admin endpoint are gone, and addresses printed then would send the reader to closed ports.
     */
    public void printHowToConnect(Report report) {
        out.println("  metrics                : " + report.metricsUrl());
        out.println("  status                 : " + report.metricsUrl().replace("/metrics", "/status"));
        out.println();
        out.println("Point an application at the proxy:");
        out.println("  psql \"" + report.connectionString() + "\"");
    }

    private void step(String text) {
        out.println();
        out.println(text);
    }

    private void awaitMirror() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!proxy.mirrorCaughtUp() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    private static String post(String url, String token, String body) throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("POST " + url + " answered " + response.statusCode() + ": " + response.body());
        }
        return response.body().replaceAll("\\s+", " ");
    }

    private static long count(Connection c) throws SQLException {
        try (c; Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM metrics")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The preferred port if free (so printed addresses are familiar), else any free port. */
    private static int freePortOr(int preferred) {
        try (ServerSocket probe = new ServerSocket(preferred, 1, InetAddress.getLoopbackAddress())) {
            return preferred;
        } catch (IOException e) {
            return 0;
        }
    }

    /** Serves until the JVM is asked to stop (Ctrl-C). */
    public void awaitShutdown() throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            close();
            stop.countDown();
        }, "tandem-demo-shutdown"));
        out.println();
        out.println("Press Ctrl-C to stop.");
        stop.await();
    }

    @Override
    public void close() {
        if (proxy != null) {
            proxy.close();
            proxy = null;
        }
        if (databases != null) {
            try {
                databases.close();
            } catch (IOException e) {
                out.println("could not stop the embedded databases cleanly: " + e.getMessage());
            }
            databases = null;
        }
        if (spool != null) {
            try (var files = Files.walk(spool)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // a leftover temp directory is harmless
            }
            spool = null;
        }
    }
}
