package dev.tandem.proxy.verifier;

import dev.tandem.protocol.state.TandemSchema;
import dev.tandem.protocol.state.TimeType;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Writes divergent buckets to the target's divergence ledger for {@code tandem-backfill repair}. A bucket that
 * already has an open (not yet repaired) verifier entry is not written again, so a divergence found on every run
 * stays one entry, across proxy restarts too; once repair marks it repaired, a new divergence there is a new entry.
 * Several proxies verify the same target: a transaction-scoped advisory lock per table makes the look for an open
 * entry and the insert one step, else two runs at once would both find none and both insert.
 */
final class DivergenceLedger {

    private static final String INSERT_ONCE = """
            INSERT INTO tandem.divergence (instance_id, database, table_schema, table_name, sqlstate, message, time_column,
                                           range_start, range_end)
            SELECT ?, ?, ?, ?, NULL, ?, ?, ?, ?
            WHERE NOT EXISTS (SELECT 1 FROM tandem.divergence
                              WHERE table_schema = ? AND table_name = ? AND time_column = ?
                                AND range_start = ? AND range_end = ? AND repaired_at IS NULL
                                AND message LIKE 'verifier:%')""";

    private static final String LOCK = "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))";

    private final String instanceId;
    private final String targetDatabase;

    DivergenceLedger(String instanceId, String targetDatabase) {
        this.instanceId = instanceId;
        this.targetDatabase = targetDatabase;
    }

    /** Creates the ledger if missing; idempotent. */
    void prepare(Connection target) throws SQLException {
        try (Statement s = target.createStatement()) {
            s.execute(TandemSchema.ddl());
        }
    }

    /**
     * Commits unless {@code target} is already in a transaction.
     *
     * @return true when a new entry was written, false when the bucket already had an open one
     */
    boolean record(Connection target, DivergentBucket divergent) throws SQLException {
        if (!target.getAutoCommit()) {
            return lockedRecord(target, divergent);
        }
        target.setAutoCommit(false);
        try {
            boolean written = lockedRecord(target, divergent);
            target.commit();
            return written;
        } catch (SQLException | RuntimeException e) {
            target.rollback();
            throw e;
        } finally {
            target.setAutoCommit(true);
        }
    }

    private boolean lockedRecord(Connection target, DivergentBucket divergent) throws SQLException {
        VerifiedTable table = divergent.table();
        TimeType type = table.checksum().timeType();
        String start = type.display(divergent.bucket().start());
        String end = type.display(divergent.bucket().end());
        String timeColumn = table.checksum().timeColumn();
        try (PreparedStatement ps = target.prepareStatement(LOCK)) {
            ps.setString(1, "tandem.divergence verifier " + table.name());
            ps.executeQuery().close();
        }
        try (PreparedStatement ps = target.prepareStatement(INSERT_ONCE)) {
            int i = 0;
            ps.setString(++i, instanceId);
            ps.setString(++i, targetDatabase);
            ps.setString(++i, table.name().schema());
            ps.setString(++i, table.name().name());
            ps.setString(++i, divergent.message());
            ps.setString(++i, timeColumn);
            ps.setString(++i, start);
            ps.setString(++i, end);
            ps.setString(++i, table.name().schema());
            ps.setString(++i, table.name().name());
            ps.setString(++i, timeColumn);
            ps.setString(++i, start);
            ps.setString(++i, end);
            return ps.executeUpdate() == 1;
        }
    }
}
