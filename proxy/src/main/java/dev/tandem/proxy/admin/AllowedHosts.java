package dev.tandem.proxy.admin;

import io.netty.util.NetUtil;
import java.util.Collection;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code Host} headers the admin endpoint answers: an IP address, {@code localhost}, the host it is bound to
 * ({@code admin.listen}) and the names of {@code admin.allowed-hosts}. DNS rebinding: a page in an operator's browser
 * can point its own name at 127.0.0.1 and read {@code GET /status} and {@code /metrics} through the browser, which
 * sends the page's name as Host; a name the operator did not give is refused. Decided on the header's text alone,
 * with no DNS look-up.
 */
final class AllowedHosts {

    private static final String LOCALHOST = "localhost";

    private final Set<String> names = new HashSet<>();

    AllowedHosts(String boundHost, Collection<String> allowed) {
        names.add(LOCALHOST);
        names.add(normalised(boundHost));
        allowed.forEach(name -> names.add(normalised(name)));
    }

    /**
     * Whether a request with this {@code Host} header is answered; a request without one is (HTTP/1.0 clients send
     * none, browsers always do).
     */
    boolean allows(String hostHeader) {
        if (hostHeader == null) {
            return true;
        }
        String value = hostHeader.strip();
        if (value.startsWith("[")) {
            int end = value.indexOf(']');
            return end > 0 && portOrNothing(value.substring(end + 1))
                    && NetUtil.isValidIpV6Address(value.substring(1, end));
        }
        int colon = value.indexOf(':');
        String host = colon < 0 ? value : value.substring(0, colon);
        if (colon >= 0 && !portOrNothing(value.substring(colon))) {
            return false;
        }
        return NetUtil.isValidIpV4Address(host) || names.contains(normalised(host));
    }

    /** Empty, or ':' and a port number. */
    private static boolean portOrNothing(String rest) {
        return rest.isEmpty() || rest.length() > 1 && rest.length() <= 6 && rest.charAt(0) == ':'
                && rest.substring(1).chars().allMatch(c -> c >= '0' && c <= '9');
    }

    /** Lower case, without the trailing dot of a fully qualified name: the same host either way. */
    private static String normalised(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }
}
