package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;

/** NoData ('n'): the described statement or portal returns no rows. It has no body, so it is a singleton. */
public final class NoData implements BackendMessage {

    public static final byte TYPE = 'n';
    public static final NoData INSTANCE = new NoData();

    private NoData() {
    }

    public static NoData decode(ByteBuf frame) {
        MessageBody.typed(frame, TYPE, "NoData").expectEnd();
        return INSTANCE;
    }

    @Override
    public void encode(ByteBuf out) {
        MessageWriter.empty(out, TYPE);
    }

    @Override
    public String toString() {
        return "NoData";
    }
}
