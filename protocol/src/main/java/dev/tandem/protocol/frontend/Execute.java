package dev.tandem.protocol.frontend;

import dev.tandem.protocol.backend.MessageBody;
import dev.tandem.protocol.backend.MessageWriter;
import io.netty.buffer.ByteBuf;

/** Execute ('E'): runs a portal ("" for the unnamed one), returning at most {@code maxRows} rows (0 = all). */
public record Execute(String portal, int maxRows) implements FrontendMessage {

    public static final byte TYPE = 'E';

    public static Execute decode(ByteBuf frame) {
        MessageBody body = MessageBody.typed(frame, TYPE, "Execute");
        Execute message = new Execute(body.readCString("portal name"), body.readInt());
        body.expectEnd();
        return message;
    }

    @Override
    public void encode(ByteBuf out) {
        int lengthAt = MessageWriter.begin(out, TYPE);
        MessageWriter.cString(out, portal);
        out.writeInt(maxRows);
        MessageWriter.end(out, lengthAt);
    }
}
