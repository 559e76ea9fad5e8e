package dev.tandem.protocol.frontend;

import dev.tandem.protocol.backend.MessageBody;
import dev.tandem.protocol.backend.MessageWriter;
import io.netty.buffer.ByteBuf;

/** Query ('Q'): a simple-protocol query string, possibly several statements separated by semicolons. */
public record Query(String sql) implements FrontendMessage {

    public static final byte TYPE = 'Q';

    public static Query decode(ByteBuf frame) {
        MessageBody body = MessageBody.typed(frame, TYPE, "Query");
        Query message = new Query(body.readCString("query string"));
        body.expectEnd();
        return message;
    }

    @Override
    public void encode(ByteBuf out) {
        int lengthAt = MessageWriter.begin(out, TYPE);
        MessageWriter.cString(out, sql);
        MessageWriter.end(out, lengthAt);
    }
}
