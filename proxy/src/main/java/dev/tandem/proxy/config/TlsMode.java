package dev.tandem.proxy.config;

/**
 * TLS towards a PostgreSQL server, with libpq's {@code sslmode} meanings: {@code disable} never, {@code prefer} when
 * the server offers it, {@code require} always (no certificate check), {@code verify-full} always with the chain and
 * the host name checked.
 */
public enum TlsMode implements ConfigChoice {
    DISABLE("disable"),
    PREFER("prefer"),
    REQUIRE("require"),
    VERIFY_FULL("verify-full");

    private final String configValue;

    TlsMode(String configValue) {
        this.configValue = configValue;
    }

    @Override
    public String configValue() {
        return configValue;
    }
}
