package dev.tandem.proxy.config;

/**
 * When a committed source transaction reaches the target: {@code async} through the spool after the client got its
 * answer, {@code sync} before the client gets its final ReadyForQuery, {@code off} never (relay only).
 */
public enum MirrorMode implements ConfigChoice {
    ASYNC("async"),
    SYNC("sync"),
    OFF("off");

    private final String configValue;

    MirrorMode(String configValue) {
        this.configValue = configValue;
    }

    @Override
    public String configValue() {
        return configValue;
    }
}
