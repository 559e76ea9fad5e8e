package dev.tandem.protocol.frontend;

import dev.tandem.protocol.backend.BufferMessage;
import dev.tandem.protocol.backend.MessageBody;
import dev.tandem.protocol.backend.MessageWriter;
import io.netty.buffer.ByteBuf;

/**
 * CopyData ('d'): COPY FROM STDIN data from the client, kept as a buffer without copying; owned and
 * released as a {@link BufferMessage}.
 */
public record CopyData(ByteBuf data) implements FrontendMessage, BufferMessage {

    public static final byte TYPE = 'd';

    /** The caller owns the returned message and must release it. */
    public static CopyData decode(ByteBuf frame) {
        return new CopyData(MessageBody.typed(frame, TYPE, "CopyData").readRetainedSliceOfRest());
    }

    @Override
    public void encode(ByteBuf out) {
        int lengthAt = MessageWriter.begin(out, TYPE);
        out.writeBytes(data, data.readerIndex(), data.readableBytes());
        MessageWriter.end(out, lengthAt);
    }

    /** Shows the size only: COPY rows are application data. */
    @Override
    public String toString() {
        return "CopyData[" + data.readableBytes() + " bytes]";
    }
}
