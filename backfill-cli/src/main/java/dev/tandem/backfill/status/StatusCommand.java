package dev.tandem.backfill.status;

import dev.tandem.backfill.BackfillCommand;
import dev.tandem.backfill.ExitCodes;
import dev.tandem.backfill.connect.Database;
import dev.tandem.backfill.connect.Side;
import dev.tandem.backfill.connect.TargetOptions;
import dev.tandem.backfill.copy.MirrorCatchUp;
import dev.tandem.backfill.ledger.Ledger;
import dev.tandem.backfill.ledger.LedgerReport;
import dev.tandem.backfill.mirror.ForgetInstanceCommand;
import dev.tandem.backfill.progress.Throughput;
import dev.tandem.backfill.state.BackfillSchema;
import dev.tandem.protocol.state.TandemSchema;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code status}: the plan, tasks by state, rows, bytes, throughput, ETA, paused jobs and open ledger entries. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show the plan: tasks by state, rows, bytes, throughput, ETA, paused jobs, and the open entries"
                + " of the proxy's divergence ledger.")
public final class StatusCommand extends BackfillCommand {

    @Mixin
    TargetOptions connection;

    @Override
    protected int execute() throws SQLException {
        try (Database target = Database.open(Side.TARGET, connection.target(environment()), 1);
             Connection t = target.connection(); Statement s = t.createStatement()) {
            if (!BackfillSchema.staged(t)) {
                out().println("no plan staged on the target");
                LedgerReport.lines(Ledger.open(t)).forEach(out()::println);
                return ExitCodes.OK;
            }
            try (ResultSet rs = s.executeQuery("SELECT arguments, until_text, staged_at::text FROM tandem.backfill_plan")) {
                if (rs.next()) {
                    out().println("plan staged " + rs.getString(3) + ", until " + rs.getString(2));
                    out().println("  " + rs.getString(1));
                }
            }
            out().printf(Locale.ROOT, "%-10s %8s %14s %12s%n", "STATE", "TASKS", "ROWS", "BYTES");
            long remaining = 0;
            long finished = 0;
            try (ResultSet rs = s.executeQuery("SELECT state, count(*), coalesce(sum(rows), 0), coalesce(sum(bytes), 0) "
                    + "FROM tandem.backfill_task GROUP BY state ORDER BY state")) {
                while (rs.next()) {
                    String state = rs.getString(1);
                    out().printf(Locale.ROOT, "%-10s %8d %14d %12s%n", state, rs.getLong(2), rs.getLong(3),
                            Throughput.bytes(rs.getLong(4)));
                    if (state.equals("pending") || state.equals("failed")) {
                        remaining += rs.getLong(2);
                    } else {
                        finished += rs.getLong(2);
                    }
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT coalesce(sum(rows), 0), coalesce(sum(bytes), 0), "
                    + "extract(epoch from max(finished_at) - min(started_at)) FROM tandem.backfill_task "
                    + "WHERE finished_at IS NOT NULL")) {
                rs.next();
                double seconds = rs.getDouble(3);
                if (seconds > 0) {
                    String eta = remaining == 0 ? "done" : Throughput.duration(seconds / Math.max(finished, 1) * remaining);
                    out().printf(Locale.ROOT, "throughput %.0f rows/s, %s/s; ETA %s%n", rs.getLong(1) / seconds,
                            Throughput.bytes(rs.getLong(2) / seconds), eta);
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT id, table_schema || '.' || table_name, error FROM tandem.backfill_task "
                    + "WHERE state = 'failed' ORDER BY id LIMIT 20")) {
                while (rs.next()) {
                    out().println("failed task " + rs.getLong(1) + " " + rs.getString(2) + ": " + rs.getString(3));
                }
            }
            if (TandemSchema.hasTable(t, "mirror_progress")) {
                printMirrors(s);
            }
            try (ResultSet rs = s.executeQuery("SELECT job_id, proc_name, hypertable, paused_at::text FROM tandem.paused_job "
                    + "ORDER BY job_id")) {
                while (rs.next()) {
                    out().println("paused job " + rs.getInt(1) + " (" + rs.getString(2) + " on " + rs.getString(3)
                            + ") since " + rs.getString(4) + "; 'clean' or the end of 'copy' restores it");
                }
            }
            LedgerReport.lines(Ledger.open(t)).forEach(out()::println);
            return ExitCodes.OK;
        } catch (SQLException e) {
            throw Side.TARGET.label(e); // this command reads and writes the target only
        }
    }

    /** The proxies mirroring into this database: how far behind each is, which is what {@code copy} waits for. */
    private void printMirrors(Statement s) throws SQLException {
        String stoppedAt = MirrorCatchUp.stoppedAt(s.getConnection());
        String forgotten = ForgetInstanceCommand.forgotten(s.getConnection(), stoppedAt);
        try (ResultSet rs = s.executeQuery("SELECT instance_id, applied_at::text, caught_up_to::text,"
                + " round(extract(epoch from clock_timestamp() - caught_up_to)::numeric, 1), sequence, "
                + stoppedAt + "::text, " + forgotten + " FROM tandem.mirror_progress p ORDER BY instance_id")) {
            while (rs.next()) {
                if (rs.getBoolean(7)) {
                    out().println("proxy " + rs.getString(1) + ": forgotten at " + rs.getString(6) + " (forget-instance;"
                            + " it had caught up to " + (rs.getString(3) == null ? "nothing" : rs.getString(3))
                            + "): copy does not wait for it, and the ledger entries below hold the window its spool"
                            + " may have lost; if it runs again, it is waited for again");
                    continue;
                }
                if (rs.getString(6) != null) {
                    out().println("proxy " + rs.getString(1) + ": stopped cleanly at " + rs.getString(6)
                            + " with everything it spooled applied (copy does not wait for it; if it runs again, its"
                            + " GET /status must not list this database under mirror.stillMarkedStopped)");
                    continue;
                }
                if (rs.getLong(5) == 0 && rs.getString(3) == null) {
                    // listed when it first connected, before its first group committed
                    out().println("proxy " + rs.getString(1) + ": connected at " + rs.getString(2)
                            + ", has applied nothing yet (copy waits for it)");
                    continue;
                }
                out().println("proxy " + rs.getString(1) + ": last applied " + rs.getString(2) + ", caught up to "
                        + (rs.getString(3) == null ? "unknown" : rs.getString(3) + " (" + rs.getString(4) + " s ago)"));
            }
        }
    }
}
