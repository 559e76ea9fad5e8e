package dev.tandem.proxy.config;

/**
 * Whether the live divergence verifier runs: {@code auto} when the target database has TimescaleDB hypertables (the
 * time-series tables the method is made for), {@code true} always, {@code false} never.
 */
public enum VerifierMode {
    AUTO("auto"),
    ON("true"),
    OFF("false");

    private final String configValue;

    VerifierMode(String configValue) {
        this.configValue = configValue;
    }

    public String configValue() {
        return configValue;
    }
}
