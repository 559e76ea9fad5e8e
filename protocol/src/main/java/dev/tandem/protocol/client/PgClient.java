package dev.tandem.protocol.client;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Opens {@link PgConnection}s: TCP connect, optional TLS (SSLRequest), StartupMessage, authentication (trust,
 * cleartext, md5, SCRAM-SHA-256) and the session parameters, up to the first ReadyForQuery. Nothing blocks; a server
 * that stops answering is cut off after the config's connect timeout.
 */
public final class PgClient {

    /** Pipeline name of the handler that owns the connection's current phase. */
    static final String HANDSHAKE = "pg";

    private PgClient() {
    }

    /** Connects with NIO sockets: {@code group} must run NIO (e.g. {@code MultiThreadIoEventLoopGroup} with NioIoHandler). */
    public static CompletableFuture<PgConnection> connect(PgClientConfig config, EventLoopGroup group) {
        return connect(config, group, NioSocketChannel.class);
    }

    /**
     * Connects with the socket channel type that matches {@code group}'s transport (epoll, io_uring...).
     *
     * @return completes with the ready connection, or exceptionally with a {@link PgException}: the server's error
     *     (e.g. 28P01 wrong password, 3D000 unknown database) or a client-side one (08001 cannot connect, 08006 lost)
     */
    public static CompletableFuture<PgConnection> connect(PgClientConfig config, EventLoopGroup group,
                                                          Class<? extends Channel> channelType) {
        CompletableFuture<PgConnection> result = new CompletableFuture<>();
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .channel(channelType)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
                        config.connectTimeout().toMillis()))
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(HANDSHAKE, config.tlsMode() == TlsMode.DISABLE
                                ? new StartupHandler(config, result) : new TlsNegotiator(config, result));
                    }
                });
        bootstrap.connect(config.host(), config.port()).addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                result.completeExceptionally(PgException.client(PgException.UNABLE_TO_CONNECT, "cannot connect to "
                        + config.host() + ":" + config.port() + ": " + SocketFailure.describe(f.cause()), f.cause()));
                return;
            }
            Channel channel = f.channel();
            ScheduledFuture<?> timer = channel.eventLoop().schedule(() -> {
                if (result.completeExceptionally(PgException.client(PgException.UNABLE_TO_CONNECT, "no ReadyForQuery from "
                        + config.host() + ":" + config.port() + " within " + config.connectTimeout()
                        + " (TLS or authentication stalled)", null))) {
                    channel.close();
                }
            }, config.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
            result.whenComplete((connection, error) -> timer.cancel(false));
        });
        return result;
    }
}
