package dev.tandem.backfill.ledger;

import dev.tandem.backfill.state.BackfillSchema;
import dev.tandem.protocol.state.TandemSchema;
import dev.tandem.protocol.state.TimeType;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** Reads the proxy's divergence ledger ({@code tandem.divergence}) on the target. */
public final class Ledger {

    private Ledger() {
    }

    /** Every entry neither repaired nor settled, oldest first; none when the target has no ledger. */
    public static List<LedgerEntry> open(Connection target) throws SQLException {
        return read(target, "d.repaired_at IS NULL");
    }

    /**
     * The open entries {@code repair} has not queued a pending task for yet; needs the plan's tables as
     * {@code BackfillSchema} makes them. The tasks' entries are unnested into a join the server hashes: a burst of shed
     * transactions leaves thousands of entries, and {@code d.id = ANY (t.divergence_ids)} would compare each with every
     * pending task.
     */
    public static List<LedgerEntry> unqueued(Connection target) throws SQLException {
        return read(target, "d.repaired_at IS NULL AND NOT EXISTS (SELECT 1 FROM tandem.backfill_task t CROSS JOIN"
                + " unnest(coalesce(t.divergence_ids, ARRAY[t.divergence_id])) AS q(id) WHERE q.id = d.id"
                + " AND t.state = 'pending')");
    }

    /**
     * The columns {@link #entry} reads, from {@code tandem.divergence d}: an entry without its own time column takes
     * the one the staged plan uses for its table, as {@code repair} copies it in. One with its own time column and no
     * range stands for rows at infinity ({@link LedgerEntry#atInfinity}): the proxy writes a time column without a
     * range for those only.
     */
    static String columns(Connection target) throws SQLException {
        String timeColumn = !BackfillSchema.exists(target) ? "d.time_column"
                : "coalesce(d.time_column, (SELECT min(t.time_column) FROM tandem.backfill_task t"
                        + " WHERE t.table_schema = d.table_schema AND t.table_name = d.table_name))";
        // a ledger an earlier proxy made lacks recorded_until until a tool runs the shared DDL
        String until = TandemSchema.hasColumn(target, "divergence", "recorded_until") ? "d.recorded_until"
                : "NULL::timestamptz";
        return "d.id, d.table_schema, d.table_name, " + timeColumn
                + ", d.range_start, d.range_end, d.sqlstate, d.message, d.recorded_at::text, " + until + "::text, "
                + TimeType.TIMESTAMPTZ.positionOf("d.recorded_at") + ", "
                + TimeType.TIMESTAMPTZ.positionOf("coalesce(" + until + ", d.recorded_at)")
                + ", d.time_column IS NOT NULL AND d.range_start IS NULL AND d.range_end IS NULL";
    }

    /** The number of columns {@link #columns} lists. */
    static final int COLUMNS = 13;

    /** The entry in the first {@link #COLUMNS} columns of {@code rs}, as {@link #columns} lists them. */
    static LedgerEntry entry(ResultSet rs) throws SQLException {
        return new LedgerEntry(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9), rs.getString(10), rs.getLong(11),
                rs.getLong(12), rs.getBoolean(13));
    }

    private static List<LedgerEntry> read(Connection target, String where) throws SQLException {
        List<LedgerEntry> entries = new ArrayList<>();
        if (!exists(target)) {
            return entries;
        }
        try (PreparedStatement ps = target.prepareStatement("SELECT " + columns(target)
                + " FROM tandem.divergence d WHERE " + where + " ORDER BY d.id");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                entries.add(entry(rs));
            }
        }
        return entries;
    }

    /** Whether an entry is open, without reading them all (a burst of shed transactions leaves thousands). */
    public static boolean anyOpen(Connection target) throws SQLException {
        if (!exists(target)) {
            return false;
        }
        try (PreparedStatement ps = target.prepareStatement(
                "SELECT EXISTS (SELECT FROM tandem.divergence WHERE repaired_at IS NULL)");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    private static boolean exists(Connection target) throws SQLException {
        return TandemSchema.hasTable(target, "divergence");
    }
}
