package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;

/**
 * A message from the server to the client, one type per entry of the PostgreSQL "Message Formats" page.
 *
 * <p>Every type has a {@code static decode(ByteBuf frame)} (the whole frame, type byte and length included; the
 * reader index is not moved) and writes itself with {@link #encode(ByteBuf)}. Malformed frames give an
 * {@link IllegalArgumentException} whose message names the message type and the offset.
 *
 * <p>The type bytes are those of the backend direction: {@code 'D'} here is DataRow, while a frontend {@code 'D'}
 * is Describe, so each type keeps its own {@code TYPE} constant in its own package.
 */
public sealed interface BackendMessage extends WireMessage
        permits Authentication, BackendKeyData, BindComplete, CloseComplete, CommandComplete, CopyBothResponse,
                CopyData, CopyDone, CopyInResponse, CopyOutResponse, DataRow, EmptyQueryResponse, ErrorResponse,
                NegotiateProtocolVersion, NoData, NoticeResponse, NotificationResponse, ParameterDescription,
                ParameterStatus, ParseComplete, PortalSuspended, ReadyForQuery, RowDescription {

    /**
     * Decodes any backend frame by its type byte. The result may hold a retained slice of the frame
     * ({@link CopyData}); release it with {@code ReferenceCountUtil.release(message)}, which is a no-op for the others.
     */
    static BackendMessage decode(ByteBuf frame) {
        byte type = MessageBody.typeOf(frame, "backend message");
        return switch (type) {
            case Authentication.TYPE -> Authentication.decode(frame);
            case BackendKeyData.TYPE -> BackendKeyData.decode(frame);
            case BindComplete.TYPE -> BindComplete.decode(frame);
            case CloseComplete.TYPE -> CloseComplete.decode(frame);
            case CommandComplete.TYPE -> CommandComplete.decode(frame);
            case CopyBothResponse.TYPE -> CopyBothResponse.decode(frame);
            case CopyData.TYPE -> CopyData.decode(frame);
            case CopyDone.TYPE -> CopyDone.decode(frame);
            case CopyInResponse.TYPE -> CopyInResponse.decode(frame);
            case CopyOutResponse.TYPE -> CopyOutResponse.decode(frame);
            case DataRow.TYPE -> DataRow.decode(frame);
            case EmptyQueryResponse.TYPE -> EmptyQueryResponse.decode(frame);
            case ErrorResponse.TYPE -> ErrorResponse.decode(frame);
            case NegotiateProtocolVersion.TYPE -> NegotiateProtocolVersion.decode(frame);
            case NoData.TYPE -> NoData.decode(frame);
            case NoticeResponse.TYPE -> NoticeResponse.decode(frame);
            case NotificationResponse.TYPE -> NotificationResponse.decode(frame);
            case ParameterDescription.TYPE -> ParameterDescription.decode(frame);
            case ParameterStatus.TYPE -> ParameterStatus.decode(frame);
            case ParseComplete.TYPE -> ParseComplete.decode(frame);
            case PortalSuspended.TYPE -> PortalSuspended.decode(frame);
            case ReadyForQuery.TYPE -> ReadyForQuery.decode(frame);
            case RowDescription.TYPE -> RowDescription.decode(frame);
            default -> throw MessageBody.unknownType(type, "backend message");
        };
    }
}
