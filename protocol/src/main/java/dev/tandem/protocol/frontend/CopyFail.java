package dev.tandem.protocol.frontend;

import dev.tandem.protocol.backend.MessageBody;
import dev.tandem.protocol.backend.MessageWriter;
import io.netty.buffer.ByteBuf;

/** CopyFail ('f'): the client aborts COPY FROM STDIN; the server fails the COPY with this message. */
public record CopyFail(String message) implements FrontendMessage {

    public static final byte TYPE = 'f';

    public static CopyFail decode(ByteBuf frame) {
        MessageBody body = MessageBody.typed(frame, TYPE, "CopyFail");
        CopyFail message = new CopyFail(body.readCString("error message"));
        body.expectEnd();
        return message;
    }

    @Override
    public void encode(ByteBuf out) {
        int lengthAt = MessageWriter.begin(out, TYPE);
        MessageWriter.cString(out, message);
        MessageWriter.end(out, lengthAt);
    }
}
