package dev.tandem.backfill.state;

import dev.tandem.backfill.BackfillException;
import dev.tandem.protocol.state.TandemSchema;
import dev.tandem.protocol.state.TimeType;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** Reads and changes {@code tandem.backfill_task} on the target. */
public final class TaskStore {


    private TaskStore() {
    }

    /**
     * A new task to insert.
     *
     * @param divergenceIds the ledger entries it re-copies (repair's), none for a planned range
     */
    public record NewTask(String schema, String table, String timeColumn, TimeType timeType, long start, long end,
                          String origin, List<Long> divergenceIds) {
    }

    public static void insert(Connection target, List<NewTask> tasks) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("INSERT INTO tandem.backfill_task (table_schema, table_name, "
                + "time_column, time_type, range_start, range_end, origin, divergence_ids) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (NewTask t : tasks) {
                ps.setString(1, t.schema());
                ps.setString(2, t.table());
                ps.setString(3, t.timeColumn());
                ps.setString(4, t.timeType().name());
                ps.setLong(5, t.start());
                ps.setLong(6, t.end());
                ps.setString(7, t.origin());
                if (t.divergenceIds().isEmpty()) {
                    ps.setNull(8, Types.ARRAY);
                } else {
                    ps.setArray(8, target.createArrayOf("bigint", t.divergenceIds().toArray()));
                }
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /**
     * Claims the next copyable task in the caller's open transaction: the row lock ({@code FOR UPDATE SKIP LOCKED}) is
     * the claim, held until the task's transaction ends, so concurrent workers and processes never copy the same task.
     * A run tries each task once: FAILED tasks only if they failed before the run started, and never one of
     * {@code attempted} (a task whose connection died is still PENDING but must not be retried at once by this run),
     * and none with an id above {@code horizon}: those were queued after the run waited for the mirrors. The query
     * names {@code state IN ('pending', 'failed')}, the predicate of the index of open tasks by id, so it reads the
     * first unlocked open task, not every open one.
     */
    public static Optional<Task> claim(Connection target, Timestamp runStartedAt, long horizon, String worker,
                                       Collection<Long> attempted) throws SQLException {
        Set<Long> skipped = new HashSet<>(attempted);
        boolean deferred = false;
        while (true) {
            Optional<Task> candidate = lockNext(target, runStartedAt, horizon, skipped);
            if (candidate.isEmpty()) {
                if (!deferred) {
                    return Optional.empty();
                }
                // only tasks overlapping ones other workers are copying are left: wait for those to finish
                sleep();
                skipped = new HashSet<>(attempted);
                deferred = false;
                continue;
            }
            Task task = candidate.get();
            if (lockOverlapping(target, task)) {
                try (PreparedStatement up = target.prepareStatement("UPDATE tandem.backfill_task "
                        + "SET worker = ?, started_at = clock_timestamp() WHERE id = ?")) {
                    up.setString(1, worker);
                    up.setLong(2, task.id());
                    up.executeUpdate();
                }
                return Optional.of(task);
            }
            // another worker copies a range overlapping this one (repair's ledger ranges may overlap): copying both
            // at once would copy the overlap twice, each DELETE missing the other's uncommitted rows
            target.rollback();
            skipped.add(task.id());
            deferred = true;
        }
    }

    private static Optional<Task> lockNext(Connection target, Timestamp runStartedAt, long horizon,
                                           Collection<Long> skipped) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT " + columns(target) + " FROM tandem.backfill_task "
                + "WHERE state IN ('pending', 'failed') AND (state = 'pending' OR failed_at < ?) AND id <= ? "
                + "AND id <> ALL (?) ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED")) {
            ps.setTimestamp(1, runStartedAt);
            ps.setLong(2, horizon);
            ps.setArray(3, target.createArrayOf("bigint", skipped.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        }
    }

    /**
     * Locks the other open tasks of the task's table whose range overlaps it, so no other worker copies them while
     * this one copies the task; false when one of them is locked already (being copied).
     */
    private static boolean lockOverlapping(Connection target, Task task) throws SQLException {
        String overlapping = " FROM tandem.backfill_task WHERE table_schema = ? AND table_name = ? AND id <> ?"
                + " AND range_start < ? AND range_end > ? AND state IN ('pending', 'failed')";
        long open;
        long locked = 0;
        try (PreparedStatement count = target.prepareStatement("SELECT count(*)" + overlapping);
             PreparedStatement lock = target.prepareStatement("SELECT id" + overlapping + " FOR UPDATE SKIP LOCKED")) {
            for (PreparedStatement ps : List.of(count, lock)) {
                ps.setString(1, task.schema());
                ps.setString(2, task.table());
                ps.setLong(3, task.id());
                ps.setLong(4, task.end());
                ps.setLong(5, task.start());
            }
            try (ResultSet rs = count.executeQuery()) {
                rs.next();
                open = rs.getLong(1);
            }
            try (ResultSet rs = lock.executeQuery()) {
                while (rs.next()) {
                    locked++;
                }
            }
        }
        return locked == open;
    }

    /** The highest id of a task a copy could claim now (pending or failed), 0 when there is none. */
    public static long newestOpen(Connection target) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT coalesce(max(id), 0) FROM tandem.backfill_task "
                + "WHERE state IN ('pending', 'failed')");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Throws a BackfillException: callers label an SQLException as the target's, and no server raised this one. */
    private static void sleep() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackfillException("interrupted while waiting for an overlapping task to finish", e);
        }
    }

    /**
     * Marks a task copied, in the same transaction as its rows; the ledger entries it re-copied are closed with it, so a
     * crash leaves both the rows and the entries as they were, and the entries are not queued again while the task is
     * pending ({@code Ledger.unqueued}). An entry closed meanwhile keeps the time it was closed at.
     */
    public static void markDone(Connection target, Task task, long rows, long bytes) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("UPDATE tandem.backfill_task SET state = ?, rows = ?, "
                + "bytes = ?, copies = copies + 1, attempts = attempts + 1, finished_at = clock_timestamp(), error = NULL, "
                + "verified_at = NULL, verify_report = NULL WHERE id = ?")) {
            ps.setString(1, task.state().on(TaskState.Event.COPIED).sql());
            ps.setLong(2, rows);
            ps.setLong(3, bytes);
            ps.setLong(4, task.id());
            ps.executeUpdate();
        }
        if (!task.divergenceIds().isEmpty()) {
            try (PreparedStatement ps = target.prepareStatement(
                    "UPDATE tandem.divergence SET repaired_at = now() WHERE id = ANY (?) AND repaired_at IS NULL")) {
                ps.setArray(1, target.createArrayOf("bigint", task.divergenceIds().toArray()));
                ps.executeUpdate();
            }
        }
    }

    /** Records a failed attempt (in its own transaction: the task's transaction has rolled back). */
    public static void markFailed(Connection target, Task task, String error) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("UPDATE tandem.backfill_task SET state = ?, "
                + "attempts = attempts + 1, failed_at = clock_timestamp(), error = ? WHERE id = ? AND state IN ('pending', 'failed')")) {
            ps.setString(1, task.state().on(TaskState.Event.COPY_FAILED).sql());
            ps.setString(2, error);
            ps.setLong(3, task.id());
            ps.executeUpdate();
        }
    }

    /** Records a verification result. */
    public static void markVerified(Connection target, Task task, boolean equal, String report) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("UPDATE tandem.backfill_task SET state = ?, "
                + "verified_at = now(), verify_report = ? WHERE id = ?")) {
            ps.setString(1, task.state().on(equal ? TaskState.Event.VERIFIED_EQUAL : TaskState.Event.VERIFIED_DIFFERENT).sql());
            ps.setString(2, report);
            ps.setLong(3, task.id());
            ps.executeUpdate();
        }
    }

    /** Puts MISMATCH and FAILED tasks back to PENDING; returns how many. */
    public static int requeueForRepair(Connection target) throws SQLException {
        int n = 0;
        for (Task t : list(target, List.of(TaskState.MISMATCH, TaskState.FAILED))) {
            try (PreparedStatement ps = target.prepareStatement(
                    "UPDATE tandem.backfill_task SET state = ? WHERE id = ? AND state = ?")) {
                ps.setString(1, t.state().on(TaskState.Event.REQUEUED).sql());
                ps.setLong(2, t.id());
                ps.setString(3, t.state().sql());
                n += ps.executeUpdate();
            }
        }
        return n;
    }

    public static List<Task> list(Connection target, List<TaskState> states) throws SQLException {
        List<Task> tasks = new ArrayList<>();
        try (PreparedStatement ps = target.prepareStatement("SELECT " + columns(target) + " FROM tandem.backfill_task "
                + "WHERE state = ANY (?) ORDER BY id")) {
            ps.setArray(1, target.createArrayOf("text", states.stream().map(TaskState::sql).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    tasks.add(read(rs));
                }
            }
        }
        return tasks;
    }

    public static long count(Connection target, TaskState state) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT count(*) FROM tandem.backfill_task WHERE state = ?")) {
            ps.setString(1, state.sql());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /**
     * A task with the times of its last copy and verification.
     *
     * @param copyStartedMicros when its last copy was claimed (before its source snapshot was taken), as a
     *                          {@code timestamptz} position; null when it was never copied
     * @param copyStartedAt     the same as text, or null
     * @param verifiedAt        when verify last compared it after that copy, or null
     */
    public record Copied(Task task, Long copyStartedMicros, String copyStartedAt, String verifiedAt) {
    }

    /** Every task of one table, oldest first. */
    public static List<Copied> ofTable(Connection target, String schema, String table) throws SQLException {
        List<Copied> tasks = new ArrayList<>();
        try (PreparedStatement ps = target.prepareStatement("SELECT " + columns(target) + ", "
                + TimeType.TIMESTAMPTZ.positionOf("started_at") + ", started_at::text, verified_at::text"
                + " FROM tandem.backfill_task WHERE table_schema = ? AND table_name = ? ORDER BY id")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long started = rs.getLong(10);
                    tasks.add(new Copied(read(rs), rs.wasNull() ? null : started, rs.getString(11), rs.getString(12)));
                }
            }
        }
        return tasks;
    }

    /**
     * The columns {@link #read} reads. A task's ledger entries are in {@code divergence_ids}, or in
     * {@code divergence_id} for one an earlier release queued; a plan that release staged lacks the first until stage,
     * repair or settle adds it, as copy and verify do not change the schema.
     */
    private static String columns(Connection target) throws SQLException {
        boolean merged = TandemSchema.hasColumn(target, "backfill_task", "divergence_ids");
        return "id, table_schema, table_name, time_column, time_type, range_start, range_end, state, array_remove("
                + (merged ? "coalesce(divergence_ids, ARRAY[divergence_id])" : "ARRAY[divergence_id]") + ", NULL)";
    }

    private static Task read(ResultSet rs) throws SQLException {
        Array ids = rs.getArray(9);
        return new Task(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                TimeType.valueOf(rs.getString(5).toUpperCase(Locale.ROOT)), rs.getLong(6), rs.getLong(7),
                TaskState.of(rs.getString(8)), List.of((Long[]) ids.getArray()));
    }
}
