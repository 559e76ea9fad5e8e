package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;

/**
 * The protocol 2.0 ErrorResponse: {@code 'E'}, then one NUL-terminated string, with no length word and no fields.
 * PostgreSQL (14 and later, which no longer speak 2.0) still sends its refusal of a 1.x or 2.x StartupMessage in this
 * shape, because only this shape is readable by the client that asked: a 3.0 ErrorResponse would be read as an empty
 * message (its length word starts with a zero byte). The text is PostgreSQL's: {@code "FATAL:  "}, the message, a
 * newline.
 *
 * <p>Only ever sent, once, to refuse such a client, so it is not a {@link BackendMessage} (whose decoder reads 3.x
 * frames only).
 */
public record ProtocolV2ErrorResponse(String message) {

    public static final byte TYPE = 'E';

    public void encode(ByteBuf out) {
        out.writeByte(TYPE);
        MessageWriter.cString(out, "FATAL:  " + message + "\n");
    }
}
