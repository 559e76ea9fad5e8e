package dev.tandem.proxy.mirror;

import dev.tandem.proxy.spool.SpoolPosition;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Per target database, the transaction whose replay the mirror's own {@code statement_timeout}
 * ({@code mirror.statement-timeout}) cancelled, and how many times in a row it was cancelled so applied alone. A group
 * that times out is no member's fault yet (the members around the slow statement may add to it, and a coalesced INSERT
 * stands for many): its database is parked, and its retry applies the member that held the slow statement alone, as
 * the source sent it. Only a member that keeps timing out alone is ledgered, so a statement that is slow once (a
 * checkpoint, a cold cache) is applied at a later retry. Kept for one run of the proxy: a restart tries again from
 * zero. Applier thread only.
 */
final class TimedOutReplays {

    /** query_canceled: the SQLSTATE of a statement the timeout cancelled, the only one a 57014 is ledgered for. */
    static final String QUERY_CANCELED = "57014";
    /** What PostgreSQL says (in English) when {@code pg_cancel_backend} cancelled the statement, not a timeout. */
    private static final String CANCELLED_BY_REQUEST = "user request";

    private record Suspect(SpoolPosition position, int aloneTimeouts) {
    }

    private final Duration timeout;
    private final Map<String, Suspect> suspects = new HashMap<>();

    /** @param timeout {@code mirror.statement-timeout}; zero when the mirror sets none */
    TimedOutReplays(Duration timeout) {
        this.timeout = timeout;
    }

    /**
     * Whether a target error cancelled the statement for the mirror's own timeout: 57014 also comes from an operator's
     * {@code pg_cancel_backend}, which is retried as before. The server tells them apart only in its message, which
     * {@code lc_messages} may translate; so an exchange that was answered before the timeout could have passed was
     * cancelled by someone, and one that took longer is taken for the timeout unless the message says otherwise.
     *
     * @param elapsedNanos how long the exchange that failed took
     */
    boolean timedOut(String sqlState, String message, long elapsedNanos) {
        return !timeout.isZero() && QUERY_CANCELED.equals(sqlState) && elapsedNanos >= timeout.toNanos()
                && (message == null || !message.contains(CANCELLED_BY_REQUEST));
    }

    Duration timeout() {
        return timeout;
    }

    /** The transaction of {@code database} to apply alone, as its last replay timed out in it; null when none. */
    SpoolPosition suspect(String database) {
        Suspect s = suspects.get(database);
        return s == null ? null : s.position();
    }

    /** A group of {@code database} timed out in the transaction at {@code position}: it is applied alone next. */
    void timedOutInGroup(String database, SpoolPosition position) {
        suspects.compute(database, (d, s) -> s != null && s.position().equals(position) ? s
                : new Suspect(position, 0));
    }

    /** The transaction at {@code position} timed out applied alone; returns how many times in a row it has now. */
    int timedOutAlone(String database, SpoolPosition position) {
        Suspect s = suspects.get(database);
        int times = (s != null && s.position().equals(position) ? s.aloneTimeouts() : 0) + 1;
        suspects.put(database, new Suspect(position, times));
        return times;
    }

    /** The suspect of {@code database} was applied or ledgered. */
    void settled(String database) {
        suspects.remove(database);
    }
}
