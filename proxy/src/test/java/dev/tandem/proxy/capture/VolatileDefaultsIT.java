package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.config.TableFilter;
import dev.tandem.proxy.config.TablePattern;
import dev.tandem.proxy.config.TargetConfig;
import dev.tandem.proxy.config.TlsMode;
import dev.tandem.proxy.relay.ProxyServer;
import dev.tandem.proxy.relay.RelayMetrics;
import dev.tandem.proxy.relay.RelaySettings;
import dev.tandem.testing.PostgresPairExtension;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;

/**
 * Column defaults the server computes, read from the target's catalog, and the mirrored writes through a proxy that
 * leave such a column out, counted as non-deterministic.
 */
class VolatileDefaultsIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    static final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    static VolatileDefaults defaults;
    static ProxyServer proxy;
    static String db;

    @BeforeAll
    static void start() throws Exception {
        db = PG.pair().freshDatabase("defaults");
        PG.pair().executeOnBoth(db, "CREATE TABLE tbl (id bigserial, t timestamptz DEFAULT now(),"
                + " u uuid DEFAULT gen_random_uuid(), v int DEFAULT 5, g int GENERATED ALWAYS AS IDENTITY);"
                + "CREATE TABLE plain (a int, b int DEFAULT 5, c text DEFAULT 'x' || 'y')");
        defaults = new VolatileDefaults(new TargetConfig("127.0.0.1", PG.target().port(), "postgres", "UNUSED",
                Optional.empty(), TlsMode.DISABLE, Map.of(), Duration.ofSeconds(5), Optional.empty()), Duration.ofMinutes(1));
        defaults.lookUpNow(db);
        MirroredTables tables = new MirroredTables(new TableFilter(
                List.of(TablePattern.parse("public.tbl"), TablePattern.parse("public.plain")), List.of()), Set::of);
        CaptureMetrics metrics = new CaptureMetrics(registry);
        SessionCapture.Sink sink = tx -> CompletableFuture.completedFuture(null);
        RelaySettings settings = RelaySettings.plain(new InetSocketAddress("127.0.0.1", 0),
                new InetSocketAddress("127.0.0.1", PG.source().port()));
        proxy = new ProxyServer(settings, new RelayMetrics(registry),
                ctx -> new SessionCapture(ctx, tables, defaults.forSourceDatabase(ctx.database()), metrics,
                        new UpsertWindows(), sink,
                        1 << 20, CaptureBudget.unlimited(), false, null, null, null)).start();
    }

    @AfterAll
    static void stop() {
        proxy.close(Duration.ofSeconds(2));
        defaults.close();
    }

    private static Connection connect() throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + proxy.address().getPort() + "/" + db,
                "postgres", "");
    }

    private static double counted(String table) {
        Counter c = registry.find("tandem.nondeterministic.inserts").tag("table", table).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void findsSerialNowUuidAndIdentityColumnsButNotConstantDefaults() {
        assertThat(defaults.lookUpNow(db)).containsOnly(
                Map.entry(new TableName("public", "tbl"), Set.of("id", "t", "u", "g")));
    }

    @Test
    void anInsertWhoseColumnListLeavesOutAVolatileDefaultIsCounted() throws SQLException {
        double before = counted("public.tbl");
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO tbl (v) VALUES (1)");
        }
        assertThat(counted("public.tbl")).isEqualTo(before + 1);
    }

    @Test
    void anInsertListingEveryVolatileColumnOrWithoutColumnListIsNot() throws SQLException {
        double before = counted("public.tbl");
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO tbl (id, t, u, g, v) OVERRIDING SYSTEM VALUE VALUES"
                    + " (100, '2026-01-01 00:00Z', '00000000-0000-0000-0000-000000000001', 100, 2)");
            // Without a column list the row is assumed to name every column.
            s.execute("INSERT INTO tbl OVERRIDING SYSTEM VALUE VALUES"
                    + " (101, '2026-01-01 00:00Z', '00000000-0000-0000-0000-000000000002', 3, 101)");
            s.execute("INSERT INTO plain (a) VALUES (1)");
        }
        assertThat(counted("public.tbl")).isEqualTo(before);
        assertThat(counted("public.plain")).isZero();
    }

    @Test
    void theDefaultKeywordAndDefaultValuesCountWhenTheyFillAVolatileColumn() throws SQLException {
        double before = counted("public.tbl");
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO tbl (id, t, u, g, v) OVERRIDING SYSTEM VALUE VALUES"
                    + " (300, DEFAULT, '00000000-0000-0000-0000-000000000004', 300, 5)");
            s.execute("INSERT INTO tbl DEFAULT VALUES");
            // without a column list only the position is known: counted, as the table has such columns
            s.execute("INSERT INTO tbl OVERRIDING SYSTEM VALUE VALUES"
                    + " (301, '2026-01-01 00:00Z', DEFAULT, 301, 6)");
            // DEFAULT for a column whose default is a constant, and DEFAULT VALUES on a table with only such: not
            s.execute("INSERT INTO tbl (id, t, u, g, v) OVERRIDING SYSTEM VALUE VALUES"
                    + " (302, '2026-01-01 00:00Z', '00000000-0000-0000-0000-000000000005', 302, DEFAULT)");
            s.execute("INSERT INTO plain (a, b) VALUES (1, DEFAULT)");
            s.execute("INSERT INTO plain DEFAULT VALUES");
        }
        assertThat(counted("public.tbl")).isEqualTo(before + 3);
        assertThat(counted("public.plain")).isZero();
    }

    @Test
    void aCopyWhoseColumnListLeavesOutAVolatileDefaultIsCounted() throws Exception {
        double before = counted("public.tbl");
        try (Connection c = connect()) {
            c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY tbl (id, u, g, v) FROM STDIN",
                    new ByteArrayInputStream("200\t00000000-0000-0000-0000-000000000003\t200\t4\n"
                            .getBytes(StandardCharsets.UTF_8)));
        }
        assertThat(counted("public.tbl")).isEqualTo(before + 1);
        assertThat(PG.source().queryValue(db, "SELECT t IS NOT NULL FROM tbl WHERE id = 200")).isEqualTo("t");
    }
}
