package dev.tandem.proxy.jdbc;

import dev.tandem.protocol.client.SocketFailure;
import dev.tandem.proxy.config.Secret;
import dev.tandem.proxy.config.SourceConfig;
import dev.tandem.proxy.config.TargetConfig;
import dev.tandem.proxy.config.TlsMode;
import java.net.ConnectException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;

/**
 * Plain JDBC connections with the proxy's own credentials, for its chores beside the relay (catalog look-ups, the
 * ledger, the verifier): the same TLS meanings as the relay and the mirror, including {@code ca-file}.
 */
public final class ServerJdbc {

    /** pgjdbc's SQLSTATE for a server that answered the TLS request with 'N' under a mode that requires TLS. */
    private static final String CONNECTION_REJECTED = "08004";

    private ServerJdbc() {
    }

    public static Connection target(TargetConfig target, String database) throws SQLException {
        return connect(target.host(), target.port(), database, target.user(), target.password(), target.tls(),
                "target.tls", target.caFile(), target.connectTimeout(), "tandem-proxy");
    }

    /** @throws IllegalStateException when no {@code source.user} is configured: callers check first */
    public static Connection source(SourceConfig source, String database) throws SQLException {
        String user = source.user().orElseThrow(() -> new IllegalStateException("source.user is not set"));
        return connect(source.host(), source.port(), database, user, source.password(), source.tls(), "source.tls",
                source.caFile(), source.connectTimeout(), "tandem-proxy-verifier");
    }

    private static Connection connect(String host, int port, String database, String user, Optional<Secret> password,
                                      TlsMode tls, String tlsSetting, Optional<Path> caFile, Duration timeout,
                                      String application) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        password.ifPresent(p -> props.setProperty("password", p.reveal()));
        // pgjdbc's require never checks the chain, libpq's does with a root certificate file
        props.setProperty("sslmode", tls.clientMode().withCaFile(caFile.isPresent()).configName());
        if (caFile.isPresent()) {
            props.setProperty("sslrootcert", caFile.get().toString());
        } else if (tls == TlsMode.VERIFY_CA || tls == TlsMode.VERIFY_FULL) {
            // Without a CA file, trust what the JVM trusts, as the relay and the mirror do (not ~/.postgresql/root.crt).
            props.setProperty("sslfactory", "org.postgresql.ssl.DefaultJavaSSLFactory");
        }
        props.setProperty("connectTimeout", Long.toString(Math.max(1, timeout.toSeconds())));
        props.setProperty("ApplicationName", application);
        String hostPart = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        try {
            return DriverManager.getConnection("jdbc:postgresql://" + hostPart + ":" + port + "/"
                    + URLEncoder.encode(database, StandardCharsets.UTF_8), props);
        } catch (SQLException e) {
            // in the words the mirror and the relay use, not pgjdbc's ("Connection to ... refused. Check that the
            // hostname and port are correct and that the postmaster is accepting TCP/IP connections.", "The server
            // does not support SSL." naming no setting)
            if (e.getCause() instanceof ConnectException) {
                throw new SQLException("cannot connect to " + host + ":" + port + ": "
                        + SocketFailure.describe(e.getCause()), e.getSQLState(), e);
            }
            if (CONNECTION_REJECTED.equals(e.getSQLState()) && tls != TlsMode.DISABLE && tls != TlsMode.PREFER) {
                throw new SQLException("server " + host + ":" + port + " does not support TLS, but " + tlsSetting
                        + " is " + tls.configValue(), e.getSQLState(), e);
            }
            throw e;
        }
    }
}
