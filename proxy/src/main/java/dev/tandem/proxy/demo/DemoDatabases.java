package dev.tandem.proxy.demo;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The demo's source and target: two PostgreSQL servers from the embedded binaries on Maven Central, in throw-away
 * directories, so the demo needs nothing but a JDK.
 */
final class DemoDatabases implements AutoCloseable {

    static final String DATABASE = "demo";

    private final EmbeddedPostgres source;
    private final EmbeddedPostgres target;

    private DemoDatabases(EmbeddedPostgres source, EmbeddedPostgres target) {
        this.source = source;
        this.target = target;
    }

    static DemoDatabases start() throws IOException {
        EmbeddedPostgres source = start("source");
        try {
            EmbeddedPostgres target = start("target");
            DemoDatabases dbs = new DemoDatabases(source, target);
            dbs.createDatabase();
            return dbs;
        } catch (IOException | RuntimeException e) {
            source.close();
            throw e;
        }
    }

    private static EmbeddedPostgres start(String role) throws IOException {
        Path dir = Files.createTempDirectory("tandem-demo-" + role + "-");
        return EmbeddedPostgres.builder()
                .setDataDirectory(dir)
                .setCleanDataDirectory(true)
                .setServerConfig("listen_addresses", "127.0.0.1")
                .start();
    }

    private void createDatabase() {
        for (EmbeddedPostgres pg : new EmbeddedPostgres[] {source, target}) {
            try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE " + DATABASE);
            } catch (SQLException e) {
                throw new IllegalStateException("cannot create the demo database: " + e.getMessage(), e);
            }
        }
    }

    int sourcePort() {
        return source.getPort();
    }

    int targetPort() {
        return target.getPort();
    }

    Connection source() throws SQLException {
        return source.getDatabase("postgres", DATABASE).getConnection();
    }

    Connection target() throws SQLException {
        return target.getDatabase("postgres", DATABASE).getConnection();
    }

    @Override
    public void close() throws IOException {
        try {
            source.close();
        } finally {
            target.close();
        }
    }
}
