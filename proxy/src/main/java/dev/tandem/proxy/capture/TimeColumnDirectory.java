package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.config.TargetConfig;
import dev.tandem.proxy.timecolumn.TimeColumnRule;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Each table's time column by {@link TimeColumnRule}, for the proxy's own ledger entries of rows it did not keep (a
 * shed transaction, one over its capture limit). Read from the target's catalog (its schema is a clone of the
 * source's) with the proxy's target credentials; looked up on first use per database, then refreshed in the
 * background, so that it is known when the target goes down, which is when transactions are shed. Until the first
 * answer a database's tables have none known, nor on a target before PostgreSQL 12. Its column lists are the target's
 * order, which an INSERT or COPY without a column list does not follow where the target's table has its columns in
 * another order: {@link SourceOrderedTimeColumns} puts the source's in their place.
 */
public final class TimeColumnDirectory extends CatalogDirectory<Map<TableName, TableTimeColumn>> {

    /**
     * Every table partition, at any depth, with the root of its tree: an index on a partitioned table has its own tree
     * of partitions ({@code relkind} 'I' and 'i'), which {@code relispartition} alone counts too.
     */
    private static final String PARTITION_ROOTS = """
            SELECT pn.nspname::text, p.relname::text, rn.nspname::text, r.relname::text
            FROM pg_class p
            JOIN pg_namespace pn ON pn.oid = p.relnamespace
            JOIN pg_class r ON r.oid = pg_partition_root(p.oid)
            JOIN pg_namespace rn ON rn.oid = r.relnamespace
            WHERE p.relispartition AND p.relkind IN ('r', 'p', 'f')""";
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
        Map<TableName, String> catalog = new HashMap<>();
        Map<TableName, TableName> roots;
        try (Statement s = c.createStatement()) {
            TimeColumnRule.Catalogs available;
            try (ResultSet rs = s.executeQuery(TimeColumnRule.CATALOGS)) {
                rs.next();
                available = TimeColumnRule.Catalogs.of(List.of(rs.getString(1), rs.getString(2), rs.getString(3)));
            }
            if (!available.partitionRoot()) {
                return Map.of(); // before PostgreSQL 12: no generated columns to tell, no partition trees to walk
            }
            try (ResultSet rs = s.executeQuery(TimeColumnRule.catalogColumns(available))) {
                while (rs.next()) {
                    catalog.put(new TableName(rs.getString(1), rs.getString(2)), rs.getString(3));
                }
            }
            roots = partitionRoots(s);
        }
        TimeColumnRule.Catalog<RuntimeException> answers = new TimeColumnRule.Catalog<>() {
            @Override
            public String column(TableName table) {
                return catalog.get(table);
            }

            @Override
            public Optional<TableName> partitionRoot(TableName table) {
                return Optional.ofNullable(roots.get(table));
            }
        };
        Set<TableName> tables = new HashSet<>(configured.keySet());
        tables.addAll(catalog.keySet());
        tables.addAll(roots.keySet());
        Map<TableName, String> columns = new HashMap<>();
        for (TableName table : tables) {
            String column = TimeColumnRule.of(table, configured, answers);
            if (column != null) {
                columns.put(table, column);
            }
        }
        return describe(c, columns);
    }

    /** Each table partition, at any depth, with the root of its tree. */
    static Map<TableName, TableName> partitionRoots(Statement s) throws SQLException {
        Map<TableName, TableName> roots = new HashMap<>();
        try (ResultSet rs = s.executeQuery(PARTITION_ROOTS)) {
            while (rs.next()) {
                roots.put(new TableName(rs.getString(1), rs.getString(2)),
                        new TableName(rs.getString(3), rs.getString(4)));
            }
        }
        return roots;
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
