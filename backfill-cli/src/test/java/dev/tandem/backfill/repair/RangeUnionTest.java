package dev.tandem.backfill.repair;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class RangeUnionTest {

    @Test
    void rangesInsideAnotherAreOneWithIt() {
        RangeUnion union = new RangeUnion();
        union.add(3, 15, 16);
        union.add(1, 10, 50);
        union.add(2, 49, 50);
        union.add(4, 10, 11);
        assertThat(union.ranges()).containsExactly(new RangeUnion.Merged(10, 50, List.of(1L, 2L, 3L, 4L)));
    }

    @Test
    void aRangeStartingWhereAnotherEndsContinuesIt() {
        RangeUnion union = new RangeUnion();
        union.add(2, 20, 30);
        union.add(1, 10, 20);
        union.add(3, 25, 40);
        assertThat(union.ranges()).containsExactly(new RangeUnion.Merged(10, 40, List.of(1L, 2L, 3L)));
    }

    @Test
    void aGapOfOneKeepsRangesApart() {
        RangeUnion union = new RangeUnion();
        union.add(1, 10, 20);
        union.add(2, 21, 30);
        union.add(3, 100, 101);
        union.add(4, 5, 6);
        assertThat(union.ranges()).containsExactly(new RangeUnion.Merged(5, 6, List.of(4L)),
                new RangeUnion.Merged(10, 20, List.of(1L)), new RangeUnion.Merged(21, 30, List.of(2L)),
                new RangeUnion.Merged(100, 101, List.of(3L)));
    }

    @Test
    void aRangeReachingPastTheOneItOverlapsExtendsTheUnion() {
        RangeUnion union = new RangeUnion();
        union.add(1, 10, 20);
        union.add(2, 12, 14);
        union.add(3, 18, 35);
        union.add(4, 35, 36);
        union.add(5, 37, 38);
        assertThat(union.ranges()).containsExactly(new RangeUnion.Merged(10, 36, List.of(1L, 2L, 3L, 4L)),
                new RangeUnion.Merged(37, 38, List.of(5L)));
    }
}
