package dev.tandem.protocol.frontend;

import dev.tandem.protocol.backend.MessageBody;
import dev.tandem.protocol.backend.WireMessage;
import io.netty.buffer.ByteBuf;

/**
 * A message from the client to the server, one type per entry of the PostgreSQL "Message Formats" page.
 *
 * <p>Every type has a {@code static decode(ByteBuf frame)} (the whole frame, type byte and length included; the
 * reader index is not moved) and writes itself with {@link #encode(ByteBuf)}. Malformed frames give an
 * {@link IllegalArgumentException} whose message names the message type and the offset.
 *
 * <p>Two kinds of frame exist: typed ones ({@link #decode}) and the startup-phase ones without a type byte
 * ({@link #decodeStartup}: StartupMessage, SSLRequest, GSSENCRequest, CancelRequest). The type bytes are those of
 * the frontend direction ({@code 'D'} is Describe here, DataRow the other way).
 */
public sealed interface FrontendMessage extends WireMessage
        permits Bind, CancelRequest, Close, CopyData, CopyDone, CopyFail, Describe, Execute, Flush, GSSENCRequest,
                Parse, PasswordMessage, Query, SSLRequest, StartupMessage, Sync, Terminate {

    /**
     * Decodes a typed frontend frame by its type byte. A {@link CopyData} result holds a retained slice of the frame:
     * release it with {@code ReferenceCountUtil.release(message)}, which is a no-op for the others.
     */
    static FrontendMessage decode(ByteBuf frame) {
        byte type = MessageBody.typeOf(frame, "frontend message");
        return switch (type) {
            case Bind.TYPE -> Bind.decode(frame);
            case Close.TYPE -> Close.decode(frame);
            case CopyData.TYPE -> CopyData.decode(frame);
            case CopyDone.TYPE -> CopyDone.decode(frame);
            case CopyFail.TYPE -> CopyFail.decode(frame);
            case Describe.TYPE -> Describe.decode(frame);
            case Execute.TYPE -> Execute.decode(frame);
            case Flush.TYPE -> Flush.decode(frame);
            case Parse.TYPE -> Parse.decode(frame);
            case PasswordMessage.TYPE -> PasswordMessage.decode(frame);
            case Query.TYPE -> Query.decode(frame);
            case Sync.TYPE -> Sync.decode(frame);
            case Terminate.TYPE -> Terminate.decode(frame);
            default -> throw MessageBody.unknownType(type, "frontend message");
        };
    }

    /** Decodes a startup-phase frame (no type byte) by the code that follows its length. */
    static FrontendMessage decodeStartup(ByteBuf frame) {
        if (frame.readableBytes() < 8) {
            throw new IllegalArgumentException("startup message: frame of " + frame.readableBytes()
                    + " bytes is shorter than the 8-byte minimum");
        }
        int code = frame.getInt(frame.readerIndex() + 4);
        return switch (code) {
            case SSLRequest.CODE -> SSLRequest.decode(frame);
            case GSSENCRequest.CODE -> GSSENCRequest.decode(frame);
            case CancelRequest.CODE -> CancelRequest.decode(frame);
            default -> StartupMessage.decode(frame);
        };
    }
}
