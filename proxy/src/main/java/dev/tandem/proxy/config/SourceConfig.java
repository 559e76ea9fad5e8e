package dev.tandem.proxy.config;

import java.time.Duration;
import java.util.Optional;

/**
 * The database the applications used before: every client session is relayed to it. {@code user} and
 * {@code password} are only for the proxy's own catalog look-ups and the verifier, never for relaying; without a user
 * the proxy makes no connection of its own to the source.
 *
 * @param passwordEnv the environment variable that holds the password (its name, not the password)
 * @param password    the value of {@code passwordEnv} at load time, empty when it is unset or empty
 */
public record SourceConfig(String host, int port, TlsMode tls, Optional<String> user, String passwordEnv,
                           Optional<Secret> password, Duration connectTimeout) {

    public HostPort address() {
        return new HostPort(host, port);
    }
}
