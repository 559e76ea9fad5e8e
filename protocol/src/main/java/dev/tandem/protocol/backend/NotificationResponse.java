package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;

/** NotificationResponse ('A'): a NOTIFY on a channel this session LISTENs to, sent by process {@code processId}. */
public record NotificationResponse(int processId, String channel, String payload) implements BackendMessage {

    public static final byte TYPE = 'A';

    public static NotificationResponse decode(ByteBuf frame) {
        MessageBody body = MessageBody.typed(frame, TYPE, "NotificationResponse");
        NotificationResponse message = new NotificationResponse(body.readInt(), body.readCString("channel"),
                body.readCString("payload"));
        body.expectEnd();
        return message;
    }

    @Override
    public void encode(ByteBuf out) {
        int lengthAt = MessageWriter.begin(out, TYPE);
        out.writeInt(processId);
        MessageWriter.cString(out, channel);
        MessageWriter.cString(out, payload);
        MessageWriter.end(out, lengthAt);
    }
}
