package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.ClassifiedStatement;
import dev.tandem.protocol.sql.StatementClassifier;
import dev.tandem.protocol.state.TimeType;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class CopyRowTimesTest {

    /** Table {@code m (id int, ts timestamptz, note text)}, with a generated column last that COPY does not read. */
    static final TableTimeColumn M = new TableTimeColumn("ts", TimeType.TIMESTAMPTZ, -1,
            List.of("id", "ts", "note", "computed"), List.of("id", "ts", "note"));

    /**
     * What the data's rows' times read as, the same whether the data comes whole or cut anywhere: every cut of one to
     * seven bytes is tried.
     */
    static String read(String copy, byte[] data, String encoding) {
        String whole = readIn(copy, data, data.length, encoding);
        for (int size = 1; size <= 7; size++) {
            assertThat(readIn(copy, data, size, encoding)).as("cut every %d bytes", size).isEqualTo(whole);
        }
        return whole;
    }

    static String read(String copy, String data) {
        return read(copy, data.getBytes(StandardCharsets.UTF_8), null);
    }

    private static String readIn(String copy, byte[] data, int size, String encoding) {
        ClassifiedStatement statement = StatementClassifier.classify(copy).get(0);
        CopyRowTimes reader = CopyRowTimes.of(statement, new TimeValues(M, ZoneId.of("Europe/Paris")), encoding);
        for (int at = 0; at < data.length; at += size) {
            reader.feed(Arrays.copyOfRange(data, at, Math.min(data.length, at + size)));
        }
        RowTimes times = reader.finish();
        TimeRange range = times.range("ts", TimeType.TIMESTAMPTZ);
        return range == null ? "unknown: " + times.whyUnknown()
                : "[" + range.start() + ", " + range.end() + ")" + (range.infinite() > 0 ? " +" + range.infinite() : "");
    }

    @Test
    void readsTextRowsInTheTablesColumnOrder() {
        assertThat(read("COPY m FROM STDIN", "1\t2026-01-05 10:00:00+00\tfirst\n"
                + "2\t2025-12-31 23:00:00\tParis' time\n"
                + "3\tinfinity\t\\N\n"
                + "4\t2026-01-02 00:00:00+00\tno line end"))
                .isEqualTo("[2025-12-31 22:00:00+00, 2026-01-05 10:00:00.000001+00) +1");
        assertThat(read("COPY m FROM STDIN", "1\t2026-01-05 10:00:00+00\r\n2\t2026-01-04 10:00:00+00\r\n"))
                .as("CRLF").isEqualTo("[2026-01-04 10:00:00+00, 2026-01-05 10:00:00.000001+00)");
        assertThat(read("COPY m FROM STDIN", "1\t2026-01-05 10:00:00+00\r2\t2026-01-04 10:00:00+00\r"))
                .as("CR").isEqualTo("[2026-01-04 10:00:00+00, 2026-01-05 10:00:00.000001+00)");
    }

    @Test
    void readsTheColumnListHeaderDelimiterAndEndOfDataLine() {
        assertThat(read("COPY m (note, ts) FROM STDIN WITH (DELIMITER '|', HEADER)",
                "note|ts\na\\|b|2026-01-05 10:00:00+00\nc\\\\|2026-01-06 10:00:00+00\n\\.\nnot read|garbage\n"))
                .isEqualTo("[2026-01-05 10:00:00+00, 2026-01-06 10:00:00.000001+00)");
    }

    @Test
    void readsCsvQuotesEscapesAndLineEndsInsideQuotes() {
        assertThat(read("COPY m FROM STDIN (FORMAT csv)", "1,\"2026-01-05 10:00:00+00\",\"a, \"\"quoted\"\"\n"
                + "line\"\n2,2026-01-07 10:00:00+00,\n"))
                .isEqualTo("[2026-01-05 10:00:00+00, 2026-01-07 10:00:00.000001+00)");
        assertThat(read("COPY m FROM STDIN WITH CSV HEADER QUOTE '''' ESCAPE '\\'",
                "id,ts,note\n1,'2026-01-05 10:00:00+00','it\\'s\n'\n2,2026-01-03 10:00:00+00,'\\\\'\n"))
                .isEqualTo("[2026-01-03 10:00:00+00, 2026-01-05 10:00:00.000001+00)");
    }

    @Test
    void aTimeItCannotReadMakesTheRowsTimesUnknown() {
        String[][] cases = {
            {"COPY m FROM STDIN", "1\t\\N\tnull time\n", "a NULL time, which no range reaches"},
            {"COPY m FROM STDIN", "1\t2026-01-05\\ 10:00\tescaped\n", "a time field with a backslash escape"},
            {"COPY m FROM STDIN", "1\tnow\tclock\n", "a value not in ISO 8601 form"},
            {"COPY m FROM STDIN", "1\n", "a row without the time field"},
            {"COPY m (id, note) FROM STDIN", "1\tx\n",
                "the COPY does not write the time column, whose default the server computes"},
            {"COPY m FROM STDIN (FORMAT csv)", "1,,empty\n", "a NULL time, which no range reaches"},
            {"COPY m FROM STDIN (FORMAT csv, FORCE_NULL (ts))", "1,\"2026-01-05\",x\n",
                "COPY options the proxy does not follow"},
            {"COPY m FROM STDIN WITH CSV FORCE NOT NULL ts", "1,2026-01-05,x\n", "COPY options the proxy does not follow"},
            {"COPY m FROM STDIN (FORMAT csv, DEFAULT 'd')", "1,d,x\n", "COPY options the proxy does not follow"},
            {"COPY m FROM STDIN (ENCODING 'SJIS')", "1\t2026-01-05\tx\n", "COPY options the proxy does not follow"},
            {"COPY m FROM STDIN (DELIMITER '||')", "1||2026-01-05\n", "COPY options the proxy does not follow"},
        };
        for (String[] c : cases) {
            assertThat(read(c[0], c[1])).as(c[0] + ": " + c[1]).isEqualTo("unknown: " + c[2]);
        }
    }

    /**
     * Random rows whose other fields hold delimiters, quotes, escapes and line ends, written as PostgreSQL reads them
     * (quoted or escaped), cut at random: the range is the generated times' first and last. The seed is printed.
     */
    @Test
    void readsTheTimesOfRandomRowsCutAnywhere() {
        long seed = System.nanoTime();
        java.util.Random random = new java.util.Random(seed);
        String[] pieces = {"a", ",", "\"", "\\", "\n", "\r\n", "\t", "|", "'", " ", "é"};
        for (int round = 0; round < 200; round++) {
            boolean csv = random.nextBoolean();
            boolean ownEscape = csv && random.nextBoolean();
            StringBuilder data = new StringBuilder();
            long first = Long.MAX_VALUE;
            long last = Long.MIN_VALUE;
            int rows = 1 + random.nextInt(20);
            for (int r = 0; r < rows; r++) {
                long seconds = 1_700_000_000L + random.nextInt(100_000_000);
                first = Math.min(first, seconds);
                last = Math.max(last, seconds);
                StringBuilder note = new StringBuilder();
                for (int k = random.nextInt(6); k > 0; k--) {
                    note.append(pieces[random.nextInt(pieces.length)]);
                }
                String time = java.time.Instant.ofEpochSecond(seconds).toString().replace('T', ' ');
                String written = csv ? "\"" + (ownEscape ? note.toString().replace("\\", "\\\\").replace("\"", "\\\"")
                        : note.toString().replace("\"", "\"\"")) + "\""
                        : note.toString().replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
                                .replace("\r", "\\r");
                String delimiter = csv ? "," : "\t";
                data.append(r).append(delimiter).append(random.nextBoolean() && csv ? "\"" + time + "\"" : time)
                        .append(delimiter).append(written).append(random.nextBoolean() ? "\n" : "\r\n");
            }
            String copy = !csv ? "COPY m FROM STDIN" : ownEscape ? "COPY m FROM STDIN (FORMAT csv, ESCAPE '\\')"
                    : "COPY m FROM STDIN (FORMAT csv)";
            byte[] bytes = data.toString().getBytes(StandardCharsets.UTF_8);
            String expected = "[" + TimeType.TIMESTAMPTZ.display(first * 1_000_000) + ", "
                    + TimeType.TIMESTAMPTZ.display(last * 1_000_000 + 1) + ")";
            assertThat(readIn(copy, bytes, 1 + random.nextInt(bytes.length), null))
                    .as("seed %d, round %d: %s%n%s", seed, round, copy, data).isEqualTo(expected);
        }
    }

    @Test
    void aClientEncodingWhoseCharactersMayHoldAsciiBytesIsNotRead() {
        byte[] data = "1\t2026-01-05 10:00:00+00\tx\n".getBytes(StandardCharsets.US_ASCII);
        assertThat(read("COPY m FROM STDIN", data, "SJIS"))
                .isEqualTo("unknown: the client_encoding SJIS, whose characters may hold ASCII bytes");
        assertThat(read("COPY m FROM STDIN", data, "LATIN1")).startsWith("[2026-01-05 10:00:00+00");
    }

    @Test
    void readsBinaryRowsByTheirFieldLengths() throws IOException {
        long epoch2000 = 946_684_800_000_000L;
        byte[] data = binary(List.of(
                new Object[] {1, 1_767_607_200_000_000L - epoch2000, "2026-01-05 10:00:00+00"},
                new Object[] {2, Long.MIN_VALUE, null},
                new Object[] {3, 0L, ""}), true);
        assertThat(read("COPY m FROM STDIN (FORMAT binary)", data, null))
                .isEqualTo("[2000-01-01 00:00:00+00, 2026-01-05 10:00:00.000001+00) +1");
        assertThat(read("COPY m FROM STDIN WITH BINARY", binary(List.<Object[]>of(new Object[] {1, 0L, "x"}), false), null))
                .as("ended at a row without the trailer").isEqualTo("[2000-01-01 00:00:00+00, 2000-01-01 00:00:00.000001+00)");
        byte[] nullTime = binary(List.<Object[]>of(new Object[] {1, null, "x"}), true);
        assertThat(read("COPY m FROM STDIN (FORMAT binary)", nullTime, null))
                .isEqualTo("unknown: a NULL time, which no range reaches");
        byte[] cut = Arrays.copyOf(data, data.length - 5);
        assertThat(read("COPY m FROM STDIN (FORMAT binary)", cut, null))
                .isEqualTo("unknown: binary COPY data that ends amid a row");
        byte[] oids = data.clone();
        oids[13] = 1; // the flags: with OIDs
        assertThat(read("COPY m FROM STDIN (FORMAT binary)", oids, null))
                .isEqualTo("unknown: binary COPY data with header flags (OIDs)");
    }

    /** Binary COPY data of rows (id int4, ts timestamptz as PostgreSQL's microseconds or null, note text or null). */
    private static byte[] binary(List<Object[]> rows, boolean trailer) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write("PGCOPY\n\377\r\n\0".getBytes(StandardCharsets.ISO_8859_1));
        out.writeInt(0);
        out.writeInt(4); // a header extension, skipped
        out.writeInt(0xdeadbeef);
        for (Object[] row : rows) {
            out.writeShort(3);
            out.writeInt(4);
            out.writeInt((Integer) row[0]);
            if (row[1] == null) {
                out.writeInt(-1);
            } else {
                out.writeInt(8);
                out.writeLong((Long) row[1]);
            }
            if (row[2] == null) {
                out.writeInt(-1);
            } else {
                byte[] note = ((String) row[2]).getBytes(StandardCharsets.UTF_8);
                out.writeInt(note.length);
                out.write(note);
            }
        }
        if (trailer) {
            out.writeShort(-1);
        }
        return bytes.toByteArray();
    }

    @Test
    void withoutTheSourcesOrderOnlyACopyWithAColumnListIsRead() {
        TimeValues unknownOrder = new TimeValues(M.inSourceOrder(null), ZoneId.of("Europe/Paris"));
        byte[] data = "2026-01-05 10:00:00+00\t1\n".getBytes(StandardCharsets.UTF_8);
        CopyRowTimes implicit = CopyRowTimes.of(StatementClassifier.classify("COPY m FROM STDIN").get(0),
                unknownOrder, null);
        implicit.feed(data);
        RowTimes times = implicit.finish();
        assertThat(times.range("ts", TimeType.TIMESTAMPTZ)).isNull();
        assertThat(times.whyUnknown()).isEqualTo(SourceOrderedTimeColumns.ORDER_UNKNOWN);
        CopyRowTimes listed = CopyRowTimes.of(StatementClassifier.classify("COPY m (ts, id) FROM STDIN").get(0),
                unknownOrder, null);
        listed.feed(data);
        assertThat(listed.finish().range("ts", TimeType.TIMESTAMPTZ)).isNotNull();
    }
}
