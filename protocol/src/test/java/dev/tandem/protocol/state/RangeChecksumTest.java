package dev.tandem.protocol.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class RangeChecksumTest {

    private static final long JAN_1_2026 = 1_767_225_600_000_000L;

    private final RangeChecksum checksum = new RangeChecksum("My\"Schema", "metrics", "Time", TimeType.TIMESTAMPTZ,
            List.of(new RangeChecksum.Column("Time", "timestamp with time zone"),
                    new RangeChecksum.Column("value", "double precision")));

    @Test
    void quotesEveryIdentifierAndBoundsTheRangeByTheTimeColumn() {
        assertThat(checksum.sql(JAN_1_2026, JAN_1_2026 + 300_000_000L, true)).isEqualTo(
                "SELECT count(*), min(r.\"Time\")::text, max(r.\"Time\")::text, "
                        + "coalesce(sum(hash_record_extended(ROW(r.\"Time\", r.\"value\"), 0)::numeric), 0)::text "
                        + "FROM \"My\"\"Schema\".\"metrics\" r "
                        + "WHERE r.\"Time\" >= '2026-01-01 00:00:00+00'::timestamptz"
                        + " AND r.\"Time\" < '2026-01-01 00:05:00+00'::timestamptz");
    }

    @Test
    void hashesTheRowTextWhenSomeTypeHasNoExtendedHash() {
        assertThat(checksum.sql(0, 10, false))
                .contains("sum(hashtextextended((ROW(r.\"Time\", r.\"value\"))::text, 0)::numeric)");
    }

    @Test
    void hashesEnumValuedColumnsByTheirText() {
        RangeChecksum withEnum = new RangeChecksum("public", "m", "t", TimeType.TIMESTAMPTZ,
                List.of(new RangeChecksum.Column("t", "timestamp with time zone"),
                        new RangeChecksum.Column("mood", "mood[]", true)));
        assertThat(withEnum.sql(0, 10, true)).contains("hash_record_extended(ROW(r.\"t\", r.\"mood\"::text COLLATE \"C\"), 0)");
    }

    @Test
    void rowsWithANullTimeAreSelectedByIsNull() {
        assertThat(checksum.nullTimeSql(true)).endsWith("FROM \"My\"\"Schema\".\"metrics\" r WHERE r.\"Time\" IS NULL")
                .startsWith("SELECT count(*), min(r.\"Time\")::text");
    }

    @Test
    void probesTheColumnTypes() {
        assertThat(checksum.recordHashProbeSql())
                .isEqualTo("SELECT hash_record_extended(ROW(r.\"Time\", r.\"value\"), 0) FROM (VALUES (1)) one"
                        + " LEFT JOIN \"My\"\"Schema\".\"metrics\" r ON false");
    }

    @Test
    void integerTimeColumnsTakeIntegerLiterals() {
        RangeChecksum ints = new RangeChecksum("public", "ticks", "t", TimeType.BIGINT,
                List.of(new RangeChecksum.Column("t", "bigint")));
        assertThat(ints.sql(1000, 2000, true)).endsWith("WHERE r.\"t\" >= '1000'::bigint AND r.\"t\" < '2000'::bigint");
    }

    @Test
    void refusesATableWithoutColumns() {
        assertThatThrownBy(() -> new RangeChecksum("public", "empty", "t", TimeType.BIGINT, List.of()))
                .hasMessage("table public.empty has no columns to compare");
    }
}
