package dev.tandem.protocol.frontend;

import dev.tandem.protocol.backend.MessageBody;
import dev.tandem.protocol.backend.MessageWriter;
import io.netty.buffer.ByteBuf;

/** Sync ('S'): ends an extended-query batch; the server answers with ReadyForQuery (after an error it skips to here). It has no body, so it is a singleton. */
public final class Sync implements FrontendMessage {

    public static final byte TYPE = 'S';
    public static final Sync INSTANCE = new Sync();

    private Sync() {
    }

    public static Sync decode(ByteBuf frame) {
        MessageBody.typed(frame, TYPE, "Sync").expectEnd();
        return INSTANCE;
    }

    @Override
    public void encode(ByteBuf out) {
        MessageWriter.empty(out, TYPE);
    }

    @Override
    public String toString() {
        return "Sync";
    }
}
