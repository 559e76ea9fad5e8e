package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.StatementClassifier;
import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.config.TargetConfig;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
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
 * The columns of each table whose value the server computes when an INSERT or COPY leaves them out: identity
 * columns and defaults such as {@code now()}, {@code nextval(...)} (serial) or {@code gen_random_uuid()}. The target
 * computes them again on replay, so such rows differ silently. Read from the target's catalog (its schema is a clone
 * of the source's) with the proxy's target credentials; looked up on first use per database, then refreshed in the
 * background. Relay threads only read the last answer.
 */
public final class VolatileDefaults implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(VolatileDefaults.class);

    /** Columns with a default or an identity, outside the system and TimescaleDB-internal schemas. */
    static final String QUERY = """
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
            """;

    private final TargetConfig target;
    private final Duration refresh;
    private final Map<String, Map<TableName, Set<String>>> byDatabase = new ConcurrentHashMap<>();
    private final Set<String> watched = ConcurrentHashMap.newKeySet();
    /** Databases whose last look-up failed: warned once until a look-up succeeds again. */
    private final Set<String> failing = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tandem-volatile-defaults");
        t.setDaemon(true);
        return t;
    });

    public VolatileDefaults(TargetConfig target, Duration refresh) {
        this.target = target;
        this.refresh = refresh;
    }

    /**
     * Table -> its columns with a non-deterministic default or an identity, in the target database that mirrors
     * {@code sourceDatabase}; empty until the first look-up.
     */
    public Supplier<Map<TableName, Set<String>>> forSourceDatabase(String sourceDatabase) {
        String database = target.targetDatabase(sourceDatabase);
        if (watched.add(database)) {
            refresher.scheduleWithFixedDelay(() -> lookUp(database), 0, refresh.toMillis(), TimeUnit.MILLISECONDS);
        }
        return () -> byDatabase.getOrDefault(database, Map.of());
    }

    /** Looks the columns up now; blocking, for tests and start-up checks. */
    public Map<TableName, Set<String>> lookUpNow(String sourceDatabase) {
        String database = target.targetDatabase(sourceDatabase);
        lookUp(database);
        return byDatabase.getOrDefault(database, Map.of());
    }

    /**
     * Whether a default expression (as {@code pg_get_expr} prints it) gives a different value on each evaluation.
     * Reuses the classifier's list of non-deterministic functions by classifying it as an INSERT's value.
     */
    static boolean nonDeterministic(String expression) {
        return !StatementClassifier.classify("INSERT INTO x VALUES (" + expression + ")").get(0)
                .nonDeterministic().isEmpty();
    }

    private void lookUp(String database) {
        try (Connection c = TargetJdbc.connect(target, database); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(QUERY)) {
            Map<TableName, Set<String>> found = new HashMap<>();
            while (rs.next()) {
                String expression = rs.getString(5);
                if (rs.getBoolean(4) || nonDeterministic(expression)) {
                    found.computeIfAbsent(new TableName(rs.getString(1), rs.getString(2)), t -> new HashSet<>())
                            .add(rs.getString(3));
                }
            }
            Map<TableName, Set<String>> copy = new HashMap<>();
            found.forEach((table, columns) -> copy.put(table, Set.copyOf(columns)));
            byDatabase.put(database, Map.copyOf(copy));
            failing.remove(database);
        } catch (SQLException e) {
            if (failing.add(database)) {
                log.warn("cannot look up the column defaults of target database {} at {}:{}: {} (SQLSTATE {});"
                        + " INSERTs relying on non-deterministic defaults are not counted until it succeeds,"
                        + " retrying every {} s", database, target.host(), target.port(), e.getMessage(),
                        e.getSQLState(), refresh.toSeconds());
            }
        }
    }

    @Override
    public void close() {
        refresher.shutdownNow();
    }
}
