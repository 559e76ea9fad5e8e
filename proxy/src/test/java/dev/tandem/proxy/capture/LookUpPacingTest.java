package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LookUpPacingTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void theFirstLookUpAndOneAfterAPauseDoNotWait() {
        assertThat(LookUpPacing.delayNanos(null, 1_000 * MS)).isZero();
        assertThat(LookUpPacing.delayNanos(new LookUpPacing.Span(0, 2 * MS), 60 * MS)).isZero();
    }

    @Test
    void aQuickLookUpIsFollowedAfterTheMinimumGap() {
        // 2 ms look-up ended at 12 ms: 4 x 2 ms is less than the 50 ms minimum
        assertThat(LookUpPacing.delayNanos(new LookUpPacing.Span(10 * MS, 12 * MS), 12 * MS)).isEqualTo(50 * MS);
        assertThat(LookUpPacing.delayNanos(new LookUpPacing.Span(10 * MS, 12 * MS), 40 * MS)).isEqualTo(22 * MS);
    }

    @Test
    void aSlowLookUpIsFollowedAfterFourTimesItsDuration() {
        // a 200 ms look-up of a large catalog: the next waits 800 ms, so look-ups take at most a fifth of the time
        assertThat(LookUpPacing.delayNanos(new LookUpPacing.Span(0, 200 * MS), 300 * MS)).isEqualTo(700 * MS);
    }
}
