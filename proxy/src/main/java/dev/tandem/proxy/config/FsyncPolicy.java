package dev.tandem.proxy.config;

/**
 * When spool appends reach the disk: {@code always} before the client sees its commit (group commit across sessions),
 * {@code interval} every {@code fsync-interval}, {@code never} when the operating system decides.
 */
public enum FsyncPolicy implements ConfigChoice {
    ALWAYS("always"),
    INTERVAL("interval"),
    NEVER("never");

    private final String configValue;

    FsyncPolicy(String configValue) {
        this.configValue = configValue;
    }

    @Override
    public String configValue() {
        return configValue;
    }
}
