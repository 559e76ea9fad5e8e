package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.protocol.state.ChunkCatalog;
import dev.tandem.proxy.config.SourceConfig;
import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The columns of each table of each source database in the order an INSERT without a column list fills them and a
 * COPY without one reads them, read with {@code source.user}: the application sends such statements to the source, so
 * their values are the source's columns by position, whatever the order of the target's (from whose catalog
 * {@link TimeColumnDirectory} reads the rest of what reading rows' times takes). The same relations as
 * {@link SourceRelations}' in one query, refreshed like the target's time columns; until the first answer a database's
 * orders are not known.
 */
public final class SourceColumnLists extends CatalogDirectory<Map<TableName, SourceColumnLists.Lists>> {

    /**
     * One table's columns, dropped ones left out.
     *
     * @param insert all of them, as an INSERT fills them
     * @param copy   those a COPY reads: all but the generated ones
     */
    public record Lists(List<String> insert, List<String> copy) {

        public Lists {
            insert = List.copyOf(insert);
            copy = copy.equals(insert) ? insert : List.copyOf(copy);
        }
    }

    /** @param source with {@code source.user} set */
    public SourceColumnLists(SourceConfig source, Duration refresh) {
        super("column orders", CatalogServer.source(source), refresh, null);
    }

    /** @param generated whether the server has generated columns (PostgreSQL 12) */
    static String query(boolean generated, Optional<ChunkCatalog> chunks) {
        return "SELECT n.nspname::text, c.relname::text, array_agg(a.attname::text ORDER BY a.attnum),"
                + " array_agg(a.attname::text ORDER BY a.attnum) FILTER (WHERE "
                + (generated ? "a.attgenerated = ''" : "true") + ") "
                + PartitionDirectory.relations(
                        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped", chunks)
                + "\nGROUP BY c.oid, n.nspname, c.relname";
    }

    @Override
    Map<TableName, Lists> load(Connection c) throws SQLException {
        boolean generated = c.getMetaData().getDatabaseMajorVersion() >= 12;
        Map<TableName, Lists> lists = new HashMap<>();
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(query(generated, ChunkCatalog.read(c)))) {
            while (rs.next()) {
                lists.put(new TableName(rs.getString(1), rs.getString(2)),
                        new Lists(strings(rs.getArray(3)), strings(rs.getArray(4))));
            }
        }
        return Map.copyOf(lists);
    }

    private static List<String> strings(Array array) throws SQLException {
        return array == null ? List.of() : Arrays.asList((String[]) array.getArray());
    }
}
