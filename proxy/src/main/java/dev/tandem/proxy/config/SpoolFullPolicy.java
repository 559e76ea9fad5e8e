package dev.tandem.proxy.config;

/**
 * What happens when the spool reaches {@code max-bytes}: {@code block} stops reading from clients until the mirror
 * drains it (back-pressure), {@code shed} drops the transaction and records the gap in the divergence ledger.
 */
public enum SpoolFullPolicy implements ConfigChoice {
    BLOCK("block"),
    SHED("shed");

    private final String configValue;

    SpoolFullPolicy(String configValue) {
        this.configValue = configValue;
    }

    @Override
    public String configValue() {
        return configValue;
    }
}
