package dev.tandem.proxy.capture;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The relation DDL that transactions through the proxy committed, per source database, until a look-up of the source's
 * catalog that started after the commit has succeeded ({@link SourceRelations}): that look-up runs in the background,
 * so for a while after the commit the catalog the proxy holds is the one from before, and a write of any session right
 * after it would be resolved as if the DDL had not run. Each commit is numbered; a look-up takes the number reached
 * when it starts ({@link #mark}), and once it succeeded forgets the commits up to it ({@link #lookedUp}): the source
 * made each of them visible before the proxy heard of it, so the look-up's snapshot has them.
 */
final class RecentRelationChanges {

    private record Commit(long number, RelationOverlay changes) {
    }

    /** One database's commits not yet looked up, oldest first, and all of them laid over each other. */
    private static final class Database {
        private final List<Commit> commits = new ArrayList<>();
        private volatile RelationOverlay merged = RelationOverlay.NONE;
    }

    private final AtomicLong numbered = new AtomicLong();
    private final Map<String, Database> byDatabase = new ConcurrentHashMap<>();

    /** What {@code database}'s commits not yet looked up changed, read at every call; never waits. */
    Supplier<RelationOverlay> forDatabase(String database) {
        Database d = byDatabase.computeIfAbsent(database, k -> new Database());
        return () -> d.merged;
    }

    /** A transaction committed on {@code database} through the proxy, with this DDL. */
    void committed(String database, RelationOverlay changes) {
        Database d = byDatabase.computeIfAbsent(database, k -> new Database());
        synchronized (d) {
            d.commits.add(new Commit(numbered.incrementAndGet(), changes));
            d.merged = changes.over(d.merged);
        }
    }

    /** The number a look-up starting now takes: the commits numbered up to it are in its snapshot. */
    long mark() {
        return numbered.get();
    }

    /**
     * A look-up of {@code database} that took {@code mark} as it started succeeded.
     *
     * @return whether it forgot any commit: what names resolve to may differ now
     */
    boolean lookedUp(String database, long mark) {
        Database d = byDatabase.get(database);
        if (d == null) {
            return false;
        }
        synchronized (d) {
            if (!d.commits.removeIf(c -> c.number() <= mark)) {
                return false;
            }
            RelationOverlay merged = RelationOverlay.NONE;
            for (Commit c : d.commits) {
                merged = c.changes().over(merged);
            }
            d.merged = merged;
            return true;
        }
    }
}
