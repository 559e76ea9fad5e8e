package dev.tandem.protocol.frontend;

import dev.tandem.protocol.backend.MessageBody;
import dev.tandem.protocol.frame.StartupCodes;
import io.netty.buffer.ByteBuf;

/** GSSENCRequest: asks the server to switch to GSSAPI encryption; it answers 'G' or 'N'. A startup-phase message: no type byte, length 8, then the request code. */
public final class GSSENCRequest implements FrontendMessage {

    public static final int CODE = StartupCodes.GSSENC_REQUEST;
    public static final GSSENCRequest INSTANCE = new GSSENCRequest();

    private GSSENCRequest() {
    }

    public static GSSENCRequest decode(ByteBuf frame) {
        MessageBody.request(frame, CODE, "GSSENCRequest").expectEnd();
        return INSTANCE;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeInt(8);
        out.writeInt(CODE);
    }

    @Override
    public String toString() {
        return "GSSENCRequest";
    }
}
