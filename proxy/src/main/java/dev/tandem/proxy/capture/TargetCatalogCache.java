package dev.tandem.proxy.capture;

import dev.tandem.proxy.config.TargetConfig;
import dev.tandem.proxy.jdbc.ServerJdbc;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fact about each target database read from its catalog with the proxy's target credentials: looked up on first
 * use per database on a background thread, then refreshed; relay threads only read the last answer and never wait.
 *
 * @param <T> what is read, immutable
 */
final class TargetCatalogCache<T> implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TargetCatalogCache.class);
    /**
     * Until a database's first answer its rows may be captured only provisionally (hypertables), so a failing
     * look-up is tried again well before the regular refresh.
     */
    private static final long RETRY_MILLIS = 5_000;

    /** Reads the fact from one target database. */
    interface Loader<T> {
        T load(Connection connection) throws SQLException;
    }

    private final String what;
    private final TargetConfig target;
    private final Duration refresh;
    private final T empty;
    private final Loader<T> loader;
    private final BiConsumer<String, T> onLoaded;
    private final Map<String, T> byDatabase = new ConcurrentHashMap<>();
    private final Set<String> watched = ConcurrentHashMap.newKeySet();
    /** Databases whose last look-up failed: warned once until a look-up succeeds again. */
    private final Set<String> failing = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService refresher;
    /**
     * How many times an answer differed from the one before for its database (every database's): what was resolved
     * against an older answer is resolved again once this moves ({@link MirroredTables#catalogVersion}).
     */
    private final AtomicLong changes = new AtomicLong();

    /**
     * @param what     what is looked up, for thread names and warnings ("hypertables", "column defaults")
     * @param empty    the answer until the first look-up succeeds (may be null)
     * @param onLoaded told each successful answer (database, value), on the refresher thread
     */
    TargetCatalogCache(String what, TargetConfig target, Duration refresh, T empty, Loader<T> loader,
                       BiConsumer<String, T> onLoaded) {
        this.what = what;
        this.target = target;
        this.refresh = refresh;
        this.empty = empty;
        this.loader = loader;
        this.onLoaded = onLoaded;
        this.refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tandem-" + what.replace(' ', '-'));
            t.setDaemon(true);
            return t;
        });
    }

    /** The fact for the target database that mirrors {@code sourceDatabase}; the empty value until looked up. */
    Supplier<T> forSourceDatabase(String sourceDatabase) {
        String database = target.targetDatabase(sourceDatabase);
        if (watched.add(database)) {
            refresher.execute(() -> keepLookingUp(database));
        }
        return () -> byDatabase.getOrDefault(database, empty);
    }

    /** How many times an answer differed from the one before for its database; only ever grows. */
    long changes() {
        return changes.get();
    }

    /** Looks up now; blocking, for tests and start-up checks. */
    T lookUpNow(String sourceDatabase) {
        String database = target.targetDatabase(sourceDatabase);
        lookUp(database);
        return byDatabase.getOrDefault(database, empty);
    }

    /** Looks up, then again after {@code refresh}, or sooner while the look-ups fail. */
    private void keepLookingUp(String database) {
        long next = lookUp(database) ? refresh.toMillis() : Math.min(refresh.toMillis(), RETRY_MILLIS);
        if (!refresher.isShutdown()) {
            refresher.schedule(() -> keepLookingUp(database), next, TimeUnit.MILLISECONDS);
        }
    }

    /** True when the look-up succeeded. */
    private boolean lookUp(String database) {
        try (Connection c = ServerJdbc.target(target, database)) {
            T value = loader.load(c);
            if (!Objects.equals(byDatabase.put(database, value), value)) {
                changes.incrementAndGet();
            }
            failing.remove(database);
            onLoaded.accept(database, value);
            return true;
        } catch (SQLException e) {
            if (failing.add(database)) {
                log.warn("cannot look up the {} of target database {} at {}:{}: {} (SQLSTATE {}); retrying every {} s",
                        what, database, target.host(), target.port(), e.getMessage(), e.getSQLState(),
                        Math.min(refresh.toMillis(), RETRY_MILLIS) / 1000.0);
            }
            return false;
        }
    }

    @Override
    public void close() {
        refresher.shutdownNow();
    }
}
