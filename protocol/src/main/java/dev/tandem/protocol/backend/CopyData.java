package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCounted;

/**
 * CopyData ('d'): COPY TO STDOUT data from the server (or COPY BOTH data), kept as a buffer without copying.
 *
 * <p>Ownership: a CopyData owns one reference to {@code data}; {@link #decode} takes a retained slice of the frame,
 * so the frame and the message are released independently. Release the message when done (its reference-counting
 * methods act on {@code data}); {@link #encode} copies the bytes and does not release it.
 */
public record CopyData(ByteBuf data) implements BackendMessage, ReferenceCounted {

    public static final byte TYPE = 'd';

    /** The caller owns the returned message and must release it. */
    public static CopyData decode(ByteBuf frame) {
        return new CopyData(MessageBody.typed(frame, TYPE, "CopyData").readRetainedSliceOfRest());
    }

    @Override
    public void encode(ByteBuf out) {
        int lengthAt = MessageWriter.begin(out, TYPE);
        out.writeBytes(data, data.readerIndex(), data.readableBytes());
        MessageWriter.end(out, lengthAt);
    }

    @Override
    public int refCnt() {
        return data.refCnt();
    }

    @Override
    public CopyData retain() {
        data.retain();
        return this;
    }

    @Override
    public CopyData retain(int increment) {
        data.retain(increment);
        return this;
    }

    @Override
    public CopyData touch() {
        data.touch();
        return this;
    }

    @Override
    public CopyData touch(Object hint) {
        data.touch(hint);
        return this;
    }

    @Override
    public boolean release() {
        return data.release();
    }

    @Override
    public boolean release(int decrement) {
        return data.release(decrement);
    }

    /** Shows the size only: COPY rows are application data. */
    @Override
    public String toString() {
        return "CopyData[" + data.readableBytes() + " bytes]";
    }
}
