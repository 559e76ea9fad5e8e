package dev.tandem.backfill.ledger;

import dev.tandem.backfill.state.Task;
import dev.tandem.backfill.state.TaskState;
import dev.tandem.backfill.state.TaskStore;
import dev.tandem.protocol.state.TimeType;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Whether the tasks of a ledger entry's table show that its rows were copied from the source again after the entry was
 * recorded and found equal: a task whose copy started after {@code recorded_at} (so its source snapshot is later
 * too), whose range holds that time, and which verify found equal since; and no task of the table left mismatched,
 * failed, pending or copied but not verified. The range check stops the main plan's tasks, copied after a shed during
 * the dual-write but ending at its start, from passing for a re-copy of the shed window.
 */
final class SettleEvidence {

    /** What the tasks show for one entry. */
    sealed interface Finding permits Shown, Missing {
    }

    /**
     * @param rangeChecked false for an integer time column, whose values no clock time can be compared with
     */
    record Shown(TaskStore.Copied copy, boolean rangeChecked) implements Finding {

        /** The evidence as {@code settle} prints it and stores it in {@code settled_by}. */
        String describe() {
            Task task = copy.task();
            return "task " + task.id() + " of " + task.qualifiedName() + " " + task.range() + " was copied from "
                    + copy.copyStartedAt() + ", after the entry was recorded, and verified equal at " + copy.verifiedAt()
                    + (rangeChecked ? "" : " (its time column " + task.timeColumn() + " is " + task.timeType().sqlName()
                    + ": whether that range holds the entry's rows cannot be told from recorded_at)");
        }
    }

    /** @param reason the same for every entry of the table it applies to, so such entries are reported together */
    record Missing(String reason) implements Finding {
    }

    private static final int LISTED = 10;

    private SettleEvidence() {
    }

    /**
     * @param recordedInstant {@code recorded_at} as a {@code timestamptz} position
     * @param recordedWall    {@code recorded_at} as a wall-clock position in the plan's zone, for {@code timestamp} and
     *                        {@code date} columns
     * @param tasks           every task of the entry's table
     */
    static Finding of(String table, long recordedInstant, long recordedWall, List<TaskStore.Copied> tasks) {
        String again = "re-copy a window of it holding the time the entry was recorded (stage --replace --table/--filter"
                + " --from --until, copy, verify; docs/migration.md step 8, 'Re-copying a window'), then settle again";
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
        Optional<Shown> shown = tasks.stream()
                .filter(c -> c.copyStartedMicros() != null && c.copyStartedMicros() > recordedInstant)
                .filter(c -> c.task().timeType().isInteger() || holds(c.task(), recordedInstant, recordedWall))
                .max(Comparator.comparing((TaskStore.Copied c) -> !c.task().timeType().isInteger())
                        .thenComparing(TaskStore.Copied::copyStartedMicros))
                .map(c -> new Shown(c, !c.task().timeType().isInteger()));
        if (shown.isPresent()) {
            return shown.get();
        }
        return new Missing("no task of " + table + " whose range holds the time the entry was recorded was copied after"
                + " it (its tasks cover " + coverage(tasks) + "): " + again);
    }

    private static boolean holds(Task task, long recordedInstant, long recordedWall) {
        long at = task.timeType() == TimeType.TIMESTAMPTZ ? recordedInstant : recordedWall;
        return task.start() <= at && at < task.end();
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
