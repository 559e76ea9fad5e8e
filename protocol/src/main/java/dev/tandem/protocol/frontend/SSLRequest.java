package dev.tandem.protocol.frontend;

import dev.tandem.protocol.backend.MessageBody;
import io.netty.buffer.ByteBuf;

/** SSLRequest: asks the server to switch to TLS; it answers with the single byte 'S' or 'N'. A startup-phase message: no type byte, length 8, then the request code. */
public final class SSLRequest implements FrontendMessage {

    public static final int CODE = 80877103;
    public static final SSLRequest INSTANCE = new SSLRequest();

    private SSLRequest() {
    }

    public static SSLRequest decode(ByteBuf frame) {
        MessageBody body = MessageBody.untyped(frame, "SSLRequest");
        int code = body.readInt();
        if (code != CODE) {
            throw body.malformed("request code " + code + " is not " + CODE);
        }
        body.expectEnd();
        return INSTANCE;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeInt(8);
        out.writeInt(CODE);
    }

    @Override
    public String toString() {
        return "SSLRequest";
    }
}
