package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCounted;

/**
 * A message that keeps its payload as a buffer, without copying: the CopyData of either direction.
 *
 * <p>Ownership: the message owns one reference to {@link #data()}; its {@code decode} takes a retained slice of the
 * frame, so the frame and the message are released independently. Release the message when done (its
 * reference-counting methods act on {@code data}); {@code encode} copies the bytes and does not release it.
 */
public interface BufferMessage extends ReferenceCounted {

    ByteBuf data();

    @Override
    default int refCnt() {
        return data().refCnt();
    }

    @Override
    default BufferMessage retain() {
        data().retain();
        return this;
    }

    @Override
    default BufferMessage retain(int increment) {
        data().retain(increment);
        return this;
    }

    @Override
    default BufferMessage touch() {
        data().touch();
        return this;
    }

    @Override
    default BufferMessage touch(Object hint) {
        data().touch(hint);
        return this;
    }

    @Override
    default boolean release() {
        return data().release();
    }

    @Override
    default boolean release(int decrement) {
        return data().release(decrement);
    }
}
