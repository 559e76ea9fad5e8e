package dev.tandem.protocol.client;

import java.nio.channels.ClosedChannelException;

/** Words for a failed TLS handshake with a server, for the mirror's and the relay's messages alike. */
public final class TlsHandshakeFailure {

    private TlsHandshakeFailure() {
    }

    /**
     * The cause's own message, or what happened when it has none: a server that hangs up after agreeing to TLS (one
     * shutting down, as under {@code pg_ctl restart -m fast}) fails the handshake with a closed channel, whose
     * message is null, and the log said {@code failed: null}.
     */
    public static String reason(Throwable cause) {
        if (cause instanceof ClosedChannelException) {
            return "the server closed the connection (shutting down, or refusing this client's TLS)";
        }
        return cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
    }
}
