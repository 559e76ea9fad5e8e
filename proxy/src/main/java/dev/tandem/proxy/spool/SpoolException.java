package dev.tandem.proxy.spool;

/** The spool cannot do what was asked: an I/O failure, a closed or failed spool, or a position it does not hold. */
public class SpoolException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public SpoolException(String message) {
        super(message);
    }

    public SpoolException(String message, Throwable cause) {
        super(message, cause);
    }
}
