package dev.tandem.protocol.frontend;

import dev.tandem.protocol.backend.MessageBody;
import dev.tandem.protocol.backend.MessageWriter;
import io.netty.buffer.ByteBuf;

/** Flush ('H'): asks the server to send what it has buffered without ending the batch. It has no body, so it is a singleton. */
public final class Flush implements FrontendMessage {

    public static final byte TYPE = 'H';
    public static final Flush INSTANCE = new Flush();

    private Flush() {
    }

    public static Flush decode(ByteBuf frame) {
        MessageBody.typed(frame, TYPE, "Flush").expectEnd();
        return INSTANCE;
    }

    @Override
    public void encode(ByteBuf out) {
        MessageWriter.empty(out, TYPE);
    }

    @Override
    public String toString() {
        return "Flush";
    }
}
