package dev.tandem.proxy.relay;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.EventLoop;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a client's CancelRequest to the source on a connection of its own. The process id and secret key are the
 * source's own (BackendKeyData is relayed unchanged), so no mapping is needed.
 *
 * <p>A request is owned here until it is written or dropped. One still waiting for its connection when the proxy stops
 * (the event loops end without completing that connection) is released by {@link #close()}.
 */
final class CancelForwarder implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CancelForwarder.class);

    private final SourceConnector connector;
    private final Set<ByteBuf> pending = ConcurrentHashMap.newKeySet();

    CancelForwarder(SourceConnector connector) {
        this.connector = connector;
    }

    /** @param request the whole CancelRequest packet; ownership passes to this method */
    void forward(EventLoop loop, ByteBuf request) {
        pending.add(request);
        connector.connect(loop).addListener(f -> {
            if (!pending.remove(request)) {
                return; // released by close()
            }
            if (!f.isSuccess()) {
                request.release();
                log.warn("could not forward a cancel request to the source: {}", f.cause().getMessage());
                return;
            }
            Channel source = (Channel) f.getNow();
            source.writeAndFlush(request).addListener(ChannelFutureListener.CLOSE);
        });
    }

    /** Releases the requests whose connection never completed; call once the event loops have ended. */
    @Override
    public void close() {
        for (ByteBuf request : pending) {
            if (pending.remove(request)) {
                request.release();
            }
        }
    }
}
