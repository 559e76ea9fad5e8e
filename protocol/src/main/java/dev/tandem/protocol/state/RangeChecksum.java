package dev.tandem.protocol.state;

import dev.tandem.protocol.sql.Identifiers;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The comparison of one {@code [start, end)} range of a table that {@code tandem-backfill verify} and the proxy's
 * divergence verifier both run, on source and target alike: row count, min and max time, and an order-independent
 * checksum of the full row contents. Sharing the SQL text keeps the two tools from ever disagreeing about what "equal"
 * means.
 *
 * <p>The checksum is the sum of a 64-bit hash of each row, built from {@code columns} in the source's order. With
 * {@code recordHash} the row is hashed by its columns' own hash functions ({@code hash_record_extended}, the ones hash
 * partitioning relies on to be stable); otherwise (some column type has no extended hash function, see
 * {@link #recordHashable}) its text is hashed, which is only comparable when both sessions run
 * {@link #SESSION_SETTINGS}.
 *
 * @param columns the hashed columns (a table's columns minus generated ones), in the source's order
 */
public record RangeChecksum(String schema, String table, String timeColumn, TimeType timeType, List<Column> columns) {

    /**
     * Makes every value's text form identical on both servers whatever their configuration: floats with full precision,
     * ISO dates and intervals, UTC time stamps, bytea in hex, money in the C locale. Run once per session before
     * {@link #sql}.
     */
    public static final String SESSION_SETTINGS = "SET extra_float_digits = 3; SET DateStyle = 'ISO, YMD';"
            + " SET TimeZone = 'UTC'; SET IntervalStyle = 'postgres'; SET bytea_output = 'hex'; SET lc_monetary = 'C'";

    /**
     * A boolean SQL expression over {@code a.atttypid} (a {@code pg_attribute a} row): whether the column is to be
     * hashed by its text ({@link Column#hashedAsText}). That is so when part of its type (itself, or the element, base,
     * attribute or subtype of one) is an enum or an OID alias type ({@code regclass}, {@code regtype}, ...), both
     * hashing an OID each server assigns itself, or a type whose equal values need not be the same value (numeric 1.50
     * and 1.5, float -0 and 0, interval 1 day and 24:00:00, jsonb, citext), which its hash function hashes alike: such
     * a type's default B-tree operator class has no {@code equalimage} support function (4, PostgreSQL 13+), the one
     * that tells B-tree deduplication that equal values are identical. It is so too for a column of a
     * nondeterministic collation (case-insensitive, say), which its type's hash follows. A multirange's range
     * ({@code rngmultitypid}, PostgreSQL 14+) is read through {@code to_jsonb}, which PostgreSQL 13 answers with null
     * instead of refusing the whole query.
     */
    public static final String HASHED_AS_TEXT = """
            ((WITH RECURSIVE parts(oid) AS (
                 SELECT a.atttypid
                 UNION
                 SELECT n.part FROM parts p JOIN pg_type pt ON pt.oid = p.oid
                 CROSS JOIN LATERAL (
                     SELECT pt.typbasetype WHERE pt.typtype = 'd'
                     UNION ALL SELECT pt.typelem WHERE pt.typelem <> 0 AND pt.typcategory = 'A'
                     UNION ALL SELECT x.atttypid FROM pg_attribute x
                               WHERE pt.typtype = 'c' AND x.attrelid = pt.typrelid AND x.attnum > 0
                                 AND NOT x.attisdropped
                     UNION ALL SELECT r.rngsubtype FROM pg_range r WHERE r.rngtypid = pt.oid
                     UNION ALL SELECT r.rngtypid FROM pg_range r
                               WHERE (to_jsonb(r) ->> 'rngmultitypid')::oid = pt.oid) n(part))
             SELECT coalesce(bool_or(e.typtype = 'e' OR (e.typnamespace = 'pg_catalog'::regnamespace
                                                         AND e.typname LIKE 'reg%')
                                     OR (b.opcfamily IS NOT NULL
                                         AND NOT EXISTS (SELECT FROM pg_amproc p
                                                         WHERE p.amprocfamily = b.opcfamily AND p.amprocnum = 4
                                                           AND p.amproclefttype = e.oid
                                                           AND p.amprocrighttype = e.oid))), false)
             FROM parts JOIN pg_type e ON e.oid = parts.oid
             LEFT JOIN (pg_opclass b JOIN pg_am m ON m.oid = b.opcmethod AND m.amname = 'btree')
                    ON b.opcintype = e.oid AND b.opcdefault)
             OR EXISTS (SELECT FROM pg_collation k WHERE k.oid = a.attcollation AND NOT k.collisdeterministic))""";

    /** SQLSTATE of {@link #recordHashProbeSql()} when some column type has no extended hash function. */
    static final String NO_RECORD_HASH_SQLSTATE = "42883";

    /**
     * One hashed column.
     *
     * @param name         not quoted
     * @param type         as {@code format_type(atttypid, atttypmod)} prints it
     * @param hashedAsText true when the column's own hash would differ between two servers holding the same values: an
     *                     enum (also inside an array, domain, composite or range) hashes its value's OID, and a
     *                     {@code regclass} and its kind the object's OID, which each server assigns itself; or when it
     *                     would be the same for values that differ: numeric, float, interval, jsonb or citext hash
     *                     values their type calls equal alike, and text of a nondeterministic collation hashes
     *                     values that collation calls equal alike. Such a column is hashed by its text in the
     *                     {@code "C"} collation instead
     */
    public record Column(String name, String type, boolean hashedAsText) {

        public Column(String name, String type) {
            this(name, type, false);
        }
    }

    public RangeChecksum {
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("table " + schema + "." + table + " has no columns to compare");
        }
        columns = List.copyOf(columns);
    }

    /**
     * One row: {@code count} (bigint), {@code min} and {@code max} of the time column as text, {@code checksum} as the
     * text of a numeric (the sum cannot overflow). The range predicate uses the time column's index.
     */
    public String sql(long start, long end, boolean recordHash) {
        String t = "r." + Identifiers.quoteIdentifier(timeColumn);
        return sql(t, timeType.rangePredicate(t, start, end), recordHash);
    }

    /**
     * As {@link #sql} for the rows whose time column is NULL: they belong to no range, so a backfill never copies them
     * and verify must still see whether the two sides hold the same.
     */
    public String nullTimeSql(boolean recordHash) {
        String t = "r." + Identifiers.quoteIdentifier(timeColumn);
        return sql(t, t + " IS NULL", recordHash);
    }

    private String sql(String t, String predicate, boolean recordHash) {
        String row = row();
        String hash = recordHash ? "hash_record_extended(" + row + ", 0)" : "hashtextextended((" + row + ")::text, 0)";
        return "SELECT count(*), min(" + t + ")::text, max(" + t + ")::text, "
                + "coalesce(sum(" + hash + "::numeric), 0)::text "
                + "FROM " + Identifiers.quoteQualified(schema, table) + " r WHERE " + predicate;
    }

    private String row() {
        return "ROW(" + columns.stream()
                .map(c -> "r." + Identifiers.quoteIdentifier(c.name())
                        + (c.hashedAsText() ? "::text COLLATE \"C\"" : ""))
                .collect(Collectors.joining(", ")) + ")";
    }

    /**
     * Whether this server hashes the table's rows by record: every column type has an extended hash function, and the
     * server has {@code hash_record_extended} (PostgreSQL 14+). Ask both sides and hash by record only when both say
     * yes, so that a source on 17 and a target on 13 still compare alike.
     */
    public boolean recordHashable(Connection server) throws SQLException {
        try (Statement s = server.createStatement()) {
            s.executeQuery(recordHashProbeSql()).close();
            return true;
        } catch (SQLException e) {
            if (NO_RECORD_HASH_SQLSTATE.equals(e.getSQLState())) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Fails with SQLSTATE {@value #NO_RECORD_HASH_SQLSTATE} when some column type has no extended hash function, so
     * rows must be hashed as text. The row of NULLs comes from an outer join with the table rather than from casts such
     * as {@code NULL::type}, which a NOT NULL domain rejects; its types are the table's own, never text from a person.
     */
    String recordHashProbeSql() {
        return "SELECT hash_record_extended(" + row() + ", 0) FROM (VALUES (1)) one LEFT JOIN "
                + Identifiers.quoteQualified(schema, table) + " r ON false";
    }
}
