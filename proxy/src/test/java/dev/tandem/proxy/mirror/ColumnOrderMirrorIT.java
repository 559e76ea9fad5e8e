package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.state.TandemSchema;
import dev.tandem.proxy.LoggedWarnings;
import dev.tandem.testing.PostgresPairExtension;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;

/**
 * A table whose columns are in another order on the target, the same names and types: (ts, a, b) on the source,
 * (ts, b, a) on the target. INSERTs and COPYs without a column list fill columns by position, so replayed as sent they
 * put a's values into b on the target, with no error; with {@code source.user} the mirror names the source's columns.
 * A second table has a generated column, which a COPY does not read and a VALUES row fills with DEFAULT; a third has
 * its time column in another position, for the range of a ledger entry.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ColumnOrderMirrorIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    static RunningMirrorProxy mirror;

    @RegisterExtension
    static final MirrorProxyExtension MIRROR = MirrorProxyExtension.on(PG, "column_order", started -> mirror = started)
            .prepared(db -> {
                PG.source().execute(db, "CREATE TABLE ord (ts timestamptz NOT NULL, a text, b text);"
                        + " CREATE TABLE gen (ts timestamptz, a text, g text GENERATED ALWAYS AS (upper(a))"
                        + " STORED, b text); CREATE TABLE twotimes (t1 timestamptz, t2 timestamptz, k int)");
                PG.target().execute(db, "CREATE TABLE ord (ts timestamptz NOT NULL, b text, a text);"
                        + " CREATE TABLE gen (ts timestamptz, b text, a text, g text GENERATED ALWAYS AS"
                        + " (upper(a)) STORED); CREATE TABLE twotimes (t2 timestamptz, t1 timestamptz,"
                        + " k int PRIMARY KEY); " + TandemSchema.ddl());
            })
            .flags("--mirror-table", "public.ord", "--mirror-table", "public.gen", "--mirror-table", "public.twotimes",
                    "--set", "verifier.time-columns.public.twotimes=t1")
            .withSourceUser()
            .emptiedBeforeEach("ord, gen, twotimes");

    @BeforeEach
    void emptyLedger() {
        PG.target().execute(mirror.database, "DELETE FROM tandem.divergence");
    }

    /** First: each table's warning is logged once per run. */
    @Test
    @Order(1)
    void insertsWithoutAColumnListFillTheSourcesColumns() throws Exception {
        List<String> warnings = LoggedWarnings.of(ColumnOrders.class, () -> {
            try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO ord VALUES ('2026-01-01 00:00:01+00', 'a1', 'b1')");
                s.execute("INSERT INTO ord VALUES ('2026-01-01 00:00:02+00', 'a2', 'b2'),"
                        + " ('2026-01-01 00:00:03+00', 'a3', 'b3')");
                // only the first two columns: b is NULL on the source
                s.execute("INSERT INTO ord VALUES ('2026-01-01 00:00:04+00', 'a4')");
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO ord VALUES (?, ?, ?)")) {
                    for (int i = 5; i < 13; i++) {
                        ps.setTimestamp(1, Timestamp.from(Instant.parse("2026-01-01T00:00:00Z").plusSeconds(i)));
                        ps.setString(2, "a" + i);
                        ps.setString(3, "b" + i);
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
                s.execute("INSERT INTO gen VALUES ('2026-01-01 00:00:01+00', 'a1', DEFAULT, 'b1')");
                s.execute("INSERT INTO gen DEFAULT VALUES");
                mirror.awaitCaughtUp(Duration.ofSeconds(30));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertSameRows("ts, a, b", "ord", 12);
        assertSameRows("ts, a, g, b", "gen", 2);
        String replayed = ": INSERTs and COPYs without a column list are replayed there naming the source's columns";
        assertThat(warnings).containsExactly(
                "mirror: public.ord has its columns in another order in target database " + mirror.database
                        + " (\"ts\", \"b\", \"a\") than on the source (\"ts\", \"a\", \"b\")" + replayed,
                "mirror: public.gen has its columns in another order in target database " + mirror.database
                        + " (\"ts\", \"b\", \"a\", \"g\") than on the source (\"ts\", \"a\", \"g\", \"b\")"
                        + replayed);
    }

    @Test
    void copiesWithoutAColumnListFillTheSourcesColumns() throws Exception {
        byte[] binary;
        try (Connection source = PG.source().connect(mirror.database)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            source.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY (SELECT '2026-01-01 00:00:09+00'::timestamptz,"
                    + " 'a9'::text, 'b9'::text) TO STDOUT (FORMAT binary)", out);
            binary = out.toByteArray();
        }
        try (Connection c = mirror.connect()) {
            PGConnection pg = c.unwrap(PGConnection.class);
            pg.getCopyAPI().copyIn("COPY ord FROM STDIN", new ByteArrayInputStream(
                    "2026-01-01 00:00:01+00\ta1\tb1\n2026-01-01 00:00:02+00\ta2\t\\N\n".getBytes(StandardCharsets.UTF_8)));
            pg.getCopyAPI().copyIn("COPY public.ord FROM STDIN (FORMAT binary)", new ByteArrayInputStream(binary));
            pg.getCopyAPI().copyIn("COPY gen FROM STDIN (FORMAT csv)", new ByteArrayInputStream(
                    "2026-01-01 00:00:01+00,a1,b1\n".getBytes(StandardCharsets.UTF_8)));
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        assertSameRows("ts, a, b", "ord", 3);
        assertSameRows("ts, a, g, b", "gen", 1);
    }

    /** The target refuses the row (a key only it has): the entry's range is that of t1, the source's first column. */
    @Test
    void aLedgerEntrysRangeIsTheTimeColumnsOwn() throws Exception {
        PG.target().execute(mirror.database, "INSERT INTO twotimes VALUES (NULL, NULL, 1)");
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO twotimes VALUES ('2026-01-01 00:00:00+00', '2030-01-01 00:00:00+00', 1)");
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        assertThat(PG.target().query(mirror.database, "SELECT time_column, range_start::timestamptz = '2026-01-01"
                + " 00:00:00+00' FROM tandem.divergence")).containsExactly(List.of("t1", "t"));
    }

    private static void assertSameRows(String columns, String table, int rows) {
        String query = "SELECT " + columns + " FROM " + table + " ORDER BY " + columns;
        List<List<String>> source = PG.source().query(mirror.database, query);
        assertThat(source).hasSize(rows);
        assertThat(PG.target().query(mirror.database, query)).as("%s on the target", table).isEqualTo(source);
        assertThat(PG.target().query(mirror.database, "SELECT count(*) FROM tandem.divergence"))
                .containsExactly(List.of("0"));
    }
}
