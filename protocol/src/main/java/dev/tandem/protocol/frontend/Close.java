package dev.tandem.protocol.frontend;

import dev.tandem.protocol.backend.MessageBody;
import dev.tandem.protocol.backend.MessageWriter;
import io.netty.buffer.ByteBuf;

/** Close ('C'): closes a prepared statement or portal ("" for the unnamed one). */
public record Close(StatementOrPortal kind, String name) implements FrontendMessage {

    public static final byte TYPE = 'C';

    public Close {
        if (kind == null) {
            throw new IllegalArgumentException("Close: kind is required");
        }
    }

    public static Close decode(ByteBuf frame) {
        MessageBody body = MessageBody.typed(frame, TYPE, "Close");
        Close message = new Close(StatementOrPortal.read(body), body.readCString("name"));
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
