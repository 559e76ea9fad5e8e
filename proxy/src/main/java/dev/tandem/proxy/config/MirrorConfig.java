package dev.tandem.proxy.config;

import java.time.Duration;

/**
 * Dual-write: what is copied to the target, and how.
 *
 * @param maxTransactionBytes captured bytes one source transaction may hold in memory until it commits; a larger
 *                           transaction is not replayed but recorded in the divergence ledger
 * @param maxCapturedBytes    captured bytes all open transactions together may hold; a transaction that would pass it
 *                           is ledgered like one over {@code maxTransactionBytes}
 * @param syncTimeout        in {@code sync} mode, how long a client's ReadyForQuery waits for the target; then the
 *                           client is answered and the spooled transaction is applied when the target is back
 * @param markDualWriteStart record at start-up that all writers are on the proxy now ({@code tandem.dual_write})
 * @param lockTimeout        how long a replay on the target may wait for a lock before its database is parked and
 *                           retried later, the other databases going on; zero waits as long as the lock is held
 * @param statementTimeout   how long one replayed statement may run on the target before it is cancelled and its
 *                           database parked and retried later (the transaction alone; ledgered when it keeps taking
 *                           that long), the other databases going on; zero lets it run as long as it takes
 * @param catalogRefresh     how often the target's (and, with a source user, the source's) catalogs are read again:
 *                           how long a table created or dropped after the start may go unnoticed by the mirror set,
 *                           the partition and volatile-default decisions and the per-table metric series
 */
public record MirrorConfig(MirrorMode mode, TableFilter tables, SpoolConfig spool, long maxTransactionBytes,
                           long maxCapturedBytes, Duration syncTimeout, RetryConfig retry, boolean markDualWriteStart,
                           Duration lockTimeout, Duration statementTimeout, Duration catalogRefresh) {
}
