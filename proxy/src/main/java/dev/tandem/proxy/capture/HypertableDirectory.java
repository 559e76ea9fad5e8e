package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;
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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TimescaleDB hypertables of each target database: what the mirror copies when no include patterns are
 * configured. The target's schema is a clone of the source's and the proxy holds target credentials, so the proxy
 * never has to look into a client's session or the source. Looked up on first use per database, then refreshed in the
 * background; relay threads only read the last answer.
 */
public final class HypertableDirectory implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HypertableDirectory.class);

    static final String QUERY = "SELECT hypertable_schema, hypertable_name FROM timescaledb_information.hypertables";
    static final String HAS_CATALOG = "SELECT to_regclass('timescaledb_information.hypertables') IS NOT NULL";

    private final TargetConfig target;
    private final Duration refresh;
    private final Map<String, Set<TableName>> byDatabase = new ConcurrentHashMap<>();
    private final Set<String> warned = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tandem-hypertables");
        t.setDaemon(true);
        return t;
    });

    public HypertableDirectory(TargetConfig target, Duration refresh) {
        this.target = target;
        this.refresh = refresh;
    }

    /** The hypertables of the target database that mirrors {@code sourceDatabase}; empty until the first look-up. */
    public Supplier<Set<TableName>> forSourceDatabase(String sourceDatabase) {
        String database = target.targetDatabase(sourceDatabase);
        if (!byDatabase.containsKey(database)) {
            byDatabase.put(database, Set.of());
            refresher.execute(() -> lookUp(database));
            refresher.scheduleWithFixedDelay(() -> lookUp(database), refresh.toMillis(), refresh.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
        return () -> byDatabase.getOrDefault(database, Set.of());
    }

    /** Looks the hypertables up now; blocking, for tests and start-up checks. */
    public Set<TableName> lookUpNow(String sourceDatabase) {
        String database = target.targetDatabase(sourceDatabase);
        lookUp(database);
        return byDatabase.getOrDefault(database, Set.of());
    }

    private void lookUp(String database) {
        try (Connection c = TargetJdbc.connect(target, database); Statement s = c.createStatement()) {
            Set<TableName> found = new HashSet<>();
            try (ResultSet has = s.executeQuery(HAS_CATALOG)) {
                has.next();
                if (has.getBoolean(1)) {
                    try (ResultSet rs = s.executeQuery(QUERY)) {
                        while (rs.next()) {
                            found.add(new TableName(rs.getString(1), rs.getString(2)));
                        }
                    }
                }
            }
            Set<TableName> before = byDatabase.put(database, Set.copyOf(found));
            if (found.isEmpty()) {
                warnOnce(database);
            } else if (!found.equals(before)) {
                log.info("target database {}: mirroring hypertables {}", database, found);
            }
        } catch (SQLException e) {
            log.warn("cannot look up the hypertables of target database {} at {}:{}: {} (SQLSTATE {}); retrying in {} s",
                    database, target.host(), target.port(), e.getMessage(), e.getSQLState(), refresh.toSeconds());
        }
    }

    private void warnOnce(String database) {
        if (warned.add(database)) {
            log.warn("target database {} has no TimescaleDB hypertables and mirror.tables.include is empty: nothing"
                    + " will be mirrored for it. Name the tables to mirror with --mirror-table schema.table", database);
        }
    }

    @Override
    public void close() {
        refresher.shutdownNow();
    }
}
