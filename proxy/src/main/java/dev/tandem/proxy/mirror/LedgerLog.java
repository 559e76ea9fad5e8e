package dev.tandem.proxy.mirror;

import dev.tandem.protocol.sql.TableName;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log lines of ledgered transactions: per target database, table, reason and SQLSTATE, the first of a window
 * (a minute) with the target's reason, then one line saying how many more the window had. A target that refuses
 * every transaction of a table (the mirror's user lost INSERT on it, a column is missing) would otherwise log a line
 * per source transaction, thousands a second; each of them is in {@code tandem.divergence} and
 * {@code tandem_ledger_entries_total} all the same.
 *
 * <p>A window's count is logged when the window ends, by a timer thread of its own: under continuous load the applier
 * is never idle, and a count that waited for it could come arbitrarily late. The log lines are written outside the
 * lock the applier's {@link #ledgered} takes, so the timer never holds it up for longer than a map update.
 */
final class LedgerLog implements AutoCloseable {

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
    /** Its thread starts with the first window (most proxies never ledger) and ends at {@link #close}. */
    private final ScheduledThreadPoolExecutor timer;

    /**
     * @param window   how long the later transactions of one kind are counted before the count is logged
     * @param nanoTime {@link System#nanoTime}, or a test's clock (the timer waits the window on the real one; a window
     *                 the test's clock does not see over then is logged by the next call that finds it over)
     */
    LedgerLog(Duration window, LongSupplier nanoTime) {
        this.windowNanos = window.toNanos();
        this.nanoTime = nanoTime;
        this.timer = new ScheduledThreadPoolExecutor(1, task -> {
            Thread t = new Thread(task, "tandem-ledger-log");
            t.setDaemon(true);
            return t;
        });
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
        Kind kind = new Kind(database, table, reason, sqlState);
        List<String> over;
        boolean opened;
        synchronized (windows) {
            over = endWindows(now, false);
            Window window = windows.get(kind);
            opened = window == null;
            if (opened) {
                windows.put(kind, new Window(now));
            } else {
                window.more++;
            }
        }
        over.forEach(LOG::warn);
        if (!opened) {
            return;
        }
        if (!timer.isShutdown()) { // closed: the mirror stops, and a last flush(true) logs what is left
            timer.schedule(() -> flush(false), windowNanos, TimeUnit.NANOSECONDS);
        }
        LOG.warn("mirror: transaction of session {} on table {} ledgered in target database {} ({}{}: {}), spool"
                        + " sequence {}; more of this table and reason in the next {} s are logged as one count",
                session, table, database, reason, sqlState == null ? "" : ", SQLSTATE " + sqlState,
                quotesValues ? "the target's message is in tandem.divergence" : message, sequence,
                windowNanos / 1_000_000_000L);
    }

    /** Logs the count of each window that is over (all of them when {@code all}). */
    void flush(boolean all) {
        List<String> over;
        synchronized (windows) {
            over = endWindows(nanoTime.getAsLong(), all);
        }
        over.forEach(LOG::warn);
    }

    /** Logs every count not logged yet and stops the timer, as the mirror stops. */
    @Override
    public void close() {
        timer.shutdownNow();
        flush(true);
    }

    /** Ends the windows that are over and returns their count lines, to be logged once the lock is released. */
    private List<String> endWindows(long now, boolean all) {
        List<String> lines = new ArrayList<>();
        for (Iterator<Map.Entry<Kind, Window>> it = windows.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Kind, Window> entry = it.next();
            Window window = entry.getValue();
            if (!all && now - window.openedAt < windowNanos) {
                continue;
            }
            it.remove();
            if (window.more > 0) {
                Kind kind = entry.getKey();
                lines.add("mirror: " + window.more + " more transaction(s) on table " + kind.table()
                        + " ledgered in target database " + kind.database() + " (" + kind.reason()
                        + (kind.sqlState() == null ? "" : ", SQLSTATE " + kind.sqlState()) + ") since "
                        + window.since);
            }
        }
        return lines;
    }
}
