package dev.tandem.protocol.frontend;

import dev.tandem.protocol.backend.MessageBody;
import dev.tandem.protocol.backend.MessageWriter;
import io.netty.buffer.ByteBuf;
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
        MessageBody body = MessageBody.typed(frame, TYPE, "Parse");
        Parse message = new Parse(body.readCString("statement name"), body.readCString("query string"),
                body.readIntList("parameter type"));
        body.expectEnd();
        return message;
    }

    @Override
    public void encode(ByteBuf out) {
        int lengthAt = MessageWriter.begin(out, TYPE);
        MessageWriter.cString(out, name);
        MessageWriter.cString(out, sql);
        MessageWriter.intList(out, parameterTypes);
        MessageWriter.end(out, lengthAt);
    }
}
