package dev.tandem.backfill.plan;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the user-defined types of a table's columns are made of. Two servers may each have a type of the same name but
 * another definition, and {@code format_type} prints only the name: a composite whose attributes come in another order
 * takes the source's values in the wrong attributes, since both COPY formats list them by position; a domain over
 * {@code bigint} on one side and {@code double precision} on the other turns the binary values into other numbers.
 */
final class TypeDefinitions {

    /** PostgreSQL's FirstNormalObjectId: types below it are built in, the same on every server of a version. */
    private static final long FIRST_USER_OID = 16384;

    private static final String COLUMNS_SQL = """
            SELECT a.attname, a.atttypid
            FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = ? AND c.relname = ? AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum""";

    /**
     * {@code rngmultitypid} (a multirange's range) is read through {@code to_jsonb}: multiranges came with PostgreSQL
     * 14, and naming the column failed every {@code stage} against a PostgreSQL 13 source.
     */
    private static final String TYPE_SQL = """
            SELECT format_type(t.oid, NULL), t.typtype, t.typcategory, t.typelem, t.typbasetype,
                   format_type(t.typbasetype, t.typtypmod), t.typrelid, r.rngsubtype, format_type(r.rngsubtype, NULL),
                   m.rngtypid
            FROM pg_type t
            LEFT JOIN pg_range r ON r.rngtypid = t.oid
            LEFT JOIN pg_range m ON (to_jsonb(m) ->> 'rngmultitypid')::oid = t.oid
            WHERE t.oid = CAST(? AS oid)""";

    private static final String ATTRIBUTES_SQL = """
            SELECT quote_ident(attname), atttypid, format_type(atttypid, atttypmod) FROM pg_attribute
            WHERE attrelid = CAST(? AS oid) AND attnum > 0 AND NOT attisdropped ORDER BY attnum""";

    private static final String LABELS_SQL = "SELECT quote_literal(enumlabel) FROM pg_enum WHERE enumtypid = CAST(? AS oid)"
            + " ORDER BY enumsortorder";

    private final Connection connection;
    private final Map<Long, Map<String, String>> byType = new HashMap<>();

    private TypeDefinitions(Connection connection) {
        this.connection = connection;
    }

    /**
     * For each column: the user-defined types its values are made of (its own type, the element type of an array, the
     * base of a domain, the attribute types of a composite, the subtype of a range, and so on down), by name, each with
     * its definition, e.g. {@code pair -> composite (a integer, b integer)}.
     */
    static Map<String, Map<String, String>> of(Connection connection, String schema, String table) throws SQLException {
        TypeDefinitions definitions = new TypeDefinitions(connection);
        Map<String, Long> columns = new LinkedHashMap<>();
        try (PreparedStatement ps = connection.prepareStatement(COLUMNS_SQL)) {
            ps.setString(1, schema);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.put(rs.getString(1), rs.getLong(2));
                }
            }
        }
        Map<String, Map<String, String>> result = new LinkedHashMap<>();
        for (Map.Entry<String, Long> column : columns.entrySet()) {
            result.put(column.getKey(), definitions.reachableFrom(column.getValue()));
        }
        return result;
    }

    private Map<String, String> reachableFrom(long type) throws SQLException {
        Map<String, String> known = byType.get(type);
        if (known != null) {
            return known;
        }
        Map<String, String> found = new LinkedHashMap<>();
        if (type >= FIRST_USER_OID) {
            describe(type, found);
        }
        byType.put(type, found);
        return found;
    }

    private void describe(long type, Map<String, String> found) throws SQLException {
        String name;
        String definition;
        List<Long> parts = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(TYPE_SQL)) {
            ps.setLong(1, type);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return;
                }
                name = rs.getString(1);
                String kind = rs.getString(2);
                if ("d".equals(kind)) {
                    definition = "domain over " + rs.getString(6);
                    parts.add(rs.getLong(5));
                } else if ("e".equals(kind)) {
                    definition = "enum (" + String.join(", ", labels(type)) + ")";
                } else if ("c".equals(kind)) {
                    definition = "composite (" + String.join(", ", attributes(rs.getLong(7), parts)) + ")";
                } else if ("r".equals(kind)) {
                    definition = "range of " + rs.getString(9);
                    parts.add(rs.getLong(8));
                } else if ("m".equals(kind)) {
                    definition = null;
                    parts.add(rs.getLong(10));
                } else if ("A".equals(rs.getString(3)) && rs.getLong(4) != 0) {
                    definition = null;
                    parts.add(rs.getLong(4));
                } else {
                    definition = null;
                }
            }
        }
        if (definition != null) {
            found.put(name, definition);
        }
        for (long part : parts) {
            reachableFrom(part).forEach(found::putIfAbsent);
        }
    }

    private List<String> labels(long type) throws SQLException {
        List<String> labels = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(LABELS_SQL)) {
            ps.setLong(1, type);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    labels.add(rs.getString(1));
                }
            }
        }
        return labels;
    }

    private List<String> attributes(long relation, List<Long> parts) throws SQLException {
        List<String> attributes = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(ATTRIBUTES_SQL)) {
            ps.setLong(1, relation);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    attributes.add(rs.getString(1) + " " + rs.getString(3));
                    parts.add(rs.getLong(2));
                }
            }
        }
        return attributes;
    }
}
