package dev.tandem.proxy.capture;

import dev.tandem.protocol.state.TimeType;

/**
 * The time-column values of rows as they are read, one at a time, in constant space: the earliest and latest finite
 * position and the rows at infinity; or that some row's value is not known ({@link #unknown}), after which nothing
 * read can make the range exact again. A value the reader could not read, a NULL (no position a range reaches), a
 * default the server computes: each makes it unknown. Not thread-safe.
 */
final class RowTimes {

    private long first = Long.MAX_VALUE;
    private long last = Long.MIN_VALUE;
    private long finite;
    private long infinite;
    private String unknown;

    /** A row at {@code position}. */
    void add(long position) {
        finite++;
        if (position < first) {
            first = position;
        }
        if (position > last) {
            last = position;
        }
    }

    /** A row at infinity or -infinity. */
    void infinity() {
        infinite++;
    }

    /** A row whose position is not known, for the reason given (the first one is kept, for the log). */
    void unknown(String why) {
        if (unknown == null) {
            unknown = why;
        }
    }

    boolean isUnknown() {
        return unknown != null;
    }

    /** Why the rows' times are not known; null when they are. */
    String whyUnknown() {
        return unknown;
    }

    /** Adds the rows of a range read before. */
    void add(TimeRange range) {
        if (range.bounded()) {
            first = Math.min(first, range.first());
            last = Math.max(last, range.last());
            finite++; // at least one: the count only tells whether there is any
        }
        infinite += range.infinite();
    }

    /** Adds what {@code other} read. */
    void add(RowTimes other) {
        if (other.unknown != null) {
            unknown(other.unknown);
        }
        if (other.finite > 0) {
            first = Math.min(first, other.first);
            last = Math.max(last, other.last);
            finite += other.finite;
        }
        infinite += other.infinite;
    }

    /**
     * The range of the rows read, on {@code column} of {@code type}; null when a row's time is not known, a position
     * cannot be written as a range bound ({@link TimeRange#representable}), or there were no rows.
     */
    TimeRange range(String column, TimeType type) {
        if (unknown != null || finite == 0 && infinite == 0) {
            return null;
        }
        if (finite == 0) {
            return new TimeRange(column, type, false, 0, 0, infinite);
        }
        if (!TimeRange.representable(type, first) || !TimeRange.representable(type, last)) {
            return null;
        }
        return new TimeRange(column, type, true, first, last, infinite);
    }
}
