package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.ClassifiedStatement;

/**
 * One session's {@link InputSettings} as each statement runs under them. The source's reports are the truth, but
 * PostgreSQL 14 and later send them only just before a request's ReadyForQuery, after every statement of the request
 * ran: within a request (a query string, a pipelined batch) a SET of one of them is followed here as the server
 * applies it, and what cannot be followed exactly makes the rest of the request {@link #uncertain}:
 *
 * <pre>
 *   ReadyForQuery        current = reported (every change was reported before it); certain again
 *   SET/RESET x = value  current takes it (DateStyle merged, RESET: the start-up value)
 *   set_config(...), DISCARD ALL, RESET ALL, SET x in another form, or any transaction control after a SET in
 *   the same request (COMMIT ends SET LOCAL, ROLLBACK undoes SET)   -> uncertain until the ReadyForQuery
 * </pre>
 *
 * A SET LOCAL outside BEGIN counts like any SET: PostgreSQL warns but applies it until the transaction ends, and
 * outside BEGIN that is the end of the request (a multi-statement query string's implicit transaction, a pipelined
 * batch's Sync), after which the report is the truth again. Only a request of that one statement sees it do nothing.
 */
final class SessionSettings {

    private InputSettings reported = InputSettings.UNKNOWN;
    private InputSettings current = InputSettings.UNKNOWN;
    /** What RESET returns to: the values reported by the end of start-up. */
    private InputSettings startup = InputSettings.UNKNOWN;
    private boolean setInRequest;
    private boolean uncertain;
    /**
     * One of them may have been changed in the open transaction (a SET LOCAL, or any SET a ROLLBACK undoes): what the
     * source reported may not hold once the transaction ends.
     */
    private boolean changedInTransaction;

    /** The settings the statement completing now ran under. */
    InputSettings current() {
        return current;
    }

    /** {@link #current}, or null when {@link #uncertain}: for readers that would rather not know than guess. */
    InputSettings known() {
        return uncertain ? null : current;
    }

    /**
     * {@link #known}, for a statement that runs after a transaction control statement not run yet: null also when a
     * SET came before it in the open transaction, which the COMMIT may end (SET LOCAL) or the ROLLBACK undo.
     */
    InputSettings knownAcrossTransactionEnd() {
        return changedInTransaction ? null : known();
    }

    /** Whether a statement completing now may have run under settings other than {@link #current}. */
    boolean uncertain() {
        return uncertain;
    }

    /** The source reported setting {@code name} (at start-up, or before a ReadyForQuery; earlier servers at once). */
    void reported(String name, String value) {
        reported = reported.reported(name, value);
        current = current.reported(name, value);
    }

    /** Statement {@code s} of {@code sql} completed on the source. */
    void completed(ClassifiedStatement s, String sql) {
        if (InputSettings.mayChange(s, sql)) {
            changedInTransaction = true;
            InputSettings changed = uncertain || s.kind() != ClassifiedStatement.Kind.SET || s.setting() == null
                    ? null : current.changed(s.name(), s.setting(), startup);
            if (changed == null) {
                uncertain = true;
            } else {
                current = changed;
                setInRequest = true;
            }
        } else if (setInRequest && s.kind() == ClassifiedStatement.Kind.TRANSACTION) {
            uncertain = true;
        }
    }

    /**
     * A ReadyForQuery: {@code startUp} when it is the one that ends start-up; {@code idle} when no transaction is open
     * (status I).
     */
    void ready(boolean startUp, boolean idle) {
        if (idle) {
            changedInTransaction = false;
        }
        if (startUp) {
            startup = reported;
        }
        current = reported;
        setInRequest = false;
        uncertain = false;
    }
}
