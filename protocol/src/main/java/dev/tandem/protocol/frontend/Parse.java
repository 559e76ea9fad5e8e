package dev.tandem.protocol.frontend;

import dev.tandem.protocol.backend.MessageBody;
import dev.tandem.protocol.backend.MessageWriter;
import io.netty.buffer.ByteBuf;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Parse ('P'): prepares {@code sql} as the statement {@code name} ("" for the unnamed one).
 *
 * @param parameterTypes the OIDs the client fixes for the first parameters; 0 leaves a type to the server
 */
public record Parse(String name, String sql, List<Integer> parameterTypes) implements FrontendMessage {

    public static final byte TYPE = 'P';

    public Parse {
        parameterTypes = List.copyOf(parameterTypes);
    }

    public static Parse decode(ByteBuf frame) {
        return decode(frame, StandardCharsets.UTF_8);
    }

    /** @param charset the session's {@code client_encoding}, in which the server reads names and query string */
    public static Parse decode(ByteBuf frame, Charset charset) {
        MessageBody body = MessageBody.typed(frame, TYPE, "Parse");
        Parse message = new Parse(body.readCString("statement name", charset),
                body.readCString("query string", charset), body.readIntList("parameter type"));
        body.expectEnd();
        return message;
    }

    @Override
    public void encode(ByteBuf out) {
        encode(out, StandardCharsets.UTF_8);
    }

    /** @param charset the connection's {@code client_encoding} */
    public void encode(ByteBuf out, Charset charset) {
        int lengthAt = MessageWriter.begin(out, TYPE);
        MessageWriter.cString(out, name, charset);
        MessageWriter.cString(out, sql, charset);
        MessageWriter.intList(out, parameterTypes);
        MessageWriter.end(out, lengthAt);
    }
}
