package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;

/** ParseComplete ('1'): the server accepted a Parse. It has no body, so it is a singleton. */
public final class ParseComplete implements BackendMessage {

    public static final byte TYPE = '1';
    public static final ParseComplete INSTANCE = new ParseComplete();

    private ParseComplete() {
    }

    public static ParseComplete decode(ByteBuf frame) {
        MessageBody.typed(frame, TYPE, "ParseComplete").expectEnd();
        return INSTANCE;
    }

    @Override
    public void encode(ByteBuf out) {
        MessageWriter.empty(out, TYPE);
    }

    @Override
    public String toString() {
        return "ParseComplete";
    }
}
