package dev.tandem.proxy.verifier;

import dev.tandem.proxy.config.SourceConfig;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/** Plain JDBC connections to a source database with the proxy's own (optional) source credentials. */
final class SourceJdbc {

    private SourceJdbc() {
    }

    /** @throws IllegalStateException when no {@code source.user} is configured: callers check first */
    static Connection connect(SourceConfig source, String database) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", source.user().orElseThrow(() -> new IllegalStateException("source.user is not set")));
        source.password().ifPresent(p -> props.setProperty("password", p.reveal()));
        props.setProperty("sslmode", source.tls().configValue());
        props.setProperty("connectTimeout", Long.toString(Math.max(1, source.connectTimeout().toSeconds())));
        props.setProperty("ApplicationName", "tandem-proxy-verifier");
        String host = source.host().indexOf(':') >= 0 ? "[" + source.host() + "]" : source.host();
        return DriverManager.getConnection("jdbc:postgresql://" + host + ":" + source.port() + "/"
                + URLEncoder.encode(database, StandardCharsets.UTF_8), props);
    }
}
