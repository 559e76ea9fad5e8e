package dev.tandem.protocol.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TimeTypeTest {

    private static final long JAN_1_2026 = 1_767_225_600_000_000L;

    @Test
    void readsCatalogTypeNames() {
        assertThat(TimeType.of("timestamp with time zone")).isEqualTo(TimeType.TIMESTAMPTZ);
        assertThat(TimeType.of("timestamp(3) without time zone")).isEqualTo(TimeType.TIMESTAMP);
        assertThat(TimeType.of("date")).isEqualTo(TimeType.DATE);
        assertThat(TimeType.of("smallint")).isEqualTo(TimeType.SMALLINT);
        assertThat(TimeType.of("int4")).isEqualTo(TimeType.INTEGER);
        assertThat(TimeType.of("bigint")).isEqualTo(TimeType.BIGINT);
        assertThatThrownBy(() -> TimeType.of("text")).hasMessageContaining("unsupported time column type text")
                .hasMessageContaining("timestamptz, timestamp, date");
    }

    @Test
    void rendersPositionsAsQuotedLiteralsOfTheColumnType() {
        assertThat(TimeType.TIMESTAMPTZ.literal(JAN_1_2026)).isEqualTo("'2026-01-01 00:00:00+00'::timestamptz");
        assertThat(TimeType.TIMESTAMP.literal(JAN_1_2026 + 1_500)).isEqualTo("'2026-01-01 00:00:00.0015'::timestamp");
        assertThat(TimeType.DATE.literal(JAN_1_2026)).isEqualTo("'2026-01-01'::date");
        assertThat(TimeType.BIGINT.literal(1695036737000L)).isEqualTo("'1695036737000'::bigint");
        assertThat(TimeType.SMALLINT.literal(-5)).isEqualTo("'-5'::smallint");
    }

    @Test
    void rendersTimesBeforeTheEpoch() {
        assertThat(TimeType.TIMESTAMPTZ.display(-1)).isEqualTo("1969-12-31 23:59:59.999999+00");
    }

    @Test
    void positionSqlDependsOnTheKindOfType() {
        assertThat(TimeType.INTEGER.positionOf("x")).isEqualTo("(x)::bigint");
        assertThat(TimeType.DATE.positionOf("x")).isEqualTo("(extract(epoch from x) * 1000000)::bigint");
    }
}
