package dev.tandem.protocol.frontend;

import dev.tandem.protocol.backend.MessageBody;
import dev.tandem.protocol.frame.StartupCodes;
import io.netty.buffer.ByteBuf;

/** SSLRequest: asks the server to switch to TLS; it answers with the single byte 'S' or 'N'. A startup-phase message: no type byte, length 8, then the request code. */
public final class SSLRequest implements FrontendMessage {

    public static final int CODE = StartupCodes.SSL_REQUEST;
    public static final SSLRequest INSTANCE = new SSLRequest();

    private SSLRequest() {
    }

    public static SSLRequest decode(ByteBuf frame) {
        MessageBody.request(frame, CODE, "SSLRequest").expectEnd();
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
