package dev.tandem.proxy.spool;

import java.util.Locale;

/** What an append does when the spool has reached {@code max-bytes} ({@code mirror.spool.on-full}). */
public enum OnFull {
    /** The append waits until acknowledged segments are deleted: back-pressure to the writing clients. */
    BLOCK,
    /** The append fails at once with {@link SpoolFullException}; the caller records the gap. */
    SHED;

    /** Parses the configuration spelling ({@code block}, {@code shed}). */
    public static OnFull parse(String value) {
        for (OnFull onFull : values()) {
            if (onFull.name().toLowerCase(Locale.ROOT).equals(value)) {
                return onFull;
            }
        }
        throw new IllegalArgumentException("mirror.spool.on-full must be one of block, shed; got '" + value + "'");
    }
}
