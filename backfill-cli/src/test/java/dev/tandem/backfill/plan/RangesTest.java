package dev.tandem.backfill.plan;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class RangesTest {

    @Test
    void slicesAreAlignedToMultiplesOfTheWidthAndClippedAtUntil() {
        assertThat(Ranges.slices(5, 47, 20, "t")).containsExactly(new long[] {5, 20}, new long[] {20, 40},
                new long[] {40, 47});
    }

    @Test
    void noSliceWhenFromIsNotBeforeUntil() {
        assertThat(Ranges.slices(50, 50, 20, "t")).isEmpty();
    }

    @Test
    void negativePositionsAlignToo() {
        assertThat(Ranges.slices(-30, 0, 20, "t")).containsExactly(new long[] {-30, -20}, new long[] {-20, 0});
    }

    @Test
    void chunkRangesAreClippedAndDroppedOutsideFromAndUntil() {
        List<long[]> chunks = List.of(new long[] {0, 10}, new long[] {10, 20}, new long[] {20, 30});
        assertThat(Ranges.clip(chunks, 5L, 25)).containsExactly(new long[] {5, 10}, new long[] {10, 20},
                new long[] {20, 25});
        assertThat(Ranges.clip(chunks, null, 10)).containsExactly(new long[] {0, 10});
    }
}
