package dev.tandem.backfill.plan;

import dev.tandem.backfill.BackfillException;
import dev.tandem.protocol.sql.Identifiers;
import dev.tandem.protocol.state.RangeChecksum;
import dev.tandem.protocol.state.TimeType;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A table's columns in the source's order, and the SQL the copy and verify steps generate from them. Target column order
 * may differ: every statement names its columns.
 */
public record TableLayout(String schema, String table, String timeColumn, TimeType timeType, List<Column> columns) {

    private static final String COLUMNS_SQL = """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attgenerated <> '',
                   (t.typsend <> 0 AND t.typreceive <> 0
                    AND NOT EXISTS (
                        WITH RECURSIVE parts(oid) AS (
                            SELECT a.atttypid
                            UNION
                            SELECT n.part FROM parts p JOIN pg_type pt ON pt.oid = p.oid
                            CROSS JOIN LATERAL (
                                SELECT pt.typbasetype WHERE pt.typtype = 'd'
                                UNION ALL SELECT pt.typelem WHERE pt.typelem <> 0) n(part))
                        SELECT 1 FROM parts JOIN pg_type r ON r.oid = parts.oid
                        WHERE r.typtype = 'c' OR (r.typelem <> 0 AND r.typelem >= 16384)
                           OR (r.typnamespace = 'pg_catalog'::regnamespace AND r.typname LIKE 'reg%'))),
                   NOT a.attnotnull,
                   """ + RangeChecksum.HASHED_AS_TEXT + """
            ,
                   CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END,
                   CASE a.attidentity WHEN 'a' THEN 'ALWAYS' WHEN 'd' THEN 'BY_DEFAULT' ELSE 'NONE' END
            FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_type t ON t.oid = a.atttypid
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE n.nspname = ? AND c.relname = ? AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum""";

    /** The columns of a table, or an empty list when it does not exist. */
    public static List<Column> columns(Connection connection, String schema, String table) throws SQLException {
        List<Column> columns = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(COLUMNS_SQL)) {
            ps.setString(1, schema);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.add(new Column(rs.getString(1), rs.getString(2), rs.getBoolean(3), rs.getBoolean(4),
                            rs.getBoolean(5), rs.getBoolean(6), rs.getString(7),
                            Column.Identity.valueOf(rs.getString(8))));
                }
            }
        }
        return columns;
    }

    /** Reads the layout from the source. */
    public static TableLayout load(Connection source, String schema, String table, String timeColumn) throws SQLException {
        List<Column> columns = columns(source, schema, table);
        if (columns.isEmpty()) {
            throw new BackfillException("table " + schema + "." + table + " does not exist on the source");
        }
        Column time = columns.stream().filter(c -> c.name().equals(timeColumn)).findFirst()
                .orElseThrow(() -> new BackfillException("table " + schema + "." + table + " has no column " + timeColumn
                        + " on the source (columns: " + columns.stream().map(Column::name)
                        .collect(Collectors.joining(", ")) + ")"));
        TimeType type;
        try {
            type = TimeType.of(time.type());
        } catch (IllegalArgumentException e) {
            throw new BackfillException(schema + "." + table + "." + timeColumn + ": " + e.getMessage());
        }
        return new TableLayout(schema, table, timeColumn, type, List.copyOf(columns));
    }

    public String qualifiedName() {
        return schema + "." + table;
    }

    public String quotedTable() {
        return Identifiers.quoteQualified(schema, table);
    }

    /** False when the time column is NOT NULL (always so in a hypertable). */
    public boolean timeNullable() {
        return columns.stream().filter(c -> c.name().equals(timeColumn)).allMatch(Column::nullable);
    }

    /**
     * The number of rows whose time column is NULL, counted up to {@code limit}: they belong to no range, so no task
     * copies them.
     */
    public long nullTimeRows(Connection connection, long limit) throws SQLException {
        if (!timeNullable()) {
            return 0;
        }
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM (SELECT 1 FROM "
                + quotedTable() + " WHERE " + Identifiers.quoteIdentifier(timeColumn) + " IS NULL LIMIT " + limit + ") n")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The columns COPY moves: all but generated ones. */
    public List<Column> copiedColumns() {
        return columns.stream().filter(c -> !c.generated()).toList();
    }

    /** True when every copied column can travel in COPY's binary format. */
    public boolean binary() {
        return copiedColumns().stream().allMatch(Column::binaryIo);
    }

    public String columnList() {
        return copiedColumns().stream().map(c -> Identifiers.quoteIdentifier(c.name())).collect(Collectors.joining(", "));
    }

    /** {@code "t" >= 'a'::type AND "t" < 'b'::type}. */
    public String rangePredicate(long start, long end) {
        return timeType.rangePredicate(Identifiers.quoteIdentifier(timeColumn), start, end);
    }

    private String format() {
        return binary() ? " (FORMAT binary)" : "";
    }

    /** The source side of a task: always a SELECT through the table (never COPY of a chunk, never ONLY). */
    public String copyOutSql(long start, long end) {
        return "COPY (SELECT " + columnList() + " FROM " + quotedTable() + " WHERE " + rangePredicate(start, end)
                + ") TO STDOUT" + format();
    }

    public String copyInSql() {
        return "COPY " + quotedTable() + " (" + columnList() + ") FROM STDIN" + format();
    }

    public String deleteSql(long start, long end) {
        return "DELETE FROM " + quotedTable() + " WHERE " + rangePredicate(start, end);
    }

    /** What verify compares for each range: the checksum over the copied columns, in the source's order. */
    public RangeChecksum checksum() {
        return new RangeChecksum(schema, table, timeColumn, timeType,
                copiedColumns().stream().map(c -> new RangeChecksum.Column(c.name(), c.type(), c.hashedAsText())).toList());
    }
}
