package dev.tandem.protocol.backend;

/** The transaction status a ReadyForQuery reports. */
public enum TransactionStatus {
    /** 'I': not in a transaction block. */
    IDLE('I'),
    /** 'T': in a transaction block. */
    IN_TRANSACTION('T'),
    /** 'E': in a failed transaction block; statements are rejected until it ends. */
    FAILED('E');

    private final byte code;

    TransactionStatus(char code) {
        this.code = (byte) code;
    }

    public byte code() {
        return code;
    }

    /** The status for a wire byte, or null for a byte that is none of I, T, E. */
    public static TransactionStatus of(byte code) {
        return switch (code) {
            case 'I' -> IDLE;
            case 'T' -> IN_TRANSACTION;
            case 'E' -> FAILED;
            default -> null;
        };
    }
}
