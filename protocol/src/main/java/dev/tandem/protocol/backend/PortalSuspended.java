package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;

/** PortalSuspended ('s'): Execute stopped at its row limit; the portal can be executed again. It has no body, so it is a singleton. */
public final class PortalSuspended implements BackendMessage {

    public static final byte TYPE = 's';
    public static final PortalSuspended INSTANCE = new PortalSuspended();

    private PortalSuspended() {
    }

    public static PortalSuspended decode(ByteBuf frame) {
        MessageBody.typed(frame, TYPE, "PortalSuspended").expectEnd();
        return INSTANCE;
    }

    @Override
    public void encode(ByteBuf out) {
        MessageWriter.empty(out, TYPE);
    }

    @Override
    public String toString() {
        return "PortalSuspended";
    }
}
