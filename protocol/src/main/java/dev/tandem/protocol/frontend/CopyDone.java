package dev.tandem.protocol.frontend;

import dev.tandem.protocol.backend.MessageBody;
import dev.tandem.protocol.backend.MessageWriter;
import io.netty.buffer.ByteBuf;

/** CopyDone ('c'): the client finished sending COPY FROM STDIN data. It has no body, so it is a singleton. */
public final class CopyDone implements FrontendMessage {

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
