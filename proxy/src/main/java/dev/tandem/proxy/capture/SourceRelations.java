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

/**
 * The tables, views and foreign tables of each source database, read with {@code source.user}: what an unqualified
 * name resolves against on the source. The target's catalog is a clone of the source's, but only as of the schema
 * copy: a table created on the source since (a new tenant's schema) or dropped there hides or shows a table of the same
 * name later in the search_path, and the target's catalog would send those rows into another table. Refreshed like
 * the target's catalog, and as soon as DDL through the proxy committed ({@link #changed}); DDL sent to the source some
 * other way is seen at the next refresh.
 */
public final class SourceRelations extends CatalogDirectory<Set<TableName>> {

    /**
     * The tables are null until the first look-up succeeds: the target's catalog resolves names until then.
     *
     * @param source with {@code source.user} set
     */
    public SourceRelations(SourceConfig source, Duration refresh) {
        super("tables", CatalogServer.source(source), refresh, null);
    }

    @Override
    Set<TableName> load(Connection c) throws SQLException {
        Set<TableName> found = new HashSet<>();
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(PartitionDirectory.query(false, ChunkCatalog.read(c)))) {
            while (rs.next()) {
                found.add(new TableName(rs.getString(1), rs.getString(2)));
            }
        }
        return Set.copyOf(found);
    }

    /** DDL through the proxy committed on {@code sourceDatabase}: look its tables up again now. Never waits. */
    public void changed(String sourceDatabase) {
        soon(sourceDatabase);
    }
}
