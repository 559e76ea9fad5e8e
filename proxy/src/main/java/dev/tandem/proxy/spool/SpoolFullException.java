package dev.tandem.proxy.spool;

/**
 * An append was rejected because the spool is at {@code max-bytes}: at once in {@link OnFull#SHED} mode, or after the
 * bounded wait in {@link OnFull#BLOCK} mode. The record was not written; the caller records the gap.
 */
public class SpoolFullException extends SpoolException {

    private static final long serialVersionUID = 1L;

    public SpoolFullException(String message) {
        super(message);
    }
}
