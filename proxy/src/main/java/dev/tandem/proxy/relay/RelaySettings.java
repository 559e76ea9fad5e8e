package dev.tandem.proxy.relay;

import dev.tandem.protocol.client.TlsMode;
import dev.tandem.protocol.frame.StartupCodes;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * What the relay needs to know, already validated (the configuration layer builds it).
 *
 * @param clientTls       terminates client TLS when present; without it SSLRequest is answered 'N'
 * @param sourceTls       how the proxy itself connects to the source
 * @param sourceSsl       the client-side context for the source when {@code sourceTls} is not DISABLE
 * @param maxFrameBytes   largest message accepted in either direction after startup
 * @param maxHeldBytes    client messages all sessions together may hold to see them whole ({@link HeldFrameBudget});
 *                        at least {@code maxFrameBytes}
 * @param maxStartupPacketBytes largest untyped startup packet accepted before authentication, after its length word
 * @param authTimeout     a session that has not finished authentication by then is closed
 * @param idleTimeout     a session with no traffic either way for this long is closed; zero disables it
 * @param shutdownGrace   how long a graceful shutdown waits for sessions to finish
 * @param drainTimeout    how long the source's answers are still read after the client's side of a session ended (the
 *                        client left, or the proxy shut down with a commit in flight), so the mirror learns whether
 *                        the source committed what it already received
 * @param ioThreads       event loops relaying sessions; 0 = one per two cores
 */
public record RelaySettings(
        InetSocketAddress listen,
        InetSocketAddress source,
        SslContext clientTls,
        TlsMode sourceTls,
        SslContext sourceSsl,
        long maxFrameBytes,
        long maxHeldBytes,
        int maxStartupPacketBytes,
        int maxConnections,
        Duration connectTimeout,
        Duration authTimeout,
        Duration idleTimeout,
        Duration shutdownGrace,
        Duration drainTimeout,
        Transport transport,
        int ioThreads) {

    public RelaySettings {
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(sourceTls, "sourceTls");
        if (maxHeldBytes < maxFrameBytes) {
            throw new IllegalArgumentException("maxHeldBytes " + maxHeldBytes + " is below maxFrameBytes "
                    + maxFrameBytes + ": a message that large could never be held");
        }
        if (sourceTls != TlsMode.DISABLE && sourceSsl == null) {
            throw new IllegalArgumentException("source TLS mode " + sourceTls.configName() + " needs an SSL context");
        }
    }

    /** Settings for tests and the demo: plain text, the documented limits. */
    public static RelaySettings plain(InetSocketAddress listen, InetSocketAddress source) {
        return new RelaySettings(listen, source, null, TlsMode.DISABLE, null, 1L << 30, 2L << 30,
                StartupCodes.MAX_STARTUP_PACKET, 1000, Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ZERO,
                Duration.ofSeconds(30), Duration.ofMinutes(5), Transport.choose("auto"), 0);
    }

    public RelaySettings withClientTls(SslContext ssl) {
        return new RelaySettings(listen, source, ssl, sourceTls, sourceSsl, maxFrameBytes, maxHeldBytes,
                maxStartupPacketBytes, maxConnections, connectTimeout, authTimeout, idleTimeout, shutdownGrace,
                drainTimeout, transport, ioThreads);
    }

    public RelaySettings withSourceTls(TlsMode mode, SslContext ssl) {
        return new RelaySettings(listen, source, clientTls, mode, ssl, maxFrameBytes, maxHeldBytes,
                maxStartupPacketBytes, maxConnections, connectTimeout, authTimeout, idleTimeout, shutdownGrace,
                drainTimeout, transport, ioThreads);
    }

    public RelaySettings withLimits(long maxFrameBytes, int maxConnections, Duration authTimeout, Duration idleTimeout) {
        return new RelaySettings(listen, source, clientTls, sourceTls, sourceSsl, maxFrameBytes, maxHeldBytes,
                maxStartupPacketBytes, maxConnections, connectTimeout, authTimeout, idleTimeout, shutdownGrace,
                drainTimeout, transport, ioThreads);
    }
}
