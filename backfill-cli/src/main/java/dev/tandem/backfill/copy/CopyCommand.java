package dev.tandem.backfill.copy;

import dev.tandem.backfill.BackfillCommand;
import dev.tandem.backfill.Counted;
import dev.tandem.backfill.ExitCodes;
import dev.tandem.backfill.connect.ConnectionOptions;
import dev.tandem.backfill.connect.Database;
import dev.tandem.backfill.connect.Side;
import dev.tandem.backfill.jobs.JobPauser;
import dev.tandem.backfill.progress.MetricsServer;
import dev.tandem.backfill.state.TaskState;
import dev.tandem.backfill.state.TaskStore;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code copy}: copy the staged tasks, in parallel, each in one target transaction. */
@Command(name = "copy", mixinStandardHelpOptions = true,
        description = "Copy the staged tasks: per task, in one target transaction, delete the target rows of the range"
                + " and stream the source's rows with binary COPY. Several copy processes may share one plan.")
public final class CopyCommand extends BackfillCommand {

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--parallelism", paramLabel = "N", defaultValue = "4",
            description = "Concurrent tasks (default: ${DEFAULT-VALUE})")
    int parallelism;

    @Option(names = "--pause-jobs",
            description = "Pause the target's TimescaleDB policies (compression, retention, refresh, reorder, tiering)"
                    + " of the staged hypertables and their continuous aggregates while copying")
    boolean pauseJobs;

    @Mixin
    MirrorWaitOption mirrorWait;

    @Option(names = "--metrics-port", paramLabel = "PORT", converter = MetricsServer.PortConverter.class,
            description = "Serve Prometheus metrics on 127.0.0.1:PORT/metrics while running")
    Integer metricsPort;

    @Override
    protected int execute() throws SQLException {
        if (parallelism < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--parallelism must be at least 1");
        }
        Duration wait = mirrorWait.duration();
        try (Database source = Database.open(Side.SOURCE, connection.source(environment()), parallelism);
             Database target = Database.open(Side.TARGET, connection.target(environment()), parallelism + 1)) {
            if (pauseJobs) {
                try (Connection t = target.connection()) {
                    JobPauser.pause(t, out());
                } catch (SQLException e) {
                    throw Side.TARGET.label(e);
                }
            }
            AtomicBoolean stop = root == null ? new AtomicBoolean() : root.stopRequested();
            CopyRun.Summary summary = CopyExecution.run(source, target, parallelism, metricsPort, out(), err(), stop,
                    wait);
            long open;
            try (Connection t = target.connection()) {
                // a failed task is copied again by the next run, which the jobs must not disturb either
                open = TaskStore.count(t, TaskState.PENDING) + TaskStore.count(t, TaskState.FAILED);
                if (open == 0) {
                    JobPauser.restore(t, out());
                } else if (JobPauser.pausedCount(t) > 0) {
                    out().println("paused jobs stay paused while tasks are pending or failed (" + Counted.of(open, "task")
                            + "): the copy that finishes the last of them, or 'clean', restores them");
                }
            } catch (SQLException e) {
                throw Side.TARGET.label(e);
            }
            // stopped with tasks left is not done: 'copy && verify' must not go on to verify half a plan
            return summary.failed() == 0 && !(stop.get() && open > 0) ? ExitCodes.OK : ExitCodes.FAILURE;
        }
    }
}
