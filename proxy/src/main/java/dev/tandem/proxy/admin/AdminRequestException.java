package dev.tandem.proxy.admin;

/**
 * An expected refusal from a provider or action, answered with its own HTTP status and message (which therefore
 * must be fit for the operator to read). Anything else a provider throws is answered with a generic 500.
 */
public final class AdminRequestException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;

    public AdminRequestException(int status, String message) {
        super(message);
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("an admin error status must be 4xx or 5xx, got " + status);
        }
        this.status = status;
    }

    public int status() {
        return status;
    }
}
