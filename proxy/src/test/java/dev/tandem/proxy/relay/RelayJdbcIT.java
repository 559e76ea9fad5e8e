package dev.tandem.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.testing.PostgresPairExtension;
import java.io.ByteArrayInputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.postgresql.copy.CopyManager;

/** Real pgjdbc through the proxy to a real PostgreSQL: every feature a session may use. */
class RelayJdbcIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    static RunningProxy proxy;
    static String db;

    @RegisterExtension
    static final RelayProxyExtension RELAY = RelayProxyExtension.on(PG, "relay_jdbc", (started, database) -> {
        proxy = started;
        db = database;
    });

    @BeforeAll
    static void items() {
        PG.source().execute(db, "CREATE TABLE items (id int PRIMARY KEY, name text, payload bytea)");
    }

    private static Connection connect(String... props) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", PG.source().user());
        p.setProperty("password", PG.source().password());
        for (int i = 0; i < props.length; i += 2) {
            p.setProperty(props[i], props[i + 1]);
        }
        return DriverManager.getConnection(proxy.jdbcUrl(db), p);
    }

    @Test
    void simpleProtocolQueries() throws SQLException {
        try (Connection c = connect("preferQueryMode", "simple"); Statement s = c.createStatement()) {
            ResultSet rs = s.executeQuery("SELECT 1 AS one, 'two'::text AS two; ");
            assertThat(rs.next()).isTrue();
            assertThat(rs.getInt(1)).isEqualTo(1);
            assertThat(rs.getString(2)).isEqualTo("two");
        }
    }

    @Test
    void serverSidePreparedStatementsAndBinaryTransfer() throws SQLException {
        try (Connection c = connect("prepareThreshold", "1", "binaryTransfer", "true");
             PreparedStatement ps = c.prepareStatement("SELECT ?::int + 1, ?::float8 * 2, ?::timestamptz")) {
            for (int i = 0; i < 5; i++) {
                ps.setInt(1, i);
                ps.setDouble(2, 1.25);
                ps.setObject(3, java.time.OffsetDateTime.parse("2026-01-01T00:00:00Z"));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    assertThat(rs.getInt(1)).isEqualTo(i + 1);
                    assertThat(rs.getDouble(2)).isEqualTo(2.5);
                    assertThat(rs.getObject(3, java.time.OffsetDateTime.class).toInstant())
                            .isEqualTo(java.time.Instant.parse("2026-01-01T00:00:00Z"));
                }
            }
        }
    }

    @Test
    void batchesWithAndWithoutRewrite() throws SQLException {
        for (String rewrite : List.of("true", "false")) {
            int base = rewrite.equals("true") ? 1000 : 2000;
            try (Connection c = connect("reWriteBatchedInserts", rewrite);
                 PreparedStatement ps = c.prepareStatement("INSERT INTO items (id, name) VALUES (?, ?)")) {
                for (int i = 0; i < 200; i++) {
                    ps.setInt(1, base + i);
                    ps.setString(2, "batch " + i);
                    ps.addBatch();
                }
                int[] counts = ps.executeBatch();
                assertThat(Arrays.stream(counts).map(n -> n == Statement.SUCCESS_NO_INFO ? 1 : n).sum()).isEqualTo(200);
            }
            assertThat(PG.source().queryValue(db, "SELECT count(*) FROM items WHERE id >= " + base + " AND id < "
                    + (base + 200))).isEqualTo("200");
        }
    }

    @Test
    void copyInAndOut() throws Exception {
        try (Connection c = connect()) {
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            StringBuilder csv = new StringBuilder();
            for (int i = 0; i < 5000; i++) {
                csv.append(10_000 + i).append(",copied ").append(i).append('\n');
            }
            long in = copy.copyIn("COPY items (id, name) FROM STDIN (FORMAT csv)",
                    new ByteArrayInputStream(csv.toString().getBytes(StandardCharsets.UTF_8)));
            assertThat(in).isEqualTo(5000);

            StringWriter out = new StringWriter();
            long rows = copy.copyOut("COPY (SELECT id, name FROM items WHERE id BETWEEN 10000 AND 14999 ORDER BY id) TO STDOUT (FORMAT csv)", out);
            assertThat(rows).isEqualTo(5000);
            assertThat(out.toString()).isEqualTo(csv.toString());
        }
    }

    @Test
    void listenNotifyWithPayload() throws Exception {
        try (Connection listener = connect(); Connection notifier = connect()) {
            try (Statement s = listener.createStatement()) {
                s.execute("LISTEN tandem_events");
            }
            try (Statement s = notifier.createStatement()) {
                s.execute("NOTIFY tandem_events, 'hello through the proxy'");
            }
            PGNotification[] got = listener.unwrap(PGConnection.class).getNotifications(10_000);
            assertThat(got).hasSize(1);
            assertThat(got[0].getName()).isEqualTo("tandem_events");
            assertThat(got[0].getParameter()).isEqualTo("hello through the proxy");
        }
    }

    @Test
    void cancelReachesTheSource() throws Exception {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                Future<?> canceller = pool.submit(() -> {
                    Thread.sleep(500);
                    s.cancel();
                    return null;
                });
                long start = System.nanoTime();
                assertThatThrownBy(() -> s.execute("SELECT pg_sleep(30)"))
                        .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("57014"));
                canceller.get(10, TimeUnit.SECONDS);
                assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(30);
            } finally {
                pool.shutdownNow();
            }
            // the session survives a cancel
            assertThat(s.executeQuery("SELECT 42").next()).isTrue();
        }
    }

    @Test
    void transactionsWithSavepoints() throws SQLException {
        try (Connection c = connect()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("INSERT INTO items (id, name) VALUES (50001, 'kept')");
                Savepoint sp = c.setSavepoint("sp1");
                s.execute("INSERT INTO items (id, name) VALUES (50002, 'rolled back')");
                c.rollback(sp);
                assertThatThrownBy(() -> s.execute("INSERT INTO items (id, name) VALUES (50001, 'duplicate')"))
                        .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("23505"));
                c.rollback();
                s.execute("INSERT INTO items (id, name) VALUES (50003, 'committed')");
                c.commit();
            }
        }
        assertThat(PG.source().query(db, "SELECT id FROM items WHERE id BETWEEN 50001 AND 50003 ORDER BY id"))
                .containsExactly(List.of("50003"));
    }

    @Test
    void largeRowsOfSixtyFourMebibytes() throws SQLException {
        byte[] big = new byte[64 * 1024 * 1024 + 17];
        new java.util.Random(7).nextBytes(big);
        try (Connection c = connect();
             PreparedStatement insert = c.prepareStatement("INSERT INTO items (id, payload) VALUES (60001, ?)")) {
            insert.setBytes(1, big);
            insert.executeUpdate();
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT payload, md5(payload) FROM items WHERE id = 60001")) {
                rs.next();
                assertThat(rs.getBytes(1)).isEqualTo(big);
            }
        }
    }

    @Test
    void manyConcurrentConnections() throws Exception {
        int clients = 60;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                int n = i;
                results.add(pool.submit(() -> {
                    try (Connection c = connect(); Statement s = c.createStatement()) {
                        int sum = 0;
                        for (int q = 0; q < 20; q++) {
                            ResultSet rs = s.executeQuery("SELECT " + n + " + " + q);
                            rs.next();
                            sum += rs.getInt(1);
                        }
                        return sum;
                    }
                }));
            }
            for (int i = 0; i < clients; i++) {
                assertThat(results.get(i).get(60, TimeUnit.SECONDS)).isEqualTo(20 * i + 190);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void relayMetricsCountMessagesAndBytes() throws SQLException {
        double queriesBefore = proxy.counter("tandem.relay.messages", "direction", "client_to_source", "type", "Query");
        try (Connection c = connect("preferQueryMode", "simple"); Statement s = c.createStatement()) {
            s.execute("SELECT 1");
            s.execute("SELECT 2");
        }
        assertThat(proxy.counter("tandem.relay.messages", "direction", "client_to_source", "type", "Query"))
                .isGreaterThanOrEqualTo(queriesBefore + 2);
        assertThat(proxy.counter("tandem.relay.bytes", "direction", "source_to_client")).isPositive();
        assertThat(proxy.counter("tandem.connections")).isPositive();
    }
}
