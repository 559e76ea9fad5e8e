package dev.tandem.proxy.relay;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.EventLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a client's CancelRequest to the source on a connection of its own. The process id and secret key are the
 * source's own (BackendKeyData is relayed unchanged), so no mapping is needed.
 */
final class CancelForwarder {

    private static final Logger log = LoggerFactory.getLogger(CancelForwarder.class);

    private final SourceConnector connector;

    CancelForwarder(SourceConnector connector) {
        this.connector = connector;
    }

    /** @param request the whole CancelRequest packet; ownership passes to this method */
    void forward(EventLoop loop, ByteBuf request) {
        connector.connect(loop).addListener(f -> {
            if (!f.isSuccess()) {
                request.release();
                log.warn("could not forward a cancel request to the source: {}", f.cause().getMessage());
                return;
            }
            Channel source = (Channel) f.getNow();
            source.writeAndFlush(request).addListener(ChannelFutureListener.CLOSE);
        });
    }
}
