package dev.tandem.backfill.ledger;

import dev.tandem.backfill.state.Task;
import dev.tandem.backfill.state.TaskState;
import dev.tandem.backfill.state.TaskStore;
import dev.tandem.protocol.state.TimeType;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Whether the tasks of a ledger entry's table show that its rows were copied from the source again after the entry was
 * recorded and found equal: tasks whose copies started after {@code recorded_at} (so their source snapshots are later
 * too), whose ranges hold that time, and which verify found equal since; and no task of the table left mismatched,
 * failed, pending or copied but not verified. The range check stops the main plan's tasks, copied after a shed during
 * the dual-write but ending at its start, from passing for a re-copy of the shed window. An entry that stands for
 * several transactions (the proxy's summary past its memory cap) needs the whole span from {@code recorded_at} to
 * {@code recorded_until} held, by tasks copied after the last of them: its first time alone says nothing of the rest.
 */
final class SettleEvidence {

    /** What the tasks show for one entry. */
    sealed interface Finding permits Shown, Missing {
    }

    /**
     * @param copies       the tasks that hold the entry's time (or span), in range order
     * @param rangeChecked false for an integer time column, whose values no clock time can be compared with
     * @param span         the entry stands for several transactions, from {@code recorded_at} to {@code recorded_until}
     */
    record Shown(List<TaskStore.Copied> copies, boolean rangeChecked, boolean span) implements Finding {

        /** The evidence as {@code settle} prints it and stores it in {@code settled_by}. */
        String describe() {
            Task first = copies.get(0).task();
            Task last = copies.get(copies.size() - 1).task();
            String after = span ? "after the last transaction the entry stands for" : "after the entry was recorded";
            String copied = copies.stream().min(Comparator.comparing(TaskStore.Copied::copyStartedMicros))
                    .orElseThrow().copyStartedAt();
            String tasks = copies.size() == 1 ? "task " + first.id() + " of " + first.qualifiedName() + " "
                    + first.range() + " was"
                    : "tasks " + copies.stream().map(c -> Long.toString(c.task().id())).collect(Collectors.joining(", "))
                            + " of " + first.qualifiedName() + " [" + first.timeType().display(first.start()) + ", "
                            + last.timeType().display(last.end()) + ") were";
            String verified = copies.size() == 1 ? " and verified equal at " + copies.get(0).verifiedAt()
                    : " and verified equal by " + copies.stream().map(TaskStore.Copied::verifiedAt)
                            .max(Comparator.naturalOrder()).orElseThrow();
            return tasks + " copied from " + copied + ", " + after + "," + verified
                    + (rangeChecked ? "" : " (its time column " + first.timeColumn() + " is "
                    + first.timeType().sqlName() + ": whether that range holds the entry's rows cannot be told from"
                    + " recorded_at)");
        }
    }

    /** @param reason the same for every entry of the table it applies to, so such entries are reported together */
    record Missing(String reason) implements Finding {
    }

    private static final int LISTED = 10;

    private SettleEvidence() {
    }

    /**
     * @param recorded {@code recorded_at}, and for a summary {@code recorded_until}, as positions of the tasks' time
     *                 type
     * @param tasks    every task of the entry's table
     */
    static Finding of(String table, Recorded recorded, List<TaskStore.Copied> tasks) {
        String again = "re-copy a window of it holding the " + (recorded.span()
                ? "times the entry stands for, from recorded_at to recorded_until"
                : "time the entry was recorded") + " (stage --replace --table/--filter --from --until, copy, verify;"
                + " docs/migration.md step 8, 'Re-copying a window'), then settle again";
        if (tasks.isEmpty()) {
            return new Missing("no task of the staged plan copies " + table + ": " + again);
        }
        List<Task> unverified = tasks.stream().map(TaskStore.Copied::task)
                .filter(t -> t.state() != TaskState.VERIFIED).toList();
        if (!unverified.isEmpty()) {
            StringBuilder listed = new StringBuilder();
            unverified.stream().limit(LISTED).forEach(t -> listed.append(listed.isEmpty() ? "" : ", ").append(t.id())
                    .append(" (").append(t.state() == TaskState.DONE ? "copied, not verified since" : t.state().sql())
                    .append(')'));
            if (unverified.size() > LISTED) {
                listed.append(" and ").append(unverified.size() - LISTED).append(" more");
            }
            return new Missing("tasks of " + table + " are not verified equal: " + listed + "; run 'repair' (mismatched"
                    + " or failed tasks) or 'copy' (pending ones), then 'verify', and settle again");
        }
        // recorded_at is the proxy host's clock, the copy's start the target's: with the proxy's behind, a copy could
        // start after recorded_at and still before the commit, which the target's own ledgered_at comes after
        long since = Math.max(recorded.lastInstant(), recorded.ledgeredInstant());
        List<TaskStore.Copied> after = tasks.stream()
                .filter(c -> c.copyStartedMicros() != null && c.copyStartedMicros() > since).toList();
        List<TaskStore.Copied> holding = holding(after.stream().filter(c -> !c.task().timeType().isInteger()).toList(),
                recorded);
        if (holding != null) {
            return new Shown(holding, true, recorded.span());
        }
        Optional<TaskStore.Copied> integer = after.stream().filter(c -> c.task().timeType().isInteger())
                .max(Comparator.comparing(TaskStore.Copied::copyStartedMicros));
        if (integer.isPresent()) {
            return new Shown(List.of(integer.get()), false, recorded.span());
        }
        String ledgered = since == recorded.lastInstant() ? "" : " and after the target took the entry, at "
                + TimeType.TIMESTAMPTZ.display(since) + " on its clock (" + (recorded.span() ? "recorded_until"
                : "recorded_at") + " is the proxy host's, which may be behind it)";
        return new Missing("no task of " + table + " whose range holds the " + (recorded.span()
                ? "times the entry stands for was copied after the last of them"
                : "time the entry was recorded was copied after it") + ledgered + " (its tasks cover "
                + coverage(tasks) + "): " + again);
    }

    /**
     * {@code recorded_at} and the last time the entry stands for, each as a {@code timestamptz} position and as a
     * wall-clock position in the plan's zone (for {@code timestamp} and {@code date} columns), and {@code ledgered_at}
     * ({@link Long#MIN_VALUE} for an entry of a ledger older than the column).
     */
    record Recorded(long firstInstant, long firstWall, long lastInstant, long lastWall, long ledgeredInstant) {

        static Recorded at(long instant, long wall) {
            return new Recorded(instant, wall, instant, wall, Long.MIN_VALUE);
        }

        boolean span() {
            return lastInstant != firstInstant;
        }

        long first(TimeType type) {
            return type == TimeType.TIMESTAMPTZ ? firstInstant : firstWall;
        }

        long last(TimeType type) {
            return type == TimeType.TIMESTAMPTZ ? lastInstant : lastWall;
        }
    }

    /** Tasks whose ranges together hold every time from the first to the last recorded, in range order; else null. */
    private static List<TaskStore.Copied> holding(List<TaskStore.Copied> candidates, Recorded recorded) {
        List<TaskStore.Copied> chain = new ArrayList<>();
        Long reached = null; // the chain holds [first, reached)
        while (true) {
            long at = reached == null ? -1 : reached;
            TaskStore.Copied next = null;
            for (TaskStore.Copied c : candidates) {
                Task t = c.task();
                long from = reached == null ? recorded.first(t.timeType()) : at;
                if (t.start() <= from && from < t.end() && (next == null || t.end() > next.task().end())) {
                    next = c;
                }
            }
            if (next == null) {
                return null;
            }
            chain.add(next);
            reached = next.task().end();
            if (recorded.last(next.task().timeType()) < reached) {
                return chain;
            }
        }
    }

    /** {@code [first start, last end), copies started 2026-... to 2026-...}: what the table's tasks cover, and when. */
    private static String coverage(List<TaskStore.Copied> tasks) {
        Task first = tasks.stream().map(TaskStore.Copied::task).min(Comparator.comparingLong(Task::start)).orElseThrow();
        Task last = tasks.stream().map(TaskStore.Copied::task).max(Comparator.comparingLong(Task::end)).orElseThrow();
        Comparator<TaskStore.Copied> byStart = Comparator.comparing(TaskStore.Copied::copyStartedMicros);
        List<TaskStore.Copied> copied = tasks.stream().filter(c -> c.copyStartedMicros() != null).toList();
        String range = "[" + first.timeType().display(first.start()) + ", " + last.timeType().display(last.end()) + ")";
        if (copied.isEmpty()) {
            return range;
        }
        return range + ", copies started " + copied.stream().min(byStart).orElseThrow().copyStartedAt() + " to "
                + copied.stream().max(byStart).orElseThrow().copyStartedAt();
    }
}
