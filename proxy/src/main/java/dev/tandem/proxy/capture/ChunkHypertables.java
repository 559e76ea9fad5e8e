package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.config.SourceConfig;
import dev.tandem.proxy.jdbc.ServerJdbc;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hypertable a TimescaleDB chunk written by its own name ({@link TimescaleChunks}) belongs to on the source, for
 * the capture: so it counts the writes into a chunk the mirror does not replay (UPDATE, DELETE, ...) under the
 * hypertable, as the applier mirrors the INSERTs into a chunk into it. Only the source's catalog names it, through the
 * proxy's own credentials ({@code source.user}); without them it knows none. Asked on a thread of its own, never on
 * an event loop, each chunk once per database: an answer lasts (a chunk never moves to another hypertable, and chunk
 * ids are never reused), a source that cannot be reached is asked again next time.
 */
public final class ChunkHypertables implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ChunkHypertables.class);
    private static final CompletableFuture<Optional<TableName>> UNKNOWN = CompletableFuture.completedFuture(
            Optional.empty());

    private final SourceConfig source;
    /** Null without {@code source.user}. */
    private final ExecutorService asker;
    /** Source database -> chunk -> its hypertable, or empty when the source has no such chunk. */
    private final Map<String, Map<TableName, CompletableFuture<Optional<TableName>>>> known = new ConcurrentHashMap<>();
    /** Source database -> the connection to it; on the asker's thread only. */
    private final Map<String, Connection> connections = new HashMap<>();

    /** @param source the source's configuration; without {@code source.user}, nothing can be asked */
    public ChunkHypertables(SourceConfig source) {
        this.source = source;
        this.asker = source != null && source.user().isPresent() ? Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tandem-chunk-hypertables");
            t.setDaemon(true);
            return t;
        }) : null;
    }

    /**
     * The hypertable of {@code chunk} in source database {@code database}: complete at once when known or when the
     * source cannot be asked, else once the source answered. Empty when the source has no such chunk (not
     * TimescaleDB, or dropped since), or cannot be asked or reached.
     */
    public CompletableFuture<Optional<TableName>> hypertableOf(String database, TableName chunk) {
        if (asker == null) {
            return UNKNOWN;
        }
        Map<TableName, CompletableFuture<Optional<TableName>>> chunks = known.computeIfAbsent(database,
                d -> new ConcurrentHashMap<>());
        CompletableFuture<Optional<TableName>> answer = chunks.get(chunk);
        if (answer != null) {
            return answer;
        }
        CompletableFuture<Optional<TableName>> asked = new CompletableFuture<>();
        answer = chunks.putIfAbsent(chunk, asked);
        if (answer != null) {
            return answer;
        }
        try {
            asker.execute(() -> ask(database, chunk, asked, chunks));
        } catch (RejectedExecutionException closed) {
            chunks.remove(chunk, asked);
            asked.complete(Optional.empty());
        }
        return asked;
    }

    private void ask(String database, TableName chunk, CompletableFuture<Optional<TableName>> answer,
                     Map<TableName, CompletableFuture<Optional<TableName>>> chunks) {
        try {
            answer.complete(lookUp(connection(database), chunk));
        } catch (SQLException | RuntimeException e) {
            LOG.debug("cannot read the hypertable of chunk {} from the source's catalog of database {}", chunk,
                    database, e);
            dropConnection(database);
            chunks.remove(chunk, answer); // asked again next time
            answer.complete(Optional.empty());
        }
    }

    /**
     * The hypertable {@code chunk} belongs to, from the documented {@code timescaledb_information.chunks} view; empty
     * when the server has no such chunk (not TimescaleDB, not a chunk, or dropped since, by a retention policy say,
     * with its rows).
     */
    public static Optional<TableName> lookUp(Connection c, TableName chunk) throws SQLException {
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

    private Connection connection(String database) throws SQLException {
        Connection c = connections.get(database);
        if (c == null) {
            c = ServerJdbc.source(source, database);
            connections.put(database, c);
        }
        return c;
    }

    private void dropConnection(String database) {
        Connection c = connections.remove(database);
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // a connection that failed already; nothing to do about it
            }
        }
    }

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
        connections.keySet().stream().toList().forEach(this::dropConnection);
    }
}
