package dev.tandem.backfill.state;

import java.util.Locale;

/**
 * Life of a backfill task, stored in {@code tandem.backfill_task.state}.
 *
 * <pre>
 *             COPIED                 VERIFIED_EQUAL
 *   PENDING ----------> DONE ------------------------> VERIFIED
 *    |  ^                 |                               |
 *    |  |                 | VERIFIED_DIFFERENT            | VERIFIED_DIFFERENT
 *    |  |                 v                               v
 *    |  +--REQUEUED--- MISMATCH <-------------------------+
 *    |  |  (repair)
 *    |  +--REQUEUED--- FAILED <--- COPY_FAILED (from PENDING or FAILED; the target range is unchanged)
 *    |                   |
 *    +---COPY_FAILED-----+        a later copy run also retries FAILED directly (COPIED)
 * </pre>
 */
public enum TaskState {
    PENDING, DONE, FAILED, VERIFIED, MISMATCH;

    /** What happened to a task. */
    public enum Event { COPIED, COPY_FAILED, VERIFIED_EQUAL, VERIFIED_DIFFERENT, REQUEUED }

    /**
     * @throws IllegalStateException when the event cannot happen in this state
     */
    public TaskState on(Event event) {
        switch (event) {
            case COPIED:
                if (this == PENDING || this == FAILED) {
                    return DONE;
                }
                break;
            case COPY_FAILED:
                if (this == PENDING || this == FAILED) {
                    return FAILED;
                }
                break;
            case VERIFIED_EQUAL:
                if (this == DONE || this == VERIFIED || this == MISMATCH) {
                    return VERIFIED;
                }
                break;
            case VERIFIED_DIFFERENT:
                if (this == DONE || this == VERIFIED || this == MISMATCH) {
                    return MISMATCH;
                }
                break;
            case REQUEUED:
                if (this == MISMATCH || this == FAILED) {
                    return PENDING;
                }
                break;
            default:
                break;
        }
        throw new IllegalStateException("a " + this + " task cannot be " + event);
    }

    /** The value stored in the table. */
    public String sql() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static TaskState of(String sql) {
        return valueOf(sql.toUpperCase(Locale.ROOT));
    }
}
