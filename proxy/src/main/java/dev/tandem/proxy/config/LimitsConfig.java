package dev.tandem.proxy.config;

import java.time.Duration;

/**
 * Limits that keep one peer, authenticated or not, from exhausting the proxy.
 *
 * @param maxFrameBytes         largest protocol message accepted in either direction
 * @param maxHeldBytes          client messages all sessions together may hold to see them whole; at least
 *                              {@code maxFrameBytes}
 * @param maxStartupPacketBytes largest startup packet accepted before authentication, not counting its length word (PostgreSQL's own limit is 10000)
 * @param authTimeout           time from accept to ReadyForQuery before the connection is closed
 * @param idleTimeout           a session with no traffic either way for this long is closed; zero means never
 * @param drainTimeout          how long the source's answers are still read after a session's client side ended
 */
public record LimitsConfig(int maxConnections, int maxFrameBytes, long maxHeldBytes, int maxStartupPacketBytes,
                           Duration authTimeout, Duration idleTimeout, Duration drainTimeout) {

    public boolean hasIdleTimeout() {
        return !idleTimeout.isZero();
    }
}
