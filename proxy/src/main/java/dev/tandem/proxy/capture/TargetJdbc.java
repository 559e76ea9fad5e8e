package dev.tandem.proxy.capture;

import dev.tandem.proxy.config.TargetConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/** Plain JDBC connections to a target database with the proxy's own credentials, for its catalog and ledger chores. */
public final class TargetJdbc {

    private TargetJdbc() {
    }

    public static Connection connect(TargetConfig target, String database) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", target.user());
        target.password().ifPresent(p -> props.setProperty("password", p.reveal()));
        props.setProperty("sslmode", switch (target.tls()) {
            case DISABLE -> "disable";
            case PREFER -> "prefer";
            case REQUIRE -> "require";
            case VERIFY_FULL -> "verify-full";
        });
        props.setProperty("connectTimeout", Long.toString(Math.max(1, target.connectTimeout().toSeconds())));
        props.setProperty("ApplicationName", "tandem-proxy");
        return DriverManager.getConnection("jdbc:postgresql://" + target.host() + ":" + target.port() + "/" + database,
                props);
    }
}
