package dev.tandem.backfill.verify;

import dev.tandem.backfill.connect.ServerError;
import dev.tandem.backfill.connect.Side;
import dev.tandem.backfill.plan.TableLayout;
import dev.tandem.protocol.state.RangeChecksum;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What verify compares for one range on one side: row count, min and max time, and the order-independent checksum of the
 * full row contents (see {@link RangeChecksum}).
 */
public record RangeDigest(long rows, String min, String max, String checksum) {

    /** @param recordHash see {@link RangeChecksum#sql} */
    public static RangeDigest of(Connection connection, TableLayout layout, long start, long end, boolean recordHash)
            throws SQLException {
        return query(connection, layout.checksum().sql(start, end, recordHash));
    }

    /** The digest of the rows whose time column is NULL, which belong to no range. */
    public static RangeDigest ofNullTime(Connection connection, TableLayout layout, boolean recordHash)
            throws SQLException {
        return query(connection, layout.checksum().nullTimeSql(recordHash));
    }

    private static RangeDigest query(Connection connection, String sql) throws SQLException {
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return new RangeDigest(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4));
        }
    }

    /**
     * True when both sides hash rows by their columns' own hash functions; else both hash the rows' text. A server
     * before PostgreSQL 14 (no {@code hash_record_extended}), or one without an extended hash for a column's type, on
     * either side makes both hash text: a source on 17 and a target on 13 must still compare alike.
     */
    public static boolean recordHashable(Connection source, Connection target, TableLayout layout) throws ServerError {
        return Side.SOURCE.call(() -> layout.checksum().recordHashable(source))
                && Side.TARGET.call(() -> layout.checksum().recordHashable(target));
    }

    /** What differs between source ({@code this}) and target, one short phrase each; empty when equal. */
    public List<String> differences(RangeDigest target) {
        List<String> d = new ArrayList<>();
        if (rows != target.rows) {
            d.add("rows " + rows + " vs " + target.rows);
        }
        if (!Objects.equals(min, target.min)) {
            d.add("min " + min + " vs " + target.min);
        }
        if (!Objects.equals(max, target.max)) {
            d.add("max " + max + " vs " + target.max);
        }
        if (!Objects.equals(checksum, target.checksum)) {
            d.add("row contents differ (checksum)");
        }
        return d;
    }
}
