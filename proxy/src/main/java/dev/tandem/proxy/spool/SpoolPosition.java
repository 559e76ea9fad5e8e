package dev.tandem.proxy.spool;

/**
 * Where a record starts in the spool: the segment (named by the sequence number of its first record) and the byte offset
 * of the record inside that segment file. Positions are totally ordered by segment, then offset, and both parts only
 * grow, so a position stored on the target (two {@code bigint}s) tells the mirror exactly where to resume.
 *
 * <p>{@link SpoolRecord#next()} is the position right after a record; the mirror stores it with the applied rows and
 * passes it to {@link Spool#acknowledge} and, after a restart, to {@link Spool#openReader}.
 */
public record SpoolPosition(long segment, long offset) implements Comparable<SpoolPosition> {

    /** Before every record the spool ever held: a reader opened here starts at the oldest record still on disk. */
    public static final SpoolPosition ORIGIN = new SpoolPosition(0, 0);

    public SpoolPosition {
        if (segment < 0 || offset < 0) {
            throw new IllegalArgumentException("spool position parts must not be negative: segment " + segment
                    + ", offset " + offset);
        }
    }

    @Override
    public int compareTo(SpoolPosition other) {
        int bySegment = Long.compare(segment, other.segment);
        return bySegment != 0 ? bySegment : Long.compare(offset, other.offset);
    }

    boolean isAfter(SpoolPosition other) {
        return compareTo(other) > 0;
    }

    static SpoolPosition max(SpoolPosition a, SpoolPosition b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    @Override
    public String toString() {
        return segment + ":" + offset;
    }
}
