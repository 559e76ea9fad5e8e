package dev.tandem.backfill.repair;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The ledger ranges of one table and time column as the fewest {@code [start, end)} ranges that hold them: ranges that
 * overlap or touch (one ends where the next starts) are one. A burst of shed transactions leaves an entry per
 * transaction inside the summary entry of the same burst; a task for each copied the summary's rows again for every
 * entry inside it, one task at a time.
 */
final class RangeUnion {

    /** One range to re-copy and the entries whose ranges it holds. */
    record Merged(long start, long end, List<Long> entryIds) {
    }

    private record Entry(long id, long start, long end) {
    }

    private final List<Entry> entries = new ArrayList<>();

    /** {@code start < end}: repair skips an entry whose range is empty. */
    void add(long entryId, long start, long end) {
        entries.add(new Entry(entryId, start, end));
    }

    /** The merged ranges in order, each with its entries by id. */
    List<Merged> ranges() {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::start).thenComparingLong(Entry::id));
        List<Merged> merged = new ArrayList<>();
        int i = 0;
        while (i < sorted.size()) {
            long start = sorted.get(i).start();
            long end = sorted.get(i).end();
            List<Long> ids = new ArrayList<>();
            // bounds are exclusive at the end: a range starting where this one ends continues it without a gap
            while (i < sorted.size() && sorted.get(i).start() <= end) {
                end = Math.max(end, sorted.get(i).end());
                ids.add(sorted.get(i).id());
                i++;
            }
            ids.sort(null);
            merged.add(new Merged(start, end, List.copyOf(ids)));
        }
        return merged;
    }
}
