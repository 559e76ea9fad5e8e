package dev.tandem.proxy.jdbc;

import dev.tandem.proxy.config.SourceConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/**
 * The proxy's own connections to the source ({@code source.user}), one per database, kept open between questions.
 * A connection that went stale (the source restarted since) is opened again rather than failing a question once.
 * Not thread-safe: each owner uses its own from one thread.
 */
public final class SourceConnections implements AutoCloseable {

    private final SourceConfig source;
    private final Map<String, Connection> connections = new HashMap<>();

    /** @param source with {@code source.user} set: callers check first */
    public SourceConnections(SourceConfig source) {
        this.source = source;
    }

    /** An open connection to {@code database}. */
    public Connection get(String database) throws SQLException {
        Connection c = connections.get(database);
        if (c == null || !c.isValid(5)) {
            drop(database);
            c = ServerJdbc.source(source, database);
            connections.put(database, c);
        }
        return c;
    }

    /** Closes the connection to {@code database} after a failure: the next question opens a new one. */
    public void drop(String database) {
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
        connections.keySet().stream().toList().forEach(this::drop);
    }
}
