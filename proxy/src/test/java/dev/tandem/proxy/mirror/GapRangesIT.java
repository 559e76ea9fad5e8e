package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.proxy.demo.BackfillRunner;
import dev.tandem.testing.PostgresPairExtension;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
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
 * The proxy's own divergence ledger entries (a transaction shed from a full spool, one over its capture limit) say
 * where their rows lie on the table's time column, read from the data as it passed, so {@code tandem-backfill repair}
 * re-copies them however far from the commit they are dated; a row whose time only the server computes leaves the
 * entry without a range, and its message says the times are unknown.
 */
class GapRangesIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    static final String TABLE = "CREATE TABLE g (id int PRIMARY KEY, ts timestamptz NOT NULL, pad text)";
    /** Makes each transaction about 4 KiB, so a 1 MiB spool fills up after a few hundred. */
    static final String PAD = "x".repeat(4096);
    static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss");
    static final String UNKNOWN =
            "%the times of its rows are unknown and may lie outside the window of its commit time%";

    private static String freshDatabase(String name) {
        String db = PG.pair().freshDatabase(name);
        PG.pair().executeOnBoth(db, TABLE);
        return db;
    }

    private static RunningMirrorProxy start(String db, Path spool, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("--mirror-table", "public.g",
                "--set", "verifier.time-columns.public.g=ts", "--set", "verifier.enabled=false"));
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
    void aShedTransactionsEntryHasTheRangeOfItsRowsTimesReadFromItsData(@TempDir Path spool) throws Exception {
        String db = freshDatabase("gap_shed");
        OffsetDateTime fillFrom = OffsetDateTime.parse("2024-06-01T00:00:00Z");
        int lastFill = 0;
        try (RunningMirrorProxy proxy = start(db, spool, "--set", "mirror.spool.max-bytes=1MiB",
                "--set", "mirror.spool.segment-bytes=64KiB", "--set", "mirror.spool.on-full=shed")) {
            PG.target().stop();
            try (Connection c = proxy.connect();
                 PreparedStatement ps = c.prepareStatement("INSERT INTO g (id, ts, pad) VALUES (?, ?, ?)")) {
                // until the spool is full and sheds one: rows dated in 2024, one second apart
                while (shed(proxy) == 0 && lastFill < 600) {
                    lastFill++;
                    ps.setInt(1, lastFill);
                    ps.setObject(2, fillFrom.plusSeconds(lastFill));
                    ps.setString(3, PAD);
                    ps.executeUpdate();
                }
                assertThat(shed(proxy)).as("the spool sheds").isEqualTo(1);
                // then, each shed in turn (larger than the one shed, so none fits what is left of the spool), rows
                // dated days and months before their commit
                String larger = PAD + "y".repeat(512);
                ps.setInt(1, 1001);
                ps.setObject(2, OffsetDateTime.parse("2025-01-10T08:00:00+01:00"));
                ps.setString(3, larger);
                ps.executeUpdate();
                try (Statement s = c.createStatement()) {
                    s.execute("INSERT INTO g (id, ts, pad) VALUES (1002, '2025-01-11 09:30:00.5+02', '" + larger + "'),"
                            + " (1003, timestamptz '2025-01-12 00:00:00+00', 'typed constant')");
                    // a time without an offset is the session's TimeZone's, as the source reported it
                    s.execute("SET TIME ZONE 'America/New_York'");
                    CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
                    copy.copyIn("COPY g (ts, id, pad) FROM STDIN (FORMAT csv)", new ByteArrayInputStream(
                            ("\"2025-01-20 12:00:00\",1004," + larger + "\n2025-01-05,1005,\n")
                                    .getBytes(StandardCharsets.UTF_8)));
                    // a time only the server knows
                    s.execute("INSERT INTO g (id, ts, pad) VALUES (1006, now() - interval '3 days', '" + larger + "')");
                }
                assertThat(shed(proxy)).isEqualTo(5);
            } finally {
                PG.target().start();
            }
            proxy.awaitCaughtUp(Duration.ofSeconds(60));
        }
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM g")).isEqualTo(Integer.toString(lastFill - 1));
        String fill = fillFrom.plusSeconds(lastFill).format(SECONDS);
        assertThat(ranges(db, "not mirrored: the spool was full%")).containsExactly(
                List.of("ts", fill + "+00", fill + ".000001+00"),
                List.of("ts", "2025-01-05 05:00:00+00", "2025-01-20 17:00:00.000001+00"),
                List.of("ts", "2025-01-10 07:00:00+00", "2025-01-10 07:00:00.000001+00"),
                List.of("ts", "2025-01-11 07:30:00.5+00", "2025-01-12 00:00:00.000001+00"),
                List.of("-", "-", "-"));
        assertThat(ranges(db, "%; tandem-backfill repair re-copies the time range of its rows")).hasSize(4);
        assertThat(ranges(db, UNKNOWN)).containsExactly(List.of("-", "-", "-"));
    }

    @Test
    void aTransactionOverItsCaptureLimitHasTheRangeOfItsRowsTimesReadAsTheyPassed(@TempDir Path spool)
            throws Exception {
        String db = freshDatabase("gap_over_limit");
        try (RunningMirrorProxy proxy = start(db, spool, "--set", "mirror.max-transaction-bytes=64KiB");
             Connection c = proxy.connect();
             Connection rewriting = proxy.connect("reWriteBatchedInserts", "true");
             Connection simple = proxy.connect("preferQueryMode", "simple")) {
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            // a text COPY of about 160 KiB: its rows an hour apart from 2025-02-01 01:00
            StringBuilder text = new StringBuilder();
            for (int i = 1; i <= 40; i++) {
                text.append(i).append('\t').append(OffsetDateTime.parse("2025-02-01T00:00:00Z").plusHours(i))
                        .append('\t').append(PAD).append('\n');
            }
            copy.copyIn("COPY g FROM STDIN",
                    new ByteArrayInputStream(text.toString().getBytes(StandardCharsets.UTF_8)));
            // a binary COPY: a minute apart from 2025-02-10 00:01
            copy.copyIn("COPY g FROM STDIN (FORMAT binary)", new ByteArrayInputStream(binaryRows(101, 40,
                    OffsetDateTime.parse("2025-02-10T00:00:00Z"), Duration.ofMinutes(1))));
            // a pgjdbc batch in one transaction, a row a day from 2025-03-02: its first rows are held, and replayed
            // into a scratch table on the target for their range, the rest read here
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO g (id, ts, pad) VALUES (?, ?, ?)")) {
                for (int i = 1; i <= 40; i++) {
                    ps.setInt(1, 200 + i);
                    ps.setTimestamp(2, Timestamp.from(Instant.parse("2025-03-01T00:00:00Z")
                            .plus(Duration.ofDays(i))));
                    ps.setString(3, PAD);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            c.commit();
            // the same, rewritten into multi-row INSERTs: a row an hour from 2025-04-01 01:00
            rewriting.setAutoCommit(false);
            try (PreparedStatement ps = rewriting.prepareStatement("INSERT INTO g (id, ts, pad) VALUES (?, ?, ?)")) {
                for (int i = 1; i <= 40; i++) {
                    ps.setInt(1, 300 + i);
                    ps.setObject(2, OffsetDateTime.parse("2025-04-01T00:00:00Z").plusHours(i));
                    ps.setString(3, PAD);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            rewriting.commit();
            // the simple protocol, constants: 2025-05-01 12:00 to 2025-05-20 12:00
            simple.setAutoCommit(false);
            try (Statement st = simple.createStatement()) {
                for (int i = 1; i <= 20; i++) {
                    st.execute(String.format("INSERT INTO g VALUES (%d, '2025-05-%02d 12:00:00+00', '%s')", 400 + i, i,
                            PAD));
                }
            }
            simple.commit();
            // one row the server dates among rows read here: no range
            try (Statement st = c.createStatement()) {
                copy.copyIn("COPY g FROM STDIN", new ByteArrayInputStream(text.toString().replaceAll("(?m)^", "5")
                        .getBytes(StandardCharsets.UTF_8)));
                st.execute("INSERT INTO g (id, ts, pad) VALUES (600, now() - interval '3 days', 'computed')");
            }
            c.commit();
            c.setAutoCommit(true);
            copy.copyIn("COPY g FROM STDIN", new ByteArrayInputStream("700\t2025-01-01 00:00:00+00\tsmall\n"
                    .getBytes(StandardCharsets.UTF_8)));
            proxy.awaitCaughtUp(Duration.ofSeconds(60));
        }
        assertThat(PG.target().query(db, "SELECT id FROM g")).as("only the last, small one is mirrored")
                .containsExactly(List.of("700"));
        assertThat(ranges(db, "the transaction's captured data exceeded mirror.max-transaction-bytes (65536 bytes);"
                + " tandem-backfill repair re-copies the time range of its rows")).containsExactly(
                List.of("ts", "2025-02-01 01:00:00+00", "2025-02-02 16:00:00.000001+00"),
                List.of("ts", "2025-02-10 00:01:00+00", "2025-02-10 00:40:00.000001+00"),
                List.of("ts", "2025-03-02 00:00:00+00", "2025-04-10 00:00:00.000001+00"),
                List.of("ts", "2025-04-01 01:00:00+00", "2025-04-02 16:00:00.000001+00"),
                List.of("ts", "2025-05-01 12:00:00+00", "2025-05-20 12:00:00.000001+00"));
        assertThat(ranges(db, "the transaction's captured data exceeded%" + UNKNOWN.substring(1)))
                .containsExactly(List.of("-", "-", "-"));
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence")).isEqualTo("6");
    }

    /**
     * End to end: rows loaded days after their time, in a transaction over the capture limit, are missing on the
     * target; {@code tandem-backfill repair} re-copies the entry's range, and source and target are equal.
     */
    @Test
    void repairReCopiesTheRangeOfATransactionOverItsLimitAndTheTablesAreEqual(@TempDir Path spool) throws Exception {
        String db = freshDatabase("gap_repair");
        // what the table held before, copied by the backfill: rows around the ones the load brings
        PG.pair().executeOnBoth(db, "INSERT INTO g SELECT i, '2025-01-01 00:00:00+00'::timestamptz + i * interval"
                + " '1 hour', 'backfilled' FROM generate_series(1, 100) i");
        try (RunningMirrorProxy proxy = start(db, spool, "--set", "mirror.max-transaction-bytes=64KiB");
             Connection c = proxy.connect()) {
            StringBuilder load = new StringBuilder();
            for (int i = 1; i <= 40; i++) {
                load.append(1000 + i).append(",2025-01-02 ").append(String.format("%02d", i % 24))
                        .append(":30:00+00,").append(PAD).append('\n');
            }
            c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY g FROM STDIN (FORMAT csv)",
                    new ByteArrayInputStream(load.toString().getBytes(StandardCharsets.UTF_8)));
            proxy.awaitCaughtUp(Duration.ofSeconds(60));
            assertThat(ranges(db, "%")).containsExactly(
                    List.of("ts", "2025-01-02 00:30:00+00", "2025-01-02 23:30:00.000001+00"));
            assertThat(PG.target().queryValue(db, "SELECT count(*) FROM g")).isEqualTo("100");
            // while the proxy runs: repair waits for its mirror to have applied what the source committed
            ByteArrayOutputStream output = new ByteArrayOutputStream();
            int exit = BackfillRunner.locate(new PrintStream(output, true, StandardCharsets.UTF_8)).run("repair",
                    "--source", PG.source().jdbcUrl(db) + "?user=" + PG.source().user(),
                    "--target", PG.target().jdbcUrl(db) + "?user=" + PG.target().user());
            assertThat(exit).as(output.toString(StandardCharsets.UTF_8)).isZero();
            proxy.assertIdentical("g");
        }
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence WHERE repaired_at IS NULL"))
                .isEqualTo("0");
    }

    /** Binary COPY data of {@code rows} rows of g: ids from {@code firstId}, each {@code step} after the last. */
    private static byte[] binaryRows(int firstId, int rows, OffsetDateTime from, Duration step) {
        ByteBuffer out = ByteBuffer.allocate(19 + rows * (2 + 8 + 12 + 4 + PAD.length()) + 2);
        out.put("PGCOPY\n\377\r\n\0".getBytes(StandardCharsets.ISO_8859_1)).putInt(0).putInt(0);
        long postgresEpoch = OffsetDateTime.parse("2000-01-01T00:00:00Z").toEpochSecond();
        for (int i = 1; i <= rows; i++) {
            OffsetDateTime ts = from.plus(step.multipliedBy(i));
            out.putShort((short) 3).putInt(4).putInt(firstId + i - 1)
                    .putInt(8).putLong((ts.toEpochSecond() - postgresEpoch) * 1_000_000L)
                    .putInt(PAD.length()).put(PAD.getBytes(StandardCharsets.US_ASCII));
        }
        out.putShort((short) -1);
        return Arrays.copyOf(out.array(), out.position());
    }

    private static long shed(RunningMirrorProxy proxy) {
        return (long) proxy.app.registry().get("tandem.spool.shed.transactions").counter().count();
    }
}
