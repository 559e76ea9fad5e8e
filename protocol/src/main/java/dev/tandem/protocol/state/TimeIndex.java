package dev.tandem.protocol.state;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Whether a server can find a table's rows of one time range without reading the whole table: an index, or the
 * partition key, starts with the time column. The backfill's tasks and the proxy verifier's buckets both select by
 * time range; without either, each of those queries scans the table.
 */
public final class TimeIndex {

    private static final String SQL = """
            SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                           WHERE i.indrelid = c.oid AND a.attname = ?)
                OR EXISTS (SELECT 1 FROM pg_partitioned_table p JOIN pg_attribute a
                             ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
                           WHERE p.partrelid = c.oid AND a.attname = ?)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = ? AND c.relname = ?""";

    private TimeIndex() {
    }

    /** @return false only when the table exists and neither an index nor its partition key starts with the column */
    public static boolean exists(Connection connection, String schema, String table, String timeColumn)
            throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(SQL)) {
            ps.setString(1, timeColumn);
            ps.setString(2, timeColumn);
            ps.setString(3, schema);
            ps.setString(4, table);
            try (ResultSet rs = ps.executeQuery()) {
                return !rs.next() || rs.getBoolean(1);
            }
        }
    }
}
