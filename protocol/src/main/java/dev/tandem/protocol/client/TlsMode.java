package dev.tandem.protocol.client;

/** Whether and how the client uses TLS, with libpq's sslmode meanings. */
public enum TlsMode {
    /** Never ask for TLS. */
    DISABLE,
    /** Ask for TLS, go on in plain text if the server refuses; the certificate is not checked. */
    PREFER,
    /**
     * Insist on TLS; the certificate is not checked (encryption only), unless there is a CA file: then the chain is, as
     * libpq's require does with a root certificate file (see {@link #withCaFile}).
     */
    REQUIRE,
    /** Insist on TLS and check the certificate chain, but not the host name. */
    VERIFY_CA,
    /** Insist on TLS and check the certificate chain and that it names the host connected to. */
    VERIFY_FULL;

    /**
     * Parses the config spelling: {@code disable}, {@code prefer}, {@code require}, {@code verify-ca},
     * {@code verify-full}.
     */
    public static TlsMode parse(String text) {
        for (TlsMode mode : values()) {
            if (mode.configName().equalsIgnoreCase(text.trim())) {
                return mode;
            }
        }
        throw new IllegalArgumentException("unknown TLS mode '" + text
                + "': expected disable, prefer, require, verify-ca or verify-full");
    }

    /** The mode in effect when a CA file is or is not given: {@link #REQUIRE} with one checks as {@link #VERIFY_CA}. */
    public TlsMode withCaFile(boolean present) {
        return this == REQUIRE && present ? VERIFY_CA : this;
    }

    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
