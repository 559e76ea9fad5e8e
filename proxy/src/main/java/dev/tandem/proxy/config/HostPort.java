package dev.tandem.proxy.config;

import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A host name or IP address and a TCP port, written {@code host:port} or, for IPv6, {@code [::1]:6432}. Port 0 asks
 * the operating system for a free port when listening. Host names are not resolved here: a name that resolves later
 * (a container starting) is not a configuration error.
 */
public record HostPort(String host, int port) {

    private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9_](?:[A-Za-z0-9._-]{0,252})");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:%[A-Za-z0-9._-]+)?");
    private static final String EXAMPLE = " (e.g. 127.0.0.1:5432 or [::1]:5432)";

    public HostPort {
        hostProblem(host).ifPresent(problem -> {
            throw new IllegalArgumentException("host '" + host + "' " + problem);
        });
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is not between 0 and 65535");
        }
    }

    /**
     * @throws IllegalArgumentException whose message completes the sentence "'text' ...", e.g. "has no port"
     */
    public static HostPort parse(String text) {
        String trimmed = text.strip();
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException("is empty; expected host:port" + EXAMPLE);
        }
        String host;
        String port;
        if (trimmed.startsWith("[")) {
            int close = trimmed.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("has no closing ']'; expected [ipv6]:port (e.g. [::1]:6432)");
            }
            host = trimmed.substring(1, close);
            if (close + 1 >= trimmed.length() || trimmed.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("has no port after ']'; expected [ipv6]:port (e.g. [::1]:6432)");
            }
            port = trimmed.substring(close + 2);
            if (!host.contains(":")) {
                throw new IllegalArgumentException("has brackets around '" + host
                        + "', which is not an IPv6 address; brackets are only for IPv6");
            }
        } else {
            int colon = trimmed.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("has no port; expected host:port" + EXAMPLE);
            }
            host = trimmed.substring(0, colon);
            port = trimmed.substring(colon + 1);
            if (host.contains(":")) {
                throw new IllegalArgumentException("looks like an IPv6 address without brackets; write [address]:port"
                        + " (e.g. [::1]:6432)");
            }
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("has no host; expected host:port (0.0.0.0:port listens on all interfaces)");
        }
        hostProblem(host).ifPresent(problem -> {
            throw new IllegalArgumentException("has host '" + host + "' that " + problem);
        });
        return new HostPort(host, parsePort(port));
    }

    /**
     * @throws IllegalArgumentException whose message completes the sentence "'text' ..."
     */
    static int parsePort(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("has no port; expected host:port" + EXAMPLE);
        }
        if (!text.chars().allMatch(c -> c >= '0' && c <= '9') || text.length() > 5) {
            throw new IllegalArgumentException("has port '" + text + "', which is not a number from 0 to 65535");
        }
        int port = Integer.parseInt(text);
        if (port > 65535) {
            throw new IllegalArgumentException("has port " + port + ", which is above 65535");
        }
        return port;
    }

    /** Why {@code host} is not a host name or IP address, phrased to follow "host 'x' ", or empty when it is fine. */
    static Optional<String> hostProblem(String host) {
        if (host == null || host.isEmpty()) {
            return Optional.of("is empty");
        }
        if (HOST_NAME.matcher(host).matches() || IPV6.matcher(host).matches()) {
            return Optional.empty();
        }
        return Optional.of("is not a host name or IP address (letters, digits, '.', '-', '_'; IPv6 in [brackets])");
    }

    /** An address to bind to or connect to; resolves the host name now. */
    public InetSocketAddress socketAddress() {
        return new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
    }
}
