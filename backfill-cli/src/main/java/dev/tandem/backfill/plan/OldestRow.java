package dev.tandem.backfill.plan;

import dev.tandem.protocol.sql.Identifiers;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The oldest time value of a table on the source: {@code min(t)}, which on a table range-partitioned by the time column
 * plans a scan of every partition and locks each (4-6 s with 5,000 partitions, proxy/bench/partitions-bench.sh). There
 * the partitions are visited in the order of their lower bounds instead, one at a time, up to the first that has a row;
 * a DEFAULT partition, which may hold rows older than every bound, is always read too. Any other table, and any tree
 * with a level this does not understand (list or hash partitioning, a key of several columns, an expression or another
 * column, a non-default operator class), is read with the plain {@code min(t)}, a level at a time where it can.
 */
final class OldestRow {

    /**
     * The partitions of one partitioned table, bounded ones in the order of their lower bound (MINVALUE first), the
     * DEFAULT one last. A lower bound is cast to the column's type to be ordered: ruleutils prints it as a number or a
     * quoted literal, never with a quote or a parenthesis inside for the time types; one in any other form is not
     * ordered and marks the level as not understood. A bound refers to no column, so pg_get_expr() is given no
     * relation: given the partition, it locks it. OFFSET 0 keeps each expression from being copied into every place
     * that uses it and computed there again (with a regular expression over the whole bound, 0.19 s with 2,000
     * partitions; now 0.03 s).
     */
    private static final String PARTITIONS_SQL = """
            SELECT nspname, relname, relkind = 'p', is_default,
                   NOT is_default AND lower IS DISTINCT FROM 'MINVALUE' AND NOT coalesce(lower ~ '%1$s', false)
            FROM (SELECT nspname, relname, relkind, bound = 'DEFAULT' AS is_default,
                         CASE WHEN bound LIKE 'FOR VALUES FROM (%%) TO (%%)'
                              THEN split_part(substr(bound, length('FOR VALUES FROM (') + 1), ') TO (', 1) END AS lower
                  FROM (SELECT n.nspname, c.relname, c.relkind, pg_get_expr(c.relpartbound, 0) AS bound
                        FROM pg_inherits i
                        JOIN pg_class c ON c.oid = i.inhrelid
                        JOIN pg_namespace n ON n.oid = c.relnamespace
                        WHERE i.inhparent = ?::regclass
                        OFFSET 0) b
                  OFFSET 0) p
            ORDER BY is_default, lower = 'MINVALUE' DESC,
                     CASE WHEN lower ~ '%1$s' THEN CAST(btrim(lower, '''') AS %2$s) END
            """;

    private static final String ORDERABLE_BOUND = "^(''[^'']*''|-?[0-9]+)$";

    /** Whether a partitioned table's key is the column alone, by range, in its type's default order. */
    private static final String RANGE_BY_COLUMN_SQL = """
            SELECT pt.partstrat = 'r' AND pt.partnatts = 1 AND pt.partattrs[0] = a.attnum AND o.opcdefault
            FROM pg_partitioned_table pt
            JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attname = ? AND NOT a.attisdropped
            JOIN pg_opclass o ON o.oid = pt.partclass[0]
            WHERE pt.partrelid = ?::regclass""";

    /**
     * A partition read by its own name answers to its own privileges and row security, not to the root's, and one
     * being detached concurrently is no longer read through the root: then the root is read as a whole. The tree is
     * found in pg_inherits: pg_partition_tree() locks every partition.
     */
    private static final String READ_LIKE_ROOT_SQL = """
            WITH RECURSIVE tree(oid) AS (
                SELECT ?::regclass::oid
                UNION ALL
                SELECT i.inhrelid FROM pg_inherits i JOIN tree ON i.inhparent = tree.oid)
            SELECT coalesce(bool_and(has_table_privilege(c.oid, 'SELECT') AND NOT c.relrowsecurity
                                     AND NOT coalesce((to_jsonb(i) ->> 'inhdetachpending')::boolean, false)), false)
            FROM tree
            JOIN pg_class c ON c.oid = tree.oid
            LEFT JOIN pg_inherits i ON i.inhrelid = tree.oid
            WHERE (SELECT relkind FROM pg_class WHERE oid = ?::regclass) = 'p'""";

    private final Connection source;
    private final TableLayout layout;
    private final String column;

    private OldestRow(Connection source, TableLayout layout) {
        this.source = source;
        this.layout = layout;
        this.column = Identifiers.quoteIdentifier(layout.timeColumn());
    }

    /**
     * The position of the table's oldest time value, or null when it has none, as {@code min(t)} would give it at one
     * moment: the partitions are read in one repeatable-read transaction.
     */
    static Long position(Connection source, TableLayout layout) throws SQLException {
        return new OldestRow(source, layout).position();
    }

    private Long position() throws SQLException {
        boolean autoCommit = source.getAutoCommit();
        int isolation = source.getTransactionIsolation();
        source.setAutoCommit(false);
        source.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        try {
            String table = layout.quotedTable();
            List<String> candidates = readLikeRoot(table) ? oldestIn(table) : plainMin(table);
            Long position = candidates.isEmpty() ? null : positionOf(candidates);
            source.commit();
            return position;
        } catch (SQLException | RuntimeException e) {
            source.rollback();
            throw e;
        } finally {
            source.setTransactionIsolation(isolation);
            source.setAutoCommit(autoCommit);
        }
    }

    private boolean readLikeRoot(String table) throws SQLException {
        try (PreparedStatement ps = source.prepareStatement(READ_LIKE_ROOT_SQL)) {
            ps.setString(1, table);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    /** Values of the column as text, among them the oldest of {@code table}: none when it has no rows. */
    private List<String> oldestIn(String table) throws SQLException {
        if (!rangeByColumn(table)) {
            return plainMin(table);
        }
        List<Partition> partitions = partitions(table);
        if (partitions.stream().anyMatch(Partition::unordered)) {
            return plainMin(table);
        }
        List<String> candidates = new ArrayList<>();
        for (Partition p : partitions) {
            if (!p.isDefault() && !candidates.isEmpty()) {
                continue; // every row of a later bounded partition is at or after the bound the oldest lies below
            }
            candidates.addAll(p.partitioned() ? oldestIn(p.name()) : plainMin(p.name()));
        }
        return candidates;
    }

    private boolean rangeByColumn(String table) throws SQLException {
        try (PreparedStatement ps = source.prepareStatement(RANGE_BY_COLUMN_SQL)) {
            ps.setString(1, layout.timeColumn());
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private record Partition(String name, boolean partitioned, boolean isDefault, boolean unordered) {
    }

    private List<Partition> partitions(String table) throws SQLException {
        List<Partition> partitions = new ArrayList<>();
        try (PreparedStatement ps = source.prepareStatement(PARTITIONS_SQL.formatted(ORDERABLE_BOUND,
                layout.timeType().sqlName()))) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    partitions.add(new Partition(Identifiers.quoteQualified(rs.getString(1), rs.getString(2)),
                            rs.getBoolean(3), rs.getBoolean(4), rs.getBoolean(5)));
                }
            }
        }
        return partitions;
    }

    private List<String> plainMin(String table) throws SQLException {
        try (Statement s = source.createStatement();
             ResultSet rs = s.executeQuery("SELECT min(" + column + ")::text FROM " + table)) {
            rs.next();
            String min = rs.getString(1);
            return min == null ? List.of() : List.of(min);
        }
    }

    /** Compared as the column's type, and made a position, by the source: as it does with {@code min(t)}. */
    private long positionOf(List<String> candidates) throws SQLException {
        String least = candidates.stream().map(v -> layout.timeType().cast(Identifiers.quoteLiteral(v)))
                .collect(Collectors.joining(", ", "least(", ")"));
        try (Statement s = source.createStatement();
             ResultSet rs = s.executeQuery("SELECT " + layout.timeType().positionOf(least))) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
