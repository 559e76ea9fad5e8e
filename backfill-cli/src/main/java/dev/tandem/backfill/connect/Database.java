package dev.tandem.backfill.connect;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.tandem.backfill.BackfillException;
import dev.tandem.protocol.state.CompressedRows;
import dev.tandem.protocol.state.RangeChecksum;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * A pool of connections to one side. Every session gets the same settings, so text output (COPY text fallback, verify
 * checksums) is byte-identical on source and target: {@link RangeChecksum#SESSION_SETTINGS}; and every session reads
 * the rows of compressed TimescaleDB chunks: {@link CompressedRows#VISIBLE}.
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

    /**
     * Timeouts meant for applications (an {@code ALTER ROLE/DATABASE ... SET}, the server's configuration) are off for
     * the backfill's sessions, as pg_dump turns them off: a task's COPY and transaction last as long as its range takes,
     * its source transaction waits idle for the target to take the rows, and a pooled session waits idle for its next
     * task; cut short, the same tasks would fail again on every run. Set through {@code pg_settings}, as older servers
     * lack some of them ({@code idle_session_timeout} is 14+, {@code transaction_timeout} 17+).
     */
    static final String NO_TIMEOUTS = "SELECT set_config(name, '0', false) FROM pg_settings WHERE name IN"
            + " ('statement_timeout', 'idle_in_transaction_session_timeout', 'idle_session_timeout', 'transaction_timeout')";

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
        config.setConnectionInitSql(RangeChecksum.SESSION_SETTINGS + "; " + KEEPALIVES + "; " + NO_TIMEOUTS + "; "
                + CompressedRows.VISIBLE);
        config.setConnectionTimeout(30_000);
        try {
            // the pool opens its first connection here, so a wrong host or password fails now, with the server's reason
            return new Database(side, spec, new HikariDataSource(config));
        } catch (RuntimeException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            String hint = passwordHint(side, spec, cause);
            String reason = hint.isEmpty() ? reason(cause) : cause.getMessage().replaceFirst("\\.$", "");
            throw new BackfillException("cannot connect to the " + side + " " + spec + ": " + reason + hint, e);
        }
    }

    /**
     * Where the password goes, when the server asked for one and none was given: it never comes from a flag of its
     * own, so an operator who looks for {@code --target-password} finds nothing.
     */
    private static String passwordHint(Side side, ConnectionSpec spec, Throwable cause) {
        if (spec.hasPassword() || cause.getMessage() == null || !cause.getMessage().contains("no password was provided")) {
            return "";
        }
        return "; give it in a file with --" + side + "-password-file FILE, in a variable named by --" + side
                + "-password-env NAME, or in PGPASSWORD";
    }

    /** A pooled connection in auto-commit mode with the session settings applied. */
    public Connection connection() {
        try {
            return pool.getConnection();
        } catch (SQLException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new BackfillException("cannot connect to the " + side + " " + spec + ": " + reason(cause), e);
        }
    }

    /**
     * Drops {@code connection}, not yet closed, from the pool instead of handing it out again: for a session whose
     * protocol state is unknown after a failure.
     */
    public void discard(Connection connection) {
        pool.evictConnection(connection);
    }

    /** The driver's reason, naming a host that does not resolve: pgjdbc says only "The connection attempt failed." */
    private static String reason(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof UnknownHostException) {
                return String.valueOf(cause.getMessage()).replaceFirst("\\.$", "") + ": unknown host ("
                        + t.getMessage() + ")";
            }
        }
        return ExceptionText.of(cause);
    }

    @Override
    public void close() {
        pool.close();
    }
}
