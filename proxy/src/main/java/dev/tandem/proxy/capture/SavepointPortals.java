package dev.tandem.proxy.capture;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The portals of the open transaction created since each of its savepoints. A ROLLBACK TO SAVEPOINT drops every portal
 * created since that savepoint (PostgreSQL's AtSubCleanup_Portals), and keeps the ones created before, also one
 * suspended before and run further since; a RELEASE leaves the portals to the enclosing savepoint.
 *
 * <p>Each portal is kept once, with how many savepoints were open when it was created, not in a set per savepoint: a
 * client that sets a savepoint before every statement and releases none (pgjdbc's autosave) has thousands open, and
 * each Bind then went through all of them.
 */
final class SavepointPortals {

    /** The open savepoints, each with how many were open before it (its depth). */
    private final Savepoints<Integer> savepoints = new Savepoints<>();
    /** How many savepoints are open. */
    private int depth;
    /** Portal -> how many savepoints were open when the source confirmed it; only those created in one. */
    private final Map<String, Integer> created = new HashMap<>();

    void savepoint(String name) {
        savepoints.set(name, depth);
        depth++;
    }

    void release(String name) {
        Integer released = savepoints.release(name);
        if (released == null) {
            return;
        }
        depth = released;
        for (Iterator<Map.Entry<String, Integer>> i = created.entrySet().iterator(); i.hasNext(); ) {
            Map.Entry<String, Integer> portal = i.next();
            if (portal.getValue() > depth) {
                if (depth == 0) {
                    i.remove(); // created in no savepoint now: none can drop it
                } else {
                    portal.setValue(depth);
                }
            }
        }
    }

    /** The source confirmed a portal: created since every savepoint open now. */
    void bound(String portal) {
        if (depth > 0) {
            created.put(portal, depth);
        } else if (!created.isEmpty()) {
            created.remove(portal); // it replaces one of its name
        }
    }

    /** @return the portals the source dropped: those created since the savepoint, which stays, with none since */
    Set<String> rollbackTo(String name) {
        Integer kept = savepoints.rollbackTo(name);
        if (kept == null) {
            return Set.of();
        }
        depth = kept + 1;
        Set<String> dropped = null;
        for (Iterator<Map.Entry<String, Integer>> i = created.entrySet().iterator(); i.hasNext(); ) {
            Map.Entry<String, Integer> portal = i.next();
            if (portal.getValue() > kept) {
                if (dropped == null) {
                    dropped = new HashSet<>();
                }
                dropped.add(portal.getKey());
                i.remove();
            }
        }
        return dropped == null ? Set.of() : dropped;
    }

    /** For tests: how many portals are held. */
    int held() {
        return created.size();
    }

    /** The transaction ended. */
    void clear() {
        savepoints.clear();
        depth = 0;
        created.clear();
    }
}
