package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;
import java.util.List;

/**
 * The one codec of the body that CopyInResponse, CopyOutResponse and CopyBothResponse share: an int8 overall format,
 * then an int16 count and that many int16 column format codes. Only the type byte tells the three apart.
 */
final class CopyResponseBody {

    /** Makes one of the three messages from a decoded body (its canonical constructor). */
    @FunctionalInterface
    interface Factory<T> {
        T make(byte format, List<Short> columnFormats);
    }

    private CopyResponseBody() {
    }

    static <T> T decode(ByteBuf frame, byte type, String message, Factory<T> factory) {
        MessageBody body = MessageBody.typed(frame, type, message);
        T decoded = factory.make(body.readByte(), body.readShortList("column format"));
        body.expectEnd();
        return decoded;
    }

    static void encode(ByteBuf out, byte type, byte format, List<Short> columnFormats) {
        int lengthAt = MessageWriter.begin(out, type);
        out.writeByte(format);
        MessageWriter.shortList(out, columnFormats);
        MessageWriter.end(out, lengthAt);
    }
}
