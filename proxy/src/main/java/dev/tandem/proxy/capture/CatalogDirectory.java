package dev.tandem.proxy.capture;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fact about each database of a server (the target's, or the source's with {@code source.user}) read from its
 * catalog with the proxy's own credentials: looked up on first use per database on a background thread, then
 * refreshed; relay threads only read the last answer and never wait. A subclass says what is read ({@link #load}).
 *
 * @param <T> what is read, immutable
 */
public abstract class CatalogDirectory<T> implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CatalogDirectory.class);
    /**
     * Until a database's first answer its rows may be captured only provisionally (hypertables), so a failing
     * look-up is tried again well before the regular refresh.
     */
    private static final long RETRY_MILLIS = 5_000;

    private final String what;
    private final CatalogServer server;
    private final Duration refresh;
    private final T empty;
    private final Map<String, T> byDatabase = new ConcurrentHashMap<>();
    private final Set<String> watched = ConcurrentHashMap.newKeySet();
    /**
     * Databases whose last look-up failed, each with when the first of those failures was (System.nanoTime): warned
     * once, and said when a look-up succeeds again.
     */
    private final Map<String, Long> failing = new ConcurrentHashMap<>();
    /** Databases whose look-up {@link #soon} asked for and that has not started yet: asked once, however often. */
    private final Set<String> asked = ConcurrentHashMap.newKeySet();
    /**
     * A database's connection, kept from one look-up to the next only while another is already asked for: DDL through
     * the proxy in a loop (a temporary table created and dropped per request) asked for a look-up, and so a new
     * connection with its authentication, after each one.
     */
    private final Map<String, Connection> kept = new ConcurrentHashMap<>();
    /** Look-ups {@link #soon} asked for that have not ended yet, for {@link #awaitLookUps}. */
    private final AtomicInteger soonUnfinished = new AtomicInteger();
    /** When each database's last look-up started and ended ({@link System#nanoTime}), to pace those asked for. */
    private final Map<String, LookUpPacing.Span> lastLookUp = new ConcurrentHashMap<>();
    private final ScheduledExecutorService refresher;
    /**
     * How many times an answer differed from the one before for its database (every database's): what was resolved
     * against an older answer is resolved again once this moves ({@link MirroredTables#catalogVersion}).
     */
    private final AtomicLong changes = new AtomicLong();

    /**
     * @param what  what is looked up, for thread names and warnings ("hypertables", "column defaults")
     * @param empty the answer until the first look-up succeeds: null where "not known yet" must not look like
     *              "none" (rows written before the first answer are then decided later, not dropped)
     */
    CatalogDirectory(String what, CatalogServer server, Duration refresh, T empty) {
        this.what = what;
        this.server = server;
        this.refresh = refresh;
        this.empty = empty;
        this.refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tandem-" + what.replace(' ', '-'));
            t.setDaemon(true);
            return t;
        });
    }

    /** Reads the fact from one database, on the refresher thread. */
    abstract T load(Connection connection) throws SQLException;

    /** Told each successful answer, on the refresher thread. */
    void loaded(String database, T value) {
    }

    /**
     * Told as a look-up of {@code database} starts, on the thread that runs it: what to do once it has succeeded,
     * after its answer is in place.
     */
    Runnable lookingUp(String database) {
        return () -> { };
    }

    /** Something the answers stand for changed other than by a look-up: see {@link #changes}. */
    final void changedBesides() {
        changes.incrementAndGet();
    }

    /**
     * The fact for the server's database of {@code sourceDatabase} (the target database that mirrors it, or itself on
     * the source); the empty value until first looked up.
     */
    public final Supplier<T> forSourceDatabase(String sourceDatabase) {
        String database = server.database(sourceDatabase);
        if (watched.add(database)) {
            refresher.execute(() -> keepLookingUp(database));
        }
        return () -> byDatabase.getOrDefault(database, empty);
    }

    /**
     * How many times an answer differed from the one before for its database; only ever grows: what was decided by an
     * earlier answer is decided again when it has moved.
     */
    public final long changes() {
        return changes.get();
    }

    /**
     * Looks up again as soon as the background thread is free and {@link LookUpPacing} allows, not at the next
     * refresh: something the catalog holds changed (DDL went through the proxy). Only for a database already looked
     * up; never waits.
     */
    final void soon(String sourceDatabase) {
        String database = server.database(sourceDatabase);
        if (watched.contains(database) && asked.add(database) && !refresher.isShutdown()) {
            soonUnfinished.incrementAndGet();
            try {
                refresher.schedule(() -> {
                    try {
                        asked.remove(database);
                        lookUp(database);
                    } finally {
                        soonUnfinished.decrementAndGet();
                    }
                }, LookUpPacing.delayNanos(lastLookUp.get(database), System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                asked.remove(database); // closing
                soonUnfinished.decrementAndGet();
            }
        }
    }

    /**
     * Waits until the look-ups started or asked for so far have run, on the background thread; for tests, whose
     * scenario must not race a look-up that lands in its middle.
     */
    public final void awaitLookUps() throws InterruptedException {
        try {
            do {
                while (soonUnfinished.get() > 0 && !refresher.isShutdown()) {
                    Thread.sleep(1); // one asked for waits for its pace before it is queued on the thread
                }
                refresher.submit(() -> { }).get();
            } while (soonUnfinished.get() > 0 && !refresher.isShutdown()); // one that ran may have asked for another
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Looks up now; blocking, for tests and start-up checks. The empty value when the look-up failed. */
    public final T lookUpNow(String sourceDatabase) {
        String database = server.database(sourceDatabase);
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
        Runnable succeeded = lookingUp(database);
        long startedAt = System.nanoTime();
        Connection c = kept.remove(database);
        try {
            T value;
            if (c == null) {
                c = open(database);
                value = read(c);
            } else {
                try {
                    value = read(c);
                } catch (SQLException e) {
                    // the server may have ended it since (a restart, idle_session_timeout): once more on a new one
                    closeQuietly(c);
                    c = null;
                    c = open(database);
                    value = read(c);
                }
            }
            if (!Objects.equals(byDatabase.put(database, value), value)) {
                changes.incrementAndGet();
            }
            Long failingSince = failing.remove(database);
            if (failingSince != null) {
                log.info("looked up the {} of {} again, after {} s of failed look-ups", what, server.describe(database),
                        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - failingSince));
            }
            loaded(database, value);
            succeeded.run();
            if (asked.contains(database) && !refresher.isShutdown()) {
                kept.put(database, c);
                c = null;
            }
            return true;
        } catch (SQLException e) {
            if (failing.putIfAbsent(database, startedAt) == null) {
                log.warn("cannot look up the {} of {}: {} (SQLSTATE {}); retrying every {} s",
                        what, server.describe(database), e.getMessage(), e.getSQLState(),
                        Math.min(refresh.toMillis(), RETRY_MILLIS) / 1000.0);
            }
            return false;
        } finally {
            closeQuietly(c);
            lastLookUp.put(database, new LookUpPacing.Span(startedAt, System.nanoTime()));
        }
    }

    private Connection open(String database) throws SQLException {
        Connection c = server.connect(database);
        try {
            // one snapshot for all of a load's queries: DDL committed between two of them (a schema and the table
            // created in it) would otherwise give an answer no moment of the catalog had
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setReadOnly(true);
            c.setAutoCommit(false);
            return c;
        } catch (SQLException e) {
            closeQuietly(c);
            throw e;
        }
    }

    private T read(Connection c) throws SQLException {
        T value = load(c);
        c.commit();
        return value;
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                log.debug("closing a catalog connection: {}", e.getMessage());
            }
        }
    }

    @Override
    public final void close() {
        refresher.shutdownNow();
        try {
            refresher.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        kept.values().forEach(CatalogDirectory::closeQuietly);
        kept.clear();
    }
}
