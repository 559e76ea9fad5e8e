package dev.tandem.backfill.mirror;

import dev.tandem.backfill.BackfillCommand;
import dev.tandem.backfill.BackfillException;
import dev.tandem.backfill.ExitCodes;
import dev.tandem.backfill.connect.Database;
import dev.tandem.backfill.connect.Side;
import dev.tandem.backfill.connect.TargetOptions;
import dev.tandem.backfill.state.BackfillSchema;
import dev.tandem.protocol.state.TandemSchema;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code forget-instance}: a proxy instance gone for good (its host lost, with its spool) is waited for by {@code copy}
 * and {@code repair} in vain, as nothing will move its {@code caught_up_to} again. This marks its row stopped, keeping
 * its position (should the instance come back on its spool after all, it clears the mark as after a clean stop and
 * applies nothing twice, which deleting the row would not give), and ledgers the source commits its spool may have
 * held, from its {@code caught_up_to} to now, for each table of the staged plan, for {@code settle} to close once that
 * window was re-copied and verified.
 *
 * <p>An instance whose applier is connected to this database holds its applier lock there: it is refused. The command
 * takes that lock for its own transaction, so an applier connecting meanwhile ends this session (as it ends an earlier
 * connection of its own instance) and nothing is changed. A proxy that runs but cannot reach this database at the moment
 * cannot be told from a lost one here; its next connection clears the mark.
 */
@Command(name = "forget-instance", mixinStandardHelpOptions = true,
        description = {"Stop copy and repair waiting for a proxy instance that is gone for good with its spool, and"
                + " record in the divergence ledger the window of source commits its spool may have held, for each"
                + " table of the staged plan (re-copy it, verify, then settle).",
                "Refused while the instance's mirror is connected to the target database."})
public final class ForgetInstanceCommand extends BackfillCommand {

    /** What the ledger entries carry in {@code session}: what recorded them, as the proxy puts its session there. */
    public static final String LEDGER_SESSION = "forget-instance";

    /** The applier lock of the proxy's {@code MirrorSchema.TRY_LOCK}, for this transaction. */
    private static final String TRY_LOCK =
            "SELECT pg_try_advisory_xact_lock(hashtext('tandem.mirror'), hashtext(?))";

    private static final String LOCK_HOLDERS = """
            SELECT string_agg(format('pid %s, %s, from %s, %s since %s', l.pid, a.application_name,
                                     COALESCE(a.client_addr::text, 'a local socket'), a.state, a.state_change), '; ')
            FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.pid <> pg_backend_pid()
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND l.classid = hashtext('tandem.mirror')::oid AND l.objid = hashtext(?)::oid AND l.objsubid = 2""";

    /**
     * Where the window starts: {@code caught_up_to}; for an instance that applied nothing yet, its registration or the
     * database's first mirrored commit or mark, whichever is first, as it may have spooled from then on.
     */
    private static final String READ = """
            SELECT stopped_at::text, COALESCE(caught_up_to, LEAST(applied_at,
                       (SELECT min(LEAST(first_mirrored_at, marked_at)) FROM tandem.dual_write)))::text,
                   caught_up_to IS NULL
            FROM tandem.mirror_progress WHERE instance_id = ? FOR UPDATE""";

    private static final String LEDGER = """
            INSERT INTO tandem.divergence (recorded_at, recorded_until, instance_id, session, table_schema, table_name,
                message)
            VALUES (?::timestamptz, now(), ?, ?, ?, ?, ?)
            RETURNING id, recorded_at::text, recorded_until::text""";

    @Mixin
    TargetOptions connection;

    /**
     * SQL, true for a row {@code p} of {@code tandem.mirror_progress} this command marked: it ledgers the window in the
     * transaction that sets {@code stopped_at}, and a clean stop of the instance run again marks it later.
     *
     * @param stoppedAt {@code MirrorCatchUp.stoppedAt}: without the column, nothing was forgotten
     */
    public static String forgotten(Connection target, String stoppedAt) throws SQLException {
        return stoppedAt.equals("stopped_at") && TandemSchema.hasColumn(target, "divergence", "ledgered_at")
                ? "EXISTS (SELECT FROM tandem.divergence d WHERE d.instance_id = p.instance_id AND d.session = '"
                + LEDGER_SESSION + "' AND d.ledgered_at >= p.stopped_at)" : "false";
    }

    @Parameters(paramLabel = "INSTANCE_ID", description = "The proxy's instance-id, as status and copy name it")
    String instanceId;

    @Override
    protected int execute() throws SQLException {
        try (Database target = Database.open(Side.TARGET, connection.target(environment()), 1);
             Connection t = target.connection()) {
            if (!TandemSchema.hasTable(t, "mirror_progress")) {
                throw new BackfillException("no proxy has reached this target database (no tandem.mirror_progress):"
                        + " copy waits for none, nothing to forget");
            }
            t.setAutoCommit(false);
            try {
                String forgotten = forget(t);
                t.commit();
                out().println(forgotten);
                return ExitCodes.OK;
            } catch (SQLException | RuntimeException e) {
                t.rollback();
                throw e;
            } finally {
                t.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw Side.TARGET.label(e); // this command reads and writes the target only
        }
    }

    private String forget(Connection t) throws SQLException {
        try (Statement s = t.createStatement()) {
            s.execute(TandemSchema.ddl()); // a ledger or progress table older than the columns written here
        }
        if (!tryLock(t)) {
            throw new BackfillException("proxy instance '" + instanceId + "' is running: a connection to this target"
                    + " database holds its applier lock (" + queryText(t, LOCK_HOLDERS) + "), so it is applying what"
                    + " its spool holds and copy must wait for it; nothing was changed. Two proxies started with the"
                    + " same instance-id also look like this: give each its own (docs/migration.md, step 3)");
        }
        String start;
        boolean appliedNothing;
        try (PreparedStatement ps = t.prepareStatement(READ)) {
            ps.setString(1, instanceId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new BackfillException("no proxy instance '" + instanceId + "' is listed in"
                            + " tandem.mirror_progress on this target database (listed: " + listed(t) + ");"
                            + " nothing was changed");
                }
                if (rs.getString(1) != null) {
                    throw new BackfillException("proxy instance '" + instanceId + "' is already marked stopped (at "
                            + rs.getString(1) + "): copy does not wait for it; nothing was changed");
                }
                start = rs.getString(2);
                appliedNothing = rs.getBoolean(3);
            }
        }
        try (PreparedStatement ps = t.prepareStatement(
                "UPDATE tandem.mirror_progress SET stopped_at = now() WHERE instance_id = ?")) {
            ps.setString(1, instanceId);
            ps.executeUpdate();
        }
        List<Table> tables = plannedTables(t);
        String message = "lost with the spool of proxy instance '" + instanceId + "' (tandem-backfill forget-instance):"
                + " transactions it saw committed on the source from recorded_at to recorded_until may not have been"
                + " applied";
        List<String> ids = new ArrayList<>();
        String from = null;
        String to = null;
        try (PreparedStatement ps = t.prepareStatement(LEDGER)) {
            for (Table table : tables.isEmpty() ? List.of(new Table(null, null)) : tables) {
                ps.setString(1, start);
                ps.setString(2, instanceId);
                ps.setString(3, LEDGER_SESSION);
                ps.setString(4, table.schema());
                ps.setString(5, table.name());
                ps.setString(6, table.schema() == null ? message + ": no plan was staged, so the entry names no table"
                        : message + ": re-copy this window of the table, verify, then settle");
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    ids.add(rs.getString(1));
                    from = rs.getString(2);
                    to = rs.getString(3);
                }
            }
        }
        return "forgot proxy instance '" + instanceId + "': copy and repair no longer wait for it (its row in"
                + " tandem.mirror_progress is marked stopped and keeps its position: if it runs again, it is waited"
                + " for again and applies nothing twice). Transactions it saw committed on the source from " + from
                + (appliedNothing ? " (it had applied nothing: from when it or the mirror of this database started)"
                : "") + " to " + to + " may have been lost with its spool; recorded in the divergence ledger, "
                + (tables.isEmpty() ? "id " + ids.get(0) + ", naming no table as no plan is staged: compare the"
                + " mirrored tables over that window with 'verify --through' and re-copy where they differ"
                : (ids.size() == 1 ? "id " : "ids ") + String.join(", ", ids) + " for " + String.join(", ",
                tables.stream().map(n -> n.schema() + "." + n.name()).toList()) + ": re-copy that window of each (stage"
                + " --replace --table/--filter --from --until, copy, verify; docs/migration.md step 8), then settle");
    }

    private boolean tryLock(Connection t) throws SQLException {
        try (PreparedStatement ps = t.prepareStatement(TRY_LOCK)) {
            ps.setString(1, instanceId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    private String queryText(Connection t, String sql) throws SQLException {
        try (PreparedStatement ps = t.prepareStatement(sql)) {
            ps.setString(1, instanceId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    private static String listed(Connection t) throws SQLException {
        try (Statement s = t.createStatement();
             ResultSet rs = s.executeQuery("SELECT coalesce(string_agg(instance_id, ', ' ORDER BY instance_id),"
                     + " 'none') FROM tandem.mirror_progress")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** A table of the plan; both null for the entry naming none. */
    private record Table(String schema, String name) {
    }

    /** The tables of the staged plan; none without a plan. */
    private static List<Table> plannedTables(Connection t) throws SQLException {
        List<Table> tables = new ArrayList<>();
        if (!BackfillSchema.exists(t)) {
            return tables;
        }
        try (Statement s = t.createStatement();
             ResultSet rs = s.executeQuery("SELECT DISTINCT table_schema, table_name FROM tandem.backfill_task"
                     + " ORDER BY 1, 2")) {
            while (rs.next()) {
                tables.add(new Table(rs.getString(1), rs.getString(2)));
            }
        }
        return tables;
    }
}
