package dev.tandem.proxy.demo;

import dev.tandem.proxy.relay.ProxyServer;
import dev.tandem.proxy.relay.RelayMetrics;
import dev.tandem.proxy.relay.RelaySettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;

/**
 * The demo behind the README's first command: embedded source and target PostgreSQL, a time-series table with
 * history, the proxy in front of the source, and a small insert workload through it.
 */
public final class Demo implements AutoCloseable {

    static final String TABLE_DDL = "CREATE TABLE metrics (time timestamptz NOT NULL, device int NOT NULL, "
            + "value double precision, PRIMARY KEY (time, device))";

    private final PrintStream out;
    private DemoDatabases databases;
    private ProxyServer proxy;

    public Demo(PrintStream out) {
        this.out = out;
    }

    /** What the demo did, for the report and for tests. */
    public record Report(String connectionString, long sourceRows, long targetRows, long workloadRows) {
    }

    public Report run(int preferredPort, int historyDays, int workloadRows) throws IOException, SQLException,
            InterruptedException {
        out.println("Starting embedded source and target PostgreSQL ...");
        databases = DemoDatabases.start();
        try (Connection s = databases.source(); Connection t = databases.target();
             Statement ss = s.createStatement(); Statement ts = t.createStatement()) {
            ss.execute(TABLE_DDL);
            ts.execute(TABLE_DDL);
            ss.execute("INSERT INTO metrics SELECT g, d, random() * 100 FROM generate_series(now() - interval '"
                    + historyDays + " days', now() - interval '1 hour', interval '1 minute') g, generate_series(1, 3) d");
        }
        RelaySettings settings = RelaySettings.plain(new InetSocketAddress("127.0.0.1", choosePort(preferredPort)),
                new InetSocketAddress("127.0.0.1", databases.sourcePort()));
        proxy = new ProxyServer(settings, new RelayMetrics(new SimpleMeterRegistry())).start();
        String url = "postgresql://postgres@127.0.0.1:" + proxy.address().getPort() + "/" + DemoDatabases.DATABASE;

        out.println("Running " + workloadRows + " inserts through the proxy ...");
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + proxy.address().getPort()
                + "/" + DemoDatabases.DATABASE, "postgres", "");
             PreparedStatement insert = c.prepareStatement("INSERT INTO metrics VALUES (?, ?, ?)")) {
            Instant start = Instant.now();
            for (int i = 0; i < workloadRows; i++) {
                insert.setObject(1, java.time.OffsetDateTime.ofInstant(start.plusMillis(i), java.time.ZoneOffset.UTC));
                insert.setInt(2, 1 + i % 3);
                insert.setDouble(3, i);
                insert.executeUpdate();
            }
        }
        Report report = new Report(url, count(databases.source()), count(databases.target()), workloadRows);
        out.println();
        out.println("Tandem demo is running.");
        out.println("  source PostgreSQL : 127.0.0.1:" + databases.sourcePort());
        out.println("  target PostgreSQL : 127.0.0.1:" + databases.targetPort());
        out.println("  Tandem proxy      : 127.0.0.1:" + proxy.address().getPort() + " (relaying to the source)");
        out.println("  rows in metrics   : source " + report.sourceRows() + ", target " + report.targetRows());
        out.println();
        out.println("Point an application at the proxy:");
        out.println("  " + url);
        out.println("  psql \"" + url + "\"");
        return report;
    }

    private static long count(Connection c) throws SQLException {
        try (c; Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM metrics")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The preferred port if free (so the printed connection string is familiar), else any free port. */
    private static int choosePort(int preferred) {
        try (ServerSocket probe = new ServerSocket(preferred, 1, java.net.InetAddress.getLoopbackAddress())) {
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
            proxy.close(java.time.Duration.ofSeconds(2));
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
    }
}
