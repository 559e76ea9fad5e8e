package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.protocol.state.Hypertables;
import dev.tandem.proxy.config.TargetConfig;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TimescaleDB hypertables of each target database: what the mirror copies when no include patterns are
 * configured. The target's schema is a clone of the source's and the proxy holds target credentials, so the proxy
 * never has to look into a client's session or the source.
 */
public final class HypertableDirectory extends CatalogDirectory<Set<TableName>> {

    private static final Logger log = LoggerFactory.getLogger(HypertableDirectory.class);

    /** Calendar-chunked hypertables included: see {@link Hypertables}. */
    static final String QUERY = "SELECT hypertable_schema, hypertable_name FROM " + Hypertables.PRIMARY_DIMENSIONS
            + " h";

    private final Map<String, Set<TableName>> last = new ConcurrentHashMap<>();
    /** The hypertables are null until the first look-up succeeds: "none" and "not known yet" must not look alike. */
    public HypertableDirectory(TargetConfig target, Duration refresh) {
        super("hypertables", CatalogServer.target(target), refresh, null);
    }

    @Override
    Set<TableName> load(Connection c) throws SQLException {
        Set<TableName> found = new HashSet<>();
        try (Statement s = c.createStatement(); ResultSet has = s.executeQuery(Hypertables.HAS_CATALOG)) {
            has.next();
            if (has.getBoolean(1)) {
                try (ResultSet rs = s.executeQuery(QUERY)) {
                    while (rs.next()) {
                        found.add(new TableName(rs.getString(1), rs.getString(2)));
                    }
                }
            }
        }
        return Set.copyOf(found);
    }

    @Override
    void loaded(String database, Set<TableName> hypertables) {
        Set<TableName> before = last.put(database, hypertables);
        if (hypertables.isEmpty() && before == null) {
            log.warn("target database {} has no TimescaleDB hypertables and mirror.tables.include is empty: nothing"
                    + " will be mirrored for it. Name the tables to mirror with --mirror-table schema.table", database);
        } else if (!hypertables.isEmpty() && !hypertables.equals(before)) {
            log.info("target database {}: mirroring hypertables {}", database, hypertables);
        }
    }
}
