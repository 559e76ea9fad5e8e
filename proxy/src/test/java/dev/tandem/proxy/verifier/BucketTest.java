package dev.tandem.proxy.verifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BucketTest {

    @Test
    void onlyWholeAlignedBucketsInsideTheWindow() {
        assertThat(Bucket.within(7, 31, 5)).containsExactly(new Bucket(10, 15), new Bucket(15, 20), new Bucket(20, 25),
                new Bucket(25, 30));
    }

    @Test
    void windowEdgesOnBoundariesAreIncludedAndEndsAreExclusive() {
        assertThat(Bucket.within(10, 20, 5)).containsExactly(new Bucket(10, 15), new Bucket(15, 20));
        assertThat(Bucket.within(10, 19, 5)).containsExactly(new Bucket(10, 15));
    }

    @Test
    void negativePositionsAlignDownwards() {
        assertThat(Bucket.within(-12, 0, 5)).containsExactly(new Bucket(-10, -5), new Bucket(-5, 0));
    }

    @Test
    void aWindowShorterThanABucketOrReversedHasNone() {
        assertThat(Bucket.within(11, 14, 5)).isEmpty();
        assertThat(Bucket.within(30, 10, 5)).isEmpty();
    }

    @Test
    void theWidthMustBePositive() {
        assertThatThrownBy(() -> Bucket.within(0, 10, 0)).hasMessageContaining("must be positive");
    }
}
