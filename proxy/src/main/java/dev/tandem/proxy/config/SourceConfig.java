package dev.tandem.proxy.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The database the applications used before: every client session is relayed to it. {@code user} and
 * {@code password} are only for the proxy's own catalog look-ups and the verifier, never for relaying; without a user
 * the proxy makes no connection of its own to the source.
 *
 * @param passwordEnv the environment variable that holds the password (its name, not the password)
 * @param password    the value of {@code passwordEnv} at load time, empty when it is unset or empty
 * @param caFile      PEM certificates that {@code require}, {@code verify-ca} and {@code verify-full} trust for the
 *                    source; empty = the JVM's trust store
 */
public record SourceConfig(String host, int port, TlsMode tls, Optional<String> user, String passwordEnv,
                           Optional<Secret> password, Duration connectTimeout, Optional<Path> caFile) {

    public HostPort address() {
        return new HostPort(host, port);
    }
}
