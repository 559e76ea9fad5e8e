package dev.tandem.proxy.relay;

import dev.tandem.protocol.backend.ErrorResponse;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening side of the proxy: accepts client connections and gives each its own source connection.
 *
 * <p>Lifecycle: {@link #start()} binds; {@link #close()} stops accepting, lets sessions finish for the configured grace
 * period, then ends the rest with 57P01 as a PostgreSQL fast shutdown would. A session whose source still owes the
 * answer to a commit the mirror follows keeps its source connection until the source answers, for at most
 * {@code limits.drain-timeout}: close returns after those, so the mirror, closed after the relay, still gets them.
 */
public final class ProxyServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);
    static final AttributeKey<RelaySession> SESSION = AttributeKey.valueOf("tandem.session");
    /** Past a drain's own timeout: what a closing connection may take to flush, and a margin. */
    private static final Duration AFTER_DRAIN = Duration.ofSeconds(RelaySession.FLUSH_BEFORE_CLOSE_SECONDS + 5);
    /**
     * How long source connections may take to close before the wait for them is announced: a session that owed its
     * source nothing closes it at once, and a stop that announced a five-minute wait for nothing misled operators.
     */
    private static final Duration UNANNOUNCED_DRAIN = Duration.ofSeconds(1);

    private final RelaySettings settings;
    private final RelayMetrics metrics;
    private final EventLoopGroup group;
    private final ChannelGroup clients = new DefaultChannelGroup("tandem-clients", GlobalEventExecutor.INSTANCE);
    /** Each session's source connection: open after its client's while the source's last answers are read. */
    private final ChannelGroup sources = new DefaultChannelGroup("tandem-sources", GlobalEventExecutor.INSTANCE);
    private final SourceConnector connector;
    private final CancelForwarder cancels;
    private final HeldFrameBudget heldBudget;
    private final SessionTap.Factory taps;
    private final AtomicLong sessionIds = new AtomicLong();
    private Channel server;

    public ProxyServer(RelaySettings settings, RelayMetrics metrics) {
        this(settings, metrics, null);
    }

    /** @param taps gives the mirror its view of each session; null relays only */
    public ProxyServer(RelaySettings settings, RelayMetrics metrics, SessionTap.Factory taps) {
        this.settings = settings;
        this.metrics = metrics;
        this.taps = taps;
        this.group = settings.transport().newGroup(ioThreads(settings.ioThreads()));
        this.connector = new SourceConnector(settings);
        this.cancels = new CancelForwarder(connector);
        this.heldBudget = new HeldFrameBudget(settings.maxHeldBytes());
        metrics.heldMessages(heldBudget);
    }

    /**
     * Event loops to run: as asked, or by default one per two cores. Measured on 2 cores with pgbench: one loop
     * carrying every session beat Netty's default of two per core by 15-35 % (fewer wake-ups, more events per
     * epoll_wait), and beat PgBouncer; the database and the clients need the other core.
     */
    static int ioThreads(int configured) {
        return configured > 0 ? configured : Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    }

    public ProxyServer start() throws InterruptedException {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(settings.transport().serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, SourceConnector.WATER_MARK)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        accept(ch);
                    }
                });
        ChannelFuture bind = bootstrap.bind(settings.listen()).await();
        if (!bind.isSuccess()) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            Throwable cause = bind.cause();
            // Netty's own words ("bind(..) failed with error(-98)") name neither the address nor the setting
            String message = "cannot listen for clients on " + settings.listen().getHostString() + ":"
                    + settings.listen().getPort() + " (listen, --listen): " + cause.getMessage()
                    + "; if another process holds that address, stop it or choose another";
            throw new UncheckedIOException(message, cause instanceof IOException io ? io : new IOException(cause));
        }
        server = bind.channel();
        log.info("Tandem proxy listening on {}:{} ({} transport), relaying to {}:{}", address().getHostString(),
                address().getPort(), settings.transport(), settings.source().getHostString(), settings.source().getPort());
        return this;
    }

    private void accept(Channel ch) {
        if (metrics.activeConnections() >= settings.maxConnections()) {
            metrics.connectionError("too_many_connections");
            ch.writeAndFlush(ErrorResponse.fatal("53300", "sorry, too many clients already").encode(ch.alloc()))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        metrics.connectionOpened();
        clients.add(ch);
        ch.closeFuture().addListener(f -> metrics.connectionClosed());
        if (!settings.authTimeout().isZero()) {
            ScheduledFuture<?> deadline = ch.eventLoop().schedule(() -> authDeadline(ch),
                    settings.authTimeout().toMillis(), TimeUnit.MILLISECONDS);
            ch.closeFuture().addListener(f -> deadline.cancel(false));
        }
        if (!settings.idleTimeout().isZero()) {
            ch.pipeline().addLast("idle", new IdleStateHandler(0, 0, settings.idleTimeout().toMillis(),
                    TimeUnit.MILLISECONDS));
        }
        ch.pipeline().addLast("direct-tls", new DirectTlsDetector(settings.clientTls(), metrics));
        ch.pipeline().addLast("startup", new ClientStartupHandler(settings, metrics, heldBudget, connector, cancels,
                taps, sources, sessionIds.incrementAndGet()));
    }

    /** Limits how long an unauthenticated peer may hold a connection, from accept to the first ReadyForQuery. */
    private void authDeadline(Channel ch) {
        RelaySession session = ch.attr(SESSION).get();
        if (session != null) {
            session.authTimedOut();
        } else if (ch.isActive()) {
            metrics.connectionError("auth_timeout");
            ch.writeAndFlush(ErrorResponse.fatal("08P01", RelaySession.authTimeoutMessage(settings)).encode(ch.alloc()))
                    .addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** The bound address (the real port when configured with port 0). */
    public InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    public int activeConnections() {
        return metrics.activeConnections();
    }

    @Override
    public void close() {
        close(settings.shutdownGrace());
    }

    /**
     * Stops accepting, waits up to {@code grace} for sessions to end, then ends the rest. Returns within {@code grace}
     * plus {@code limits.drain-timeout} plus the few seconds a closing connection may take to flush.
     */
    public void close(Duration grace) {
        if (server != null) {
            server.close().syncUninterruptibly();
        }
        if (!clients.isEmpty()) {
            // said at once: a stop that waits out the grace period in silence looks like a hung proxy
            log.info("stopping: new connections are refused; waiting up to {} s (shutdown.grace-period) for {} open"
                    + " session(s) to end", grace.toMillis() / 1000.0, clients.size());
        }
        awaitSessions(grace);
        if (!clients.isEmpty()) {
            log.info("ending {} session(s) still open after the {} s grace period", clients.size(), grace.toSeconds());
            for (Channel ch : clients) {
                ch.eventLoop().execute(() -> {
                    RelaySession session = ch.attr(SESSION).get();
                    if (session != null) {
                        session.shutdown();
                    } else {
                        ch.close();
                    }
                });
            }
        }
        awaitSessions(UNANNOUNCED_DRAIN);
        if (!sources.isEmpty()) {
            // sessions reading their source's last answers: each ends by its drain timer at the latest, then flushes
            // for a bounded time (RelaySession.closeAfterFlush)
            log.info("waiting up to {} s (limits.drain-timeout) for the source to answer what {} session(s) sent before"
                    + " they ended", settings.drainTimeout().toSeconds(), sources.size());
        }
        awaitSessions(settings.drainTimeout().plus(AFTER_DRAIN));
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        cancels.close();
    }

    /** Waits until every client and source connection is closed, or {@code timeout} passed. */
    private void awaitSessions(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while ((!clients.isEmpty() || !sources.isEmpty()) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
