package dev.tandem.proxy.relay;

import dev.tandem.protocol.backend.ErrorResponse;
import dev.tandem.protocol.backend.ProtocolV2ErrorResponse;
import dev.tandem.protocol.frame.ProtocolViolationException;
import dev.tandem.protocol.frame.StartupCodes;
import dev.tandem.protocol.frontend.StartupMessage;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.Future;
import java.util.List;

/**
 * The client's startup phase: the untyped packets before the first typed message.
 *
 * <pre>
 *   (direct TLS, see DirectTlsDetector: handshake done, ALPN "postgresql" or FATAL 08P01) --> AWAIT_PACKET
 *   AWAIT_PACKET --SSLRequest--> answer 'S' (TLS starts) or 'N' --> AWAIT_PACKET   (a second one, or one after
 *        |       --GSSENCRequest--> answer 'N' -------------------> AWAIT_PACKET    TLS: FATAL 0A000, as PostgreSQL)
 *        |       --CancelRequest--> forward to the source, close
 *        |       --StartupMessage, other major version--> FATAL 0A000, close
 *        +-------StartupMessage 3.x--> HANDED_OFF: connect the source, relay from now on
 * </pre>
 *
 * Packets are capped at {@code limits.max-startup-packet-bytes} after their length word (10000 like PostgreSQL), so an
 * unauthenticated peer cannot make the proxy buffer much. Once handed off, bytes that arrived behind the StartupMessage stay in this
 * decoder's buffer and reach the relay when it removes this handler.
 */
final class ClientStartupHandler extends ByteToMessageDecoder {

    /** feature_not_supported: PostgreSQL's SQLSTATE for a protocol version it does not speak. */
    private static final String UNSUPPORTED_PROTOCOL = "0A000";

    private enum State { AWAIT_PACKET, HANDED_OFF }

    private final RelaySettings settings;
    private final RelayMetrics metrics;
    private final HeldFrameBudget heldBudget;
    private final SourceConnector connector;
    private final CancelForwarder cancels;
    private final SessionTap.Factory taps;
    private final ChannelGroup sources;
    private final long sessionId;
    private State state = State.AWAIT_PACKET;
    private boolean tlsStarted;
    /** As PostgreSQL: each kind of encryption is negotiated once; a second request is an unknown protocol (0A000). */
    private boolean sslNegotiated;
    private boolean gssNegotiated;

    /**
     * @param taps    opens the mirror's view of each session; null when nothing but relaying is wanted
     * @param sources gets the session's source connection, which may outlive the client's (a drain)
     */
    ClientStartupHandler(RelaySettings settings, RelayMetrics metrics, HeldFrameBudget heldBudget,
                         SourceConnector connector, CancelForwarder cancels, SessionTap.Factory taps,
                         ChannelGroup sources, long sessionId) {
        this.settings = settings;
        this.metrics = metrics;
        this.heldBudget = heldBudget;
        this.connector = connector;
        this.cancels = cancels;
        this.taps = taps;
        this.sources = sources;
        this.sessionId = sessionId;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (state == State.HANDED_OFF || in.readableBytes() < 4) {
            return;
        }
        int length = in.getInt(in.readerIndex());
        // PostgreSQL caps what follows the length word, so a packet of 10004 bytes in all is still accepted.
        if (length < 8 || length - 4 > settings.maxStartupPacketBytes()) {
            throw new ProtocolViolationException("invalid length of startup packet: " + length
                    + " (expected 8 to " + (settings.maxStartupPacketBytes() + 4) + " bytes)");
        }
        if (in.readableBytes() < length) {
            return;
        }
        int code = in.getInt(in.readerIndex() + 4);
        switch (code) {
            case StartupCodes.SSL_REQUEST -> {
                in.skipBytes(length);
                if (sslNegotiated) {
                    refuseProtocolVersion(ctx, code);
                    return;
                }
                sslNegotiated = true;
                answerSslRequest(ctx, in);
            }
            case StartupCodes.GSSENC_REQUEST -> {
                in.skipBytes(length);
                if (gssNegotiated || tlsStarted) {
                    refuseProtocolVersion(ctx, code);
                    return;
                }
                gssNegotiated = true;
                ctx.writeAndFlush(ctx.alloc().buffer(1).writeByte('N'));
            }
            case StartupCodes.CANCEL_REQUEST -> {
                cancels.forward(ctx.channel().eventLoop(), in.readRetainedSlice(length));
                state = State.HANDED_OFF;
                ctx.close();
            }
            default -> {
                if (StartupCodes.majorVersion(code) != 3) {
                    in.skipBytes(length);
                    refuseProtocolVersion(ctx, code);
                    return;
                }
                // Read before anything is retained or handed off, so a malformed packet is refused like any other.
                SessionContext context = taps == null ? null
                        : sessionContext(ctx.channel(), in.slice(in.readerIndex(), length));
                state = State.HANDED_OFF;
                startSession(ctx, in.readRetainedSlice(length), context);
            }
        }
    }

    /**
     * As PostgreSQL does: FATAL 0A000, in the 2.0 shape to a client that asked for 1.x or 2.x (the only shape it can
     * read), in the 3.0 shape otherwise.
     */
    private void refuseProtocolVersion(ChannelHandlerContext ctx, int version) {
        state = State.HANDED_OFF;
        metrics.connectionError("protocol_violation");
        int major = StartupCodes.majorVersion(version);
        String message = "unsupported frontend protocol " + major + "." + StartupCodes.minorVersion(version)
                + ": Tandem relays protocol 3.x";
        ByteBuf error;
        if (major < 3) {
            error = ctx.alloc().buffer();
            new ProtocolV2ErrorResponse(message).encode(error);
        } else {
            error = ErrorResponse.fatal(UNSUPPORTED_PROTOCOL, message).encode(ctx.alloc());
        }
        ctx.writeAndFlush(error).addListener(ChannelFutureListener.CLOSE);
    }

    private void answerSslRequest(ChannelHandlerContext ctx, ByteBuf in) {
        if (in.isReadable()) {
            // Bytes sent before our answer would be read as if TLS protected them (CVE-2021-23214): refuse.
            throw new ProtocolViolationException("received unencrypted data after SSL request");
        }
        if (settings.clientTls() == null) {
            ctx.writeAndFlush(ctx.alloc().buffer(1).writeByte('N'));
            return;
        }
        tlsStarted = true;
        SslHandler ssl = settings.clientTls().newHandler(ctx.alloc());
        ctx.writeAndFlush(ctx.alloc().buffer(1).writeByte('S'));
        ctx.pipeline().addFirst("tls", ssl);
    }

    /**
     * @param startup the StartupMessage bytes; ownership passes to this method
     * @param context what the mirror needs to know of the session, or null when nothing but relaying is wanted
     */
    private void startSession(ChannelHandlerContext ctx, ByteBuf startup, SessionContext context) {
        Channel client = ctx.channel();
        client.config().setAutoRead(false);
        RelaySession session = new RelaySession(client, settings, metrics, heldBudget,
                context == null ? null : taps.open(context));
        client.attr(ProxyServer.SESSION).set(session);
        client.pipeline().addLast("relay", new RelayHandler(session, Direction.CLIENT_TO_SOURCE));
        Future<Channel> connecting = connector.connect(client.eventLoop());
        // A session that ends first (auth timeout, client gone) gives up the source connection still being set up.
        client.closeFuture().addListener(f -> connecting.cancel(false));
        connecting.addListener(f -> {
            if (f.isCancelled()) {
                startup.release();
                return;
            }
            if (!f.isSuccess()) {
                startup.release();
                session.sourceUnavailable(f.cause());
                return;
            }
            Channel source = (Channel) f.getNow();
            if (!client.isActive()) {
                startup.release();
                source.close();
                return;
            }
            sources.add(source);
            if (source.pipeline().get(SslHandler.class) != null && client.pipeline().get(SslHandler.class) == null) {
                source.pipeline().addLast(PlainClientSaslOffer.NAME, new PlainClientSaslOffer());
            }
            source.writeAndFlush(startup);
            session.sourceConnected(source);
            // Removing this decoder passes bytes the client pipelined behind its StartupMessage to the relay.
            client.pipeline().remove(this);
            client.config().setAutoRead(true);
        });
    }

    /**
     * Reads the user, database and the settings the mirror needs from the StartupMessage.
     *
     * @param startup the StartupMessage bytes; not retained, indexes unchanged
     * @throws ProtocolViolationException when the packet is not a valid StartupMessage, which PostgreSQL refuses with
     *                                    the same SQLSTATE
     */
    private SessionContext sessionContext(Channel client, ByteBuf startup) {
        StartupMessage message;
        try {
            message = StartupMessage.decode(startup);
        } catch (IllegalArgumentException e) {
            throw new ProtocolViolationException("invalid startup packet layout: " + e.getMessage());
        }
        String user = message.parameters().getOrDefault("user", "");
        String database = message.parameters().getOrDefault("database", user);
        return new SessionContext(sessionId, database, user, StartupSetting.of(message.parameters(), "search_path"),
                StartupSetting.of(message.parameters(), "session_replication_role"),
                StartupSetting.of(message.parameters(), "role"), () -> {
                    RelaySession session = client.attr(ProxyServer.SESSION).get();
                    if (session != null) {
                        session.resumer().run();
                    }
                }, client.eventLoop());
    }

    /**
     * A TLS handshake that this handler did not start (no SSLRequest) is a direct TLS connection: as PostgreSQL
     * requires, it must have negotiated ALPN "postgresql", which tells it apart from another protocol's client.
     */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent handshake && handshake.isSuccess() && !tlsStarted) {
            tlsStarted = true;
            sslNegotiated = true;
            String protocol = ctx.pipeline().get(SslHandler.class).applicationProtocol();
            if (!TlsContexts.ALPN_POSTGRESQL.equals(protocol)) {
                exceptionCaught(ctx, new ProtocolViolationException(
                        "received direct SSL connection request without ALPN protocol negotiation extension"));
                return;
            }
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        state = State.HANDED_OFF;
        if (c instanceof ProtocolViolationException) {
            metrics.connectionError("protocol_violation");
            ctx.writeAndFlush(ErrorResponse.fatal(ProtocolViolationException.SQLSTATE, c.getMessage()).encode(ctx.alloc()))
                    .addListener(ChannelFutureListener.CLOSE);
        } else {
            metrics.connectionError("client_error");
            ctx.close();
        }
    }
}
