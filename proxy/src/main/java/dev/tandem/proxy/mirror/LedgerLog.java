package dev.tandem.proxy.mirror;

import dev.tandem.protocol.sql.TableName;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log lines of ledgered transactions: per target database, table, reason and SQLSTATE, the first of a window
 * (a minute) with the target's reason, then one line saying how many more the window had. A target that refuses
 * every transaction of a table (the mirror's user lost INSERT on it, a column is missing) would otherwise log a line
 * per source transaction, thousands a second; each of them is in {@code tandem.divergence} and
 * {@code tandem_ledger_entries_total} all the same. Used by the applier thread only.
 */
final class LedgerLog {

    private static final Logger LOG = LoggerFactory.getLogger(LedgerLog.class);

    private record Kind(String database, TableName table, String reason, String sqlState) {
    }

    /** A window of one kind: when it opened, and the ledgered transactions since that were not logged. */
    private static final class Window {
        final long openedAt;
        final Instant since = Instant.now();
        long more;

        Window(long openedAt) {
            this.openedAt = openedAt;
        }
    }

    private final long windowNanos;
    private final LongSupplier nanoTime;
    private final Map<Kind, Window> windows = new HashMap<>();

    /** @param nanoTime {@link System#nanoTime}, or a test's clock */
    LedgerLog(Duration window, LongSupplier nanoTime) {
        this.windowNanos = window.toNanos();
        this.nanoTime = nanoTime;
    }

    /**
     * A transaction was ledgered: logged if it is the first of its kind in the window, else counted.
     *
     * @param sqlState     the target's, or null when the proxy ledgered it without sending it
     * @param message      the target's message or the proxy's reason, already redacted if it must be
     * @param quotesValues whether {@code message} may quote the application's data (the target's messages may: a
     *                     refused value, a trigger's RAISE), which is logged at debug level only
     */
    void ledgered(String database, TableName table, String reason, String sqlState, String message,
                  boolean quotesValues, long session, long sequence) {
        LOG.debug("mirror: transaction of session {} on table {} ledgered in target database {} ({}{}: {}), spool"
                + " sequence {}", session, table, database, reason, sqlState == null ? "" : ", SQLSTATE " + sqlState,
                message, sequence);
        long now = nanoTime.getAsLong();
        flush(now, false);
        Kind kind = new Kind(database, table, reason, sqlState);
        Window window = windows.get(kind);
        if (window != null) {
            window.more++;
            return;
        }
        windows.put(kind, new Window(now));
        LOG.warn("mirror: transaction of session {} on table {} ledgered in target database {} ({}{}: {}), spool"
                        + " sequence {}; more of this table and reason in the next {} s are logged as one count",
                session, table, database, reason, sqlState == null ? "" : ", SQLSTATE " + sqlState,
                quotesValues ? "the target's message is in tandem.divergence" : message, sequence,
                windowNanos / 1_000_000_000L);
    }

    /** Logs the count of each window that is over (all of them when {@code all}, as the mirror stops). */
    void flush(boolean all) {
        flush(nanoTime.getAsLong(), all);
    }

    private void flush(long now, boolean all) {
        for (Iterator<Map.Entry<Kind, Window>> it = windows.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Kind, Window> entry = it.next();
            Window window = entry.getValue();
            if (!all && now - window.openedAt < windowNanos) {
                continue;
            }
            it.remove();
            if (window.more > 0) {
                Kind kind = entry.getKey();
                LOG.warn("mirror: {} more transaction(s) on table {} ledgered in target database {} ({}{}) since {}",
                        window.more, kind.table(), kind.database(), kind.reason(),
                        kind.sqlState() == null ? "" : ", SQLSTATE " + kind.sqlState(), window.since);
            }
        }
    }
}
