package dev.tandem.proxy.config;

import java.util.List;
import java.util.Optional;

/**
 * The admin HTTP endpoint ({@code /metrics}, {@code /health}, {@code /ready}, {@code /status} and the mutating
 * {@code POST} endpoints).
 *
 * @param tokenEnv the environment variable that holds the admin token (its name)
 * @param token    the token; without one the mutating endpoints are disabled
 * @param metricsPerPartition a write naming a partition counts in the {@code table}-labelled metrics under its own name
 *                 rather than under the root of its partition tree
 * @param allowedHosts names a request's {@code Host} header may give besides an IP address, {@code localhost} and the
 *                 {@code listen} host: a DNS name Prometheus or an operator reaches the endpoint by. Any other is
 *                 refused (DNS rebinding)
 */
public record AdminConfig(HostPort listen, String tokenEnv, Optional<Secret> token, boolean metricsPerPartition,
                          List<String> allowedHosts) {

    public AdminConfig {
        allowedHosts = List.copyOf(allowedHosts);
    }
}
