package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.PostgresPairExtension;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * The range of a ledger entry for rows the proxy did not keep is read from their values by the source's column order:
 * an INSERT or COPY without a column list fills the source's columns by position, the ones the application sees. The
 * table has two time columns, (t1, t2, k, pad) on the source and (t2, t1, k, pad) on the target, its time column t1:
 * read by the target's order, every such entry had t2's range, with no sign of it, and {@code repair} re-copied a
 * window no row was in. A second table has a generated column, which a COPY does not read and an INSERT fills with
 * DEFAULT, and its time column elsewhere on each side: (k, g, t1, t2, pad) on the source, (t1, k, t2, pad, g) on the
 * target. With {@code source.user}: the proxy reads the source's order from its catalog.
 */
class ColumnOrderGapRangesIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    /** Makes each statement larger than the capture limit, so that the capture reads its rows' times itself. */
    static final String PAD = "x".repeat(70 * 1024);
    static final String EXCEEDED = "the transaction's captured data exceeded mirror.max-transaction-bytes"
            + " (65536 bytes); tandem-backfill repair re-copies the time range of its rows";

    private static String freshDatabase(String name) {
        String db = PG.pair().freshDatabase(name);
        PG.source().execute(db, "CREATE TABLE tt (t1 timestamptz, t2 timestamptz, k int, pad text)");
        PG.target().execute(db, "CREATE TABLE tt (t2 timestamptz, t1 timestamptz, k int, pad text)");
        PG.source().execute(db, "CREATE TABLE gen (k int, g text GENERATED ALWAYS AS ('g') STORED, t1 timestamptz,"
                + " t2 timestamptz, pad text)");
        PG.target().execute(db, "CREATE TABLE gen (t1 timestamptz, k int, t2 timestamptz, pad text,"
                + " g text GENERATED ALWAYS AS ('g') STORED)");
        return db;
    }

    private static RunningMirrorProxy start(String db, Path spool, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("--mirror-table", "public.tt", "--mirror-table", "public.gen",
                "--set", "verifier.time-columns.public.tt=t1", "--set", "verifier.time-columns.public.gen=t1",
                "--set", "verifier.enabled=false",
                "--set", "source.user=" + PG.source().user()));
        args.addAll(List.of(more));
        RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, args.toArray(String[]::new));
        proxy.app.lookUpTimeColumns(db);
        return proxy;
    }

    /** {@code time_column, range_start, range_end} of the entries whose message matches {@code like}, by start. */
    private static List<List<String>> ranges(String db, String like) {
        return PG.target().query(db, "SELECT coalesce(time_column, '-'), coalesce(range_start, '-'),"
                + " coalesce(range_end, '-') FROM tandem.divergence WHERE message LIKE '" + like.replace("'", "''")
                + "' ORDER BY range_start NULLS LAST");
    }

    @Test
    void statementsOverTheCaptureLimitWithoutAColumnListAreReadByTheSourcesOrder(@TempDir Path spool)
            throws Exception {
        String db = freshDatabase("order_over_limit");
        try (RunningMirrorProxy proxy = start(db, spool, "--set", "mirror.max-transaction-bytes=64KiB");
             Connection c = proxy.connect();
             Connection simple = proxy.connect("preferQueryMode", "simple")) {
            try (Statement s = simple.createStatement()) {
                s.execute("INSERT INTO tt VALUES ('2025-01-01 00:00:00+00', '2030-01-01 00:00:00+00', 1, '" + PAD
                        + "')");
                s.execute("INSERT INTO tt VALUES ('2025-02-01 00:00:00+00', '2030-02-01 00:00:00+00', 2, '" + PAD
                        + "'), ('2025-02-03 00:00:00+00', '2030-02-09 00:00:00+00', 3, 'short')");
                // a column list says which value is t1 whatever the order: as before
                s.execute("INSERT INTO tt (t2, t1, k, pad) VALUES ('2030-03-01 00:00:00+00', '2025-03-01 00:00:00+00',"
                        + " 4, '" + PAD + "')");
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO tt VALUES (?, ?, ?, ?), (?, ?, ?, ?)")) {
                ps.setObject(1, OffsetDateTime.parse("2025-04-02T00:00:00Z"));
                ps.setObject(2, OffsetDateTime.parse("2030-04-01T00:00:00Z"));
                ps.setInt(3, 5);
                ps.setString(4, PAD);
                ps.setObject(5, OffsetDateTime.parse("2025-04-01T00:00:00Z"));
                ps.setObject(6, OffsetDateTime.parse("2030-04-09T00:00:00Z"));
                ps.setInt(7, 6);
                ps.setString(8, "short");
                ps.executeUpdate();
            }
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            copy.copyIn("COPY tt FROM STDIN", new ByteArrayInputStream(("2025-05-01 00:00:00+00\t2030-05-01 00:00:00+00"
                    + "\t7\t" + PAD + "\n2025-05-02 00:00:00+00\t2030-05-09 00:00:00+00\t8\tshort\n")
                    .getBytes(StandardCharsets.UTF_8)));
            copy.copyIn("COPY tt FROM STDIN (FORMAT csv)", new ByteArrayInputStream(("2025-06-01 00:00:00+00,"
                    + "2030-06-01 00:00:00+00,9," + PAD + "\n2025-06-03 00:00:00+00,2030-06-02 00:00:00+00,10,short\n")
                    .getBytes(StandardCharsets.UTF_8)));
            copy.copyIn("COPY tt FROM STDIN (FORMAT binary)", new ByteArrayInputStream(binaryRows(
                    OffsetDateTime.parse("2025-07-01T00:00:00Z"), OffsetDateTime.parse("2030-07-01T00:00:00Z"), 11,
                    OffsetDateTime.parse("2025-07-04T00:00:00Z"), OffsetDateTime.parse("2030-07-09T00:00:00Z"), 12)));
            try (Statement s = simple.createStatement()) {
                s.execute("INSERT INTO gen VALUES (13, DEFAULT, '2025-08-01 00:00:00+00', '2030-08-01 00:00:00+00', '"
                        + PAD + "')");
            }
            copy.copyIn("COPY gen FROM STDIN", new ByteArrayInputStream(("14\t2025-09-01 00:00:00+00"
                    + "\t2030-09-01 00:00:00+00\t" + PAD + "\n").getBytes(StandardCharsets.UTF_8)));
            proxy.awaitCaughtUp(Duration.ofSeconds(60));
        }
        assertThat(PG.target().queryValue(db, "SELECT (SELECT count(*) FROM tt) + (SELECT count(*) FROM gen)"))
                .as("nothing is mirrored").isEqualTo("0");
        assertThat(ranges(db, EXCEEDED)).containsExactly(
                List.of("t1", "2025-01-01 00:00:00+00", "2025-01-01 00:00:00.000001+00"),
                List.of("t1", "2025-02-01 00:00:00+00", "2025-02-03 00:00:00.000001+00"),
                List.of("t1", "2025-03-01 00:00:00+00", "2025-03-01 00:00:00.000001+00"),
                List.of("t1", "2025-04-01 00:00:00+00", "2025-04-02 00:00:00.000001+00"),
                List.of("t1", "2025-05-01 00:00:00+00", "2025-05-02 00:00:00.000001+00"),
                List.of("t1", "2025-06-01 00:00:00+00", "2025-06-03 00:00:00.000001+00"),
                List.of("t1", "2025-07-01 00:00:00+00", "2025-07-04 00:00:00.000001+00"),
                List.of("t1", "2025-08-01 00:00:00+00", "2025-08-01 00:00:00.000001+00"),
                List.of("t1", "2025-09-01 00:00:00+00", "2025-09-01 00:00:00.000001+00"));
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence")).isEqualTo("9");
    }

    @Test
    void shedTransactionsWithoutAColumnListAreReadByTheSourcesOrder(@TempDir Path spool) throws Exception {
        String db = freshDatabase("order_shed");
        OffsetDateTime fillFrom = OffsetDateTime.parse("2024-06-01T00:00:00Z");
        String fill = "x".repeat(4096);
        int lastFill = 0;
        try (RunningMirrorProxy proxy = start(db, spool, "--set", "mirror.spool.max-bytes=1MiB",
                "--set", "mirror.spool.segment-bytes=64KiB", "--set", "mirror.spool.on-full=shed")) {
            PG.target().stop();
            try (Connection c = proxy.connect();
                 PreparedStatement ps = c.prepareStatement("INSERT INTO tt VALUES (?, ?, ?, ?)")) {
                // until the spool is full and sheds one: t1 in 2024, a second apart, t2 years later
                while (shed(proxy) == 0 && lastFill < 600) {
                    lastFill++;
                    ps.setObject(1, fillFrom.plusSeconds(lastFill));
                    ps.setObject(2, fillFrom.plusYears(6).plusSeconds(lastFill));
                    ps.setInt(3, lastFill);
                    ps.setString(4, fill);
                    ps.executeUpdate();
                }
                assertThat(shed(proxy)).as("the spool sheds").isEqualTo(1);
                // then each is shed in turn: larger than the one shed, none fits what is left of the spool
                String larger = fill + "y".repeat(512);
                try (Statement s = c.createStatement()) {
                    s.execute("INSERT INTO tt VALUES ('2025-01-02 00:00:00+00', '2030-01-01 00:00:00+00', 1001, '"
                            + larger + "'), ('2025-01-01 00:00:00+00', '2030-01-09 00:00:00+00', 1002, 'short')");
                }
                CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
                copy.copyIn("COPY tt FROM STDIN (FORMAT csv)", new ByteArrayInputStream(("2025-02-01 00:00:00+00,"
                        + "2030-02-01 00:00:00+00,1003," + larger + "\n").getBytes(StandardCharsets.UTF_8)));
                copy.copyIn("COPY gen FROM STDIN", new ByteArrayInputStream(("1004\t2025-03-01 00:00:00+00"
                        + "\t2030-03-01 00:00:00+00\t" + larger + "\n").getBytes(StandardCharsets.UTF_8)));
                assertThat(shed(proxy)).isEqualTo(4);
            } finally {
                PG.target().start();
            }
            proxy.awaitCaughtUp(Duration.ofSeconds(60));
        }
        String shedFill = fillFrom.plusSeconds(lastFill).format(DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss"));
        assertThat(ranges(db, "not mirrored: the spool was full%")).containsExactly(
                List.of("t1", shedFill + "+00", shedFill + ".000001+00"),
                List.of("t1", "2025-01-01 00:00:00+00", "2025-01-02 00:00:00.000001+00"),
                List.of("t1", "2025-02-01 00:00:00+00", "2025-02-01 00:00:00.000001+00"),
                List.of("t1", "2025-03-01 00:00:00+00", "2025-03-01 00:00:00.000001+00"));
        // what the spool kept is replayed naming the source's columns
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tt WHERE t1 < '2025-01-01' AND t2 > '2030-01-01'"))
                .isEqualTo(Integer.toString(lastFill - 1));
    }

    private static long shed(RunningMirrorProxy proxy) {
        return (long) proxy.app.registry().get("tandem.spool.shed.transactions").counter().count();
    }

    /** Binary COPY data of two rows of tt (on the source: t1, t2, k, pad), the first padded. */
    private static byte[] binaryRows(OffsetDateTime t1, OffsetDateTime t2, int k, OffsetDateTime nextT1,
                                     OffsetDateTime nextT2, int nextK) {
        ByteBuffer out = ByteBuffer.allocate(19 + 2 * (2 + 12 + 12 + 8 + 4) + PAD.length() + 5 + 2);
        out.put("PGCOPY\n\377\r\n\0".getBytes(StandardCharsets.ISO_8859_1)).putInt(0).putInt(0);
        row(out, t1, t2, k, PAD);
        row(out, nextT1, nextT2, nextK, "short");
        out.putShort((short) -1);
        return Arrays.copyOf(out.array(), out.position());
    }

    private static void row(ByteBuffer out, OffsetDateTime t1, OffsetDateTime t2, int k, String pad) {
        long postgresEpoch = OffsetDateTime.parse("2000-01-01T00:00:00Z").toEpochSecond();
        out.putShort((short) 4)
                .putInt(8).putLong((t1.toEpochSecond() - postgresEpoch) * 1_000_000L)
                .putInt(8).putLong((t2.toEpochSecond() - postgresEpoch) * 1_000_000L)
                .putInt(4).putInt(k)
                .putInt(pad.length()).put(pad.getBytes(StandardCharsets.US_ASCII));
    }
}
