package dev.tandem.backfill.copy;

import dev.tandem.backfill.BackfillCommand;
import dev.tandem.backfill.BackfillException;
import dev.tandem.backfill.connect.Database;
import dev.tandem.backfill.connect.ExceptionText;
import dev.tandem.backfill.connect.Side;
import dev.tandem.backfill.plan.ColumnComparison;
import dev.tandem.backfill.plan.TableLayout;
import dev.tandem.backfill.progress.ProgressListener;
import dev.tandem.backfill.state.BackfillSchema;
import dev.tandem.backfill.state.Task;
import dev.tandem.backfill.state.TaskStore;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One copy run: once the proxies' mirrors have caught up ({@link MirrorCatchUp}), N workers, each claiming the next
 * pending task ({@code FOR UPDATE SKIP LOCKED}) and copying it in one target transaction (delete range, stream rows,
 * mark done, commit), until no task is left or a stop is requested.
 *
 * <p>One wait serves every task that was queued before it: a range ends at or before {@code now() - --max-lateness} of
 * the moment it was staged or queued for repair, so each of its rows was committed before then, and therefore before
 * the wait started; once every mirror applied what was committed before the wait started, none still holds a row of
 * any such range. Tasks queued while the run goes on ({@code stage --replace}, {@code repair}'s ledger ranges) may
 * cover rows committed after that wait, so the run claims them only after waiting again ({@link Horizon}).
 * A failed task is rolled back (its target range unchanged) and recorded FAILED; the next run retries it.
 */
public final class CopyRun {

    private static final String UNIQUE_VIOLATION = "23505";
    /**
     * The task deleted its range first, so the key is held by a row it did not delete. In a walkthrough that was, every
     * time, a row the mirror wrote from T on, numbered by the target's own sequence with an id the source had given a
     * row of the range: retrying cannot help, and the server's message does not say so.
     */
    private static final String KEY_TAKEN = "the target holds these keys in rows the task did not delete: rows outside"
            + " this range, or a late row mirrored into it while it was copied (then the next copy succeeds). If copying"
            + " again fails the same way, the key is most likely filled by a sequence (serial, identity): the mirrored"
            + " rows got their ids from the target's sequence, which hands out the source's again. Move the target's"
            + " sequence and those rows' keys out of the way (docs/migration.md, step 2, \"Sequences of mirrored"
            + " tables\"), then copy again";

    /** What the run did. */
    public record Summary(long done, long failed, long rows, long bytes, double seconds) {
    }

    private final Database source;
    private final Database target;
    private final int parallelism;
    private final ProgressListener progress;
    private final PrintWriter err;
    private final AtomicBoolean stopRequested;
    private final Duration mirrorWait;
    private final Map<String, TableLayout> layouts = new ConcurrentHashMap<>();
    /**
     * The tasks this run claimed and did not copy: a task whose connection died is still pending, and this run must not
     * retry it at once. A copied one leaves the set, as no claim can match it any more: the set is sent with every
     * claim, and holding every task of a run made each claim O(tasks) in bytes and comparisons.
     */
    private final Set<Long> attempted = ConcurrentHashMap.newKeySet();

    /** @param mirrorWait how long the run waits for the proxies' mirrors to catch up ({@link MirrorCatchUp}) */
    public CopyRun(Database source, Database target, int parallelism, ProgressListener progress, PrintWriter err,
                   AtomicBoolean stopRequested, Duration mirrorWait) {
        this.source = source;
        this.target = target;
        this.parallelism = parallelism;
        this.progress = progress;
        this.err = err;
        this.stopRequested = stopRequested;
        this.mirrorWait = mirrorWait;
    }

    public Summary run() throws SQLException {
        Timestamp runStartedAt;
        long total;
        long newest;
        try (Connection t = target.connection()) {
            if (!BackfillSchema.staged(t)) {
                throw new BackfillException(BackfillSchema.NO_PLAN);
            }
            try (Statement s = t.createStatement(); ResultSet rs = s.executeQuery("SELECT clock_timestamp(), "
                    + "count(*) FILTER (WHERE state IN ('pending', 'failed')), "
                    + "coalesce(max(id) FILTER (WHERE state IN ('pending', 'failed')), 0) FROM tandem.backfill_task")) {
                rs.next();
                runStartedAt = rs.getTimestamp(1);
                total = rs.getLong(2);
                newest = rs.getLong(3);
            }
        } catch (SQLException e) {
            throw Side.TARGET.label(e);
        }
        if (total > 0) {
            try (Connection t = target.connection()) {
                reportWaitedFor(MirrorCatchUp.await(t, mirrorWait, stopRequested::get, err));
            } catch (SQLException e) {
                throw Side.TARGET.label(e);
            }
        }
        Horizon horizon = new Horizon(newest);
        progress.started(total);
        long started = System.nanoTime();
        AtomicLong done = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicLong rows = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        ExecutorService workers = Executors.newFixedThreadPool(parallelism, daemon("tandem-copy-worker"));
        ExecutorService readers = Executors.newFixedThreadPool(parallelism, daemon("tandem-copy-reader"));
        RangeCopier copier = new RangeCopier(readers);
        String process = ManagementFactory.getRuntimeMXBean().getName();
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < parallelism; i++) {
                String worker = process + "/" + i;
                futures.add(workers.submit(() -> {
                    work(copier, worker, runStartedAt, horizon, done, failed, rows, bytes);
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new BackfillException("copy interrupted");
                } catch (java.util.concurrent.ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof SQLException sql) {
                        throw sql;
                    }
                    if (cause instanceof RuntimeException r) {
                        throw r;
                    }
                    throw new BackfillException("copy worker failed: " + cause, cause);
                }
            }
        } finally {
            workers.shutdownNow();
            readers.shutdownNow();
            progress.close();
        }
        return new Summary(done.get(), failed.get(), rows.get(), bytes.get(), (System.nanoTime() - started) / 1e9);
    }

    private void work(RangeCopier copier, String worker, Timestamp runStartedAt, Horizon horizon, AtomicLong done,
                      AtomicLong failed, AtomicLong rows, AtomicLong bytes) throws SQLException {
        while (!stopRequested.get()) {
            Task task;
            try (Connection t = target.connection()) {
                t.setAutoCommit(false);
                long seen = horizon.get();
                Optional<Task> claimed = TaskStore.claim(t, runStartedAt, seen, worker, List.copyOf(attempted));
                if (claimed.isEmpty()) {
                    t.rollback();
                    t.setAutoCommit(true);
                    if (horizon.advance(t, seen)) {
                        continue;
                    }
                    return;
                }
                task = claimed.get();
                attempted.add(task.id());
                try (Connection s = source.connection()) {
                    TableLayout layout = layout(s, t, task);
                    RangeCopier.Result result = copyOrDiscard(copier, s, t, layout, task);
                    Side.TARGET.run(() -> {
                        TaskStore.markDone(t, task, result.rows(), result.bytes());
                        t.commit();
                        t.setAutoCommit(true);
                    });
                    attempted.remove(task.id());
                    done.incrementAndGet();
                    rows.addAndGet(result.rows());
                    bytes.addAndGet(result.bytes());
                    progress.taskDone(result.rows(), result.bytes());
                } catch (SQLException | RuntimeException e) {
                    rollbackQuietly(t);
                    String message = e instanceof SQLException sql ? BackfillCommand.describe(sql) : ExceptionText.of(e);
                    if (e instanceof SQLException sql && UNIQUE_VIOLATION.equals(sql.getSQLState())) {
                        message += "\n  " + KEY_TAKEN;
                    }
                    recordFailure(task, message);
                    failed.incrementAndGet();
                    progress.taskFailed();
                }
            } catch (SQLException e) {
                throw Side.TARGET.label(e); // claiming a task; a task's own failure is recorded above
            }
        }
    }

    /**
     * A failed copy's source session is dropped from the pool: pgjdbc cancels a COPY TO STDOUT cut off mid-stream by
     * a cancel request alone, leaving the rest of its output unread, so the session's next statements would read the
     * answers of earlier ones (the next task failed with "Expected command status BEGIN, got COMMIT"), and the cancel
     * request, sent apart from the session, may end a statement of a later task.
     */
    private RangeCopier.Result copyOrDiscard(RangeCopier copier, Connection s, Connection t, TableLayout layout,
                                             Task task) throws SQLException {
        try {
            return copier.copy(s, t, layout, task.start(), task.end());
        } catch (SQLException | RuntimeException e) {
            source.discard(s);
            throw e;
        }
    }

    /**
     * The newest task id the run may claim: the newest open task when the mirrors were last waited for. Ids grow with
     * each insert, so a task queued later has a higher id and waits for the next wait.
     *
     * <p>Ids are drawn at insert, not at commit, so a task with a lower id may commit after the one read as the
     * newest, and be claimed under this horizon without another wait. That is safe: its range ends before the
     * {@code now()} its command read before inserting it, which came before its id was drawn, hence before the newest
     * id was drawn and committed, hence before the wait started; every row of its range was committed before then.
     */
    private final class Horizon {

        private long id;

        Horizon(long id) {
            this.id = id;
        }

        synchronized long get() {
            return id;
        }

        /**
         * Raises the horizon to the tasks queued since {@code seen}, after waiting for the mirrors again; false when
         * there are none (or a stop was requested), so the worker is done.
         */
        synchronized boolean advance(Connection target, long seen) throws SQLException {
            if (id != seen) {
                return true;
            }
            long newest = TaskStore.newestOpen(target);
            if (newest <= id || stopRequested.get()) {
                return false;
            }
            MirrorCatchUp.await(target, mirrorWait, stopRequested::get, err);
            id = newest;
            return true;
        }
    }

    /**
     * Names the proxies whose mirrors the run waited for, and those it did not wait for as they are marked stopped
     * cleanly: one that never reached this target database is not among them, nor is one restarted since its mark
     * that cannot reach it (it could not clear the mark), and only the operator can tell (its spool may hold late rows
     * this copy would then duplicate).
     */
    private void reportWaitedFor(MirrorCatchUp.Instances instances) {
        List<String> waited = instances.waited();
        if (waited.isEmpty() && instances.markedStopped().isEmpty()) {
            err.println("note: no proxy is listed in tandem.mirror_progress on this target database, so copy waited for"
                    + " no mirror; a proxy that has not reached this database yet is not waited for");
        } else {
            err.println("note: " + (waited.isEmpty() ? "waited for no mirror" : "waited for the mirror of proxy instance"
                    + (waited.size() == 1 ? " " : "s ") + String.join(", ", waited)) + " (listed in"
                    + " tandem.mirror_progress); a proxy that has not reached this target database yet is not among"
                    + " them");
        }
        MirrorCatchUp.noteMarkedStopped(instances, err);
    }

    /**
     * The table's layout, read once per run, after comparing its columns on both sides again: stage compared them, but
     * a column whose type changed since (an ALTER on one side) makes the binary COPY fail with the target's misleading
     * words ("invalid byte sequence") or, between types of the same width (bigint and double precision), store other
     * values without an error. A table that differs is compared again at its next task, so a schema fixed during the
     * run is copied.
     */
    private TableLayout layout(Connection source, Connection target, Task task) throws SQLException {
        TableLayout layout = layouts.get(task.qualifiedName());
        if (layout == null) {
            List<String> differences = ColumnComparison.compare(source, target, task.schema(), task.table())
                    .differences();
            if (!differences.isEmpty()) {
                throw new BackfillException(task.qualifiedName() + "'s columns differ on source and target since the"
                        + " plan was staged, so nothing of it is copied: " + String.join("; ", differences)
                        + ". Make the columns match, then run copy again");
            }
            layout = Side.SOURCE.call(() -> TableLayout.load(source, task.schema(), task.table(), task.timeColumn()));
            layouts.put(task.qualifiedName(), layout);
        }
        return layout;
    }

    private void recordFailure(Task task, String message) {
        synchronized (err) {
            err.println("task " + task.id() + " " + task.qualifiedName() + " " + task.range() + " failed: " + message);
            err.flush();
        }
        try (Connection t = target.connection()) {
            TaskStore.markFailed(t, task, message);
        } catch (SQLException | RuntimeException e) {
            String why = e instanceof SQLException sql ? BackfillCommand.describe(Side.TARGET.label(sql))
                    : ExceptionText.of(e);
            synchronized (err) {
                err.println("cannot record the failure of task " + task.id() + " (it stays pending): " + why);
                err.flush();
            }
        }
    }

    private static void rollbackQuietly(Connection c) {
        try {
            if (!c.isClosed()) {
                c.rollback();
                c.setAutoCommit(true);
            }
        } catch (SQLException ignored) {
            // a broken connection is evicted by the pool; the server rolled the transaction back
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicLong n = new AtomicLong();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
