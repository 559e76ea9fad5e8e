package dev.tandem.protocol.frame;

/**
 * The peer sent bytes that are not the PostgreSQL protocol. The message is written for a person (it becomes the
 * {@code M} field of the 08P01 ErrorResponse the proxy sends before closing).
 */
public final class ProtocolViolationException extends RuntimeException {

    public static final String SQLSTATE = "08P01";

    public ProtocolViolationException(String message) {
        super(message, null, false, false);
    }
}
