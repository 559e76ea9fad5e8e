package dev.tandem.proxy.relay;

import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the log says while the source cannot be reached: one WARN when the first session's connection fails, then at
 * most one a minute with how many sessions were refused since, and one INFO when a connection succeeds again with how
 * long it lasted. Every client of a pool that retries gets a FATAL 08006 of its own; a line per refused session would
 * bury the one that matters under hundreds a second. Thread-safe: every event loop's sessions report here.
 */
final class SourceOutageLog {

    private static final Logger log = LoggerFactory.getLogger(SourceOutageLog.class);
    private static final long SUMMARY_NANOS = 60_000_000_000L;

    private final String source;
    private final LongSupplier nanoTime;
    /** Read without the lock by every successful connection: the usual case must not contend. */
    private volatile boolean down;
    private long since;
    private long lastLogged;
    private long refused;
    private long refusedSinceLogged;

    SourceOutageLog(String source, LongSupplier nanoTime) {
        this.source = source;
        this.nanoTime = nanoTime;
    }

    SourceOutageLog(String source) {
        this(source, System::nanoTime);
    }

    /** A session's connection to the source failed, for {@code reason}. */
    synchronized void refused(String reason) {
        long now = nanoTime.getAsLong();
        refused++;
        if (!down) {
            down = true;
            since = now;
            lastLogged = now;
            refusedSinceLogged = 0;
            log.warn("source {} cannot be reached ({}): clients get FATAL 08006 until it can, each new session tries"
                    + " again (tandem_connection_errors_total{reason=\"source_unreachable\"} counts them); the log"
                    + " says how many more once a minute, and when it is reached again", source, reason);
            return;
        }
        refusedSinceLogged++;
        if (now - lastLogged >= SUMMARY_NANOS) {
            log.warn("source {} still cannot be reached ({}), for {} s now: {} more session(s) refused in the last {} s",
                    source, reason, seconds(now - since), refusedSinceLogged, seconds(now - lastLogged));
            lastLogged = now;
            refusedSinceLogged = 0;
        }
    }

    /** A session's connection to the source succeeded. */
    void reached() {
        if (!down) {
            return;
        }
        synchronized (this) {
            if (!down) {
                return;
            }
            down = false;
            log.info("source {} reached again after {} s: {} session(s) were refused meanwhile", source,
                    seconds(nanoTime.getAsLong() - since), refused);
            refused = 0;
        }
    }

    private static long seconds(long nanos) {
        return Math.round(nanos / 1e9);
    }
}
