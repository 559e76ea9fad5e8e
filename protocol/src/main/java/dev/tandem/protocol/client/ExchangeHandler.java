package dev.tandem.protocol.client;

import dev.tandem.protocol.backend.BackendMessage;
import dev.tandem.protocol.backend.ErrorResponse;
import dev.tandem.protocol.backend.ParameterStatus;
import dev.tandem.protocol.backend.ReadyForQuery;
import dev.tandem.protocol.backend.TransactionStatus;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Pairs backend messages with pending exchanges after startup: the server answers requests in order, so every
 * message belongs to the oldest pending exchange, and each ReadyForQuery completes it (pgjdbc's FIFO pairing).
 *
 * <p>All state is confined to the channel's event loop; {@link PgConnection} submits exchanges through it.
 * Messages that arrive with no exchange pending (ParameterStatus after a SET, NoticeResponse, NotificationResponse,
 * the FATAL before a shutdown) update the session state or are dropped.
 */
final class ExchangeHandler extends ChannelInboundHandlerAdapter {

    private final String server;
    private final Map<String, String> parameters;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private final FrameQueue frames = new FrameQueue();
    private volatile TransactionStatus status;
    private ErrorResponse lastFatal;
    private PgException closedBy;

    private record Pending(CompletableFuture<List<BackendMessage>> result, List<BackendMessage> messages) {
    }

    ExchangeHandler(String server, Map<String, String> parameters, TransactionStatus status) {
        this.server = server;
        this.parameters = parameters;
        this.status = status;
    }

    TransactionStatus status() {
        return status;
    }

    /** Registers an exchange whose frames are about to be written, or fails it when the connection is gone. */
    boolean enqueue(CompletableFuture<List<BackendMessage>> result) {
        if (closedBy != null) {
            result.completeExceptionally(closedBy);
            return false;
        }
        pending.add(new Pending(result, new ArrayList<>()));
        return true;
    }

    /** Writes an enqueued exchange's frames after those of the exchanges before it; takes them over. */
    void send(Channel channel, List<ByteBuf> exchangeFrames) {
        frames.send(channel, exchangeFrames);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        frames.resume(ctx.channel());
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        BackendMessage message;
        try {
            message = BackendMessage.decode(frame);
        } catch (IllegalArgumentException e) {
            failAll(PgException.client(PgException.PROTOCOL_VIOLATION, "malformed message from " + server + ": "
                    + e.getMessage(), e));
            ctx.close();
            return;
        } finally {
            frame.release();
        }
        route(message);
    }

    private void route(BackendMessage message) {
        if (message instanceof ParameterStatus p) {
            parameters.put(p.name(), p.value());
        } else if (message instanceof ErrorResponse e && "FATAL".equals(e.severity())) {
            lastFatal = e;
        }
        Pending head = pending.peek();
        if (head == null) {
            ReferenceCountUtil.release(message);
            return;
        }
        head.messages().add(message);
        if (message instanceof ReadyForQuery ready) {
            status = ready.status();
            pending.remove();
            head.result().complete(head.messages());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        failAll(PgException.connectionLost("connection to " + server + " closed"
                + (lastFatal != null ? " after: " + lastFatal.message() : ""), null));
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        failAll(PgException.connectionLost("connection to " + server + " failed: " + SocketFailure.describe(cause),
                cause));
        ctx.close();
    }

    private void failAll(PgException e) {
        if (closedBy == null) {
            closedBy = e;
        }
        frames.discard();
        for (Pending p; (p = pending.poll()) != null; ) {
            p.messages().forEach(ReferenceCountUtil::release);
            p.result().completeExceptionally(closedBy);
        }
    }
}
