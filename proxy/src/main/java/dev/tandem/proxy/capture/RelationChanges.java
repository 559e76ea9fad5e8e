package dev.tandem.proxy.capture;

/**
 * The relation DDL of the session's open transaction, as far as its own statements show it ({@link RelationOverlay}):
 * until it commits, only this session sees it, and the catalog's look-ups do not. Transactional like the server:
 *
 * <pre>
 *   DDL                       changes the overlay
 *   SAVEPOINT s               remembers it; ROLLBACK TO s brings it back, RELEASE s forgets it
 *   ROLLBACK TO s, s unknown  when the transaction ran DDL: which of it is undone cannot be told
 *   commit, rollback          the overlay is empty again (a commit's is handed on by {@link SessionNames})
 * </pre>
 */
final class RelationChanges implements TransactionScoped {

    private RelationOverlay current = RelationOverlay.NONE;
    private final Savepoints<RelationOverlay> savepoints = new Savepoints<>();

    /** The transaction's DDL so far; {@link RelationOverlay#NONE} when it ran none. */
    RelationOverlay current() {
        return current;
    }

    /** A statement of the transaction changed tables or schemas: {@code now} is what its DDL did so far. */
    void changed(RelationOverlay now) {
        current = now;
    }

    @Override
    public void savepoint(String name) {
        savepoints.set(name, current);
    }

    @Override
    public void release(String name) {
        savepoints.release(name);
    }

    @Override
    public void rollbackTo(String name) {
        RelationOverlay saved = savepoints.rollbackTo(name);
        if (saved != null) {
            current = saved;
        } else if (!current.isEmpty()) {
            current = current.uncertain(RelationOverlay.unplaced("a ROLLBACK TO SAVEPOINT the proxy could not place"
                    + " (its name unreadable) may have undone part of the DDL its transaction ran before this write,"
                    + " and the proxy cannot tell which tables along the session's search_path exist"));
        }
    }

    @Override
    public void transactionEnded(boolean committed) {
        current = RelationOverlay.NONE;
        savepoints.clear();
    }
}
