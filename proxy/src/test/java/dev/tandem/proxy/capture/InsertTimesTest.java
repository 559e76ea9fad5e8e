package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.InsertRows;
import dev.tandem.protocol.state.TimeType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.Test;

class InsertTimesTest {

    /** Table {@code m (id int, ts timestamptz, note text)}. */
    static final TableTimeColumn M = new TableTimeColumn("ts", TimeType.TIMESTAMPTZ, -1, List.of("id", "ts", "note"),
            List.of("id", "ts", "note"));
    static final TableTimeColumn DAYS = new TableTimeColumn("day", TimeType.DATE, -1, List.of("id", "day"),
            List.of("id", "day"));
    static final TableTimeColumn TICKS = new TableTimeColumn("tick", TimeType.BIGINT, -1, List.of("tick", "v"),
            List.of("tick", "v"));
    static final short[] TEXT = {};
    static final int[] UNTYPED = {};

    static String read(TableTimeColumn table, String sql, int[] types, short[] formats, byte[]... parameters) {
        RowTimes times = new RowTimes();
        InsertTimes.read(InsertRows.parse(sql, true).orElse(null), new TimeValues(table, ZoneId.of("Asia/Tokyo")),
                types, formats, parameters, times);
        TimeRange range = times.range(table.name(), table.type());
        return range == null ? "unknown: " + times.whyUnknown()
                : "[" + range.start() + ", " + range.end() + ")" + (range.infinite() > 0 ? " +" + range.infinite() : "");
    }

    static byte[] text(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void readsTextParametersAsTheTypeTheParseGaveOrTheColumns() {
        String sql = "INSERT INTO m (id, ts, note) VALUES ($1, $2, $3), ($4, $5, $6)";
        assertThat(read(M, sql, UNTYPED, TEXT, text("1"), text("2026-01-05 10:00:00+00"), text("a"), text("2"),
                text("2026-01-04 10:00:00"), null)).isEqualTo("[2026-01-04 01:00:00+00, 2026-01-05 10:00:00.000001+00)");
        // pgjdbc's setObject(OffsetDateTime): timestamptz; setTimestamp: unspecified (0)
        assertThat(read(M, sql, new int[] {23, 1184, 1043, 23, 0, 1043}, TEXT, text("1"),
                text("2026-01-05 10:00:00+01"), text("a"), text("2"), text("infinity"), text("b")))
                .isEqualTo("[2026-01-05 09:00:00+00, 2026-01-05 09:00:00.000001+00) +1");
        assertThat(read(M, sql, new int[] {23, 1114, 1043}, TEXT, text("1"), text("2026-01-05 10:00:00"), text("a"),
                text("2"), text("2026-01-04 10:00:00+00"), text("b")))
                .as("a timestamp into a timestamptz column: the session's TimeZone decides")
                .startsWith("unknown: a value of type timestamp for a timestamptz column");
        assertThat(read(M, sql, UNTYPED, TEXT, text("1"), null, text("a"))).isEqualTo(
                "unknown: a NULL time, which no range reaches");
    }

    @Test
    void readsBinaryParametersByTheirFormatCode() {
        long postgresMicros = 1_767_607_200_000_000L - 946_684_800_000_000L; // 2026-01-05 10:00 UTC
        byte[] ts = ByteBuffer.allocate(8).putLong(postgresMicros).array();
        byte[] id = ByteBuffer.allocate(4).putInt(1).array();
        String sql = "INSERT INTO m VALUES ($1, $2, $3)";
        assertThat(read(M, sql, new int[] {23, 1184, 25}, new short[] {1, 1, 0}, id, ts, text("x")))
                .isEqualTo("[2026-01-05 10:00:00+00, 2026-01-05 10:00:00.000001+00)");
        assertThat(read(M, sql, new int[] {23, 0, 25}, new short[] {1}, id, ts, text("x")))
                .as("one format code for all: binary, of the type the server infers").startsWith("[2026-01-05 10:00");
        assertThat(read(TICKS, "INSERT INTO t VALUES ($1, $2), ($3, $4)", new int[] {23, 0, 20, 0},
                new short[] {1, 0, 1, 0}, ByteBuffer.allocate(4).putInt(-3).array(), text("v"),
                ByteBuffer.allocate(8).putLong(1L << 40).array(), text("w")))
                .as("an int4 and an int8 into a bigint column").isEqualTo("[-3, 1099511627777)");
    }

    @Test
    void readsConstantsOfTheSimpleProtocolAndCasts() {
        assertThat(read(DAYS, "INSERT INTO d VALUES (1, '2026-01-05'), (2, date '2025-12-31'),"
                + " (3, CAST('2026-02-01' AS date)), (4, '-infinity'::date)", UNTYPED, TEXT))
                .isEqualTo("[2025-12-31, 2026-02-02) +1");
        assertThat(read(TICKS, "INSERT INTO t (v, tick) VALUES ('a', 5), ('b', -7), ('c', '12'::bigint)", UNTYPED,
                TEXT)).isEqualTo("[-7, 13)");
        assertThat(read(M, "INSERT INTO m VALUES (1, $1::timestamptz, 'x')", UNTYPED, TEXT,
                text("2026-01-05 09:00"))).isEqualTo("[2026-01-05 00:00:00+00, 2026-01-05 00:00:00.000001+00)");
    }

    @Test
    void aTimeTheServerComputesIsUnknown() {
        assertThat(read(M, "INSERT INTO m VALUES (1, now() - interval '3 days', 'x')", UNTYPED, TEXT))
                .isEqualTo("unknown: a time the server computes (an expression, a function call, DEFAULT)");
        assertThat(read(M, "INSERT INTO m VALUES (1, DEFAULT, 'x')", UNTYPED, TEXT))
                .isEqualTo("unknown: a time the server computes (an expression, a function call, DEFAULT)");
        assertThat(read(M, "INSERT INTO m (id, note) VALUES (1, 'x')", UNTYPED, TEXT))
                .isEqualTo("unknown: the time column is left to its default, which the server computes");
        assertThat(read(M, "INSERT INTO m VALUES (1)", UNTYPED, TEXT))
                .isEqualTo("unknown: the time column is left to its default, which the server computes");
        assertThat(read(M, "INSERT INTO m VALUES (1, '2026-01-05 10:00+00'::timestamp, 'x')", UNTYPED, TEXT))
                .startsWith("unknown: a value of type timestamp for a timestamptz column");
        assertThat(read(M, "INSERT INTO m VALUES (1, '2026-01-05 10:00+00'::timestamptz(0), 'x')", UNTYPED, TEXT))
                .isEqualTo("unknown: a constant cast to a type the proxy does not read");
        assertThat(read(M, "INSERT INTO m VALUES (1, '2026-01-05 10:00+00', 'x') ON CONFLICT (id) DO UPDATE"
                + " SET note = EXCLUDED.note", UNTYPED, TEXT))
                .isEqualTo("unknown: ON CONFLICT ... DO UPDATE, which may change a row of another time");
        assertThat(read(M, "INSERT INTO m SELECT * FROM unnest($1::int[], $2::timestamptz[], $3::text[])", UNTYPED,
                TEXT)).isEqualTo("unknown: a statement other than INSERT ... VALUES with parameters or constants");
        assertThat(read(M, "INSERT INTO m VALUES ($1, $2, $3)", UNTYPED, TEXT, text("1")))
                .isEqualTo("unknown: a parameter the Bind does not give");
        assertThat(read(M, "INSERT INTO m VALUES (1, '2026-01-05 10:00+00', 'x') ON CONFLICT DO NOTHING", UNTYPED,
                TEXT)).as("a row not inserted is in the range all the same: re-copied, harmlessly")
                .startsWith("[2026-01-05 10:00:00+00");
    }

    @Test
    void theSourcesOrderPlacesTheValuesOfAStatementWithoutAColumnList() {
        TableTimeColumn sourceOrder = M.inSourceOrder(new SourceColumnLists.Lists(List.of("ts", "id", "note"),
                List.of("ts", "id", "note")));
        assertThat(read(sourceOrder, "INSERT INTO m VALUES ('2026-01-05 10:00+00', 1, 'x')", UNTYPED, TEXT))
                .isEqualTo("[2026-01-05 10:00:00+00, 2026-01-05 10:00:00.000001+00)");
        TableTimeColumn unknownOrder = M.inSourceOrder(null);
        assertThat(read(unknownOrder, "INSERT INTO m VALUES (1, '2026-01-05 10:00+00', 'x')", UNTYPED, TEXT))
                .isEqualTo("unknown: " + SourceOrderedTimeColumns.ORDER_UNKNOWN);
        assertThat(read(unknownOrder, "INSERT INTO m (note, ts) VALUES ('x', '2026-01-05 10:00+00')", UNTYPED, TEXT))
                .as("a column list needs no order")
                .isEqualTo("[2026-01-05 10:00:00+00, 2026-01-05 10:00:00.000001+00)");
    }
}
