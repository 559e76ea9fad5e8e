package dev.tandem.protocol.frontend;

import dev.tandem.protocol.backend.MessageBody;
import dev.tandem.protocol.backend.MessageWriter;
import io.netty.buffer.ByteBuf;

/** Terminate ('X'): the client is closing the connection. It has no body, so it is a singleton. */
public final class Terminate implements FrontendMessage {

    public static final byte TYPE = 'X';
    public static final Terminate INSTANCE = new Terminate();

    private Terminate() {
    }

    public static Terminate decode(ByteBuf frame) {
        MessageBody.typed(frame, TYPE, "Terminate").expectEnd();
        return INSTANCE;
    }

    @Override
    public void encode(ByteBuf out) {
        MessageWriter.empty(out, TYPE);
    }

    @Override
    public String toString() {
        return "Terminate";
    }
}
