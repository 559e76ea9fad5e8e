package dev.tandem.protocol.client;

import dev.tandem.protocol.backend.BackendKeyData;
import dev.tandem.protocol.backend.BackendMessage;
import dev.tandem.protocol.backend.TransactionStatus;
import dev.tandem.protocol.frontend.Query;
import dev.tandem.protocol.frontend.Terminate;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.util.ReferenceCountUtil;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;

/**
 * An authenticated session with one PostgreSQL server that sends pre-encoded frontend frames and returns the
 * backend messages they caused. Thread-safe: calls from any thread are handed to the channel's event loop, and no
 * method blocks.
 *
 * <p>Requests pipeline: each {@link #exchange} is queued FIFO and completed by the next ReadyForQuery, so every
 * exchange must end with Sync or a Query (otherwise it would take the next exchange's ReadyForQuery). When the
 * connection is lost, all pending exchanges fail with a {@link PgException} of SQLSTATE
 * {@value PgException#CONNECTION_FAILURE}.
 */
public final class PgConnection {

    private final Channel channel;
    private final PgClientConfig config;
    private final Map<String, String> parameters;
    private final BackendKeyData keyData;
    private final ExchangeHandler handler;

    PgConnection(Channel channel, PgClientConfig config, Map<String, String> parameters, BackendKeyData keyData,
                 TransactionStatus status) {
        this.channel = channel;
        this.config = config;
        this.parameters = new ConcurrentHashMap<>(parameters);
        this.keyData = keyData;
        this.handler = new ExchangeHandler(config.host() + ":" + config.port(), this.parameters, status);
    }

    ExchangeHandler handler() {
        return handler;
    }

    /**
     * Writes the frames, after those of the exchanges before it (in one flush, unless they are more than the socket
     * takes at once: then as it takes them, see {@link FrameQueue}), and completes with every backend message received
     * up to and including the next ReadyForQuery; an ErrorResponse is one of those messages, not a failure.
     *
     * @param frames whole frontend frames; ownership passes to this method, which releases them in every case
     * @return the messages; the caller owns them and must release any that are reference-counted
     *     ({@code list.forEach(ReferenceCountUtil::release)}: CopyData holds a buffer, the others are no-ops)
     */
    public CompletableFuture<List<BackendMessage>> exchange(List<ByteBuf> frames) {
        CompletableFuture<List<BackendMessage>> result = new CompletableFuture<>();
        if (frames.isEmpty()) {
            result.completeExceptionally(new IllegalArgumentException("an exchange needs at least one frame"));
            return result;
        }
        try {
            if (channel.eventLoop().inEventLoop()) {
                send(frames, result);
            } else {
                channel.eventLoop().execute(() -> send(frames, result));
            }
        } catch (RejectedExecutionException e) {
            frames.forEach(ReferenceCountUtil::release);
            result.completeExceptionally(PgException.connectionLost("event loop of the connection to "
                    + config.host() + ":" + config.port() + " is shut down", e));
        }
        return result;
    }

    private void send(List<ByteBuf> frames, CompletableFuture<List<BackendMessage>> result) {
        if (!channel.isActive()) {
            frames.forEach(ReferenceCountUtil::release);
            result.completeExceptionally(PgException.connectionLost("connection to " + config.host() + ":"
                    + config.port() + " is closed", null));
            return;
        }
        if (!handler.enqueue(result)) {
            frames.forEach(ReferenceCountUtil::release);
            return;
        }
        // a failed write fires exceptionCaught, which fails every pending exchange and closes the channel
        handler.send(channel, frames);
    }

    /** Runs {@code sql} with the simple query protocol (one or more statements). */
    public CompletableFuture<List<BackendMessage>> simpleQuery(String sql) {
        ByteBuf frame = channel.alloc().buffer();
        try {
            new Query(sql).encode(frame);
        } catch (RuntimeException e) {
            frame.release();
            throw e;
        }
        return exchange(List.of(frame));
    }

    /** The status of the last ReadyForQuery received. */
    public TransactionStatus transactionStatus() {
        return handler.status();
    }

    public boolean isOpen() {
        return channel.isActive();
    }

    /** The run-time parameters the server reported (server_version, TimeZone, ...), kept current. */
    public Map<String, String> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    /** The cancel key of this session, or null if the server sent none. */
    public BackendKeyData backendKeyData() {
        return keyData;
    }

    /** Sends Terminate and closes; completes when the channel is closed. Pending exchanges fail with 08006. */
    public CompletableFuture<Void> close() {
        if (channel.eventLoop().isShuttingDown()) {
            // the event loop closes its channels as it ends, and could not run a listener any more
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> closed = new CompletableFuture<>();
        channel.closeFuture().addListener(f -> closed.complete(null));
        if (channel.isActive()) {
            ByteBuf terminate = channel.alloc().buffer(5);
            Terminate.INSTANCE.encode(terminate);
            channel.writeAndFlush(terminate).addListener(f -> channel.close());
        } else {
            channel.close();
        }
        return closed;
    }

    @Override
    public String toString() {
        return "PgConnection[" + config.user() + "@" + config.host() + ":" + config.port() + "/" + config.database()
                + (isOpen() ? "" : ", closed") + "]";
    }
}
