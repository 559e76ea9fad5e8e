package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.protocol.state.ChunkCatalog;
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
 * The tables, views and foreign tables of each source database, and its schemas, read with {@code source.user}: what an
 * unqualified name resolves against on the source, and where an unqualified CREATE TABLE puts its table. The target's
 * catalog is a clone of the source's, but only as of the schema copy: a table created on the source since (a new
 * tenant's schema) or dropped there hides or shows a table of the same name later in the search_path, and the target's
 * catalog would send those rows into another table. Refreshed like the target's catalog, and as soon as DDL through
 * the proxy committed ({@link #changed}, {@link #committed}); until that look-up has succeeded, what the DDL committed
 * through the proxy did is laid over the last answer ({@link #recent}). DDL sent to the source some other way is seen
 * at the next refresh.
 */
public final class SourceRelations extends CatalogDirectory<SourceRelations.Relations> {

    /**
     * One source database's catalog at a look-up.
     *
     * @param tables  its tables, views and foreign tables (schema, name), TimescaleDB's chunks left out
     * @param schemas its schemas, without the system's ({@code pg_*}, {@code information_schema})
     */
    public record Relations(Set<TableName> tables, Set<String> schemas) {

        public Relations {
            tables = Set.copyOf(tables);
            schemas = Set.copyOf(schemas);
        }
    }

    private static final String SCHEMAS = "SELECT nspname FROM pg_namespace"
            + " WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'";

    private final RecentRelationChanges recent = new RecentRelationChanges();

    /**
     * The relations are null until the first look-up succeeds: the target's catalog resolves names until then.
     *
     * @param source with {@code source.user} set
     */
    public SourceRelations(SourceConfig source, Duration refresh) {
        super("tables", CatalogServer.source(source), refresh, null);
    }

    @Override
    Relations load(Connection c) throws SQLException {
        Set<TableName> tables = new HashSet<>();
        Set<String> schemas = new HashSet<>();
        try (Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery(PartitionDirectory.query(false, ChunkCatalog.read(c)))) {
                while (rs.next()) {
                    tables.add(new TableName(rs.getString(1), rs.getString(2)));
                }
            }
            try (ResultSet rs = s.executeQuery(SCHEMAS)) {
                while (rs.next()) {
                    schemas.add(rs.getString(1));
                }
            }
        }
        return new Relations(tables, schemas);
    }

    @Override
    Runnable lookingUp(String database) {
        long mark = recent.mark();
        return () -> {
            if (recent.lookedUp(database, mark)) {
                changedBesides();
            }
        };
    }

    /**
     * What relation DDL committed through the proxy on {@code sourceDatabase} did that the last look-up may not have:
     * read at every call, never waits.
     */
    public Supplier<RelationOverlay> recent(String sourceDatabase) {
        return recent.forDatabase(sourceDatabase);
    }

    /**
     * A transaction through the proxy committed relation DDL on {@code sourceDatabase} ({@code changes}): laid over
     * the catalog at once, and looked up again now. Never waits.
     */
    public void committed(String sourceDatabase, RelationOverlay changes) {
        recent.committed(sourceDatabase, changes);
        changedBesides();
        soon(sourceDatabase);
    }

    /** DDL through the proxy committed on {@code sourceDatabase}: look its tables up again now. Never waits. */
    public void changed(String sourceDatabase) {
        soon(sourceDatabase);
    }
}
