package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;

/** ReadyForQuery ('Z'): the server finished a request cycle and reports its transaction status. */
public record ReadyForQuery(TransactionStatus status) implements BackendMessage {

    public static final byte TYPE = 'Z';

    public static final ReadyForQuery IDLE = new ReadyForQuery(TransactionStatus.IDLE);
    public static final ReadyForQuery IN_TRANSACTION = new ReadyForQuery(TransactionStatus.IN_TRANSACTION);
    public static final ReadyForQuery FAILED = new ReadyForQuery(TransactionStatus.FAILED);

    public ReadyForQuery {
        if (status == null) {
            throw new IllegalArgumentException("ReadyForQuery: status is required");
        }
    }

    public static ReadyForQuery decode(ByteBuf frame) {
        MessageBody body = MessageBody.typed(frame, TYPE, "ReadyForQuery");
        byte code = body.readByte();
        body.expectEnd();
        TransactionStatus status = TransactionStatus.of(code);
        if (status == null) {
            throw body.malformed("transaction status byte 0x" + Integer.toHexString(code & 0xff)
                    + " is none of 'I', 'T', 'E'");
        }
        return switch (status) {
            case IDLE -> IDLE;
            case IN_TRANSACTION -> IN_TRANSACTION;
            case FAILED -> FAILED;
        };
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeByte(TYPE);
        out.writeInt(5);
        out.writeByte(status.code());
    }
}
