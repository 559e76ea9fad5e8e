package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.config.SourceConfig;
import dev.tandem.proxy.jdbc.SourceConnections;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hypertable a TimescaleDB chunk written by its own name ({@link ChunkNames}) belongs to on the source, for
 * the capture and the applier alike: the applier mirrors the INSERTs into a chunk into its hypertable, and the capture
 * counts the writes into it the mirror does not replay (UPDATE, DELETE, ...) under that hypertable. Only the source's
 * catalog names it, through the proxy's own credentials ({@code source.user}); without them it knows none
 * ({@link #available()} is false).
 *
 * <p>The source is asked on a thread of its own, which alone holds the connections (one per database), never on an
 * event loop; each chunk once per database for both: an answer lasts (a chunk never moves to another hypertable, and
 * chunk ids are never reused), a source that cannot be reached is asked again next time.
 */
public final class ChunkHypertables implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ChunkHypertables.class);
    private static final CompletableFuture<Optional<TableName>> UNKNOWN = CompletableFuture.completedFuture(
            Optional.empty());

    private final SourceConfig source;
    /** Null without {@code source.user}. */
    private final ExecutorService asker;
    /**
     * Source database -> chunk -> its hypertable, or empty when the source has no such chunk; failed when the source
     * could not be asked (and then no longer here).
     */
    private final Map<String, Map<TableName, CompletableFuture<Optional<TableName>>>> known = new ConcurrentHashMap<>();
    /** On the asker's thread only; null without {@code source.user}. */
    private final SourceConnections connections;

    /** @param source the source's configuration, null or without {@code source.user}: nothing can be asked */
    public ChunkHypertables(SourceConfig source) {
        this.source = source;
        this.asker = available() ? Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tandem-chunk-hypertables");
            t.setDaemon(true);
            return t;
        }) : null;
        this.connections = asker == null ? null : new SourceConnections(source);
    }

    /** Whether the source can be asked at all. */
    public boolean available() {
        return source != null && source.user().isPresent();
    }

    /**
     * For the capture, on an event loop: the hypertable of {@code chunk} in source database {@code database}, complete
     * at once when known or when the source cannot be asked, else once the source answered. Empty when the source has
     * no such chunk (not TimescaleDB, or dropped since), or cannot be asked or reached.
     */
    public CompletableFuture<Optional<TableName>> hypertableOf(String database, TableName chunk) {
        if (asker == null) {
            return UNKNOWN;
        }
        return asked(database, chunk).exceptionally(unreachable -> Optional.empty());
    }

    /**
     * For the applier, on its own thread, which this blocks until the source answered: the hypertable of
     * {@code chunk} in source database {@code database}, empty when the source has no such chunk (not TimescaleDB, not
     * a chunk, or dropped since, by a retention policy say, with its rows).
     *
     * @throws IllegalStateException when the source cannot be reached (to be retried), or asked at all
     */
    public Optional<TableName> awaitHypertableOf(String database, TableName chunk) {
        if (asker == null) {
            throw new IllegalStateException("cannot read the hypertable of chunk " + chunk + " without source.user");
        }
        try {
            return asked(database, chunk).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof IllegalStateException unreachable ? unreachable : e;
        }
    }

    private CompletableFuture<Optional<TableName>> asked(String database, TableName chunk) {
        Map<TableName, CompletableFuture<Optional<TableName>>> chunks = known.computeIfAbsent(database,
                d -> new ConcurrentHashMap<>());
        CompletableFuture<Optional<TableName>> answer = chunks.get(chunk);
        if (answer != null) {
            return answer;
        }
        CompletableFuture<Optional<TableName>> asking = new CompletableFuture<>();
        answer = chunks.putIfAbsent(chunk, asking);
        if (answer != null) {
            return answer;
        }
        try {
            asker.execute(() -> ask(database, chunk, asking, chunks));
        } catch (RejectedExecutionException closed) {
            chunks.remove(chunk, asking);
            asking.completeExceptionally(new IllegalStateException("cannot read the hypertable of chunk " + chunk
                    + ": the proxy is closing", closed));
        }
        return asking;
    }

    private void ask(String database, TableName chunk, CompletableFuture<Optional<TableName>> answer,
                     Map<TableName, CompletableFuture<Optional<TableName>>> chunks) {
        try {
            answer.complete(lookUp(connections.get(database), chunk));
        } catch (SQLException | RuntimeException e) {
            LOG.debug("cannot read the hypertable of chunk {} from the source's catalog of database {}", chunk,
                    database, e);
            connections.drop(database);
            chunks.remove(chunk, answer); // asked again next time
            answer.completeExceptionally(new IllegalStateException("cannot read the hypertable of chunk " + chunk
                    + " from the source's catalog of database " + database + " (source.user "
                    + source.user().orElse("") + "): " + e.getMessage(), e));
        }
    }

    /** From the documented {@code timescaledb_information.chunks} view. */
    private static Optional<TableName> lookUp(Connection c, TableName chunk) throws SQLException {
        try (PreparedStatement has = c.prepareStatement(
                "SELECT to_regclass('timescaledb_information.chunks') IS NOT NULL");
             ResultSet rs = has.executeQuery()) {
            rs.next();
            if (!rs.getBoolean(1)) {
                return Optional.empty();
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT hypertable_schema::text, hypertable_name::text"
                + " FROM timescaledb_information.chunks WHERE chunk_schema::text = ? AND chunk_name::text = ?")) {
            ps.setString(1, chunk.schema());
            ps.setString(2, chunk.name());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new TableName(rs.getString(1), rs.getString(2))) : Optional.empty();
            }
        }
    }

    /** Questions not answered yet fail: an applier waiting for one is not left waiting. */
    @Override
    public void close() {
        if (asker == null) {
            return;
        }
        asker.shutdownNow();
        // the connections are the asker's: closed on its thread, after what it was asking
        try {
            asker.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        connections.close();
        IllegalStateException closed = new IllegalStateException("the proxy is closing");
        known.values().forEach(chunks -> chunks.values().forEach(answer -> answer.completeExceptionally(closed)));
    }
}
