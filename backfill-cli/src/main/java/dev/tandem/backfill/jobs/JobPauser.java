package dev.tandem.backfill.jobs;

import dev.tandem.backfill.plan.TimescaleCatalog;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code --pause-jobs}: disables the target's policies (compression, retention, continuous-aggregate refresh, reorder,
 * tiering: every job attached to one, see {@link TimescaleCatalog#pausableJobs}) of the staged hypertables and their
 * continuous aggregates while they are copied, remembering each in {@code tandem.paused_job} in the same transaction,
 * so {@code status} shows and {@code clean} restores exactly the jobs paused, even after a crash. Only scheduled jobs
 * are paused, so one already paused before the copy stays paused after it.
 */
public final class JobPauser {

    private JobPauser() {
    }

    /** Pauses the scheduled jobs of the plan's tables; returns how many were paused now. */
    public static int pause(Connection target, PrintWriter out) throws SQLException {
        if (TimescaleCatalog.version(target).isEmpty()) {
            out.println("--pause-jobs: the target has no TimescaleDB, so there are no jobs to pause");
            return 0;
        }
        List<String> schemas = new ArrayList<>();
        List<String> names = new ArrayList<>();
        try (Statement s = target.createStatement();
             ResultSet rs = s.executeQuery("SELECT DISTINCT table_schema, table_name FROM tandem.backfill_task")) {
            while (rs.next()) {
                schemas.add(rs.getString(1));
                names.add(rs.getString(2));
            }
        }
        List<TimescaleCatalog.Job> jobs = TimescaleCatalog.pausableJobs(target, schemas, names);
        refuseJobsOfOtherOwners(target, jobs);
        boolean autoCommit = target.getAutoCommit();
        target.setAutoCommit(false);
        try {
            for (TimescaleCatalog.Job job : jobs) {
                try (PreparedStatement ps = target.prepareStatement("INSERT INTO tandem.paused_job (job_id, proc_name, "
                        + "hypertable) VALUES (?, ?, ?) ON CONFLICT (job_id) DO NOTHING")) {
                    ps.setInt(1, job.id());
                    ps.setString(2, job.procName());
                    ps.setString(3, job.hypertable());
                    ps.executeUpdate();
                }
                TimescaleCatalog.setScheduled(target, job.id(), false);
                target.commit();
                out.println("paused job " + job.id() + " (" + job.procName() + " on " + job.hypertable() + ")");
            }
        } catch (SQLException | RuntimeException e) {
            target.rollback();
            throw e;
        } finally {
            target.setAutoCommit(autoCommit);
        }
        return jobs.size();
    }

    /**
     * {@code alter_job} needs the privileges of the job's owner. Asked before anything is paused, so that a refusal
     * neither stops half-way nor leaves a job in {@code tandem.paused_job} that was never paused.
     */
    private static void refuseJobsOfOtherOwners(Connection target, List<TimescaleCatalog.Job> jobs) throws SQLException {
        List<String> refused = new ArrayList<>();
        for (TimescaleCatalog.Job job : jobs) {
            if (!job.alterable()) {
                refused.add("job " + job.id() + " (" + job.procName() + " on " + job.hypertable() + "), owned by "
                        + job.owner());
            }
        }
        if (refused.isEmpty()) {
            return;
        }
        throw OwnerRefusal.of(target, "--pause-jobs", "alter a job", refused, "Nothing was paused. Connect as such a"
                + " role (e.g. GRANT <owner> TO {user}), or copy without --pause-jobs after disabling the jobs by hand");
    }

    /** How many jobs {@code tandem.paused_job} holds. */
    public static long pausedCount(Connection target) throws SQLException {
        try (Statement s = target.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM tandem.paused_job")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * Re-enables every job in {@code tandem.paused_job} and forgets it; returns how many. Each job is re-enabled and
     * forgotten in one transaction (the caller's, if it has one open, as {@code clean} does), so a restore cut short
     * leaves no job re-enabled that the table still holds as paused: a job the operator disables by hand afterwards
     * would be turned on again by the next restore.
     */
    public static int restore(Connection target, PrintWriter out) throws SQLException {
        List<Integer> jobs = new ArrayList<>();
        try (Statement s = target.createStatement();
             ResultSet rs = s.executeQuery("SELECT job_id FROM tandem.paused_job ORDER BY job_id")) {
            while (rs.next()) {
                jobs.add(rs.getInt(1));
            }
        }
        if (jobs.isEmpty()) {
            return 0;
        }
        boolean timescale = TimescaleCatalog.version(target).isPresent();
        boolean ownTransactions = target.getAutoCommit();
        target.setAutoCommit(false);
        try {
            for (int job : jobs) {
                if (timescale) {
                    TimescaleCatalog.setScheduled(target, job, true);
                }
                try (PreparedStatement ps = target.prepareStatement("DELETE FROM tandem.paused_job WHERE job_id = ?")) {
                    ps.setInt(1, job);
                    ps.executeUpdate();
                }
                if (ownTransactions) {
                    target.commit();
                }
                out.println("restored job " + job);
            }
        } catch (SQLException | RuntimeException e) {
            if (ownTransactions) {
                target.rollback();
            }
            throw e;
        } finally {
            if (ownTransactions) {
                target.setAutoCommit(true);
            }
        }
        return jobs.size();
    }
}
