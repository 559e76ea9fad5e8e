package dev.tandem.backfill.ledger;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The open ledger entries as {@code verify} and {@code status} list them: one line for those {@code repair} re-copies,
 * one per table for those it cannot, with the way to close them. Grouped, because a full spool in {@code shed} mode
 * writes an entry per transaction.
 */
public final class LedgerReport {

    /** Runs of ids listed before the rest are only counted. */
    public static final int LISTED_RUNS = 20;

    private LedgerReport() {
    }

    /** Nothing when no entry is open. */
    public static List<String> lines(List<LedgerEntry> open) {
        List<String> lines = new ArrayList<>();
        if (open.isEmpty()) {
            return lines;
        }
        List<Long> ranged = new ArrayList<>();
        Map<String, List<LedgerEntry>> rangeless = new LinkedHashMap<>();
        Map<String, List<LedgerEntry>> atInfinity = new LinkedHashMap<>();
        List<LedgerEntry> noTable = new ArrayList<>();
        for (LedgerEntry e : open) {
            if (e.hasRange()) {
                ranged.add(e.id());
            } else if (e.schema() == null) {
                noTable.add(e);
            } else if (e.atInfinity()) {
                atInfinity.computeIfAbsent(e.tableName(), t -> new ArrayList<>()).add(e);
            } else {
                rangeless.computeIfAbsent(e.tableName(), t -> new ArrayList<>()).add(e);
            }
        }
        lines.add(open.size() + " open divergence ledger " + (open.size() == 1 ? "entry" : "entries")
                + " (tandem.divergence, repaired_at IS NULL): rows the mirror may not have brought over");
        if (!ranged.isEmpty()) {
            lines.add("  with a time range: " + (ranged.size() == 1 ? "id " : "ids ") + EntryIds.format(ranged, LISTED_RUNS)
                    + ": 'repair' re-copies and closes " + (ranged.size() == 1 ? "it" : "them"));
        }
        rangeless.forEach((table, entries) -> {
            List<Long> ids = entries.stream().map(LedgerEntry::id).toList();
            String first = earliest(entries);
            String last = latest(entries);
            String listed = EntryIds.format(ids, LISTED_RUNS);
            boolean one = ids.size() == 1;
            String them = one ? "it" : "them";
            lines.add("  " + table + ", without a time range: " + (one ? "id " : "ids ") + listed
                    + ", recorded " + (first.equals(last) ? first : first + " to " + last) + ": once a task copied"
                    + " after " + them + " whose range holds " + (one ? "that time" : "those times") + " was verified"
                    + " equal (the staged plan's own, for " + (one ? "an entry" : "entries") + " recorded before its"
                    + " --until; else re-copy the table's window around " + them + ": stage --replace"
                    + " --table/--filter --from --until, copy, verify, docs/migration.md step 8, which discards this"
                    + " plan), close " + them + " with " + settleCommand(ids));
        });
        atInfinity.forEach((table, entries) -> {
            List<Long> ids = entries.stream().map(LedgerEntry::id).toList();
            String first = earliest(entries);
            String last = latest(entries);
            lines.add("  " + table + ", rows at infinity or -infinity: " + (ids.size() == 1 ? "id " : "ids ")
                    + EntryIds.format(ids, LISTED_RUNS) + ", recorded " + (first.equals(last) ? first : first + " to "
                    + last) + ": no range holds them, nor a re-copy of the table's window: copy them by hand"
                    + " (docs/migration.md step 8, rows at infinity), then close " + (ids.size() == 1 ? "it" : "them")
                    + ": " + LedgerEntry.closeByHand(ids));
        });
        if (!noTable.isEmpty()) {
            List<Long> ids = noTable.stream().map(LedgerEntry::id).toList();
            String first = earliest(noTable);
            String last = latest(noTable);
            lines.add("  naming no table: " + (ids.size() == 1 ? "id " : "ids ") + EntryIds.format(ids, LISTED_RUNS)
                    + ", recorded " + (first.equals(last) ? first : first + " to " + last) + ": "
                    + LedgerEntry.noTableAdvice(ids));
        }
        return lines;
    }

    /**
     * {@code 'settle 1-3,7'}, or when that would be too long to type, the span from the first id to the last, which
     * stands for every open entry without a time range among them: other tables' too.
     */
    public static String settleCommand(List<Long> sortedIds) {
        String listed = EntryIds.format(sortedIds, LISTED_RUNS);
        if (!listed.contains("...")) {
            return "'settle " + listed + "'";
        }
        return "'settle " + sortedIds.get(0) + "-" + sortedIds.get(sortedIds.size() - 1) + "' (a span: every open entry"
                + " without a time range among those ids, of any table, so re-copy the windows of the tables they"
                + " interleave with too)";
    }

    /** The earliest time any of the entries stands for (ids are not in time order: a backlog is written later). */
    public static String earliest(List<LedgerEntry> entries) {
        return entries.stream().min(Comparator.comparingLong(LedgerEntry::recordedMicros)).orElseThrow().recordedAt();
    }

    /** The latest time any of the entries stands for: a summary's last transaction, not its first. */
    public static String latest(List<LedgerEntry> entries) {
        LedgerEntry last = entries.stream().max(Comparator.comparingLong(LedgerEntry::lastMicros)).orElseThrow();
        return last.recordedUntil() != null ? last.recordedUntil() : last.recordedAt();
    }
}
