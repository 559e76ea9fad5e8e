package dev.tandem.backfill.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.protocol.state.TimeType;
import org.junit.jupiter.api.Test;

class SliceTest {

    @Test
    void readsDurationsInSeveralSpellings() {
        assertThat(Slice.parse("1 day").micros()).isEqualTo(86_400_000_000L);
        assertThat(Slice.parse("6h").micros()).isEqualTo(6 * 3_600_000_000L);
        assertThat(Slice.parse("30 min").micros()).isEqualTo(30 * 60_000_000L);
        assertThat(Slice.parse("2 weeks").micros()).isEqualTo(14 * 86_400_000_000L);
        assertThat(Slice.parse("PT1H").micros()).isEqualTo(3_600_000_000L);
        assertThat(Slice.parse("250ms").micros()).isEqualTo(250_000L);
    }

    @Test
    void anIntegerIsASliceForIntegerColumnsOnly() {
        Slice slice = Slice.parse("86400000");
        assertThat(slice.widthFor(TimeType.BIGINT, "t")).isEqualTo(86_400_000L);
        assertThatThrownBy(() -> slice.widthFor(TimeType.TIMESTAMPTZ, "public.m"))
                .hasMessageContaining("public.m has a timestamptz time column");
        assertThatThrownBy(() -> Slice.parse("1 day").widthFor(TimeType.INTEGER, "public.m"))
                .hasMessageContaining("integer slice");
    }

    @Test
    void dateColumnsNeedWholeDays() {
        assertThatThrownBy(() -> Slice.parse("12h").widthFor(TimeType.DATE, "public.d")).hasMessageContaining("whole days");
        assertThat(Slice.parse("2d").widthFor(TimeType.DATE, "public.d")).isEqualTo(2 * TimeType.MICROS_PER_DAY);
    }

    @Test
    void rejectsNonsense() {
        assertThatThrownBy(() -> Slice.parse("fortnight")).hasMessageContaining("cannot read slice 'fortnight'");
        assertThatThrownBy(() -> Slice.parse("0")).hasMessageContaining("positive");
        assertThatThrownBy(() -> Slice.parse("0 days")).hasMessageContaining("positive");
    }
}
