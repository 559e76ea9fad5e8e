package dev.tandem.protocol.frontend;

import dev.tandem.protocol.backend.MessageBody;
import dev.tandem.protocol.backend.MessageWriter;
import io.netty.buffer.ByteBuf;

/** Describe ('D'): asks for the parameter and/or row description of a statement or portal. */
public record Describe(StatementOrPortal kind, String name) implements FrontendMessage {

    public static final byte TYPE = 'D';

    public Describe {
        if (kind == null) {
            throw new IllegalArgumentException("Describe: kind is required");
        }
    }

    public static Describe decode(ByteBuf frame) {
        MessageBody body = MessageBody.typed(frame, TYPE, "Describe");
        Describe message = new Describe(StatementOrPortal.read(body), body.readCString("name"));
        body.expectEnd();
        return message;
    }

    @Override
    public void encode(ByteBuf out) {
        int lengthAt = MessageWriter.begin(out, TYPE);
        out.writeByte(kind.code());
        MessageWriter.cString(out, name);
        MessageWriter.end(out, lengthAt);
    }
}
