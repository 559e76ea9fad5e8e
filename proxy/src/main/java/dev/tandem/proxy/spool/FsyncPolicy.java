package dev.tandem.proxy.spool;

/**
 * When appended records are forced to disk ({@code mirror.spool.fsync}, spelled {@code always}, {@code interval},
 * {@code never}).
 */
public enum FsyncPolicy {
    /**
     * An append completes only once its record is on disk. Concurrent appends share one fsync (group commit), so the
     * cost is one fsync per batch, not per record. Nothing a client saw committed is lost if the host crashes.
     */
    ALWAYS,
    /** Appends complete after the write; a background thread forces the file every {@code fsyncInterval}. */
    INTERVAL,
    /** Appends complete after the write and the operating system decides when to write back. */
    NEVER
}
