package dev.tandem.proxy.config;

/**
 * TLS towards a PostgreSQL server, with libpq's {@code sslmode} meanings: {@code disable} never, {@code prefer} when
 * the server offers it, {@code require} always (no certificate check), {@code verify-ca} always with the chain
 * checked, {@code verify-full} always with the chain and the host name checked.
 */
public enum TlsMode implements ConfigChoice {
    DISABLE("disable"),
    PREFER("prefer"),
    REQUIRE("require"),
    VERIFY_CA("verify-ca"),
    VERIFY_FULL("verify-full");

    private final String configValue;

    TlsMode(String configValue) {
        this.configValue = configValue;
    }

    /** The same mode for the protocol module's client and TLS code, which cannot see this package. */
    public dev.tandem.protocol.client.TlsMode clientMode() {
        return dev.tandem.protocol.client.TlsMode.valueOf(name());
    }

    @Override
    public String configValue() {
        return configValue;
    }
}
