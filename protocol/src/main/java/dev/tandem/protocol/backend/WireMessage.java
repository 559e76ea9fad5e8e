package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * What every message of either direction ({@link BackendMessage}, {@code FrontendMessage}) does: write itself as one
 * frame.
 */
public interface WireMessage {

    /** Appends this message as one frame. */
    void encode(ByteBuf out);

    /** A new buffer holding this message as one frame; the caller owns it. */
    default ByteBuf encode(ByteBufAllocator alloc) {
        ByteBuf out = alloc.buffer();
        try {
            encode(out);
            return out;
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
    }
}
