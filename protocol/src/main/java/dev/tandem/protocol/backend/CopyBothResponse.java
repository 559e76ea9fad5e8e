package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;
import java.util.List;

/**
 * CopyBothResponse ('W'): COPY data flows both ways (streaming replication).
 *
 * @param format the overall format: 0 textual, 1 binary
 * @param columnFormats the format code of each column (all 0 when {@code format} is 0)
 */
public record CopyBothResponse(byte format, List<Short> columnFormats) implements BackendMessage {

    public static final byte TYPE = 'W';

    public CopyBothResponse {
        columnFormats = List.copyOf(columnFormats);
    }

    public static CopyBothResponse decode(ByteBuf frame) {
        return CopyResponseBody.decode(frame, TYPE, "CopyBothResponse", CopyBothResponse::new);
    }

    @Override
    public void encode(ByteBuf out) {
        CopyResponseBody.encode(out, TYPE, format, columnFormats);
    }
}
