package dev.tandem.proxy.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The new server that receives the mirrored writes, reached with the proxy's own credentials. A client session on
 * database {@code d} is mirrored to the target database {@code databases.getOrDefault(d, d)}.
 *
 * @param passwordEnv the environment variable that holds the password (its name, not the password)
 * @param password    the value of {@code passwordEnv} at load time; empty when unset, which is fine when the target
 *                    trusts the proxy (trust, peer, certificate authentication)
 * @param caFile      PEM certificates that {@code require}, {@code verify-ca} and {@code verify-full} trust for the
 *                    target; empty = the default trust
 */
public record TargetConfig(String host, int port, String user, String passwordEnv, Optional<Secret> password,
                           TlsMode tls, Map<String, String> databases, Duration connectTimeout,
                           Optional<Path> caFile) {

    public TargetConfig {
        databases = Map.copyOf(databases);
    }

    public HostPort address() {
        return new HostPort(host, port);
    }

    /** The target database that mirrors the client's source database {@code sourceDatabase}. */
    public String targetDatabase(String sourceDatabase) {
        return databases.getOrDefault(sourceDatabase, sourceDatabase);
    }
}
