package dev.tandem.proxy.verifier;

import java.util.ArrayList;
import java.util.List;

/**
 * One compared {@code [start, end)} range of a time column, as positions (see
 * {@link dev.tandem.protocol.state.TimeType}): microseconds since 1970 for timestamp-like columns, the value itself for
 * integer ones.
 */
record Bucket(long start, long end) {

    /**
     * The buckets of width {@code width}, aligned to multiples of it, that lie entirely inside
     * {@code [from, until)}, oldest first. Alignment makes every run see the same buckets, so a divergent bucket is
     * recognised (and ledgered) once.
     */
    static List<Bucket> within(long from, long until, long width) {
        if (width <= 0) {
            throw new IllegalArgumentException("bucket width must be positive, not " + width);
        }
        List<Bucket> buckets = new ArrayList<>();
        long start = Math.floorDiv(from, width) * width;
        if (start < from) {
            start += width;
        }
        for (; start <= until - width; start += width) {
            buckets.add(new Bucket(start, start + width));
        }
        return buckets;
    }
}
