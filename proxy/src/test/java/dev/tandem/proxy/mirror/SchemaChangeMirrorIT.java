package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.state.TandemSchema;
import dev.tandem.testing.PostgresPairExtension;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;

/**
 * A schema change applied on one server before the other while the applications write, as an operator does during a
 * migration of weeks: the two servers then have other sets of columns for a while. {@code dropped} lost its column c
 * on the source first (the target still has it, between a and d); {@code added} got its new column n on the target
 * first; {@code renamed} has its column d renamed d2 on the source first, and x and y in another order on the
 * target. INSERTs and COPYs without a column list fill the source's columns by position, so replayed by position the
 * target put d's values into c, silently, refused every COPY of {@code added} (missing data for n), and put x's
 * values into y; with {@code source.user} the mirror names the source's columns, the target fills its extra one with
 * its default and refuses the renamed one (its entry has the range of its rows, for repair once both have it).
 * {@code grown} and {@code copied} get columns x and y in one order on the source and the other on the target while
 * the mirror runs: compared once per target connection, the columns were taken to be the same as before, and x's
 * values went into y.
 */
class SchemaChangeMirrorIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    static RunningMirrorProxy mirror;

    @RegisterExtension
    static final MirrorProxyExtension MIRROR = MirrorProxyExtension.on(PG, "schema_change", started -> mirror = started)
            .prepared(db -> {
                PG.source().execute(db, "CREATE TABLE dropped (ts timestamptz NOT NULL, a int, d int);"
                        + " CREATE TABLE added (ts timestamptz NOT NULL, a int);"
                        + " CREATE TABLE renamed (ts timestamptz NOT NULL, d2 int, x int, y int);"
                        + " CREATE TABLE grown (ts timestamptz NOT NULL, a int);"
                        + " CREATE TABLE copied (ts timestamptz NOT NULL, a int);"
                        + " CREATE TABLE widened (ts timestamptz NOT NULL, a int)");
                PG.target().execute(db, "CREATE TABLE dropped (ts timestamptz NOT NULL, a int, c int, d int);"
                        + " CREATE TABLE added (ts timestamptz NOT NULL, a int, n int);"
                        + " CREATE TABLE renamed (ts timestamptz NOT NULL, d int, y int, x int);"
                        + " CREATE TABLE grown (ts timestamptz NOT NULL, a int);"
                        + " CREATE TABLE copied (ts timestamptz NOT NULL, a int);"
                        + " CREATE TABLE widened (ts timestamptz NOT NULL, a int); " + TandemSchema.ddl());
            })
            .flags("--mirror-table", "public.dropped", "--mirror-table", "public.added", "--mirror-table",
                    "public.renamed", "--mirror-table", "public.grown", "--mirror-table", "public.copied",
                    "--mirror-table", "public.widened", "--set", "verifier.time-columns.public.widened=ts",
                    "--set", "verifier.time-columns.public.renamed=ts")
            .withSourceUser()
            .emptiedBeforeEach("dropped, added, renamed");

    @BeforeEach
    void emptyLedger() {
        PG.target().execute(mirror.database, "DELETE FROM tandem.divergence");
    }

    @Test
    void aColumnDroppedOnTheSourceFirstLeavesTheOthersValuesInTheirColumns() throws Exception {
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO dropped VALUES ('2026-01-01 00:00:01+00', 1, 10), ('2026-01-01 00:00:02+00', 2, 20)");
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO dropped VALUES (?, ?, ?)")) {
                ps.setTimestamp(1, Timestamp.from(Instant.parse("2026-01-01T00:00:03Z")));
                ps.setInt(2, 3);
                ps.setInt(3, 30);
                ps.executeUpdate();
            }
            c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY dropped FROM STDIN", new ByteArrayInputStream(
                    "2026-01-01 00:00:04+00\t4\t40\n".getBytes(StandardCharsets.UTF_8)));
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        assertSameRows("ts, a, d", "dropped", 4);
        assertThat(PG.target().query(mirror.database, "SELECT count(*) FROM dropped WHERE c IS NOT NULL"))
                .containsExactly(List.of("0"));
    }

    @Test
    void aColumnAddedOnTheTargetFirstIsFilledWithItsDefault() throws Exception {
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO added VALUES ('2026-01-01 00:00:01+00', 1)");
            c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY added FROM STDIN", new ByteArrayInputStream(
                    "2026-01-01 00:00:02+00\t2\n".getBytes(StandardCharsets.UTF_8)));
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        assertSameRows("ts, a", "added", 2);
    }

    @Test
    void aColumnRenamedOnTheSourceFirstIsRefusedRatherThanFilledByPosition() throws Exception {
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO renamed VALUES ('2026-01-01 00:00:01+00', 1, 10, 100)");
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        assertThat(PG.target().query(mirror.database, "SELECT count(*) FROM renamed")).containsExactly(List.of("0"));
        assertThat(PG.target().query(mirror.database, "SELECT sqlstate, time_column, range_start::timestamptz"
                + " = '2026-01-01 00:00:01+00' FROM tandem.divergence")).containsExactly(List.of("42703", "ts", "t"));
    }

    /** The application writes the new columns once both servers have them. */
    @Test
    void columnsAddedInAnotherOrderOnTheTargetKeepTheirValues() throws Exception {
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO grown VALUES ('2026-01-01 00:00:01+00', 1)");
            mirror.awaitCaughtUp(Duration.ofSeconds(30));
            PG.source().execute(mirror.database, "ALTER TABLE grown ADD x int, ADD y int");
            PG.target().execute(mirror.database, "ALTER TABLE grown ADD y int, ADD x int");
            s.execute("INSERT INTO grown VALUES ('2026-01-01 00:00:02+00', 2, 20, 200)");
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        assertSameRows("ts, a, x, y", "grown", 2);
    }

    /**
     * The application's COPY has the new columns' fields before the target has them: the target refuses it (its
     * entry has the range of its rows, for repair), and the next COPY, after the change reached the target, is
     * compared anew.
     */
    @Test
    void aCopyAfterColumnsAddedInAnotherOrderOnTheTargetKeepsItsValues() throws Exception {
        PG.source().execute(mirror.database, "ALTER TABLE copied ADD x int, ADD y int");
        try (Connection c = mirror.connect()) {
            c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY copied FROM STDIN", new ByteArrayInputStream(
                    "2026-01-01 00:00:01+00\t1\t10\t100\n".getBytes(StandardCharsets.UTF_8)));
            mirror.awaitCaughtUp(Duration.ofSeconds(30));
            assertThat(PG.target().query(mirror.database, "SELECT sqlstate FROM tandem.divergence"))
                    .containsExactly(List.of("42703"));
            PG.target().execute(mirror.database, "DELETE FROM tandem.divergence;"
                    + " ALTER TABLE copied ADD y int, ADD x int");
            c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY copied FROM STDIN", new ByteArrayInputStream(
                    "2026-01-01 00:00:02+00\t2\t20\t200\n".getBytes(StandardCharsets.UTF_8)));
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        assertThat(PG.target().query(mirror.database, "SELECT ts, a, x, y FROM copied"))
                .isEqualTo(PG.source().query(mirror.database, "SELECT ts, a, x, y FROM copied WHERE a = 2"));
        assertThat(PG.target().query(mirror.database, "SELECT sqlstate, message FROM tandem.divergence")).isEmpty();
    }

    /**
     * A column added on the source first and written at once: the target refuses the rows, and so did the scratch copy
     * of its table that a ledger entry's range is computed in, so the entry had none for {@code repair}; the range is
     * computed in a copy of the source's columns then.
     */
    @Test
    void aWriteOfAColumnAddedOnTheSourceFirstIsLedgeredWithTheRangeOfItsRows() throws Exception {
        PG.source().execute(mirror.database, "ALTER TABLE widened ADD n numeric");
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO widened (ts, a, n) VALUES ('2026-01-01 00:00:05+00', 1, 1.5),"
                    + " ('2026-01-01 00:00:07+00', 2, 2.5)");
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        assertThat(PG.target().query(mirror.database, "SELECT sqlstate, time_column, range_start::timestamptz"
                + " = '2026-01-01 00:00:05+00', range_end::timestamptz > '2026-01-01 00:00:07+00' FROM tandem.divergence"))
                .containsExactly(List.of("42703", "ts", "t", "t"));
    }

    private static void assertSameRows(String columns, String table, int rows) {
        String query = "SELECT " + columns + " FROM " + table + " ORDER BY " + columns;
        List<List<String>> source = PG.source().query(mirror.database, query);
        assertThat(source).hasSize(rows);
        assertThat(PG.target().query(mirror.database, query)).as("%s on the target", table).isEqualTo(source);
        assertThat(PG.target().query(mirror.database, "SELECT sqlstate, message FROM tandem.divergence")).isEmpty();
    }
}
