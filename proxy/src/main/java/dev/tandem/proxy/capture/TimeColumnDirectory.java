package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.config.TargetConfig;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Each table's time column, for the proxy's own ledger entries of rows it did not keep (a shed transaction, one over
 * its capture limit): {@code verifier.time-columns}' entry for it, else a TimescaleDB hypertable's first dimension,
 * else a range-partitioned table's single partition key column (its partitions' too), else the column a staged
 * backfill plan uses. Read from the target's catalog (its schema is a clone of the source's) with the proxy's target
 * credentials; looked up on first use per database, then refreshed in the background, so that it is known when the
 * target goes down, which is when transactions are shed. Until the first answer a database's tables have none known,
 * nor on a target before PostgreSQL 12.
 */
public final class TimeColumnDirectory extends CatalogDirectory<Map<TableName, TableTimeColumn>> {

    static final String DIMENSIONS = "SELECT hypertable_schema::text, hypertable_name::text, column_name::text"
            + " FROM timescaledb_information.dimensions WHERE dimension_number = 1";
    /** Range-partitioned tables on one column, and every partition below them, with that column. */
    static final String PARTITION_KEYS = """
            SELECT tn.nspname::text, tc.relname::text, a.attname::text
            FROM pg_partitioned_table p
            JOIN pg_class c ON c.oid = p.partrelid
            JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
            CROSS JOIN LATERAL pg_partition_tree(p.partrelid) t
            JOIN pg_class tc ON tc.oid = t.relid
            JOIN pg_namespace tn ON tn.oid = tc.relnamespace
            WHERE p.partstrat = 'r' AND p.partnatts = 1 AND p.partattrs[0] <> 0 AND NOT c.relispartition""";
    static final String PLANNED = "SELECT table_schema, table_name, min(time_column) FROM tandem.backfill_task"
            + " GROUP BY table_schema, table_name";
    static final String CATALOGS = "SELECT to_regclass('timescaledb_information.dimensions') IS NOT NULL,"
            + " to_regclass('tandem.backfill_task') IS NOT NULL,"
            + " current_setting('server_version_num')::int >= 120000";
    /** Per table and time column: its columns for INSERT, for COPY (no generated ones), and the column's type. */
    static final String COLUMNS = """
            SELECT t.s, t.n, t.col,
              (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a
               WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
              (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a
               WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''),
              (SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
               WHERE a.attrelid = c.oid AND a.attname = t.col AND NOT a.attisdropped)
            FROM unnest(?::text[], ?::text[], ?::text[]) AS t(s, n, col)
            JOIN pg_namespace ns ON ns.nspname = t.s
            JOIN pg_class c ON c.relnamespace = ns.oid AND c.relname = t.n""";

    private final Map<TableName, String> configured;

    /**
     * @param configured {@code verifier.time-columns}: table -> its time column, ahead of what the catalog says
     */
    public TimeColumnDirectory(TargetConfig target, Duration refresh, Map<TableName, String> configured) {
        super("time columns", CatalogServer.target(target), refresh, null);
        this.configured = Map.copyOf(configured);
    }

    @Override
    Map<TableName, TableTimeColumn> load(Connection c) throws SQLException {
        // later entries win: the plan, then partition keys, then hypertable dimensions, then the configuration
        Map<TableName, String> columns = new LinkedHashMap<>();
        try (Statement s = c.createStatement()) {
            boolean timescale;
            boolean plan;
            try (ResultSet rs = s.executeQuery(CATALOGS)) {
                rs.next();
                timescale = rs.getBoolean(1);
                plan = rs.getBoolean(2);
                if (!rs.getBoolean(3)) {
                    return Map.of(); // before PostgreSQL 12: no generated columns to tell, no partition trees to walk
                }
            }
            if (plan) {
                read(s, PLANNED, columns);
            }
            read(s, PARTITION_KEYS, columns);
            if (timescale) {
                read(s, DIMENSIONS, columns);
            }
        }
        columns.putAll(configured);
        return describe(c, columns);
    }

    private static void read(Statement s, String query, Map<TableName, String> into) throws SQLException {
        try (ResultSet rs = s.executeQuery(query)) {
            while (rs.next()) {
                if (rs.getString(3) != null) {
                    into.put(new TableName(rs.getString(1), rs.getString(2)), rs.getString(3));
                }
            }
        }
    }

    /** Each table's column lists and time column type; a table or column not there, or of no time type, left out. */
    private static Map<TableName, TableTimeColumn> describe(Connection c, Map<TableName, String> columns)
            throws SQLException {
        List<String> schemas = new ArrayList<>(columns.size());
        List<String> names = new ArrayList<>(columns.size());
        List<String> timeColumns = new ArrayList<>(columns.size());
        columns.forEach((table, column) -> {
            schemas.add(table.schema());
            names.add(table.name());
            timeColumns.add(column);
        });
        Map<TableName, TableTimeColumn> known = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(COLUMNS)) {
            ps.setArray(1, c.createArrayOf("text", schemas.toArray()));
            ps.setArray(2, c.createArrayOf("text", names.toArray()));
            ps.setArray(3, c.createArrayOf("text", timeColumns.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String type = rs.getString(6);
                    TableTimeColumn column = type == null ? null : TableTimeColumn.of(rs.getString(3), type,
                            strings(rs.getArray(4)), strings(rs.getArray(5)));
                    if (column != null) {
                        known.put(new TableName(rs.getString(1), rs.getString(2)), column);
                    }
                }
            }
        }
        return Map.copyOf(known);
    }

    private static List<String> strings(Array array) throws SQLException {
        return array == null ? List.of() : Arrays.asList((String[]) array.getArray());
    }
}
