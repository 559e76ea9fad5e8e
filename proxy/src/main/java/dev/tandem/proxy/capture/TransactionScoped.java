package dev.tandem.proxy.capture;

/**
 * Session state that follows the server's transaction rules: what a transaction changed is kept at commit, undone at
 * rollback, and undone back to a savepoint by ROLLBACK TO SAVEPOINT ({@link SearchPathState},
 * {@link CurrentUserState}, {@link ReplicationRoleState}, and {@link SessionNames} for the first two). Told by the
 * session's {@link TransactionTracker} listener.
 */
interface TransactionScoped {

    void savepoint(String name);

    void release(String name);

    void rollbackTo(String name);

    void transactionEnded(boolean committed);
}
