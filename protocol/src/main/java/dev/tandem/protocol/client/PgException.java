package dev.tandem.protocol.client;

import dev.tandem.protocol.backend.ErrorResponse;

/**
 * A failure the client reports: an ErrorResponse from the server (its SQLSTATE, severity and message), or a
 * client-side failure given the SQLSTATE PostgreSQL clients use for it ({@value #CONNECTION_FAILURE} when the
 * connection is lost, {@value #UNABLE_TO_CONNECT} when it cannot be made).
 */
public final class PgException extends RuntimeException {

    public static final String CONNECTION_FAILURE = "08006";
    public static final String UNABLE_TO_CONNECT = "08001";
    public static final String PROTOCOL_VIOLATION = "08P01";
    public static final String INVALID_AUTHORIZATION = "28000";
    public static final String FEATURE_NOT_SUPPORTED = "0A000";

    private final String sqlState;
    private final String severity;
    private final String serverMessage;
    private final transient ErrorResponse errorResponse;

    private PgException(String sqlState, String severity, String message, ErrorResponse errorResponse,
                        Throwable cause) {
        super(severity + " " + sqlState + ": " + message, cause);
        this.sqlState = sqlState;
        this.severity = severity;
        this.serverMessage = message;
        this.errorResponse = errorResponse;
    }

    /** The server's error, as received. */
    public static PgException of(ErrorResponse error) {
        return new PgException(error.sqlState(), error.severity(), error.message(), error, null);
    }

    /** A failure detected on the client side. */
    public static PgException client(String sqlState, String message, Throwable cause) {
        return new PgException(sqlState, "ERROR", message, null, cause);
    }

    public static PgException connectionLost(String message, Throwable cause) {
        return new PgException(CONNECTION_FAILURE, "FATAL", message, null, cause);
    }

    public String sqlState() {
        return sqlState;
    }

    public String severity() {
        return severity;
    }

    /** The message alone, without severity and SQLSTATE. */
    public String serverMessage() {
        return serverMessage;
    }

    /** The server's ErrorResponse, or null for a client-side failure. */
    public ErrorResponse errorResponse() {
        return errorResponse;
    }
}
