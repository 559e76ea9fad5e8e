package dev.tandem.backfill.status;

import dev.tandem.backfill.BackfillCommand;
import dev.tandem.backfill.BackfillException;
import dev.tandem.backfill.ExitCodes;
import dev.tandem.backfill.connect.Database;
import dev.tandem.backfill.connect.Side;
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

    private static final String LOCK_NOT_AVAILABLE = "55P03";

    @Mixin
    TargetOptions connection;

    @Override
    protected int execute() throws SQLException {
        try (Database target = Database.open(Side.TARGET, connection.target(environment()), 1);
             Connection t = target.connection()) {
            if (!BackfillSchema.exists(t)) {
                out().println("no plan on the target: nothing to clean");
                return ExitCodes.OK;
            }
            t.setAutoCommit(false);
            try {
                try (Statement s = t.createStatement()) {
                    // a running copy or repair locks its tasks: dropping the plan under it (after turning the jobs
                    // back on) would leave it failing with "relation does not exist" mid-task
                    s.execute("SET LOCAL lock_timeout = '1s'");
                    s.execute("LOCK TABLE tandem.backfill_task IN ACCESS EXCLUSIVE MODE");
                } catch (SQLException e) {
                    if (!LOCK_NOT_AVAILABLE.equals(e.getSQLState())) {
                        throw e;
                    }
                    throw new BackfillException("a copy or repair is working on this plan (its tasks are locked):"
                            + " stop it (Ctrl-C) or let it finish, then clean again; nothing was changed");
                }
                JobPauser.restore(t, out());
                try (Statement s = t.createStatement()) {
                    s.execute(BackfillSchema.DROP);
                }
                t.commit();
            } catch (SQLException | RuntimeException e) {
                t.rollback();
                throw e;
            } finally {
                t.setAutoCommit(true);
            }
            out().println("dropped tandem.backfill_task, tandem.backfill_plan and tandem.paused_job");
            return ExitCodes.OK;
        } catch (SQLException e) {
            throw Side.TARGET.label(e); // this command reads and writes the target only
        }
    }
}
