package dev.tandem.proxy.relay;

import dev.tandem.protocol.client.ClientTls;
import dev.tandem.protocol.client.SocketFailure;
import dev.tandem.protocol.client.TlsHandshakeFailure;
import dev.tandem.protocol.client.TlsMode;
import dev.tandem.protocol.frame.StartupCodes;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeUnit;

/**
 * Opens the proxy's own TCP connection to the source for one client session, on the client's event loop (so both
 * halves of a session run on one thread and need no locks), and negotiates TLS with the source when configured.
 * The returned channel has no handlers and does not read until the caller installs its relay; cancelling the returned
 * future before then closes the connection.
 */
final class SourceConnector {

    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(64 * 1024, 256 * 1024);

    private final RelaySettings settings;
    private final SourceOutageLog outage;

    SourceConnector(RelaySettings settings) {
        this.settings = settings;
        this.outage = new SourceOutageLog(settings.source().getHostString() + ":" + settings.source().getPort());
    }

    Future<Channel> connect(EventLoop loop) {
        Promise<Channel> result = loop.newPromise();
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channel(settings.transport().clientChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.AUTO_READ, false)
                // a failed write shuts only the output: the source's last answer (the FATAL of a backend that exited
                // while the client still sent data, which its host then resets) is still read and relayed
                .option(ChannelOption.AUTO_CLOSE, false)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) settings.connectTimeout().toMillis())
                .handler(new ChannelInboundHandlerAdapter());
        ChannelFuture connecting = bootstrap.connect(settings.source());
        // Until the result succeeds the connection is nobody else's: close it when the caller cancels (its client
        // left) or negotiation fails, or a source that never answers keeps it open for good.
        result.addListener(r -> {
            if (r.isSuccess()) {
                outage.reached();
            } else {
                connecting.channel().close();
                if (!r.isCancelled()) {
                    outage.refused(SocketFailure.describe(r.cause()));
                }
            }
        });
        connecting.addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                result.tryFailure(f.cause());
            } else if (settings.sourceTls() == TlsMode.DISABLE) {
                result.trySuccess(f.channel());
            } else {
                negotiateTls(f.channel(), result);
            }
        });
        return result;
    }

    /**
     * SSLRequest, then one byte: 'S' starts the TLS handshake, 'N' means the source does not do TLS, 'E' starts an
     * ErrorResponse (a server that cannot fork a backend, or one too old for TLS).
     */
    private void negotiateTls(Channel channel, Promise<Channel> result) {
        // Neither the answer to an SSLRequest nor a handshake has a timeout of its own that covers both.
        ScheduledFuture<?> deadline = channel.eventLoop().schedule(() -> result.tryFailure(new SourceTlsException(
                "the source did not complete TLS negotiation within " + settings.connectTimeout().toSeconds()
                        + " s (source.connect-timeout)")), settings.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
        result.addListener(r -> deadline.cancel(false));
        channel.pipeline().addLast("tls-negotiation", new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf in = (ByteBuf) msg;
                try {
                    byte answer = in.readByte();
                    if (answer == 'E') {
                        // As libpq since CVE-2024-10977: the source is not authenticated yet, so the text may be
                        // anyone's on the path and must not reach the client; the source's log has the reason.
                        fail(ctx, new SourceTlsException("the source sent an error response to the TLS request"
                                + " (SSLRequest); its text is not shown because the source is not authenticated yet,"
                                + " see the source's log"));
                        return;
                    }
                    if (in.isReadable()) {
                        fail(ctx, new SourceTlsException("the source sent unexpected bytes after its TLS answer"));
                        return;
                    }
                    ctx.pipeline().remove(this);
                    if (answer == 'S') {
                        startHandshake(ctx.channel(), result);
                    } else if (answer == 'N' && settings.sourceTls() == TlsMode.PREFER) {
                        ctx.channel().config().setAutoRead(false);
                        result.trySuccess(ctx.channel());
                    } else {
                        fail(ctx, new SourceTlsException("the source server does not support TLS, but source.tls is "
                                + settings.sourceTls().configName()));
                    }
                } finally {
                    in.release();
                }
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                result.tryFailure(new ClosedChannelException());
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                fail(ctx, cause);
            }

            private void fail(ChannelHandlerContext ctx, Throwable cause) {
                result.tryFailure(cause);
                ctx.close();
            }
        });
        ByteBuf request = channel.alloc().buffer(8).writeInt(8).writeInt(StartupCodes.SSL_REQUEST);
        channel.writeAndFlush(request);
        channel.read();
    }

    private void startHandshake(Channel channel, Promise<Channel> result) {
        InetSocketAddress source = settings.source();
        SslHandler ssl = ClientTls.handler(settings.sourceSsl(), channel.alloc(), source.getHostString(),
                source.getPort());
        channel.pipeline().addFirst("tls", ssl);
        // the handshake listener reports a failure; without this the pipeline's tail logs it again as unhandled
        channel.pipeline().addLast("tls-handshake", new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                if (ssl.handshakeFuture().isSuccess()) {
                    ctx.fireExceptionCaught(cause);
                }
            }
        });
        ssl.handshakeFuture().addListener(h -> {
            if (h.isSuccess()) {
                channel.pipeline().remove("tls-handshake");
                channel.config().setAutoRead(false);
                result.trySuccess(channel);
            } else {
                result.tryFailure(new SourceTlsException("TLS handshake with the source failed: "
                        + TlsHandshakeFailure.reason(h.cause()) + TlsFailureHint.of(h.cause(), settings.sourceTls(),
                        source.getHostString(), "source")));
                channel.close();
            }
        });
        channel.config().setAutoRead(true);
    }

    /** The source's TLS did not meet {@code source.tls}. */
    static final class SourceTlsException extends Exception {
        SourceTlsException(String message) {
            super(message, null, false, false);
        }
    }
}
