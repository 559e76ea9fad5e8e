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
        return CopyResponseBody.decode(frame, TYPE, "CopyOutResponse", CopyOutResponse::new);
    }

    @Override
    public void encode(ByteBuf out) {
        CopyResponseBody.encode(out, TYPE, format, columnFormats);
    }
}
