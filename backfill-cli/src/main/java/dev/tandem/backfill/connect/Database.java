package dev.tandem.backfill.connect;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.tandem.backfill.BackfillException;
import dev.tandem.protocol.state.RangeChecksum;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * A pool of connections to one side. Every session gets the same settings, so text output (COPY text fallback, verify
 * checksums) is byte-identical on source and target: {@link RangeChecksum#SESSION_SETTINGS}.
 */
public final class Database implements AutoCloseable {

    /**
     * The server drops a session whose client stopped answering after about two minutes (60 s idle, then 6 probes 10 s
     * apart) rather than the operating system's default of over two hours: a copy worker on a host that died or was
     * cut off holds its task's row lock, and the target range's locks, until the server notices. Ignored on Unix
     * sockets.
     */
    static final String KEEPALIVES =
            "SET tcp_keepalives_idle = 60; SET tcp_keepalives_interval = 10; SET tcp_keepalives_count = 6";

    private final Side side;
    private final ConnectionSpec spec;
    private final HikariDataSource pool;

    private Database(Side side, ConnectionSpec spec, HikariDataSource pool) {
        this.side = side;
        this.spec = spec;
        this.pool = pool;
    }

    /**
     * @param side named in messages
     * @param size the maximum number of pooled connections
     */
    public static Database open(Side side, ConnectionSpec spec, int size) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(spec.jdbcUrl());
        config.setDataSourceProperties(spec.properties());
        config.addDataSourceProperty("ApplicationName", "tandem-backfill");
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(0);
        config.setPoolName("tandem-backfill-" + side);
        config.setConnectionInitSql(RangeChecksum.SESSION_SETTINGS + "; " + KEEPALIVES);
        config.setConnectionTimeout(30_000);
        try {
            // the pool opens its first connection here, so a wrong host or password fails now, with the server's reason
            return new Database(side, spec, new HikariDataSource(config));
        } catch (RuntimeException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new BackfillException("cannot connect to the " + side + " " + spec + ": " + cause.getMessage(), e);
        }
    }

    /** A pooled connection in auto-commit mode with the session settings applied. */
    public Connection connection() {
        try {
            return pool.getConnection();
        } catch (SQLException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new BackfillException("cannot connect to the " + side + " " + spec + ": " + cause.getMessage(), e);
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
