package dev.tandem.proxy.relay;

import dev.tandem.protocol.backend.ErrorResponse;
import dev.tandem.protocol.client.SocketFailure;
import dev.tandem.protocol.frame.FrameObserver;
import dev.tandem.protocol.frame.FrameScanner;
import dev.tandem.protocol.frame.ProtocolViolationException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection and its own source connection, after the client's StartupMessage.
 *
 * <pre>
 *   CONNECTING --source up--> AUTHENTICATING --first ReadyForQuery--> READY
 *       |                          |                                    |
 *       +--------------------------+------ either side closes ----------+--> CLOSED
 * </pre>
 *
 * Everything runs on the client channel's event loop (the source channel shares it), so there are no locks. Bytes are
 * relayed unchanged through one {@link FrameScanner} per direction; the proxy speaks on its own only to tell the
 * client why the session ends, and only at a message boundary of the source's stream.
 */
final class RelaySession {

    /** PostgreSQL's limit for an authentication message body (PG_MAX_AUTH_TOKEN_LENGTH). */
    static final int MAX_HELD_BEFORE_READY = 65_535;


    private static final Logger log = LoggerFactory.getLogger(RelaySession.class);

    enum State { CONNECTING, AUTHENTICATING, READY, CLOSED }

    private final Channel client;
    private final RelaySettings settings;
    private final RelayMetrics metrics;
    private final HeldFrameBudget heldBudget;
    private final SessionTap tap;
    /** Bytes reserved in {@link #heldBudget} for the client message being received whole; 0 when none. */
    private long heldReserved;
    /** Set while the session waits for room in {@link #heldBudget}: its client is not read meanwhile. */
    private HeldFrameBudget.Waiter heldWaiter;
    private Channel source;
    private State state = State.CONNECTING;
    private FrameScanner fromClient;
    private FrameScanner fromSource;
    private boolean flushSource;
    private boolean flushClient;
    private boolean clientTerminated;
    /**
     * The client's side has ended; source answers are still read until the source closes, for at most
     * limits.drain-timeout. The source finishes what it already received (a COMMIT may wait for locks or a synchronous
     * standby) before it notices; a commit it makes later is not seen, which the tap learns at {@link #close}.
     */
    private boolean draining;
    /** Why the client's side ended, for the tap when the drain times out. */
    private String drainCause;
    /**
     * The source closed its connection while its stream was held behind a commit: the answers it sent before closing
     * are still in {@link #fromSource}, and say what else it committed. Its close is handled once they went through.
     */
    private boolean sourceClosedWhileHeld;
    /**
     * Ends the drain after limits.drain-timeout; cancelled when the session closes first, as it nearly always does,
     * since until it runs it keeps the whole session (its capture, both channels) reachable.
     */
    private ScheduledFuture<?> drainDeadline;
    /** How long a closing session waits for a peer to take what is still queued for it. */
    static final int FLUSH_BEFORE_CLOSE_SECONDS = 10;
    /** Held source bytes past which the source is not read until the hold lifts. */
    private static final int HELD_READ_LIMIT = 256 * 1024;
    private byte lastSourceMessage;
    /** Why a write to the source failed, while its answers are still read; null while none did. */
    private String sourceFailure;
    /** Who sent the last message, to tell which side an authentication that does not finish waits for. */
    private Direction lastSender;

    /** @param tap the session's observer beyond the relay's own bookkeeping, or null */
    RelaySession(Channel client, RelaySettings settings, RelayMetrics metrics, HeldFrameBudget heldBudget,
                 SessionTap tap) {
        this.client = client;
        this.settings = settings;
        this.metrics = metrics;
        this.heldBudget = heldBudget;
        this.tap = tap;
    }

    State state() {
        return state;
    }

    /** The source is connected (and TLS negotiated): start relaying both ways. */
    void sourceConnected(Channel sourceChannel) {
        if (state == State.CLOSED) {
            sourceChannel.close();
            return;
        }
        source = sourceChannel;
        fromClient = new FrameScanner(Direction.CLIENT_TO_SOURCE.sender(), settings.maxFrameBytes(),
                new Bookkeeping(Direction.CLIENT_TO_SOURCE, tap == null ? FrameObserver.NONE : tap.frontend()),
                client.alloc());
        fromSource = new FrameScanner(Direction.SOURCE_TO_CLIENT.sender(), settings.maxFrameBytes(),
                new Bookkeeping(Direction.SOURCE_TO_CLIENT, tap == null ? FrameObserver.NONE : tap.backend()),
                client.alloc());
        source.pipeline().addLast("relay", new RelayHandler(this, Direction.SOURCE_TO_CLIENT));
        state = State.AUTHENTICATING;
        source.config().setAutoRead(true);
    }

    Channel source() {
        return source;
    }

    /**
     * Relays bytes received from one side to the other.
     *
     * @param in ownership passes to this method
     */
    void relay(Direction direction, ByteBuf in) {
        if (state == State.CLOSED || (draining && direction == Direction.CLIENT_TO_SOURCE)) {
            in.release(); // while draining the client is gone, or being closed after a protocol violation
            return;
        }
        metrics.bytes(direction, in.readableBytes());
        boolean toSource = direction == Direction.CLIENT_TO_SOURCE;
        Channel peer = toSource ? source : client;
        try {
            (toSource ? fromClient : fromSource).feed(in, out -> forward(direction, out));
        } catch (ProtocolViolationException e) {
            flush(direction);
            protocolViolation(direction, e);
            return;
        } catch (RuntimeException e) {
            flush(direction);
            internalError(e);
            return;
        } catch (OutOfMemoryError e) {
            flush(direction);
            outOfMemory(e);
            return;
        }
        if (!toSource && fromSource.isHeld()) {
            // The tap holds the source's stream (a commit waiting for the spool or the target). The source answers only
            // what the client already sent, so reading on costs little memory and saves two epoll changes per held
            // commit; past a bound (a pipelining client's big answers) stop reading it.
            if (fromSource.pendingBytes() > HELD_READ_LIMIT) {
                source.config().setAutoRead(false);
            }
        } else if (!draining && !peer.isWritable()) {
            // The peer cannot take more: stop reading from this side until it drains (see writabilityChanged). A
            // closed client is never writable again, so while draining the source is read regardless.
            (toSource ? client : source).config().setAutoRead(false);
        }
    }

    /** @param out ownership passes to this method */
    private void forward(Direction direction, ByteBuf out) {
        Channel peer = direction == Direction.CLIENT_TO_SOURCE ? source : client;
        if (draining) {
            // The client is gone; the source's answers are read only so the tap learns how its transaction ended.
            out.release();
            return;
        }
        peer.write(out, peer.voidPromise());
        if (direction == Direction.CLIENT_TO_SOURCE) {
            flushSource = true;
        } else {
            flushClient = true;
        }
    }

    /** The tap's hold on the source stream is lifted: let the held bytes go on. Runs on the event loop. */
    private void resumeSourceStream() {
        if (state == State.CLOSED || fromSource == null || !fromSource.isHeld()) {
            return;
        }
        try {
            fromSource.resume(out -> forward(Direction.SOURCE_TO_CLIENT, out));
        } catch (ProtocolViolationException e) {
            flush(Direction.SOURCE_TO_CLIENT);
            protocolViolation(Direction.SOURCE_TO_CLIENT, e);
            return;
        } catch (RuntimeException e) {
            // thrown out of this task it would only be logged by the event loop, and the held stream never resume
            flush(Direction.SOURCE_TO_CLIENT);
            internalError(e);
            return;
        }
        flush(Direction.SOURCE_TO_CLIENT);
        if (sourceClosedWhileHeld) {
            if (!fromSource.isHeld()) {
                sourceClosedWhileHeld = false;
                closedBy(Direction.SOURCE_TO_CLIENT);
            }
            return;
        }
        if (!fromSource.isHeld() && (draining || client.isWritable())) {
            source.config().setAutoRead(true);
        }
    }

    /** Resumes from any thread. */
    Runnable resumer() {
        return () -> client.eventLoop().execute(this::resumeSourceStream);
    }

    /** End of one read burst: flush once per burst, not once per message. */
    void flush(Direction direction) {
        if (direction == Direction.CLIENT_TO_SOURCE && flushSource) {
            flushSource = false;
            source.flush();
        } else if (direction == Direction.SOURCE_TO_CLIENT && flushClient) {
            flushClient = false;
            client.flush();
        }
    }

    /** The channel receiving {@code direction}'s bytes changed writability: resume or pause its sender. */
    void writabilityChanged(Channel channel) {
        Channel other = channel == client ? source : client;
        if (draining) {
            return; // the client's writability no longer matters: its answers are dropped
        }
        if (other != null && other.isActive() && !(other == source && fromSource.isHeld())) {
            other.config().setAutoRead(channel.isWritable() && (other == source || heldWaiter == null));
        }
    }

    /** The side that sends {@code direction}'s bytes has closed its connection. */
    void closedBy(Direction direction) {
        if (state == State.CLOSED) {
            return;
        }
        if (direction == Direction.SOURCE_TO_CLIENT && fromSource != null && fromSource.isHeld()) {
            // A pipelining client's later commits may be answered in the held bytes: closing now would make them
            // outcome_unknown for the tap, and keep the answers from a client that is still there.
            sourceClosedWhileHeld = true;
            return;
        }
        if (direction == Direction.CLIENT_TO_SOURCE && tap != null && source != null
                && (source.isActive() || sourceClosedWhileHeld) && !draining) {
            drainSource("the client left");
            return;
        }
        if (draining) {
            if (direction == Direction.SOURCE_TO_CLIENT) {
                close(SessionEnd.because("the source closed the connection")); // it finished: nothing more can commit
            }
            return;
        }
        if (direction == Direction.SOURCE_TO_CLIENT && !clientTerminated && lastSourceMessage != ErrorResponse.TYPE) {
            // Without a word from the source, tell the client why, as a failing server would.
            endWithError("08006", sourceFailure == null ? "the connection to the source server was closed unexpectedly"
                    : "the connection to the source server failed: " + sourceFailure,
                    sourceFailure == null ? "source_closed" : "source_error");
        } else {
            close(SessionEnd.because(direction == Direction.SOURCE_TO_CLIENT ? "the source closed the connection"
                    : "the client closed the connection"));
        }
    }

    /**
     * The client's side ended ({@code cause}), perhaps right after the client sent COMMIT: the source may still commit
     * what it already received. Keep reading its answers (for the tap) until it closes, after telling it the client
     * is gone.
     */
    private void drainSource(String cause) {
        draining = true;
        drainCause = cause;
        drainDeadline = source.eventLoop().schedule(this::drainTimedOut, settings.drainTimeout().toMillis(),
                TimeUnit.MILLISECONDS);
        if (fromSource.isHeld()) {
            resumeSourceStream();
        }
        source.config().setAutoRead(true);
        if (source instanceof DuplexChannel duplex) {
            duplex.shutdownOutput();
        } else {
            source.writeAndFlush(io.netty.buffer.Unpooled.wrappedBuffer(new byte[] {'X', 0, 0, 0, 4}));
        }
    }

    /** The drain gives up: the source may still commit what it was sent, which the tap hears at {@link #close}. */
    private void drainTimedOut() {
        if (state == State.CLOSED) {
            return;
        }
        String waited = drainCause + " and the source did not answer within " + settings.drainTimeout().toSeconds()
                + " s (limits.drain-timeout)";
        log.info("closing the source connection of the session from {}: {}", client.remoteAddress(), waited);
        close(SessionEnd.because(waited));
    }

    void failed(Direction direction, Throwable cause) {
        if (state == State.CLOSED || (draining && direction == Direction.CLIENT_TO_SOURCE)) {
            return; // while draining, the client is gone: the source's answers are still wanted
        }
        if (direction == Direction.CLIENT_TO_SOURCE && tap != null && source != null && source.isActive()
                && !draining) {
            // a reset instead of a close: the source may still commit what the client sent last
            log.debug("session error on the client side", cause);
            metrics.connectionError("client_error");
            drainSource("the client's connection failed");
            return;
        }
        log.debug("session error on the {} side", direction.sender(), cause);
        if (direction == Direction.SOURCE_TO_CLIENT && source instanceof DuplexChannel duplex && duplex.isActive()
                && duplex.isOutputShutdown() && !duplex.isInputShutdown()) {
            // a write failed: what the source sent before it reset is still to be read, its end closes the session
            sourceFailure = SocketFailure.describe(cause);
            return;
        }
        if (direction == Direction.SOURCE_TO_CLIENT) {
            endWithError("08006", "the connection to the source server failed: " + SocketFailure.describe(cause),
                    "source_error");
        } else {
            metrics.connectionError("client_error");
            close(SessionEnd.because("the client's connection failed"));
        }
    }

    /** The source could not be reached or refused TLS: the client gets the reason as a FATAL error. */
    void sourceUnavailable(Throwable cause) {
        String message = "could not connect to the source server at " + settings.source().getHostString() + ":"
                + settings.source().getPort() + ": " + SocketFailure.describe(cause);
        // at DEBUG, not a line per session: the SourceOutageLog says it once per outage, and how many it refused
        endWithError("08006", message, "source_unreachable", SessionEnd.because(message), false);
    }

    void idle() {
        endWithError("57P05", "terminating connection due to idle timeout of the Tandem proxy", "idle_timeout");
    }

    /**
     * Graceful shutdown gave up waiting: end the session the way PostgreSQL does on a fast shutdown. When the source
     * still owes the answer to a request that may commit what the tap follows (a COMMIT waiting for a lock), only the
     * client's side ends now: the source's answers are read on as when a client leaves, so that commit is still
     * captured; {@link ProxyServer#close} waits for such drains.
     */
    void shutdown() {
        if (state == State.CLOSED || draining) {
            return;
        }
        String message = "terminating connection due to administrator command";
        if (tap != null && source != null && source.isActive() && tap.awaitsOutcome()) {
            metrics.connectionError("shutdown");
            tellClient("57P01", message);
            closeAfterFlush(client);
            drainSource("the proxy shut down");
            return;
        }
        endWithError("57P01", message, "shutdown", SessionEnd.because("the proxy shut down"));
    }

    /**
     * The connection's authentication deadline passed: end the session unless it is past authentication. A client
     * that never answered the source (a port scanner, a TCP health check that sends a startup packet) is logged at
     * DEBUG only, as the other ends of a client's own making: one INFO line per such connection flooded the log, and
     * {@code tandem_connection_errors_total{reason="auth_timeout"}} counts them. A source that did not answer is the
     * operator's to know, and stays at INFO.
     */
    void authTimedOut() {
        if (state == State.CONNECTING || state == State.AUTHENTICATING) {
            boolean clientsTurn = state == State.AUTHENTICATING && lastSender == Direction.SOURCE_TO_CLIENT;
            String waitingFor = state == State.CONNECTING ? "the connection to the source was still being set up"
                    : clientsTurn ? "the source waited for the client's answer"
                    : "the source server did not answer";
            String message = authTimeoutMessage(settings) + ": " + waitingFor;
            endWithError("08P01", message, "auth_timeout", SessionEnd.because(message), !clientsTurn);
        }
    }

    static String authTimeoutMessage(RelaySettings settings) {
        return "authentication did not complete within " + settings.authTimeout().toSeconds() + " s (limits.auth-timeout)";
    }

    /**
     * A bug of the proxy's own (in the scanner, or in the tap that reads the frames) while it read the session's bytes:
     * the session cannot go on without losing track of what it relays and mirrors, so it ends with an error that tells
     * it apart from the client's or the source's, and the stack trace in the log.
     */
    private void internalError(RuntimeException e) {
        log.error("internal error in the session from {}", client.remoteAddress(), e);
        endWithError("XX000", "internal error in the Tandem proxy (its log has the details)", "internal_error",
                new SessionEnd("an internal error of the proxy", true));
    }

    /**
     * A message the proxy holds whole (or what the tap makes of it) did not fit in the JVM's memory. Left to Netty it
     * ended the session without a word to the client and with a line in the log at debug level only. As after an
     * internal error, what the tap made of the session's frames may be incomplete.
     */
    private void outOfMemory(OutOfMemoryError e) {
        log.error("out of memory in the session from {} ({}): the proxy holds queries, and Parse and Bind messages of"
                + " 1MiB or more, whole while they arrive, in direct buffers (-XX:MaxDirectMemorySize, as much as -Xmx"
                + " unless set) and the mirror copies them to its heap: raise those, or lower limits.max-held-bytes and"
                + " limits.max-frame-bytes", client.remoteAddress(), e.getMessage(), e);
        endWithError("53200", "out of memory in the Tandem proxy while reading a message of this session (its log has"
                + " the details)", "out_of_memory", new SessionEnd("the proxy ran out of memory", true));
    }

    private void protocolViolation(Direction direction, ProtocolViolationException e) {
        if (direction == Direction.SOURCE_TO_CLIENT) {
            endWithError(ProtocolViolationException.SQLSTATE, "invalid message from the source server: "
                    + e.getMessage(), "protocol_violation");
            return;
        }
        if (tap == null || source == null || !source.isActive() || draining) {
            endWithError(ProtocolViolationException.SQLSTATE, e.getMessage(), "protocol_violation");
            return;
        }
        // The source already has what the client sent before the bad bytes and commits it whatever the proxy does
        // next: end the client's side only, and read the source's answers as when a client leaves, so the tap learns
        // how those requests ended.
        metrics.connectionError("protocol_violation");
        tellClient(ProtocolViolationException.SQLSTATE, e.getMessage());
        closeAfterFlush(client);
        drainSource("the client sent an invalid message");
    }

    /** Tells the client why the session ends ({@link #tellClient}), then closes both connections. */
    void endWithError(String sqlState, String message, String reason) {
        endWithError(sqlState, message, reason, SessionEnd.because(message));
    }

    private void endWithError(String sqlState, String message, String reason, SessionEnd end) {
        endWithError(sqlState, message, reason, end, true);
    }

    /** @param info log it at INFO, else at DEBUG (an end of the client's own making, counted by {@code reason}) */
    private void endWithError(String sqlState, String message, String reason, SessionEnd end, boolean info) {
        if (state == State.CLOSED) {
            return;
        }
        metrics.connectionError(reason);
        tellClient(sqlState, message, info);
        close(end);
    }

    /** {@link #tellClient(String, String, boolean)}, logged at INFO. */
    private void tellClient(String sqlState, String message) {
        tellClient(sqlState, message, true);
    }

    /**
     * A FATAL ErrorResponse to the client, if it is at a message boundary: otherwise it would corrupt its stream.
     *
     * @param info log it at INFO, else at DEBUG
     */
    private void tellClient(String sqlState, String message, boolean info) {
        boolean atBoundary = fromSource == null || fromSource.atFrameBoundary();
        String line = atBoundary && client.isActive() ? "closing session from {}: {} ({})"
                : "closing session from {} mid-message: {} ({})";
        if (info) {
            log.info(line, client.remoteAddress(), message, sqlState);
        } else {
            log.debug(line, client.remoteAddress(), message, sqlState);
        }
        if (client.isActive() && atBoundary) {
            client.writeAndFlush(ErrorResponse.fatal(sqlState, message).encode(client.alloc()));
        }
    }

    /** Closes both connections after flushing what each already has queued. */
    private void close(SessionEnd end) {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        if (drainDeadline != null) {
            drainDeadline.cancel(false);
        }
        if (fromClient != null) {
            fromClient.release();
            fromSource.release();
        }
        releaseHeld();
        abandonWait();
        try {
            if (tap != null) {
                tap.closed(end);
            }
        } catch (RuntimeException e) {
            // the connections must close whatever the tap does; its bookkeeping is lost, which the log says
            log.error("internal error while ending the session from {}", client.remoteAddress(), e);
        } finally {
            closeAfterFlush(client);
            if (source != null) {
                closeAfterFlush(source);
            }
        }
    }

    /**
     * A client message of {@code length} bytes (its protocol length) starts arriving and is held whole: reserve it,
     * or stop reading the client until others made room.
     */
    private void reserveHeld(int length) {
        long bytes = 1L + length;
        if (heldBudget.tryReserve(bytes)) {
            heldReserved = bytes;
            return;
        }
        client.config().setAutoRead(false);
        heldWaiter = heldBudget.await(bytes, () -> client.eventLoop().execute(() -> heldGranted(bytes)));
    }

    private void heldGranted(long bytes) {
        if (heldWaiter == null || state == State.CLOSED) {
            heldBudget.release(bytes); // the wait was given up meanwhile (abandonWait)
            return;
        }
        heldWaiter = null;
        heldReserved = bytes;
        client.config().setAutoRead(source == null || source.isWritable());
    }

    private void releaseHeld() {
        if (heldReserved > 0) {
            heldBudget.release(heldReserved);
            heldReserved = 0;
        }
    }

    /**
     * Stops waiting for room: the session closed, or the message completed anyway with bytes read before the client
     * was paused. Room granted meanwhile is given back when its grant arrives ({@link #heldGranted}).
     */
    private void abandonWait() {
        if (heldWaiter == null) {
            return;
        }
        heldBudget.cancel(heldWaiter);
        heldWaiter = null;
        if (state != State.CLOSED) {
            client.config().setAutoRead(source == null || source.isWritable());
        }
    }

    private static void closeAfterFlush(Channel channel) {
        if (channel.isActive()) {
            channel.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            // A peer that stopped reading never lets the flush finish: without a bound its connection, the bytes queued
            // for it and its slot under limits.max-connections would stay for good.
            ScheduledFuture<?> force = channel.eventLoop().schedule((Runnable) channel::close,
                    FLUSH_BEFORE_CLOSE_SECONDS, TimeUnit.SECONDS);
            channel.closeFuture().addListener(f -> force.cancel(false));
        } else {
            channel.close();
        }
    }


    /** Counts messages, notices the few the relay itself cares about, and shows the rest to the tap. */
    private final class Bookkeeping implements FrameObserver {
        private final Direction direction;
        private final FrameObserver tapObserver;

        Bookkeeping(Direction direction, FrameObserver tapObserver) {
            this.direction = direction;
            this.tapObserver = tapObserver;
        }

        @Override
        public boolean needsWholeFrame(byte type) {
            return tapObserver.needsWholeFrame(type);
        }

        /**
         * Until the source says the session is ready, the client is not authenticated: it may not make the proxy
         * hold more than PostgreSQL accepts in an authentication message, whatever limits.max-frame-bytes allows
         * later (a mirrored session holds whole queries; a thousand unauthenticated peers could pin gigabytes).
         */
        @Override
        public void beforeHolding(byte type, int length) {
            if (direction == Direction.CLIENT_TO_SOURCE && state == State.AUTHENTICATING
                    && length - 4 > MAX_HELD_BEFORE_READY) {
                throw new ProtocolViolationException("message of " + length + " bytes (type '" + (char) type
                        + "') before authentication completed: at most " + MAX_HELD_BEFORE_READY + " bytes are accepted"
                        + " until then");
            }
            if (direction == Direction.CLIENT_TO_SOURCE && length >= HeldFrameBudget.RESERVED_FROM
                    && heldReserved == 0 && heldWaiter == null) {
                reserveHeld(length);
            }
            tapObserver.beforeHolding(type, length);
        }

        @Override
        public void onFrameStart(byte type, int length) {
            seen(type);
            tapObserver.onFrameStart(type, length);
        }

        @Override
        public boolean onFrame(byte type, ByteBuf frame) {
            seen(type);
            if (direction == Direction.CLIENT_TO_SOURCE) {
                // the message the room was for is complete
                releaseHeld();
                abandonWait();
            }
            return tapObserver.onFrame(type, frame);
        }

        private void seen(byte type) {
            metrics.message(direction, type);
            lastSender = direction;
            if (direction == Direction.CLIENT_TO_SOURCE) {
                if (type == 'X') {
                    clientTerminated = true;
                }
            } else {
                lastSourceMessage = type;
                if (type == 'Z' && state == State.AUTHENTICATING) {
                    state = State.READY;
                    if (tap != null) {
                        tap.authenticated();
                    }
                }
            }
        }
    }
}
