package dev.tandem.protocol.client;

import dev.tandem.protocol.frontend.SSLRequest;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLException;

/**
 * Sends SSLRequest and acts on the server's one-byte answer: 'S' puts an {@link SslHandler} in front of the
 * pipeline, 'N' continues in plain text only for {@link TlsMode#PREFER}, 'E' (an ErrorResponse) fails. Then it hands
 * over to {@link StartupHandler} (whose StartupMessage the SslHandler holds back until the handshake is done).
 */
final class TlsNegotiator extends ChannelInboundHandlerAdapter {

    private final PgClientConfig config;
    private final CompletableFuture<PgConnection> result;

    TlsNegotiator(PgClientConfig config, CompletableFuture<PgConnection> result) {
        this.config = config;
        this.result = result;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ByteBuf request = ctx.alloc().buffer(8);
        SSLRequest.INSTANCE.encode(request);
        ctx.writeAndFlush(request);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        try {
            byte answer = in.readByte();
            if (answer == 'E') {
                // As libpq since CVE-2024-10977: the text is not read, the server is not authenticated yet and anyone
                // on the path could have written it; its own log has the reason. Fatal in every mode, even prefer.
                fail(ctx, PgException.client(PgException.UNABLE_TO_CONNECT, "server " + config.host() + ":"
                        + config.port() + " sent an error response to the TLS request (SSLRequest); its text is not"
                        + " shown because the server is not authenticated yet, see the server's log", null));
            } else if (in.isReadable()) {
                // bytes after the answer came before any encryption: a man in the middle may have injected them
                fail(ctx, PgException.client(PgException.PROTOCOL_VIOLATION,
                        "server sent unencrypted data after its answer to SSLRequest", null));
            } else if (answer == 'S') {
                startTls(ctx);
            } else if (answer == 'N' && config.tlsMode() == TlsMode.PREFER) {
                ctx.pipeline().replace(this, PgClient.HANDSHAKE, new StartupHandler(config, result));
            } else if (answer == 'N') {
                fail(ctx, PgException.client(PgException.UNABLE_TO_CONNECT, "server " + config.host() + ":"
                        + config.port() + " does not support TLS, but " + config.tlsSetting() + " is "
                        + config.tlsMode().configName(),
                        null));
            } else {
                fail(ctx, PgException.client(PgException.PROTOCOL_VIOLATION, "server answered SSLRequest with byte 0x"
                        + Integer.toHexString(answer & 0xff) + " instead of 'S' or 'N'", null));
            }
        } finally {
            in.release();
        }
    }

    private void startTls(ChannelHandlerContext ctx) {
        SslContext context;
        try {
            context = TlsContexts.forConfig(config);
        } catch (SSLException | IllegalArgumentException e) {
            fail(ctx, PgException.client(PgException.UNABLE_TO_CONNECT, "cannot set up TLS: " + e.getMessage(), e));
            return;
        }
        SslHandler tls = ClientTls.handler(context, ctx.alloc(), config.host(), config.port());
        tls.handshakeFuture().addListener(f -> {
            if (!f.isSuccess()) {
                fail(ctx, PgException.client(PgException.UNABLE_TO_CONNECT, "TLS handshake with " + config.host()
                        + ":" + config.port() + " failed: " + TlsHandshakeFailure.reason(f.cause()), f.cause()));
            }
        });
        ctx.pipeline().addFirst("tls", tls);
        ctx.pipeline().replace(this, PgClient.HANDSHAKE, new StartupHandler(config, result));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        fail(ctx, PgException.connectionLost("server closed the connection before answering SSLRequest", null));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(ctx, PgException.connectionLost("connection failed during TLS negotiation: "
                + SocketFailure.describe(cause), cause));
    }

    private void fail(ChannelHandlerContext ctx, PgException e) {
        result.completeExceptionally(e);
        ctx.close();
    }
}
