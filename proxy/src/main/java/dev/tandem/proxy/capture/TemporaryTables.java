package dev.tandem.proxy.capture;

import java.util.HashSet;
import java.util.Set;

/**
 * The names of the session's temporary tables, as far as its own statements show them. An unqualified name that is
 * one of them means the temporary table (PostgreSQL searches the session's temporary schema first), so a write into
 * it is not a write into the mirrored table of that name. Creating and dropping a table is transactional:
 *
 * <pre>
 *   CREATE TEMP TABLE t       exists from now on; gone again if the transaction rolls back
 *     ... ON COMMIT DROP      exists until the transaction ends, either way
 *   DROP TABLE t              gone; back if the transaction rolls back
 *   ALTER TABLE t RENAME TO u now named u; named t again if the transaction rolls back
 *   DISCARD TEMP / ALL        all gone; back if the transaction rolls back
 *   SAVEPOINT s               remembers the tables; ROLLBACK TO s brings them back, RELEASE s forgets them
 * </pre>
 *
 * A temporary table created inside a function or DO block is invisible here: its writes are taken for the mirrored
 * table's (the README says so).
 */
final class TemporaryTables {

    private record Saved(Set<String> current, Set<String> droppedOnCommit) {
    }

    private Set<String> committed = Set.of();
    /** The tables now, in the transaction; replaced, never changed, so a reader may keep it. */
    private Set<String> current = Set.of();
    /** Of {@link #current}: created ON COMMIT DROP in this transaction. */
    private Set<String> droppedOnCommit = Set.of();
    private final Savepoints<Saved> savepoints = new Savepoints<>();

    /** The names as they are now; an unchanging set. */
    Set<String> current() {
        return current;
    }

    boolean contains(String name) {
        return current.contains(name);
    }

    void created(String name, boolean onCommitDrop) {
        current = with(current, name);
        if (onCommitDrop) {
            droppedOnCommit = with(droppedOnCommit, name);
        }
    }

    void dropped(String name) {
        if (current.contains(name)) {
            current = without(current, name);
            droppedOnCommit = without(droppedOnCommit, name);
        }
    }

    void renamed(String from, String to) {
        if (current.contains(from)) {
            boolean onCommitDrop = droppedOnCommit.contains(from);
            dropped(from);
            created(to, onCommitDrop);
        }
    }

    void discarded() {
        current = Set.of();
        droppedOnCommit = Set.of();
    }

    void savepoint(String name) {
        savepoints.set(name, new Saved(current, droppedOnCommit));
    }

    /** ROLLBACK TO SAVEPOINT: the savepoint stays, later ones go. */
    void rollbackTo(String name) {
        Saved s = savepoints.rollbackTo(name);
        if (s != null) {
            current = s.current();
            droppedOnCommit = s.droppedOnCommit();
        }
    }

    /** RELEASE SAVEPOINT: it and later ones go, the tables stay. */
    void release(String name) {
        savepoints.release(name);
    }

    void transactionEnded(boolean commit) {
        if (commit) {
            Set<String> kept = current;
            for (String name : droppedOnCommit) {
                kept = without(kept, name);
            }
            committed = kept;
        }
        current = committed;
        droppedOnCommit = Set.of();
        savepoints.clear();
    }

    private static Set<String> with(Set<String> names, String name) {
        if (names.contains(name)) {
            return names;
        }
        Set<String> copy = new HashSet<>(names);
        copy.add(name);
        return Set.copyOf(copy);
    }

    private static Set<String> without(Set<String> names, String name) {
        if (!names.contains(name)) {
            return names;
        }
        Set<String> copy = new HashSet<>(names);
        copy.remove(name);
        return Set.copyOf(copy);
    }
}
