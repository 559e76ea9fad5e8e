package dev.tandem.backfill;

/**
 * A failure the operator can act on: the message says what is wrong and how to fix it, and is printed without a stack
 * trace (exit code 1).
 */
public class BackfillException extends RuntimeException {

    public BackfillException(String message) {
        super(message);
    }

    public BackfillException(String message, Throwable cause) {
        super(message, cause);
    }
}
