package dev.tandem.protocol.frontend;

import dev.tandem.protocol.backend.MessageBody;
import dev.tandem.protocol.backend.MessageWriter;
import io.netty.buffer.ByteBuf;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

/** Query ('Q'): a simple-protocol query string, possibly several statements separated by semicolons. */
public record Query(String sql) implements FrontendMessage {

    public static final byte TYPE = 'Q';

    public static Query decode(ByteBuf frame) {
        return decode(frame, StandardCharsets.UTF_8);
    }

    /** @param charset the session's {@code client_encoding}, in which the server reads the query string */
    public static Query decode(ByteBuf frame, Charset charset) {
        MessageBody body = MessageBody.typed(frame, TYPE, "Query");
        Query message = new Query(body.readCString("query string", charset));
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
