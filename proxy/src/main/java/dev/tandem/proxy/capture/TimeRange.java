package dev.tandem.proxy.capture;

import dev.tandem.protocol.state.TimeType;
import java.util.Objects;

/**
 * Where the rows a ledger entry stands for lie on their table's time column, so {@code tandem-backfill repair} can
 * re-copy exactly them from the source: the finite rows' first and last position ({@link TimeType}'s microseconds
 * or integer value), and how many rows are at {@code infinity} or {@code -infinity}, which no range reaches (their
 * own entry, without a range, is closed by hand). {@code tandem.divergence} keeps it as {@code [start, end)} in the
 * column type's text form ({@link #start}, {@link #end}).
 *
 * @param bounded  whether there are finite rows; {@code first} and {@code last} are 0 when not
 * @param first    the earliest finite row's position
 * @param last     the latest finite row's position
 * @param infinite rows at infinity or -infinity
 */
public record TimeRange(String column, TimeType type, boolean bounded, long first, long last, long infinite) {

    /**
     * The positions a range may hold: years 1 to 9999 for the date and time types, whose text form PostgreSQL and
     * {@link TimeType#display} write alike only there; every value but the largest for the integer types, whose range
     * must end after it.
     */
    public static boolean representable(TimeType type, long position) {
        if (type.isInteger()) {
            return position != Long.MAX_VALUE;
        }
        return position >= FIRST_REPRESENTABLE && position < END_REPRESENTABLE;
    }

    /** 0001-01-01 00:00 in microseconds since 1970-01-01. */
    private static final long FIRST_REPRESENTABLE = -62_135_596_800_000_000L;
    /** 9999-12-31 00:00 in microseconds since 1970-01-01: a range of a day before it still ends in year 9999. */
    private static final long END_REPRESENTABLE = 253_402_214_400_000_000L;

    public TimeRange {
        Objects.requireNonNull(column, "column");
        Objects.requireNonNull(type, "type");
        if (bounded && (first > last || !representable(type, first) || !representable(type, last))) {
            throw new IllegalArgumentException("not a range of " + type.sqlName() + ": " + first + " to " + last);
        }
    }

    /** {@code range_start} as {@code tandem.divergence} keeps it; null when not {@link #bounded}. */
    public String start() {
        return bounded ? type.display(first) : null;
    }

    /** {@code range_end}: just after the last row (a day after it for a date); null when not {@link #bounded}. */
    public String end() {
        return bounded ? type.display(last + (type == TimeType.DATE ? TimeType.MICROS_PER_DAY : 1)) : null;
    }

    /**
     * What the entry of the rows at infinity says after what its transaction was, the same from the capture's ledger
     * and the applier's: {@code whose} is "its" (one transaction) or "their" (a summary of several).
     */
    public String atInfinity(String whose) {
        return infinite + " of " + whose + " rows are at infinity or -infinity in " + column + ", which no range"
                + " reaches: copy them by hand (docs/migration.md, step 8, rows at infinity), then close this entry";
    }

    /** Both ranges' rows; null when they are not of the same column and type. */
    public TimeRange merge(TimeRange other) {
        if (!column.equals(other.column) || type != other.type) {
            return null;
        }
        if (!other.bounded) {
            return new TimeRange(column, type, bounded, first, last, infinite + other.infinite);
        }
        if (!bounded) {
            return new TimeRange(column, type, true, other.first, other.last, infinite + other.infinite);
        }
        return new TimeRange(column, type, true, Math.min(first, other.first), Math.max(last, other.last),
                infinite + other.infinite);
    }
}
