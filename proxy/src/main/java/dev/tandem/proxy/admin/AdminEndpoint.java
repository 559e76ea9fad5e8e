package dev.tandem.proxy.admin;

import io.netty.handler.codec.http.HttpMethod;
import java.util.Optional;

/** The admin server's routes: one path, one method each. */
enum AdminEndpoint {
    METRICS("/metrics", HttpMethod.GET, false),
    HEALTH("/health", HttpMethod.GET, false),
    READY("/ready", HttpMethod.GET, false),
    STATUS("/status", HttpMethod.GET, false),
    MIRROR_PAUSE("/mirror/pause", HttpMethod.POST, true),
    MIRROR_RESUME("/mirror/resume", HttpMethod.POST, true),
    DUAL_WRITE_MARK("/dual-write/mark", HttpMethod.POST, true);

    private final String path;
    private final HttpMethod method;
    private final boolean needsToken;

    AdminEndpoint(String path, HttpMethod method, boolean needsToken) {
        this.path = path;
        this.method = method;
        this.needsToken = needsToken;
    }

    String path() {
        return path;
    }

    HttpMethod method() {
        return method;
    }

    boolean needsToken() {
        return needsToken;
    }

    /** The endpoint at {@code path}, ignoring one trailing slash. */
    static Optional<AdminEndpoint> forPath(String path) {
        String normalized = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        for (AdminEndpoint endpoint : values()) {
            if (endpoint.path.equals(normalized)) {
                return Optional.of(endpoint);
            }
        }
        return Optional.empty();
    }
}
