package dev.tandem.proxy.spool;

/**
 * An append was rejected because the record is larger than the spool can ever hold
 * ({@link SpoolSettings#maxPayloadBytes}): waiting would never make room for it, so it is rejected at once whatever
 * {@link OnFull} says. The record was not written; the caller records the gap with this message, which names the
 * settings that decide the largest record.
 */
public final class SpoolRecordTooLargeException extends SpoolFullException {

    private static final long serialVersionUID = 1L;

    public SpoolRecordTooLargeException(String message) {
        super(message);
    }
}
