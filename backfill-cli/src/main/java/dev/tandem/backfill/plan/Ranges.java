package dev.tandem.backfill.plan;

import dev.tandem.backfill.BackfillException;
import java.util.ArrayList;
import java.util.List;

/** Cutting {@code [from, until)} into task ranges. */
public final class Ranges {

    /** Above this many tasks for one table the slice is surely a mistake. */
    static final int MAX_TASKS_PER_TABLE = 1_000_000;

    private Ranges() {
    }

    /**
     * Consecutive slices of {@code width} covering {@code [from, until)}: boundaries are multiples of {@code width}
     * (so re-staging finds the same ranges), the first range starts at {@code from}, the last is clipped at {@code until}.
     */
    public static List<long[]> slices(long from, long until, long width, String table) {
        List<long[]> ranges = new ArrayList<>();
        long start = from;
        while (start < until) {
            long boundary = Math.floorDiv(start, width) * width + width;
            long end = Math.min(boundary, until);
            ranges.add(new long[] {start, end});
            if (ranges.size() > MAX_TASKS_PER_TABLE) {
                throw new BackfillException(table + ": more than " + MAX_TASKS_PER_TABLE + " slices; give a larger --slice");
            }
            start = end;
        }
        return ranges;
    }

    /** Chunk ranges clipped to {@code [from, until)}; ranges entirely outside get no task. */
    public static List<long[]> clip(List<long[]> ranges, Long from, long until) {
        List<long[]> clipped = new ArrayList<>();
        for (long[] r : ranges) {
            long start = from == null ? r[0] : Math.max(r[0], from);
            long end = Math.min(r[1], until);
            if (start < end) {
                clipped.add(new long[] {start, end});
            }
        }
        return clipped;
    }
}
