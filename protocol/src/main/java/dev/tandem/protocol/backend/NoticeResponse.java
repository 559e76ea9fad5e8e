package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * NoticeResponse ('N'): a warning or notice, with the same (field code, value) body as {@link ErrorResponse}; it
 * never ends a request cycle, so it gets a type of its own.
 */
public record NoticeResponse(Map<Character, String> fields) implements BackendMessage {

    public static final byte TYPE = 'N';

    public NoticeResponse {
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    public static NoticeResponse decode(ByteBuf frame) {
        return new NoticeResponse(ErrorResponse.decodeFields(frame, TYPE, "NoticeResponse"));
    }

    public String severity() {
        String v = fields.get(ErrorResponse.SEVERITY_NON_LOCALIZED);
        return v != null ? v : fields.get(ErrorResponse.SEVERITY);
    }

    public String sqlState() {
        return fields.get(ErrorResponse.CODE);
    }

    public String message() {
        return fields.get(ErrorResponse.MESSAGE);
    }

    @Override
    public void encode(ByteBuf out) {
        ErrorResponse.encodeFields(out, TYPE, fields);
    }
}
