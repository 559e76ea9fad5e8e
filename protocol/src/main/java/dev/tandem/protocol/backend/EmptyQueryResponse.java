package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;

/** EmptyQueryResponse ('I'): answers an empty query string in place of CommandComplete. It has no body, so it is a singleton. */
public final class EmptyQueryResponse implements BackendMessage {

    public static final byte TYPE = 'I';
    public static final EmptyQueryResponse INSTANCE = new EmptyQueryResponse();

    private EmptyQueryResponse() {
    }

    public static EmptyQueryResponse decode(ByteBuf frame) {
        MessageBody.typed(frame, TYPE, "EmptyQueryResponse").expectEnd();
        return INSTANCE;
    }

    @Override
    public void encode(ByteBuf out) {
        MessageWriter.empty(out, TYPE);
    }

    @Override
    public String toString() {
        return "EmptyQueryResponse";
    }
}
