package dev.tandem.proxy.config;

import java.util.Optional;

/**
 * The admin HTTP endpoint ({@code /metrics}, {@code /health}, {@code /ready}, {@code /status} and the mutating
 * {@code POST} endpoints).
 *
 * @param tokenEnv the environment variable that holds the admin token (its name)
 * @param token    the token; without one the mutating endpoints are disabled
 */
public record AdminConfig(HostPort listen, String tokenEnv, Optional<Secret> token) {
}
