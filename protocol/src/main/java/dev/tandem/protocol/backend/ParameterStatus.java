package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;

/** ParameterStatus ('S'): the current value of a run-time parameter the server reports (server_version, TimeZone...). */
public record ParameterStatus(String name, String value) implements BackendMessage {

    public static final byte TYPE = 'S';

    public static ParameterStatus decode(ByteBuf frame) {
        MessageBody body = MessageBody.typed(frame, TYPE, "ParameterStatus");
        ParameterStatus message = new ParameterStatus(body.readCString("parameter name"),
                body.readCString("parameter value"));
        body.expectEnd();
        return message;
    }

    @Override
    public void encode(ByteBuf out) {
        int lengthAt = MessageWriter.begin(out, TYPE);
        MessageWriter.cString(out, name);
        MessageWriter.cString(out, value);
        MessageWriter.end(out, lengthAt);
    }
}
