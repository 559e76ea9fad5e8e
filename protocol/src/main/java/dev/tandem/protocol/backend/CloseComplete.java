package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;

/** CloseComplete ('3'): the server closed a statement or portal. It has no body, so it is a singleton. */
public final class CloseComplete implements BackendMessage {

    public static final byte TYPE = '3';
    public static final CloseComplete INSTANCE = new CloseComplete();

    private CloseComplete() {
    }

    public static CloseComplete decode(ByteBuf frame) {
        MessageBody.typed(frame, TYPE, "CloseComplete").expectEnd();
        return INSTANCE;
    }

    @Override
    public void encode(ByteBuf out) {
        MessageWriter.empty(out, TYPE);
    }

    @Override
    public String toString() {
        return "CloseComplete";
    }
}
