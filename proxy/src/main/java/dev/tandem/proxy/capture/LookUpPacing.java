package dev.tandem.proxy.capture;

import java.util.concurrent.TimeUnit;

/**
 * How long a catalog look-up asked for by DDL through the proxy waits after the one before it: not at all after a
 * pause, else until {@link #FACTOR} times the last look-up's duration (at least {@link #MIN_GAP_NANOS}) has passed
 * since it ended. Clients that create and drop a table per request ask for a look-up after each DDL; unpaced, one
 * source backend would read the catalog without a break (on a large catalog, a core), while what that DDL did is
 * already laid over the last answer until the look-up comes ({@link RelationOverlay}).
 */
final class LookUpPacing {

    /** A look-up's start and end, {@link System#nanoTime}. */
    record Span(long startedAt, long endedAt) {
    }

    static final long MIN_GAP_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** The pause after a look-up in units of its duration: at most a fifth of a backend's time in look-ups. */
    static final long FACTOR = 4;

    private LookUpPacing() {
    }

    /** The wait before the next look-up, asked for at {@code now}; {@code last} null when there was none. */
    static long delayNanos(Span last, long now) {
        if (last == null) {
            return 0;
        }
        long gap = Math.max(MIN_GAP_NANOS, FACTOR * (last.endedAt() - last.startedAt()));
        return Math.max(0, last.endedAt() + gap - now);
    }
}
