package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * ErrorResponse ('E') and, with {@link #NOTICE_TYPE}, NoticeResponse ('N'): a list of (field code, string) pairs
 * ended by a zero byte. Field codes are those of the "Error and Notice Message Fields" page: S severity, V severity
 * (non-localized), C SQLSTATE, M message, D detail, H hint, and so on.
 *
 * <p>{@link BackendMessage#decode} turns 'N' frames into {@link NoticeResponse}, which never ends a request cycle;
 * {@link #decode} here still reads either type for callers that treat both alike.
 */
public record ErrorResponse(Map<Character, String> fields) implements BackendMessage {

    public static final byte TYPE = 'E';
    public static final byte NOTICE_TYPE = 'N';

    public static final char SEVERITY = 'S';
    public static final char SEVERITY_NON_LOCALIZED = 'V';
    public static final char CODE = 'C';
    public static final char MESSAGE = 'M';
    public static final char DETAIL = 'D';
    public static final char HINT = 'H';

    public ErrorResponse {
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    /** An error the proxy itself raises, in the shape PostgreSQL uses: S, V, C, M and an optional detail. */
    public static ErrorResponse of(String severity, String sqlState, String message, String detail) {
        Map<Character, String> f = new LinkedHashMap<>();
        f.put(SEVERITY, severity);
        f.put(SEVERITY_NON_LOCALIZED, severity);
        f.put(CODE, sqlState);
        f.put(MESSAGE, message);
        if (detail != null) {
            f.put(DETAIL, detail);
        }
        return new ErrorResponse(f);
    }

    public static ErrorResponse fatal(String sqlState, String message) {
        return of("FATAL", sqlState, message, null);
    }

    public String severity() {
        String v = fields.get(SEVERITY_NON_LOCALIZED);
        return v != null ? v : fields.get(SEVERITY);
    }

    public String sqlState() {
        return fields.get(CODE);
    }

    public String message() {
        return fields.get(MESSAGE);
    }

    /**
     * Decodes the body of an 'E' or 'N' frame.
     *
     * @param frame the whole frame, type byte and length included; its reader index is not moved
     */
    public static ErrorResponse decode(ByteBuf frame) {
        boolean notice = frame.isReadable() && frame.getByte(frame.readerIndex()) == NOTICE_TYPE;
        return new ErrorResponse(decodeFields(frame, notice ? NOTICE_TYPE : TYPE,
                notice ? "NoticeResponse" : "ErrorResponse"));
    }

    /** The (code, value) pairs of an 'E' or 'N' frame, up to the terminating zero byte. */
    static Map<Character, String> decodeFields(ByteBuf frame, byte type, String message) {
        MessageBody body = MessageBody.typed(frame, type, message);
        Map<Character, String> f = new LinkedHashMap<>();
        while (true) {
            byte code = body.readByte();
            if (code == 0) {
                body.expectEnd();
                return f;
            }
            f.put((char) code, body.readCString("field '" + (char) code + "'"));
        }
    }

    /** Writes this message as an 'E' frame. */
    @Override
    public void encode(ByteBuf out) {
        encode(out, TYPE);
    }

    /** Writes this message as a frame of the given type ('E' or 'N'). */
    public void encode(ByteBuf out, byte type) {
        encodeFields(out, type, fields);
    }

    static void encodeFields(ByteBuf out, byte type, Map<Character, String> fields) {
        int lengthAt = MessageWriter.begin(out, type);
        for (Map.Entry<Character, String> e : fields.entrySet()) {
            out.writeByte(e.getKey());
            MessageWriter.cString(out, e.getValue());
        }
        out.writeByte(0);
        MessageWriter.end(out, lengthAt);
    }

    /** A new buffer holding this message as an 'E' frame; the caller owns it. */
    @Override
    public ByteBuf encode(ByteBufAllocator alloc) {
        ByteBuf out = alloc.buffer(64);
        encode(out);
        return out;
    }
}
