package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.ClassifiedStatement.CopyFormat;
import dev.tandem.proxy.capture.CopyLayout;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class CopyTimesTest {

    /** 2026-01-02 00:00:00 UTC. */
    static final long MARK = Instant.parse("2026-01-02T00:00:00Z").toEpochMilli() * 1000;

    /** The data cut into chunks of {@code size} bytes, as CopyData messages may cut it anywhere. */
    static List<byte[]> chunks(byte[] data, int size) {
        List<byte[]> chunks = new ArrayList<>();
        for (int i = 0; i < data.length; i += size) {
            chunks.add(java.util.Arrays.copyOfRange(data, i, Math.min(data.length, i + size)));
        }
        return chunks;
    }

    static long late(CopyFormat format, String options, String data, int index) {
        CopyLayout layout = CopyLayout.of(format, options);
        byte[] bytes = data.getBytes(StandardCharsets.UTF_8);
        CopyTimes.Count whole = CopyTimes.late(List.of(bytes), layout, index, MARK, null);
        for (int size : new int[] {1, 3, 7}) {
            assertThat(CopyTimes.late(chunks(bytes, size), layout, index, MARK, null)).as("cut every %d bytes", size)
                    .isEqualTo(whole);
        }
        return whole.late();
    }

    /** A time with a zone offset is read to the microsecond: late for a mark a microsecond after it, not at it. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            2026-01-01 23:59:59.999999+00        | 1767311999999999
            2026-01-02 01:00:00+01               | 1767312000000000
            2026-01-02T05:30:00+05:30            | 1767312000000000
            2026-01-01T19:00:00-0500             | 1767312000000000
            2026-01-02 00:00:00Z                 | 1767312000000000
            2026-01-02 00:00:00.5+00:00:00       | 1767312000500000
            """)
    void readsAnIsoTimeWithAnOffsetToTheMicrosecond(String value, long micros) {
        assertThat(CopyTimes.late(value, micros, null)).as("at the mark").isFalse();
        assertThat(CopyTimes.late(value, micros + 1, null)).as("a microsecond after the mark").isTrue();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            infinity                             | false
            -infinity                            | true
            0044-03-15 00:00:00+00 BC            | true
            """)
    void infinityIsNeverLateAndMinusInfinityAndADateBeforeTheChristianEraAlwaysAre(String value, boolean late) {
        assertThat(CopyTimes.late(value, Long.MAX_VALUE, null)).as("before the latest mark").isEqualTo(late);
        assertThat(CopyTimes.late(value, Long.MIN_VALUE + 1, null)).as("before the earliest mark").isEqualTo(late);
    }

    /** Another DateStyle's order, an impossible date, a special value other than infinity: never counted. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            01/02/2026 00:00:00+00
            2026-02-30 00:00:00+00
            now
            """)
    void aValueThatIsNotAnIsoTimeIsNeverLate(String value) {
        assertThat(CopyTimes.late(value, Long.MAX_VALUE, null)).isFalse();
    }

    /** The mark is 2026-01-02 00:00 UTC; a time without an offset counts only if late in every zone. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            2026-01-01 23:59:59+00      | true
            2026-01-02 00:00:00+00      | false
            2026-01-01 07:59:59         | true
            2026-01-01 08:00:00         | false
            2026-01-01 23:00:00         | false
            2026-01-01T07:00:00.5       | true
            2025-12-31                  | true
            2026-01-01                  | true
            2026-01-02                  | false
            2025-12-31 10:00:00 europe/berlin | false
            01/02/2025 00:00:00         | false
            -infinity                   | true
            """)
    void aTimeWithoutAnOffsetIsLateOnlyWhenItIsLateInEveryZone(String value, boolean late) {
        assertThat(CopyTimes.late(value, MARK, null)).isEqualTo(late);
    }

    /**
     * The mark is 2026-01-02 00:00 UTC; a time without an offset is read in the session's TimeZone when it is a zone
     * of the tz database, outside a daylight-saving change, or hours east of UTC as the server reports them
     * ({@code SET TIME ZONE 3}: {@code <+03>-03}); else as if unknown.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            2026-01-01 23:59:59       | UTC                 | true
            2026-01-02 00:00:00       | UTC                 | false
            2026-01-02 00:59:59       | Europe/Paris        | true
            2026-01-02 01:00:00       | Europe/Paris        | false
            2026-01-01 18:59:59       | America/New_York    | true
            2026-01-01 19:00:00       | America/New_York    | false
            2026-01-01 20:00:00       | Etc/GMT+3           | true
            2026-01-02 00:59:59       | europe/paris        | true
            2026-01-02 01:00:00       | EUROPE/PARIS        | false
            2026-01-01                | Asia/Tokyo          | true
            2026-01-02                | Asia/Tokyo          | true
            2026-01-02                | America/Los_Angeles | false
            2026-01-01 23:00:00       | UTC+3               | false
            2026-01-02 02:59:59       | <+03>-03            | true
            2026-01-02 03:00:00       | <+03>-03            | false
            2026-01-01 07:59:59       | UTC+3               | true
            """)
    void aTimeWithoutAnOffsetIsReadInTheSessionsZoneWhenJavaReadsItAsPostgresDoes(String value, String zone,
                                                                                  boolean late) {
        assertThat(CopyTimes.late(value, MARK, dev.tandem.proxy.capture.TimeText.zone(zone))).as(value + " in " + zone).isEqualTo(late);
    }

    @Test
    void aWallClockTimeThatADaylightSavingChangeSkipsOrRepeatsIsReadAsIfTheZoneWereUnknown() {
        long mark = java.time.Instant.parse("2026-03-08T12:00:00Z").toEpochMilli() * 1000;
        java.time.ZoneId newYork = dev.tandem.proxy.capture.TimeText.zone("America/New_York");
        assertThat(CopyTimes.late("2026-03-08 02:30:00", mark, newYork)).as("skipped: late only in every zone")
                .isFalse();
        assertThat(CopyTimes.late("2026-03-08 01:30:00", mark, newYork)).isTrue();
        assertThat(CopyTimes.late("2026-11-01 01:30:00", java.time.Instant.parse("2026-11-01T06:00:00Z")
                .toEpochMilli() * 1000, newYork)).as("repeated").isFalse();
    }

    @Test
    void textFormatWithDefaultsAndOptions() {
        String data = "1\t2026-01-01 10:00:00+00\tx\n"
                + "2\t2026-01-03 10:00:00+00\ty\n"
                + "3\t\\N\tz\n"
                + "4\t2025-12-31 10:00:00+00\ta\\tb\r\n"
                + "5\t2025-12-31 10:00:00\tno zone, late in every zone\n"
                + "6\t2026-01-01 23:00:00\tno zone, late in some zones only\n";
        assertThat(late(CopyFormat.TEXT, null, data, 1)).isEqualTo(3);
        assertThat(late(CopyFormat.TEXT, null, data, 0)).as("not a time").isZero();
        assertThat(late(CopyFormat.TEXT, "WITH (DELIMITER '|', NULL 'nil')",
                "1|2025-01-01 00:00:00+00\n2|nil\n3|2027-01-01 00:00:00+00\n\\.\n4|2020-01-01 00:00:00+00\n", 1))
                .as("the \\. line ends the data").isEqualTo(1);
        assertThat(late(CopyFormat.TEXT, "DELIMITER AS ','", "2025-01-01 00:00:00+00,1\n", 0)).isEqualTo(1);
    }

    @Test
    void csvWithQuotesNewlinesHeaderAndEscapes() {
        String data = "id,t,note\n"
                + "1,\"2025-06-01 00:00:00+00\",\"a, quoted\nnote\"\n"
                + "2,2026-06-01 00:00:00+00,\"say \"\"hi\"\"\"\n"
                + "3,,empty is NULL\n"
                + "4,\"2025-06-01 00:00:00+00\",\"\"\n";
        assertThat(late(CopyFormat.CSV, "WITH (FORMAT csv, HEADER true)", data, 1)).isEqualTo(2);
        assertThat(late(CopyFormat.TEXT, "CSV HEADER", data, 1)).as("the old syntax").isEqualTo(2);
        assertThat(late(CopyFormat.CSV, "(FORMAT csv, HEADER false)", data, 1)).as("the header read as a row")
                .isEqualTo(2);
        assertThat(late(CopyFormat.CSV, "(FORMAT csv, DELIMITER ';', QUOTE '''', ESCAPE '\\')",
                "1;'2025-06-01 00:00:00+00';'it\\'s'\n2;'2026-06-01 00:00:00+00';x\n", 1)).isEqualTo(1);
    }

    /** Whether a field is the NULL string is decided by its own quotes (or escapes), not those of another field. */
    @Test
    void aFieldIsNullByItsOwnQuotes() {
        String nullTime = "2025-01-01 00:00:00+00";
        assertThat(late(CopyFormat.CSV, "(FORMAT csv, NULL '" + nullTime + "')",
                "\"x\"," + nullTime + "\nx,\"" + nullTime + "\"\n", 1)).as("the quoted one only").isEqualTo(1);
        assertThat(late(CopyFormat.TEXT, "(NULL '" + nullTime + "')", "a\\tb\t" + nullTime + "\n", 1)).isZero();
    }

    /**
     * The rows of the data are counted too, without a header or what follows the end marker: a COPY with a WHERE
     * clause writes fewer, and the rows it left out may be the late ones.
     */
    @Test
    void countsTheRowsOfTheDataAndWhatIsSurelyLateOfTheRowsWritten() {
        CopyLayout text = CopyLayout.of(CopyFormat.TEXT, "WITH (DELIMITER '|')");
        CopyTimes.Count count = CopyTimes.late(List.of(("1|2025-01-01 00:00:00+00\n2|2027-01-01 00:00:00+00\n"
                + "3|2025-01-01 00:00:00+00\n\\.\n4|2020-01-01 00:00:00+00\n").getBytes(StandardCharsets.UTF_8)), text,
                1, MARK, null);
        assertThat(count).isEqualTo(new CopyTimes.Count(2, 3));
        assertThat(count.surelyLate(3)).as("every row written").isEqualTo(2);
        assertThat(count.surelyLate(-1)).as("not known: a record of an older version").isEqualTo(2);
        assertThat(count.surelyLate(2)).as("one left out, maybe a late one").isEqualTo(1);
        assertThat(count.surelyLate(0)).isZero();
        CopyLayout csv = CopyLayout.of(CopyFormat.CSV, "(FORMAT csv, HEADER true)");
        assertThat(CopyTimes.late(List.of("ts\n\"2025-01-01 00:00:00+00\n\"\n".getBytes(StandardCharsets.UTF_8)), csv,
                0, MARK, null)).as("a header, and a quoted line break").isEqualTo(new CopyTimes.Count(1, 1));
    }

    @Test
    void binaryFormat() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("PGCOPY\n\377\r\n\0".getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(ByteBuffer.allocate(8).putInt(0).putInt(4).array());
        out.writeBytes(new byte[] {9, 9, 9, 9}); // a header extension, skipped
        long[] times = {micros("2025-12-31T00:00:00Z"), micros("2026-01-05T00:00:00Z"), Long.MIN_VALUE};
        for (long t : times) {
            ByteBuffer row = ByteBuffer.allocate(2 + 4 + 4 + 4 + 8 + 4);
            row.putShort((short) 3).putInt(4).putInt(7).putInt(8).putLong(t).putInt(-1);
            out.writeBytes(row.array());
        }
        out.writeBytes(ByteBuffer.allocate(2 + 4 + 4 + 4 + 4).putShort((short) 3).putInt(4).putInt(8).putInt(-1)
                .putInt(-1).array()); // a NULL time
        out.writeBytes(new byte[] {(byte) 0xff, (byte) 0xff});
        CopyLayout layout = CopyLayout.of(CopyFormat.BINARY, "WITH (FORMAT binary)");
        assertThat(CopyTimes.late(List.of(out.toByteArray()), layout, 1, MARK, null)).isEqualTo(new CopyTimes.Count(2, 4));
        assertThat(CopyTimes.late(chunks(out.toByteArray(), 5), layout, 1, MARK, null))
                .isEqualTo(new CopyTimes.Count(2, 4));
    }

    @Test
    void optionsItCannotFollowAreNotGuessed() {
        assertThat(CopyLayout.of(CopyFormat.TEXT, "DELIMITER '||'")).isNull();
        assertThat(CopyLayout.of(CopyFormat.TEXT, "DELIMITER 'unterminated")).isNull();
        assertThat(CopyLayout.of(CopyFormat.CSV, "WITH (FORMAT csv, FORCE_NOT_NULL (a), ENCODING 'LATIN1')"))
                .isEqualTo(new CopyLayout(CopyFormat.CSV, (byte) ',', "", false, (byte) '"', (byte) '"'));
    }

    private static long micros(String instant) {
        Instant i = Instant.parse(instant);
        return (i.getEpochSecond() - 946_684_800L) * 1_000_000L;
    }
}
