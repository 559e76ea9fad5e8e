package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.state.TimeType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TimeValuesTest {

    static final ZoneId NEW_YORK = ZoneId.of("America/New_York");

    static TableTimeColumn column(String formatType) {
        return TableTimeColumn.of("t", formatType, List.of("id", "t"), List.of("id", "t"));
    }

    /** What one text value reads as: {@code [start, end)} as the ledger writes it, {@code infinity}, or {@code unknown}. */
    static String text(String formatType, String value, ZoneId zone) {
        RowTimes times = new RowTimes();
        new TimeValues(column(formatType), zone).text(value, times);
        // and as a COPY's bytes, whose usual forms are read without a string: the same
        RowTimes fromBytes = new RowTimes();
        byte[] bytes = value.getBytes(StandardCharsets.ISO_8859_1);
        new TimeValues(column(formatType), zone).text(bytes, bytes.length, fromBytes);
        assertThat(shown(formatType, fromBytes)).as("%s read from bytes", value).isEqualTo(shown(formatType, times));
        return shown(formatType, times);
    }

    static String shown(String formatType, RowTimes times) {
        TimeRange range = times.range("t", TimeType.of(formatType));
        return range == null ? "unknown" : range.bounded() ? "[" + range.start() + ", " + range.end() + ")"
                : range.infinite() + " at infinity";
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "timestamp with time zone|2026-01-05 10:00:00+01|[2026-01-05 09:00:00+00, 2026-01-05 09:00:00.000001+00)",
        "timestamp with time zone| 2026-01-05T10:00:00.25Z |[2026-01-05 10:00:00.25+00, 2026-01-05 10:00:00.250001+00)",
        "timestamp with time zone|2026-01-05 10:00-05:30|[2026-01-05 15:30:00+00, 2026-01-05 15:30:00.000001+00)",
        "timestamp with time zone|2026-01-05 10:00:00.123+0530|[2026-01-05 04:30:00.123+00, 2026-01-05 04:30:00.123001+00)",
        "timestamp with time zone|2026-01-05 10:00:00+05:30:15|[2026-01-05 04:29:45+00, 2026-01-05 04:29:45.000001+00)",
        "timestamp with time zone|2024-02-29 10:00:00z|[2024-02-29 10:00:00+00, 2024-02-29 10:00:00.000001+00)",
        "timestamp with time zone|2025-02-29 10:00:00+00|unknown",
        "timestamp with time zone|0001-01-01 00:00:00+00|[0001-01-01 00:00:00+00, 0001-01-01 00:00:00.000001+00)",
        "timestamp with time zone|2026-01-05 10:00:00+5|unknown",
        "timestamp with time zone|2026-01-05 10:00:00.|unknown",
        "timestamp with time zone|2026-01-05 10:00:00|[2026-01-05 15:00:00+00, 2026-01-05 15:00:00.000001+00)",
        "timestamp with time zone|2026-07-05|[2026-07-05 04:00:00+00, 2026-07-05 04:00:00.000001+00)",
        "timestamp with time zone|2026-03-08 02:30:00|unknown",
        "timestamp with time zone|2026-11-01 01:30:00|unknown",
        "timestamp with time zone|2026-01-05 10:00:00 Europe/Paris|unknown",
        "timestamp with time zone|01/05/2026 10:00|unknown",
        "timestamp with time zone|2026-01-05 10:00:00.1234567+00|unknown",
        "timestamp with time zone|now|unknown",
        "timestamp with time zone|2026-01-05 10:00:00 BC|unknown",
        "timestamp with time zone|Infinity|1 at infinity",
        "timestamp with time zone|-infinity|1 at infinity",
        "timestamp(0) with time zone|2026-01-05 10:00:00.5+00|[2026-01-05 10:00:01+00, 2026-01-05 10:00:01.000001+00)",
        // half away from zero from 2000-01-01, PostgreSQL's epoch: before it, down
        "timestamp(3) with time zone|1999-12-31 23:59:59.9995+00|[1999-12-31 23:59:59.999+00, 1999-12-31 23:59:59.999001+00)",
        "timestamp(3) with time zone|1999-12-31 23:59:59.9985+00|[1999-12-31 23:59:59.998+00, 1999-12-31 23:59:59.998001+00)",
        "timestamp(3) with time zone|2000-01-01 00:00:00.0005+00|[2000-01-01 00:00:00.001+00, 2000-01-01 00:00:00.001001+00)",
        "timestamp without time zone|2026-01-05 24:00:00|[2026-01-06 00:00:00, 2026-01-06 00:00:00.000001)",
        "timestamp without time zone|2026-01-05 23:59:60|[2026-01-06 00:00:00, 2026-01-06 00:00:00.000001)",
        "timestamp without time zone|2026-01-05 10:00:00+05|[2026-01-05 10:00:00, 2026-01-05 10:00:00.000001)",
        "timestamp without time zone|2026-01-05|[2026-01-05 00:00:00, 2026-01-05 00:00:00.000001)",
        "timestamp(2) without time zone|2026-01-05 10:00:00.125|[2026-01-05 10:00:00.13, 2026-01-05 10:00:00.130001)",
        "date|2026-01-05|[2026-01-05, 2026-01-06)",
        "date|2026-01-05 10:00|unknown",
        "date|infinity|1 at infinity",
        "date|10000-01-01|unknown",
        "integer| 42 |[42, 43)",
        "integer|-7|[-7, -6)",
        "integer|+7|[7, 8)",
        "integer|2147483648|unknown",
        "integer|0x1F|unknown",
        "integer|1_000|unknown",
        "integer|1.5|unknown",
        "smallint|32768|unknown",
        "bigint|9223372036854775806|[9223372036854775806, 9223372036854775807)",
        "bigint|9223372036854775807|unknown",
    })
    void readsTextAsTheColumnsInputFunction(String type, String value, String read) {
        assertThat(text(type, value, NEW_YORK)).as(value).isEqualTo(read);
    }

    @Test
    void aTimestamptzWithoutAnOffsetIsReadOnlyInAKnownTimeZone() {
        assertThat(text("timestamptz", "2026-01-05 10:00:00", null)).isEqualTo("unknown");
        assertThat(text("timestamptz", "2026-01-05 10:00:00", TimeText.zone("asia/tokyo")))
                .isEqualTo("[2026-01-05 01:00:00+00, 2026-01-05 01:00:00.000001+00)");
        assertThat(TimeText.zone("UTC+3")).as("POSIX, read the other way round by PostgreSQL").isNull();
        assertThat(TimeText.zone("+05:30")).as("POSIX too: 5.5 hours west for PostgreSQL").isNull();
        // hours east of UTC, as SET TIME ZONE takes them and as the server then reports them
        assertThat(text("timestamptz", "2026-01-05 10:00:00", TimeText.zone("<+05:30>-05:30")))
                .isEqualTo("[2026-01-05 04:30:00+00, 2026-01-05 04:30:00.000001+00)");
        assertThat(TimeText.zone("-7")).isEqualTo(TimeText.zone("<-07>+07")).isEqualTo(ZoneOffset.ofHours(-7));
        assertThat(TimeText.zone("100")).as("beyond java.time's offsets").isNull();
        assertThat(text("timestamptz", "2026-01-05 10:00:00+00", null)).startsWith("[2026-01-05 10:00:00+00");
    }

    @Test
    void readsBinaryAsTheColumnsReceiveFunction() {
        long micros = Instant.parse("2026-01-05T10:00:00.000001Z").toEpochMilli() * 1000 + 1
                - 946_684_800_000_000L;
        assertThat(binary("timestamptz", TimeType.TIMESTAMPTZ, ByteBuffer.allocate(8).putLong(micros)))
                .isEqualTo("[2026-01-05 10:00:00.000001+00, 2026-01-05 10:00:00.000002+00)");
        assertThat(binary("timestamp(0)", TimeType.TIMESTAMP, ByteBuffer.allocate(8).putLong(500_000)))
                .isEqualTo("[2000-01-01 00:00:01, 2000-01-01 00:00:01.000001)");
        assertThat(binary("timestamptz", TimeType.TIMESTAMPTZ, ByteBuffer.allocate(8).putLong(Long.MAX_VALUE)))
                .isEqualTo("1 at infinity");
        assertThat(binary("date", TimeType.DATE, ByteBuffer.allocate(4).putInt(-1)))
                .isEqualTo("[1999-12-31, 2000-01-01)");
        assertThat(binary("date", TimeType.DATE, ByteBuffer.allocate(4).putInt(Integer.MIN_VALUE)))
                .isEqualTo("1 at infinity");
        assertThat(binary("bigint", TimeType.INTEGER, ByteBuffer.allocate(4).putInt(-5)))
                .as("an int4 parameter into a bigint column").isEqualTo("[-5, -4)");
        assertThat(binary("integer", TimeType.SMALLINT, ByteBuffer.allocate(2).putShort((short) -2)))
                .isEqualTo("[-2, -1)");
        assertThat(binary("bigint", TimeType.BIGINT, ByteBuffer.allocate(4).putInt(5))).as("four bytes of an int8")
                .isEqualTo("unknown");
        assertThat(binary("timestamptz", TimeType.TIMESTAMP, ByteBuffer.allocate(8).putLong(0)))
                .as("a timestamp into a timestamptz column depends on the TimeZone").isEqualTo("unknown");
        assertThat(binary("timestamptz", TimeType.DATE, ByteBuffer.allocate(4).putInt(0))).isEqualTo("unknown");
    }

    private static String binary(String formatType, TimeType as, ByteBuffer value) {
        RowTimes times = new RowTimes();
        new TimeValues(column(formatType), NEW_YORK).binary(value.array(), 0, value.position(), as, times);
        return shown(formatType, times);
    }

    @Test
    void rowsGiveTheirFirstAndLastPositionAndTheirCountAtInfinityOrNoneOnceOneIsUnknown() {
        TimeValues values = new TimeValues(column("timestamptz"), null);
        RowTimes times = new RowTimes();
        for (String v : List.of("2026-01-05 10:00:00+00", "2025-12-31 23:00:00-02", "infinity",
                "2026-01-01 00:00:00+00", "-infinity")) {
            values.text(v, times);
        }
        TimeRange range = times.range("t", TimeType.TIMESTAMPTZ);
        assertThat(range.start()).isEqualTo("2026-01-01 00:00:00+00");
        assertThat(range.end()).isEqualTo("2026-01-05 10:00:00.000001+00");
        assertThat(range.infinite()).isEqualTo(2);
        values.text("tomorrow", times);
        assertThat(times.range("t", TimeType.TIMESTAMPTZ)).isNull();
        assertThat(times.whyUnknown()).isEqualTo("a value not in ISO 8601 form");
        assertThat(new RowTimes().range("t", TimeType.TIMESTAMPTZ)).as("no rows").isNull();
    }

    @Test
    void rangesMergeOnlyOnTheSameColumnAndType() {
        TimeRange a = new TimeRange("t", TimeType.DATE, true, 0, TimeType.MICROS_PER_DAY, 0);
        TimeRange b = new TimeRange("t", TimeType.DATE, false, 0, 0, 3);
        TimeRange c = new TimeRange("t", TimeType.DATE, true, -TimeType.MICROS_PER_DAY, 0, 1);
        assertThat(a.merge(b)).isEqualTo(new TimeRange("t", TimeType.DATE, true, 0, TimeType.MICROS_PER_DAY, 3));
        assertThat(b.merge(c)).isEqualTo(new TimeRange("t", TimeType.DATE, true, -TimeType.MICROS_PER_DAY, 0, 4));
        assertThat(a.merge(c).start()).isEqualTo("1969-12-31");
        assertThat(a.merge(c).end()).isEqualTo("1970-01-03");
        assertThat(a.merge(new TimeRange("u", TimeType.DATE, true, 0, 0, 0))).isNull();
        assertThat(a.merge(new TimeRange("t", TimeType.TIMESTAMP, true, 0, 0, 0))).isNull();
    }
}
