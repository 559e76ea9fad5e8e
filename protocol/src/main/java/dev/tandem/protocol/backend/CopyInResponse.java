package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;
import java.util.List;

/**
 * CopyInResponse ('G'): the server is ready to receive COPY FROM STDIN data.
 *
 * @param format the overall format: 0 textual, 1 binary
 * @param columnFormats the format code of each column (all 0 when {@code format} is 0)
 */
public record CopyInResponse(byte format, List<Short> columnFormats) implements BackendMessage {

    public static final byte TYPE = 'G';

    public CopyInResponse {
        columnFormats = List.copyOf(columnFormats);
    }

    public static CopyInResponse decode(ByteBuf frame) {
        return CopyResponseBody.decode(frame, TYPE, "CopyInResponse", CopyInResponse::new);
    }

    @Override
    public void encode(ByteBuf out) {
        CopyResponseBody.encode(out, TYPE, format, columnFormats);
    }
}
