package dev.tandem.proxy.capture;

import java.util.HashSet;
import java.util.Set;

/**
 * The names of the portals created since each savepoint of the open transaction. A ROLLBACK TO SAVEPOINT drops every
 * portal created since that savepoint (PostgreSQL's AtSubCleanup_Portals), and keeps the ones created before, also one
 * suspended before and run further since; a RELEASE leaves the portals to the enclosing savepoint.
 */
final class SavepointPortals {

    /** Per savepoint, the portals created since it (in it or in a later savepoint). */
    private final Savepoints<Set<String>> created = new Savepoints<>();

    void savepoint(String name) {
        created.set(name, new HashSet<>());
    }

    void release(String name) {
        created.release(name); // its portals are in the sets of the savepoints before it already
    }

    /** The source confirmed a portal: created since every savepoint open now. */
    void bound(String portal) {
        created.forEach(since -> since.add(portal));
    }

    /** @return the portals the source dropped: those created since the savepoint, which stays, with none since */
    Set<String> rollbackTo(String name) {
        Set<String> since = created.rollbackTo(name);
        if (since == null || since.isEmpty()) {
            return Set.of();
        }
        Set<String> dropped = Set.copyOf(since);
        since.clear();
        return dropped;
    }

    /** The transaction ended. */
    void clear() {
        created.clear();
    }
}
