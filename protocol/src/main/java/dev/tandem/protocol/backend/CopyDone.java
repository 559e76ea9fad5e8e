package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;

/** CopyDone ('c'): the server finished sending COPY data. It has no body, so it is a singleton. */
public final class CopyDone implements BackendMessage {

    public static final byte TYPE = 'c';
    public static final CopyDone INSTANCE = new CopyDone();

    private CopyDone() {
    }

    public static CopyDone decode(ByteBuf frame) {
        MessageBody.typed(frame, TYPE, "CopyDone").expectEnd();
        return INSTANCE;
    }

    @Override
    public void encode(ByteBuf out) {
        MessageWriter.empty(out, TYPE);
    }

    @Override
    public String toString() {
        return "CopyDone";
    }
}
