package dev.tandem.proxy.config;

import java.time.Duration;

/**
 * Dual-write: what is copied to the target, and how.
 *
 * @param workers            mirror workers applying spooled transactions to the target in {@code async} mode
 * @param syncTimeout        in {@code sync} mode, how long a client's ReadyForQuery waits for the target before the
 *                           transaction goes to the ledger and the client is answered
 * @param markDualWriteStart record at start-up that all writers are on the proxy now ({@code tandem.dual_write})
 */
public record MirrorConfig(MirrorMode mode, TableFilter tables, SpoolConfig spool, int workers, Duration syncTimeout,
                           RetryConfig retry, boolean markDualWriteStart) {
}
