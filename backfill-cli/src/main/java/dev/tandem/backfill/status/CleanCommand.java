package dev.tandem.backfill.status;

import dev.tandem.backfill.BackfillCommand;
import dev.tandem.backfill.ExitCodes;
import dev.tandem.backfill.connect.Database;
import dev.tandem.backfill.connect.TargetOptions;
import dev.tandem.backfill.jobs.JobPauser;
import dev.tandem.backfill.state.BackfillSchema;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code clean}: restore paused jobs and drop the backfill's tables (the proxy's dual_write and divergence stay). */
@Command(name = "clean", mixinStandardHelpOptions = true,
        description = "Restore paused TimescaleDB jobs and drop the backfill tables of schema tandem on the target.")
public final class CleanCommand extends BackfillCommand {

    @Mixin
    TargetOptions connection;

    @Override
    protected int execute() throws SQLException {
        try (Database target = Database.open("target", connection.target(environment()), 1);
             Connection t = target.connection()) {
            if (!BackfillSchema.exists(t)) {
                out().println("no plan on the target: nothing to clean");
                return ExitCodes.OK;
            }
            JobPauser.restore(t, out());
            try (Statement s = t.createStatement()) {
                s.execute(BackfillSchema.DROP);
            }
            out().println("dropped tandem.backfill_task, tandem.backfill_plan and tandem.paused_job");
            return ExitCodes.OK;
        }
    }
}
