package dev.tandem.proxy.capture;

import dev.tandem.proxy.config.SourceConfig;
import dev.tandem.proxy.config.TargetConfig;
import dev.tandem.proxy.jdbc.ServerJdbc;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * A server whose catalog the proxy reads with its own credentials: the target, or the source when
 * {@code source.user} is configured.
 */
interface CatalogServer {

    /** The server's database for a client session's (source) database. */
    String database(String sourceDatabase);

    Connection connect(String database) throws SQLException;

    /** "target database app at db-new:5432", for warnings. */
    String describe(String database);

    static CatalogServer target(TargetConfig target) {
        return new CatalogServer() {
            @Override
            public String database(String sourceDatabase) {
                return target.targetDatabase(sourceDatabase);
            }

            @Override
            public Connection connect(String database) throws SQLException {
                return ServerJdbc.target(target, database);
            }

            @Override
            public String describe(String database) {
                return "target database " + database + " at " + target.host() + ":" + target.port();
            }
        };
    }

    /** @param source with {@code source.user} set: callers check first */
    static CatalogServer source(SourceConfig source) {
        return new CatalogServer() {
            @Override
            public String database(String sourceDatabase) {
                return sourceDatabase;
            }

            @Override
            public Connection connect(String database) throws SQLException {
                return ServerJdbc.source(source, database);
            }

            @Override
            public String describe(String database) {
                return "source database " + database + " at " + source.host() + ":" + source.port() + " (as "
                        + source.user().orElse("?") + ")";
            }
        };
    }
}
