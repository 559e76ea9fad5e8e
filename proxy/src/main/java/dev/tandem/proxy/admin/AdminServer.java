package dev.tandem.proxy.admin;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operators' HTTP endpoint of the proxy: {@code GET /metrics /health /ready /status} and the token-protected
 * {@code POST /mirror/pause /mirror/resume /dual-write/mark}.
 *
 * <p>Lifecycle: {@code new} (nothing bound) → {@link #start()} (bound, serving) → {@link #close()} (unbound, idempotent).
 * It owns one event-loop thread and a few worker threads; providers, checks and actions never run on the event loop.
 */
public final class AdminServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);

    private static final int IDLE_CONNECTION_SECONDS = 60;
    private static final Duration MAX_CLOSE_GRACE = Duration.ofSeconds(5);

    private final AdminConfig config;
    private final PrometheusMeterRegistry registry;
    private final List<ReadinessCheck> checks;
    private final StatusProvider status;
    private final AdminActions actions;
    private final InFlightRequests inFlight = new InFlightRequests();

    private EventLoopGroup group;
    private BlockingCalls calls;
    /**
     * Scrapes of /metrics, apart: the other workers may all be stuck in a status or readiness look-up at a target that
     * does not answer, exactly when the metrics matter most.
     */
    private BlockingCalls scrapes;
    private ChannelGroup channels;
    private Channel serverChannel;
    private boolean closed;

    /**
     * @param config   where to bind and how to guard the endpoints
     * @param registry the registry {@code /metrics} scrapes (JVM and Netty meters are bound by the caller, see
     *                 {@link AdminMetrics})
     * @param checks   the conditions {@code /ready} reports; none means always ready
     * @param status   the document {@code /status} answers with
     * @param actions  the operations behind the mutating endpoints ({@link AdminActions#MIRROR_OFF} when not mirroring)
     */
    public AdminServer(AdminConfig config, PrometheusMeterRegistry registry, List<ReadinessCheck> checks,
                       StatusProvider status, AdminActions actions) {
        this.config = Objects.requireNonNull(config, "config");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.checks = List.copyOf(checks);
        this.status = Objects.requireNonNull(status, "status");
        this.actions = Objects.requireNonNull(actions, "actions");
    }

    /**
     * Binds {@code config.host():config.port()} and starts serving.
     *
     * @return the bound address (with the real port when the configured port is 0)
     * @throws UncheckedIOException when the address cannot be bound, saying which one
     */
    public synchronized InetSocketAddress start() {
        if (serverChannel != null || closed) {
            throw new IllegalStateException("the admin server can be started once");
        }
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("tandem-admin-io", true),
                NioIoHandler.newFactory());
        calls = new BlockingCalls(config.workerThreads(), config.providerTimeout(), group);
        scrapes = new BlockingCalls(1, config.providerTimeout(), group);
        channels = new DefaultChannelGroup("tandem-admin", GlobalEventExecutor.INSTANCE);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                // a restart binds the port at once: the connections the last run closed wait in TIME_WAIT on it
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        if (channels.size() >= config.maxConnections()) {
                            refuse(channel);
                            return;
                        }
                        channels.add(channel);
                        channel.pipeline().addLast(
                                new ReadTimeoutHandler(IDLE_CONNECTION_SECONDS),
                                new HttpServerCodec(),
                                new BoundedRequestAggregator(config.maxRequestBytes()),
                                new AdminHttpHandler(config, registry, checks, status, actions, calls,
                                        scrapes, inFlight));
                    }
                });
        ChannelFuture bind = bootstrap.bind(config.host(), config.port()).awaitUninterruptibly();
        if (!bind.isSuccess()) {
            shutdownResources();
            Throwable cause = bind.cause();
            String message = "cannot bind the admin server to " + config.host() + ":" + config.port()
                    + " (admin.listen, --admin-listen): " + cause.getMessage()
                    + "; if another process holds that address, stop it or choose another";
            throw new UncheckedIOException(message, cause instanceof IOException io ? io : new IOException(cause));
        }
        serverChannel = bind.channel();
        InetSocketAddress bound = (InetSocketAddress) serverChannel.localAddress();
        LOG.info("Admin HTTP listening on {}:{} (mutating endpoints {})", bound.getHostString(), bound.getPort(),
                config.token().isPresent() ? "enabled" : "disabled: no admin token");
        return bound;
    }

    /**
     * Answers 503 and closes without reading: every open connection holds a file descriptor of the process, and the
     * relay needs those to accept application sessions.
     */
    private void refuse(SocketChannel channel) {
        LOG.debug("Refusing admin connection from {}: {} admin connections are open", channel.remoteAddress(),
                config.maxConnections());
        AdminResponse busy = AdminResponse.error(HttpResponseStatus.SERVICE_UNAVAILABLE, "too many admin connections"
                + " (at most " + config.maxConnections() + "); retry later");
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, busy.status(),
                Unpooled.wrappedBuffer(busy.body()));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, busy.contentType());
        HttpUtil.setContentLength(response, busy.body().length);
        HttpUtil.setKeepAlive(response, false);
        channel.pipeline().addLast(new HttpResponseEncoder());
        channel.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    /** The bound port; only after {@link #start()}. */
    public synchronized int port() {
        if (serverChannel == null) {
            throw new IllegalStateException("the admin server is not started");
        }
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /**
     * Stops accepting connections, lets the requests being answered finish (up to the provider timeout, 5 s at
     * most), then closes the connections, the workers and the event loop. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (serverChannel != null) {
            serverChannel.close().awaitUninterruptibly();
            Duration grace = config.providerTimeout().compareTo(MAX_CLOSE_GRACE) < 0
                    ? config.providerTimeout() : MAX_CLOSE_GRACE;
            if (!inFlight.awaitIdle(grace)) {
                LOG.warn("Closing the admin server with requests still unanswered after {} ms", grace.toMillis());
            }
        }
        shutdownResources();
    }

    private void shutdownResources() {
        if (channels != null) {
            channels.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        if (scrapes != null) {
            scrapes.close();
        }
        if (calls != null) {
            calls.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }
}
