package dev.tandem.proxy.verifier;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.protocol.state.Hypertables;
import dev.tandem.protocol.state.RangeChecksum;
import dev.tandem.protocol.state.TimeType;
import dev.tandem.proxy.timecolumn.TimeColumnRule;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Describes mirrored tables for the verifier: the time column ({@link TimeColumnRule}, from the configuration and the
 * target's catalog) and the hashed columns with their types (from the source, whose column order is the one both
 * sides hash in).
 */
final class TableCatalog {

    /** {@code pg_partition_root} came with PostgreSQL 12; on an older target no table counts as a partition. */
    private static final String HAS_PARTITION_ROOT = "SELECT to_regproc('pg_catalog.pg_partition_root') IS NOT NULL";
    private static final String PARTITION_ROOT = """
            SELECT rn.nspname::text, r.relname::text
            FROM pg_class p
            JOIN pg_class r ON r.oid = pg_partition_root(p.oid)
            JOIN pg_namespace rn ON rn.oid = r.relnamespace
            WHERE p.relispartition AND p.oid = to_regclass(format('%I.%I', ?::text, ?::text))""";
    /** Calendar-chunked hypertables included: see {@link Hypertables}. */
    private static final String HYPERTABLES = "SELECT EXISTS (SELECT 1 FROM " + Hypertables.PRIMARY_DIMENSIONS
            + " h)";
    /** A table's live columns; generated ones included, as the target's checksum reads them like the others. */
    private static final String TABLE_COLUMNS = """

            FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = ? AND c.relname = ? AND a.attnum > 0 AND NOT a.attisdropped""";
    private static final String COLUMNS = "SELECT a.attname, format_type(a.atttypid, a.atttypmod), "
            + RangeChecksum.HASHED_AS_TEXT + TABLE_COLUMNS + " AND a.attgenerated = '' ORDER BY a.attnum";
    private static final String TARGET_COLUMNS = "SELECT a.attname" + TABLE_COLUMNS;

    /** What the catalog says about one mirrored table: ready to compare, or why not. */
    sealed interface Description permits VerifiedTable, Skipped {
    }

    /**
     * Why a mirrored table is not compared; the verifier logs each reason once, as a warning when the operator has
     * something to fix.
     */
    record Skipped(TableName table, String reason, boolean warning) implements Description {
        Skipped(TableName table, String reason) {
            this(table, reason, false);
        }
    }

    private final Map<TableName, String> configuredTimeColumns;

    TableCatalog(Map<TableName, String> configuredTimeColumns) {
        this.configuredTimeColumns = configuredTimeColumns;
    }

    /** True when the target database has at least one TimescaleDB hypertable. */
    static boolean hasHypertables(Connection target) throws SQLException {
        try (Statement s = target.createStatement()) {
            try (ResultSet rs = s.executeQuery(Hypertables.HAS_CATALOG)) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return false;
                }
            }
            try (ResultSet rs = s.executeQuery(HYPERTABLES)) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /**
     * Whether one of {@code tables} has a time column by {@link TimeColumnRule} on the target: what
     * {@code verifier.enabled: auto} asks of a database without hypertables.
     */
    boolean anyHasTimeColumn(Connection target, Collection<TableName> tables) throws SQLException {
        TargetCatalog catalog = new TargetCatalog(target);
        for (TableName table : tables) {
            if (TimeColumnRule.of(table, configuredTimeColumns, catalog) != null) {
                return true;
            }
        }
        return false;
    }

    Description describe(Connection source, Connection target, TableName table) throws SQLException {
        TargetCatalog catalog = new TargetCatalog(target);
        String time = TimeColumnRule.of(table, configuredTimeColumns, catalog);
        if (time == null) {
            return new Skipped(table, "no time column known: not in verifier.time-columns, and on the target not a"
                    + " hypertable, not range-partitioned on one column and in no staged backfill plan"
                    + catalog.partitionRoot(table).map(r -> " (nor has its partitioned table " + r + " one)")
                            .orElse(""));
        }
        List<RangeChecksum.Column> columns = new ArrayList<>();
        try (PreparedStatement ps = source.prepareStatement(COLUMNS)) {
            ps.setString(1, table.schema());
            ps.setString(2, table.name());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.add(new RangeChecksum.Column(rs.getString(1), rs.getString(2), rs.getBoolean(3)));
                }
            }
        }
        if (columns.isEmpty()) {
            return new Skipped(table, "does not exist on the source");
        }
        List<String> missing = missingOnTarget(target, table, columns);
        if (!missing.isEmpty()) {
            // each run's checksum query would fail on the first of them, saying only "column r.x does not exist"
            return new Skipped(table, "its source's " + (missing.size() == 1 ? "column " : "columns ")
                    + String.join(", ", missing) + (missing.size() == 1 ? " is" : " are") + " missing on the target"
                    + " (its rows there are refused and ledgered): add "
                    + (missing.size() == 1 ? "it" : "them") + " there; 'tandem-backfill stage' lists every difference"
                    + " between the two tables", true);
        }
        Optional<RangeChecksum.Column> timeCol = columns.stream().filter(c -> c.name().equals(time)).findFirst();
        if (timeCol.isEmpty()) {
            return new Skipped(table, "has no column " + time + " on the source");
        }
        TimeType type;
        try {
            type = TimeType.of(timeCol.get().type());
        } catch (IllegalArgumentException e) {
            return new Skipped(table, "time column " + time + ": " + e.getMessage());
        }
        if (type == TimeType.DATE) {
            return new Skipped(table, "time column " + time + " is a date; buckets of minutes do not apply");
        }
        RangeChecksum checksum = new RangeChecksum(table.schema(), table.name(), time, type, columns);
        return new VerifiedTable(table, checksum, checksum.recordHashable(source) && checksum.recordHashable(target));
    }

    /** The hashed columns of the source the target's table lacks (a target without the table lacks none). */
    private static List<String> missingOnTarget(Connection target, TableName table, List<RangeChecksum.Column> columns)
            throws SQLException {
        List<String> present = new ArrayList<>();
        try (PreparedStatement ps = target.prepareStatement(TARGET_COLUMNS)) {
            ps.setString(1, table.schema());
            ps.setString(2, table.name());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    present.add(rs.getString(1));
                }
            }
        }
        List<String> missing = new ArrayList<>();
        for (RangeChecksum.Column column : columns) {
            if (!present.isEmpty() && !present.contains(column.name())) {
                missing.add(column.name() + " (" + column.type() + ")");
            }
        }
        return missing;
    }

    /** The root of the partition tree {@code table} is a partition of on the target; empty when it is none. */
    static Optional<TableName> partitionRoot(Connection target, TableName table) throws SQLException {
        return lookUp(target, HAS_PARTITION_ROOT, PARTITION_ROOT, table,
                rs -> rs.getString(1) == null ? null : new TableName(rs.getString(1), rs.getString(2)));
    }

    /** The target's catalog for one table's description: what it reads is asked once. */
    private static final class TargetCatalog implements TimeColumnRule.Catalog<SQLException> {

        private final Connection target;
        private TimeColumnRule.Catalogs available;
        private final Map<TableName, Optional<TableName>> roots = new HashMap<>();

        TargetCatalog(Connection target) {
            this.target = target;
        }

        @Override
        public String column(TableName table) throws SQLException {
            if (available == null) {
                try (Statement s = target.createStatement(); ResultSet rs = s.executeQuery(TimeColumnRule.CATALOGS)) {
                    rs.next();
                    available = TimeColumnRule.Catalogs.of(List.of(rs.getString(1), rs.getString(2),
                            rs.getString(3)));
                }
            }
            try (PreparedStatement ps = target.prepareStatement(TimeColumnRule.catalogColumn(available, "?", "?"))) {
                ps.setString(1, table.schema());
                ps.setString(2, table.name());
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getString(1) : null;
                }
            }
        }

        @Override
        public Optional<TableName> partitionRoot(TableName table) throws SQLException {
            Optional<TableName> root = roots.get(table);
            if (root == null) {
                root = TableCatalog.partitionRoot(target, table);
                roots.put(table, root);
            }
            return root;
        }
    }

    private interface RowReader<T> {
        T read(ResultSet row) throws SQLException;
    }

    /**
     * The first row of {@code query} (parameters: the table's schema and name) as {@code reader} reads it, when
     * {@code available} says the catalog it reads exists on this target (an extension, a function of a later version).
     */
    private static <T> Optional<T> lookUp(Connection target, String available, String query, TableName table,
                                          RowReader<T> reader) throws SQLException {
        try (Statement s = target.createStatement(); ResultSet rs = s.executeQuery(available)) {
            rs.next();
            if (!rs.getBoolean(1)) {
                return Optional.empty();
            }
        }
        try (PreparedStatement ps = target.prepareStatement(query)) {
            ps.setString(1, table.schema());
            ps.setString(2, table.name());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.ofNullable(reader.read(rs)) : Optional.empty();
            }
        }
    }
}
