package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.SearchPath;
import java.util.List;

/**
 * The session's {@code search_path} as the server keeps it (an empty list is the server's default, when the session
 * did not say). Like every
 * setting it is transactional:
 *
 * <pre>
 *   SET x            in effect now; kept if the transaction commits, undone if it rolls back
 *   SET LOCAL x      in effect until the transaction ends, either way
 *   SAVEPOINT s      remembers both values; ROLLBACK TO s restores them, RELEASE s forgets them
 *   COMMIT           the last SET becomes the session's value; SET LOCAL ends
 *   ROLLBACK / error the session's value from before the transaction comes back
 * </pre>
 *
 * Outside an explicit transaction each statement (or multi-statement query, or extended-protocol batch) is its own
 * implicit transaction, so a SET in a query string that then fails is undone as well.
 *
 * <p>{@code RESET search_path}, {@code SET search_path TO DEFAULT}, {@code RESET ALL} and {@code DISCARD ALL} return
 * to the session's start-up value (its StartupMessage's, or the one the server reported at start-up), not to the
 * server's default: a pgjdbc session with {@code currentSchema=s2} that resets still means {@code s2}.
 */
final class SearchPathState {

    private record Saved(List<String> pending, List<String> local) {
    }

    private List<String> committed = List.of();
    /** What RESET returns to. */
    private List<String> startup = List.of();
    /** Set by SET in the current transaction; null when unchanged. */
    private List<String> pending;
    /** Set by SET LOCAL in the current transaction; null when none. */
    private List<String> local;
    private final Savepoints<Saved> savepoints = new Savepoints<>();

    /**
     * What the session starts with (from the StartupMessage, or the server's report at start-up): the committed value
     * and the one RESET returns to, nothing pending.
     */
    void established(List<String> value) {
        startup = List.copyOf(value);
        committed = startup;
        pending = null;
        local = null;
        savepoints.clear();
    }

    List<String> effective() {
        return local != null ? local : pending != null ? pending : committed;
    }

    void set(SearchPath change) {
        List<String> value = change.isDefault() ? startup : change.schemas();
        if (change.local()) {
            local = value;
        } else {
            // a plain SET also replaces a SET LOCAL of the same transaction
            pending = value;
            local = null;
        }
    }

    void savepoint(String name) {
        savepoints.set(name, new Saved(pending, local));
    }

    /** ROLLBACK TO SAVEPOINT: the savepoint stays, later ones go. */
    void rollbackTo(String name) {
        Saved s = savepoints.rollbackTo(name);
        if (s != null) {
            pending = s.pending();
            local = s.local();
        }
    }

    /** RELEASE SAVEPOINT: it and later ones go, the values stay. */
    void release(String name) {
        savepoints.release(name);
    }

    void transactionEnded(boolean committed) {
        if (committed && pending != null) {
            this.committed = pending;
        }
        pending = null;
        local = null;
        savepoints.clear();
    }
}
