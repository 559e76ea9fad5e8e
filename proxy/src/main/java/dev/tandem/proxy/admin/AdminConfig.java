package dev.tandem.proxy.admin;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings of the {@link AdminServer}.
 *
 * @param host             interface to bind ({@code admin.listen}); loopback by default
 * @param port             port to bind; 0 picks a free one (see {@link AdminServer#port()})
 * @param token            bearer token for the mutating endpoints; empty disables them
 * @param maxRequestBytes  largest request body accepted; larger ones get 413
 * @param providerTimeout  how long a request waits for a status provider, readiness check or action
 * @param workerThreads    threads that run providers, checks and actions off the event loop
 * @param maxConnections   admin connections open at once; more are refused, so admin clients cannot take the file
 *                         descriptors the relay needs
 * @param requestTimeout   how long a connection may take to deliver a complete request, counted from its opening or
 *                         from the previous answer; bytes trickling in do not extend it
 * @param allowedHosts     names a request's {@code Host} header may give besides an IP address, {@code localhost} and
 *                         {@link #host} ({@code admin.allowed-hosts})
 */
public record AdminConfig(String host, int port, Optional<AdminToken> token, int maxRequestBytes,
                          Duration providerTimeout, int workerThreads, int maxConnections, Duration requestTimeout,
                          List<String> allowedHosts) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 9187;
    public static final int DEFAULT_MAX_REQUEST_BYTES = 64 * 1024;
    public static final Duration DEFAULT_PROVIDER_TIMEOUT = Duration.ofSeconds(10);
    public static final int DEFAULT_WORKER_THREADS = 2;
    public static final int DEFAULT_MAX_CONNECTIONS = 32;
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);

    public AdminConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(providerTimeout, "providerTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        allowedHosts = List.copyOf(allowedHosts);
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("admin port must be between 0 and 65535, got " + port);
        }
        if (maxRequestBytes < 0) {
            throw new IllegalArgumentException("admin max request size must not be negative, got " + maxRequestBytes);
        }
        if (providerTimeout.isNegative() || providerTimeout.isZero()) {
            throw new IllegalArgumentException("admin provider timeout must be positive, got " + providerTimeout);
        }
        if (workerThreads < 1) {
            throw new IllegalArgumentException("admin worker threads must be at least 1, got " + workerThreads);
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("admin max connections must be at least 1, got " + maxConnections);
        }
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("admin request timeout must be positive, got " + requestTimeout);
        }
    }

    /**
     * 127.0.0.1:9187, no token, 64 KiB requests, 10 s provider timeout, 2 workers, 32 connections, 30 s to deliver a
     * request, no names allowed as Host besides IP addresses, localhost and the bound host.
     */
    public static AdminConfig defaults() {
        return new AdminConfig(DEFAULT_HOST, DEFAULT_PORT, Optional.empty(), DEFAULT_MAX_REQUEST_BYTES,
                DEFAULT_PROVIDER_TIMEOUT, DEFAULT_WORKER_THREADS, DEFAULT_MAX_CONNECTIONS, DEFAULT_REQUEST_TIMEOUT,
                List.of());
    }

    public AdminConfig withListen(String newHost, int newPort) {
        return new AdminConfig(newHost, newPort, token, maxRequestBytes, providerTimeout, workerThreads, maxConnections,
                requestTimeout, allowedHosts);
    }

    public AdminConfig withToken(Optional<AdminToken> newToken) {
        return new AdminConfig(host, port, newToken, maxRequestBytes, providerTimeout, workerThreads, maxConnections,
                requestTimeout, allowedHosts);
    }

    public AdminConfig withMaxRequestBytes(int newMaxRequestBytes) {
        return new AdminConfig(host, port, token, newMaxRequestBytes, providerTimeout, workerThreads, maxConnections,
                requestTimeout, allowedHosts);
    }

    public AdminConfig withProviderTimeout(Duration newProviderTimeout) {
        return new AdminConfig(host, port, token, maxRequestBytes, newProviderTimeout, workerThreads, maxConnections,
                requestTimeout, allowedHosts);
    }

    public AdminConfig withMaxConnections(int newMaxConnections) {
        return new AdminConfig(host, port, token, maxRequestBytes, providerTimeout, workerThreads, newMaxConnections,
                requestTimeout, allowedHosts);
    }

    public AdminConfig withRequestTimeout(Duration newRequestTimeout) {
        return new AdminConfig(host, port, token, maxRequestBytes, providerTimeout, workerThreads, maxConnections,
                newRequestTimeout, allowedHosts);
    }

    public AdminConfig withAllowedHosts(List<String> newAllowedHosts) {
        return new AdminConfig(host, port, token, maxRequestBytes, providerTimeout, workerThreads, maxConnections,
                requestTimeout, newAllowedHosts);
    }
}
