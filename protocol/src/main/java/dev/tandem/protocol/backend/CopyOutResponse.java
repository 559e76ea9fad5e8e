package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;
import java.util.List;

/**
 * CopyOutResponse ('H'): COPY TO STDOUT data follows.
 *
 * @param format the overall format: 0 textual, 1 binary
 * @param columnFormats the format code of each column (all 0 when {@code format} is 0)
 */
public record CopyOutResponse(byte format, List<Short> columnFormats) implements BackendMessage {

    public static final byte TYPE = 'H';

    public CopyOutResponse {
        columnFormats = List.copyOf(columnFormats);
    }

    public static CopyOutResponse decode(ByteBuf frame) {
        MessageBody body = MessageBody.typed(frame, TYPE, "CopyOutResponse");
        CopyOutResponse message = new CopyOutResponse(body.readByte(), body.readShortList("column format"));
        body.expectEnd();
        return message;
    }

    @Override
    public void encode(ByteBuf out) {
        int lengthAt = MessageWriter.begin(out, TYPE);
        out.writeByte(format);
        MessageWriter.shortList(out, columnFormats);
        MessageWriter.end(out, lengthAt);
    }
}
