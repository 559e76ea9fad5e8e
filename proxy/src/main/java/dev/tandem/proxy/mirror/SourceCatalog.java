package dev.tandem.proxy.mirror;

import dev.tandem.protocol.sql.Identifiers;
import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.capture.ChunkHypertables;
import dev.tandem.proxy.config.SourceConfig;
import dev.tandem.proxy.jdbc.SourceConnections;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the applier asks the source's catalog, through the proxy's own source credentials ({@code source.user}), one
 * connection per database: the names of user-defined types, the order of a mirrored table's columns, and whether a
 * table the target lacks is a partition
 * (which hypertable a TimescaleDB chunk belongs to, the capture asks too: {@link ChunkHypertables}).
 * Without those credentials it knows nothing ({@link #available()} is false). A source that cannot be reached throws:
 * the applier retries, as for a target that cannot be reached. Used on the applier thread only.
 */
final class SourceCatalog implements AutoCloseable {

    private final SourceConfig source;
    /** Null without {@code source.user}. */
    private final SourceConnections connections;
    /** Source database -> OID -> quoted qualified type name. */
    private final Map<String, Map<Integer, String>> typeNames = new HashMap<>();

    /** @param source the source's configuration, null or without {@code source.user}: nothing to ask */
    SourceCatalog(SourceConfig source) {
        this.source = source;
        this.connections = available() ? new SourceConnections(source) : null;
    }

    boolean available() {
        return source != null && source.user().isPresent();
    }

    /** The type's quoted qualified name on the source, or null when it has none. */
    String typeName(String database, int oid) {
        Map<Integer, String> names = typeNames.computeIfAbsent(database, d -> new HashMap<>());
        String known = names.get(oid);
        if (known != null) {
            return known;
        }
        try (PreparedStatement ps = connections.get(database).prepareStatement("SELECT n.nspname, t.typname FROM pg_type t"
                + " JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid = ?")) {
            ps.setInt(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                String name = Identifiers.quoteQualified(rs.getString(1), rs.getString(2));
                names.put(oid, name);
                return name;
            }
        } catch (SQLException e) {
            throw unreachable(database, "type OID " + oid, e);
        }
    }

    /** A column of a table on the source, in the table's order. */
    record Column(String name, boolean generated) {
    }

    /**
     * The table's columns on the source in their order, dropped ones left out; empty when it does not exist there.
     * Asked once per table and target connection ({@link ColumnOrders}).
     */
    List<Column> columns(String database, TableName table) {
        try {
            Connection c = connections.get(database);
            // no generated columns before PostgreSQL 12
            String generated = c.getMetaData().getDatabaseMajorVersion() >= 12 ? "attgenerated <> ''" : "false";
            try (PreparedStatement ps = c.prepareStatement("SELECT attname::text, " + generated + " FROM pg_attribute"
                    + " WHERE attrelid = to_regclass(format('%I.%I', ?::text, ?::text)) AND attnum > 0"
                    + " AND NOT attisdropped ORDER BY attnum")) {
                ps.setString(1, table.schema());
                ps.setString(2, table.name());
                List<Column> columns = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        columns.add(new Column(rs.getString(1), rs.getBoolean(2)));
                    }
                }
                return columns;
            }
        } catch (SQLException e) {
            throw unreachable(database, "the columns of " + table, e);
        }
    }

    /**
     * The table's columns on the source with their types, in their order, as a {@code CREATE TABLE} lists them
     * ({@code "ts" timestamp with time zone, ...}); empty when it does not exist there. Asked for a ledger entry's
     * range when the target's own table refuses its rows ({@link LedgerRange}).
     */
    Optional<String> columnDefinitions(String database, TableName table) {
        try {
            return firstRow(connections.get(database), "SELECT string_agg(format('%I %s', attname,"
                    + " format_type(atttypid, atttypmod)), ', ' ORDER BY attnum) FROM pg_attribute"
                    + " WHERE attrelid = to_regclass(format('%I.%I', ?::text, ?::text)) AND attnum > 0"
                    + " AND NOT attisdropped", table, rs -> rs.getString(1));
        } catch (SQLException e) {
            throw unreachable(database, "the column types of " + table, e);
        }
    }

    /**
     * The root of the partition tree the table belongs to on the source; empty when it is not a partition there, or
     * does not exist (a temporary table of a session, which only that session sees). Asked each time: only for
     * transactions into tables the target lacks.
     */
    Optional<TableName> partitionRoot(String database, TableName table) {
        try {
            Connection c = connections.get(database);
            if (c.getMetaData().getDatabaseMajorVersion() < 12) {
                return Optional.empty(); // no pg_partition_root: partitions are not told apart (a documented limit)
            }
            return partitionRoot(c, table);
        } catch (SQLException e) {
            throw unreachable(database, "whether " + table + " is a partition", e);
        }
    }

    private static Optional<TableName> partitionRoot(Connection c, TableName table) throws SQLException {
        return firstRow(c, "SELECT rn.nspname, r.relname"
                + " FROM pg_class p JOIN pg_class r ON r.oid = pg_partition_root(p.oid)"
                + " JOIN pg_namespace rn ON rn.oid = r.relnamespace"
                + " WHERE p.oid = to_regclass(format('%I.%I', ?::text, ?::text)) AND p.relispartition", table,
                rs -> new TableName(rs.getString(1), rs.getString(2)));
    }

    /** What a catalog query about {@code table} (its schema and name its two parameters) finds in its first row. */
    private static <T> Optional<T> firstRow(Connection c, String sql, TableName table, RowReader<T> read)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, table.schema());
            ps.setString(2, table.name());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.ofNullable(read.read(rs)) : Optional.empty();
            }
        }
    }

    @FunctionalInterface
    private interface RowReader<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private IllegalStateException unreachable(String database, String what, SQLException e) {
        return new IllegalStateException("cannot read " + what + " from the source's catalog of database " + database
                + " (source.user " + source.user().orElse("") + "): " + e.getMessage(), e);
    }

    @Override
    public void close() {
        if (connections != null) {
            connections.close();
        }
    }
}
