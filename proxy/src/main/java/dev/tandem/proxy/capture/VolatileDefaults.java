package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.StatementClassifier;
import dev.tandem.protocol.sql.TableName;
import dev.tandem.protocol.state.ChunkCatalog;
import dev.tandem.proxy.config.TargetConfig;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The columns of each table whose value the server computes when an INSERT or COPY leaves them out: identity
 * columns and defaults such as {@code now()}, {@code nextval(...)} (serial) or {@code gen_random_uuid()}. The target
 * computes them again on replay, so such rows differ silently. Read from the target's catalog (its schema is a clone
 * of the source's) with the proxy's target credentials; looked up on first use per database, then refreshed in the
 * background. Relay threads only read the last answer.
 */
public final class VolatileDefaults extends CatalogDirectory<Map<TableName, Set<String>>> {

    /**
     * Columns with a default or an identity, outside the system and TimescaleDB-internal schemas, and not of the chunks
     * TimescaleDB placed in other schemas where {@code chunks} is the database's catalog of chunks: a large database
     * has hundreds of thousands of chunks, each with its hypertable's defaults, looked up every minute.
     */
    static String query(Optional<ChunkCatalog> chunks) {
        return """
                SELECT n.nspname, c.relname, a.attname, a.attidentity <> '', pg_get_expr(d.adbin, d.adrelid)
                FROM pg_attribute a
                JOIN pg_class c ON c.oid = a.attrelid
                JOIN pg_namespace n ON n.oid = c.relnamespace
                LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
                  AND c.relkind IN ('r', 'p')
                  AND (d.adbin IS NOT NULL OR a.attidentity <> '')
                  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                  AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname NOT LIKE '\\_timescaledb%'
                """ + chunks.map(catalog -> "  AND " + catalog.notAChunk("c", "n") + "\n").orElse("");
    }

    /** Table -> its columns with a non-deterministic default or an identity; empty until the first look-up. */
    public VolatileDefaults(TargetConfig target, Duration refresh) {
        super("column defaults", CatalogServer.target(target), refresh, Map.of());
    }

    /**
     * Whether a default expression (as {@code pg_get_expr} prints it) gives a different value on each evaluation.
     * Reuses the classifier's list of non-deterministic functions by classifying it as an INSERT's value.
     */
    static boolean nonDeterministic(String expression) {
        return !StatementClassifier.classify("INSERT INTO x VALUES (" + expression + ")").get(0)
                .nonDeterministic().isEmpty();
    }

    @Override
    Map<TableName, Set<String>> load(Connection c) throws SQLException {
        Map<TableName, Set<String>> found = new HashMap<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(query(ChunkCatalog.read(c)))) {
            while (rs.next()) {
                String expression = rs.getString(5);
                if (rs.getBoolean(4) || nonDeterministic(expression)) {
                    found.computeIfAbsent(new TableName(rs.getString(1), rs.getString(2)), t -> new HashSet<>())
                            .add(rs.getString(3));
                }
            }
        }
        Map<TableName, Set<String>> copy = new HashMap<>();
        found.forEach((table, columns) -> copy.put(table, Set.copyOf(columns)));
        return Map.copyOf(copy);
    }
}
