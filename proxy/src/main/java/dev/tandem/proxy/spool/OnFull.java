package dev.tandem.proxy.spool;

/**
 * What an append does when the spool has reached {@code max-bytes} ({@code mirror.spool.on-full}, spelled
 * {@code block}, {@code shed}).
 */
public enum OnFull {
    /** The append waits until acknowledged segments are deleted: back-pressure to the writing clients. */
    BLOCK,
    /** The append fails at once with {@link SpoolFullException}; the caller records the gap. */
    SHED
}
