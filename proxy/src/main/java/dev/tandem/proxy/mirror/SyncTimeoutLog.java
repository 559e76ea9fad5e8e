package dev.tandem.proxy.mirror;

import java.time.Duration;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log line of sync-mode commits answered after {@code mirror.sync-timeout}: the client was told "committed" while
 * the target had not committed yet, which is what sync mode promises not to do, so an operator must hear of it, once
 * a window (a minute) with how many there were since the last line, not once per commit: a target held up (a lock,
 * an outage) makes every commit time out. Called from whichever thread completes the timeout.
 */
public final class SyncTimeoutLog {

    private static final Logger LOG = LoggerFactory.getLogger(SyncTimeoutLog.class);

    private final Duration timeout;
    private final long windowNanos;
    private final LongSupplier nanoTime;
    private long windowStart;
    private boolean logged;
    private long since;

    /** @param nanoTime {@link System#nanoTime}, or a test's clock */
    public SyncTimeoutLog(Duration timeout, Duration window, LongSupplier nanoTime) {
        this.timeout = timeout;
        this.windowNanos = window.toNanos();
        this.nanoTime = nanoTime;
    }

    /** A commit was answered after the timeout. */
    public synchronized void timedOut() {
        since++;
        long now = nanoTime.getAsLong();
        if (logged && now - windowStart < windowNanos) {
            return;
        }
        LOG.warn("mirror: {} sync-mode commit(s) answered after mirror.sync-timeout ({} ms) before the target had"
                + " committed them{}: the target is slow or held up (a lock, an outage; see the mirror's retry lines and"
                + " tandem_mirror_lag_seconds); they stay spooled and are applied when it can. Counted in"
                + " tandem_mirror_sync_timeouts_total; logged at most once a minute", since, timeout.toMillis(),
                logged ? " since the last such line" : "");
        logged = true;
        windowStart = now;
        since = 0;
    }
}
