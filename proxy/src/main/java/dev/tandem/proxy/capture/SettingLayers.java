package dev.tandem.proxy.capture;

/**
 * One setting's value with the rules PostgreSQL keeps a setting by: three layers, the session's value, the one a SET
 * gave in the open transaction and the one a SET LOCAL gave in it; in force is the first of local, pending, session
 * that is set.
 *
 * <pre>
 *   SET [SESSION] v                   pending = v, local = none
 *   SET LOCAL v                       local = v (outside BEGIN too: until the implicit transaction ends)
 *   SAVEPOINT s                       remember (pending, local) at s
 *   RELEASE s                         forget s and the later ones
 *   ROLLBACK TO s                     (pending, local) = those at s
 *   ROLLBACK TO s, s not known here   nothing changes; {@link #rollbackTo} says whether the transaction changed
 *                                     the setting, for the owner to decide what that means for it
 *   commit (COMMIT, the end of an     session = pending if set; pending = local = none
 *   implicit transaction, PREPARE)
 *   rollback (ROLLBACK, an error,     pending = local = none
 *   COMMIT of a failed transaction)
 * </pre>
 *
 * What a RESET returns to, what the session starts with and what a value the capture cannot follow becomes differ
 * between settings: their owners decide ({@link SearchPathState}, {@link ReplicationRoleState},
 * {@link CurrentUserState}).
 *
 * @param <V> a value, immutable, never null
 */
final class SettingLayers<V> {

    private record Saved<V>(V pending, V local) {
    }

    private V session;
    /** Set by a SET in the open transaction; null when none. */
    private V pending;
    /** Set by a SET LOCAL in the open transaction; null when none. */
    private V local;
    /** The open transaction changed the setting: a savepoint the capture cannot place may hold another value. */
    private boolean changedInTransaction;
    private final Savepoints<Saved<V>> savepoints = new Savepoints<>();

    SettingLayers(V session) {
        this.session = session;
    }

    /** The value in force. */
    V current() {
        return local != null ? local : pending != null ? pending : session;
    }

    /** The value in force once the open transaction ends, committed or not; the session's when none is open. */
    V afterTransaction(boolean committed) {
        return committed && pending != null ? pending : session;
    }

    void set(V value, boolean isLocal) {
        if (isLocal) {
            local = value;
        } else {
            // a SET also replaces a SET LOCAL of the same transaction
            pending = value;
            local = null;
        }
        changedInTransaction = true;
    }

    /** Both layers of the open transaction set to {@code value}: what a statement the capture cannot read leaves. */
    void setBoth(V value) {
        pending = value;
        local = value;
        changedInTransaction = true;
    }

    /**
     * What a statement the capture cannot read leaves, {@code value}: in the local layer alone when the statement
     * set the setting for its transaction only ({@code local}), else in both layers of the open transaction.
     */
    void unread(V value, boolean local) {
        if (local) {
            set(value, true);
        } else {
            setBoth(value);
        }
    }

    void savepoint(String name) {
        savepoints.set(name, new Saved<>(pending, local));
    }

    /** RELEASE SAVEPOINT: it and the later ones go, the values stay. */
    void release(String name) {
        savepoints.release(name);
    }

    /**
     * ROLLBACK TO SAVEPOINT: the savepoint stays, the later ones go.
     *
     * @return false when the savepoint is not known here and the transaction changed the setting: the value it
     *         restored is not known
     */
    boolean rollbackTo(String name) {
        Saved<V> saved = savepoints.rollbackTo(name);
        if (saved != null) {
            pending = saved.pending();
            local = saved.local();
            return true;
        }
        return !changedInTransaction;
    }

    void transactionEnded(boolean committed) {
        if (committed && pending != null) {
            session = pending;
        }
        pending = null;
        local = null;
        changedInTransaction = false;
        savepoints.clear();
    }
}
