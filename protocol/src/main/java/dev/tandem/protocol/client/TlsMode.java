package dev.tandem.protocol.client;

import java.util.Locale;

/** How a connection to a PostgreSQL server uses TLS; the same meanings as libpq's {@code sslmode}. */
public enum TlsMode {
    /** Never ask for TLS. */
    DISABLE,
    /** Ask; go on in plain text when the server says no. */
    PREFER,
    /** Insist on TLS, but do not verify the certificate (libpq {@code require}). */
    REQUIRE,
    /** Insist on TLS, verify the certificate chain and that it names the host. */
    VERIFY_FULL;

    /** The configuration spelling: {@code disable|prefer|require|verify-full}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static TlsMode fromConfigName(String value) {
        for (TlsMode mode : values()) {
            if (mode.configName().equals(value)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("'" + value + "' is not one of disable|prefer|require|verify-full");
    }
}
