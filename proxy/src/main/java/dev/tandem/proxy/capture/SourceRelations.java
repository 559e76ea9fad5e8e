package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.config.SourceConfig;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The tables, views and foreign tables of each source database, read with {@code source.user}: what an unqualified
 * name resolves against on the source. The target's catalog is a clone of the source's, but only as of the schema
 * copy: a table created on the source since (a new tenant's schema) or dropped there hides or shows a table of the same
 * name later in the search_path, and the target's catalog would send those rows into another table. Refreshed like
 * the target's catalog, and as soon as DDL through the proxy committed ({@link #changed}); DDL sent to the source some
 * other way is seen at the next refresh.
 */
public final class SourceRelations implements AutoCloseable {

    private final CatalogCache<Set<TableName>> cache;

    /** @param source with {@code source.user} set */
    public SourceRelations(SourceConfig source, Duration refresh) {
        // null until the first look-up succeeds: the target's catalog resolves names until then
        this.cache = new CatalogCache<>("tables", CatalogServer.source(source), refresh, null, SourceRelations::load,
                (database, tables) -> { });
    }

    private static Set<TableName> load(Connection c) throws SQLException {
        Set<TableName> found = new HashSet<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(PartitionDirectory.WITHOUT_ROOTS)) {
            while (rs.next()) {
                found.add(new TableName(rs.getString(1), rs.getString(2)));
            }
        }
        return Set.copyOf(found);
    }

    /** The tables of {@code sourceDatabase}; null until first looked up. */
    public Supplier<Set<TableName>> forSourceDatabase(String sourceDatabase) {
        return cache.forSourceDatabase(sourceDatabase);
    }

    /** DDL through the proxy committed on {@code sourceDatabase}: look its tables up again now. Never waits. */
    public void changed(String sourceDatabase) {
        cache.soon(sourceDatabase);
    }

    /** Looks the tables up now; blocking, for tests. Null when the look-up failed. */
    public Set<TableName> lookUpNow(String sourceDatabase) {
        return cache.lookUpNow(sourceDatabase);
    }

    /** A number that moves whenever a look-up found a database's tables changed. */
    public long changes() {
        return cache.changes();
    }

    @Override
    public void close() {
        cache.close();
    }
}
