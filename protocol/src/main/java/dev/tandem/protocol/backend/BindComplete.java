package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;

/** BindComplete ('2'): the server accepted a Bind. It has no body, so it is a singleton. */
public final class BindComplete implements BackendMessage {

    public static final byte TYPE = '2';
    public static final BindComplete INSTANCE = new BindComplete();

    private BindComplete() {
    }

    public static BindComplete decode(ByteBuf frame) {
        MessageBody.typed(frame, TYPE, "BindComplete").expectEnd();
        return INSTANCE;
    }

    @Override
    public void encode(ByteBuf out) {
        MessageWriter.empty(out, TYPE);
    }

    @Override
    public String toString() {
        return "BindComplete";
    }
}
