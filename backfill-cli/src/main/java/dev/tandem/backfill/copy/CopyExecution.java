package dev.tandem.backfill.copy;

import dev.tandem.backfill.Counted;
import dev.tandem.backfill.connect.Database;
import dev.tandem.backfill.connect.Side;
import dev.tandem.backfill.progress.ConsoleProgress;
import dev.tandem.backfill.progress.LogLineProgress;
import dev.tandem.backfill.progress.MetricsServer;
import dev.tandem.backfill.progress.ProgressListener;
import dev.tandem.backfill.progress.Throughput;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/** Runs the pending tasks with progress output and optional metrics; shared by {@code copy} and {@code repair}. */
public final class CopyExecution {

    private static final long LOG_INTERVAL_MILLIS = 10_000;

    private CopyExecution() {
    }

    /**
     * @param metricsPort a port for Prometheus metrics while running, or null
     * @return the run's summary, already printed
     */
    public static CopyRun.Summary run(Database source, Database target, int parallelism, Integer metricsPort,
                                      PrintWriter out, PrintWriter err, AtomicBoolean stopRequested,
                                      Duration mirrorWait) throws SQLException {
        ProgressListener display = System.console() != null ? new ConsoleProgress()
                : new LogLineProgress(out, LOG_INTERVAL_MILLIS);
        MetricsServer metrics = metricsPort == null ? null : MetricsServer.start(metricsPort);
        if (metrics != null) {
            out.println("metrics on http://127.0.0.1:" + metrics.port() + "/metrics");
        }
        ProgressListener progress = metrics == null ? display : ProgressListener.all(display, metrics);
        CopyRun.Summary summary = new CopyRun(source, target, parallelism, progress, err, stopRequested, mirrorWait)
                .run();
        out.println(String.format(Locale.ROOT, "copied %s, %d rows, %s in %s%s", Counted.of(summary.done(), "task"),
                summary.rows(), Throughput.bytes(summary.bytes()), Throughput.duration(summary.seconds()),
                summary.failed() == 0 ? ""
                        : "; " + Counted.of(summary.failed(), "task") + " FAILED (run copy again to retry them)"));
        if (stopRequested.get()) {
            out.println("stopped on request: the remaining tasks are pending; run copy again to continue");
        } else {
            long held = pendingTasks(target);
            if (held > 0) {
                // claimed by a transaction this run could not lock: another copy still at work, or a session of a
                // process that died and that the target has not noticed yet
                out.println(Counted.of(held, "task") + " still pending, held by another copy run or by a connection the target"
                        + " still thinks is open (status shows them): run copy again once they are released");
            }
        }
        return summary;
    }

    private static long pendingTasks(Database target) throws SQLException {
        try (Connection t = target.connection(); Statement s = t.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM tandem.backfill_task WHERE state = 'pending'")) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw Side.TARGET.label(e);
        }
    }
}
