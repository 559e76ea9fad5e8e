package dev.tandem.proxy.timecolumn;

import dev.tandem.protocol.sql.TableName;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which column is a table's time column, the one rule the capture's own ledger entries, the applier's ledger entries
 * and the verifier all follow:
 * <ol>
 *   <li>its entry in {@code verifier.time-columns};</li>
 *   <li>else, for a partition (at any depth) written by its own name, its root's column by this rule;</li>
 *   <li>else what the target's catalog says about the table itself ({@link #catalogColumns}): a TimescaleDB
 *       hypertable's first dimension, else the key of a table range-partitioned on one column, else the column a
 *       staged backfill plan ({@code tandem.backfill_task}) uses.</li>
 * </ol>
 * A partition's root decides before the partition's own catalog entry, so that a partition has the column its table is
 * compared and ledgered by; only a plan staged for the partition alone is left for the third step. The target's schema
 * is a clone of the source's, so its catalog speaks for both. Each caller asks through its own connection and caches
 * the answers as it needs ({@link Catalog}).
 */
public final class TimeColumnRule {

    /**
     * The catalogs this target database has that the rule reads, one row of text booleans ({@link Catalogs#of}):
     * TimescaleDB's, a backfill plan's, and {@code pg_partition_root} (PostgreSQL 12).
     */
    public static final String CATALOGS = "SELECT (to_regclass('timescaledb_information.dimensions') IS NOT NULL)::text,"
            + " (to_regclass('tandem.backfill_task') IS NOT NULL)::text,"
            + " (to_regproc('pg_catalog.pg_partition_root') IS NOT NULL)::text";

    private static final String DIMENSIONS = "SELECT hypertable_schema::text, hypertable_name::text, column_name::text,"
            + " 1 FROM timescaledb_information.dimensions WHERE dimension_number = 1";
    /** Roots only: a partition gets its root's column through the rule, whatever its own sub-partitioning. */
    private static final String RANGE_KEYS = """
            SELECT ns.nspname::text AS s, c.relname::text AS n, a.attname::text AS col, 2 AS rank
            FROM pg_partitioned_table p
            JOIN pg_class c ON c.oid = p.partrelid
            JOIN pg_namespace ns ON ns.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
            WHERE p.partstrat = 'r' AND p.partnatts = 1 AND p.partattrs[0] <> 0 AND NOT c.relispartition""";
    private static final String PLANNED = "SELECT table_schema, table_name, min(time_column), 3"
            + " FROM tandem.backfill_task GROUP BY table_schema, table_name";

    private TimeColumnRule() {
    }

    /** Which of the catalogs the rule reads a target database has. */
    public record Catalogs(boolean timescale, boolean plan, boolean partitionRoot) {

        /** From the row {@link #CATALOGS} answers, as text. */
        public static Catalogs of(List<String> row) {
            return new Catalogs(yes(row.get(0)), yes(row.get(1)), yes(row.get(2)));
        }

        private static boolean yes(String value) {
            return "true".equals(value);
        }
    }

    /**
     * What a caller's catalog says about one table, through its own connection.
     *
     * @param <E> what its look-ups throw
     */
    public interface Catalog<E extends Exception> {

        /** The table's own column by the catalog's part of the rule ({@link #catalogColumn}); null when none. */
        String column(TableName table) throws E;

        /** The root of the partition tree the table is a partition of; empty when it is none. */
        Optional<TableName> partitionRoot(TableName table) throws E;
    }

    /** The table's time column by the rule; null when none is known. */
    public static <E extends Exception> String of(TableName table, Map<TableName, String> configured,
                                                   Catalog<E> catalog) throws E {
        String column = configured.get(table);
        if (column != null) {
            return column;
        }
        Optional<TableName> root = catalog.partitionRoot(table);
        if (root.isPresent()) {
            column = configured.get(root.get());
            if (column == null) {
                column = catalog.column(root.get());
            }
            if (column != null) {
                return column;
            }
        }
        return catalog.column(table);
    }

    /** Every table the catalog names a column for, with it, best first: rows of (schema, name, column). */
    public static String catalogColumns(Catalogs available) {
        return "SELECT DISTINCT ON (s, n) s, n, col FROM (" + candidates(available) + ") c WHERE col IS NOT NULL"
                + " ORDER BY s, n, rank";
    }

    /**
     * One table's column by the catalog, one row or none.
     *
     * @param schema the placeholder of the table's schema ({@code ?} for JDBC, {@code $1} on the wire)
     * @param name   the placeholder of its name
     */
    public static String catalogColumn(Catalogs available, String schema, String name) {
        return "SELECT col FROM (" + candidates(available) + ") c WHERE s = " + schema + "::text AND n = " + name
                + "::text AND col IS NOT NULL ORDER BY rank LIMIT 1";
    }

    /** Rows of (s, n, col, rank): what each catalog the target has says, ranked by precedence (1 first). */
    private static String candidates(Catalogs available) {
        StringBuilder sql = new StringBuilder(RANGE_KEYS);
        if (available.timescale()) {
            sql.append(" UNION ALL ").append(DIMENSIONS);
        }
        if (available.plan()) {
            sql.append(" UNION ALL ").append(PLANNED);
        }
        return sql.toString();
    }
}
