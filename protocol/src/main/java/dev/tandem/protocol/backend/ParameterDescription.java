package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;
import java.util.List;

/** ParameterDescription ('t'): the type OID of each parameter of a described statement. */
public record ParameterDescription(List<Integer> typeOids) implements BackendMessage {

    public static final byte TYPE = 't';

    public ParameterDescription {
        typeOids = List.copyOf(typeOids);
    }

    public static ParameterDescription decode(ByteBuf frame) {
        MessageBody body = MessageBody.typed(frame, TYPE, "ParameterDescription");
        ParameterDescription message = new ParameterDescription(body.readIntList("parameter type"));
        body.expectEnd();
        return message;
    }

    @Override
    public void encode(ByteBuf out) {
        int lengthAt = MessageWriter.begin(out, TYPE);
        MessageWriter.intList(out, typeOids);
        MessageWriter.end(out, lengthAt);
    }
}
