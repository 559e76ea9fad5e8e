package dev.tandem.proxy.mirror;

import java.util.HashMap;
import java.util.Map;

/**
 * Which failed retries of a parked database are worth a WARN line: the first failure, one for another reason than the
 * last line said, and otherwise one per {@link #every} with how many attempts failed since. The retries back off from
 * 100 ms: a target down for half a minute made ten lines, each repeating the whole hint (create the database, fix the
 * credentials), which buried the line that said what changed. The other attempts are logged at DEBUG. Applier thread
 * only.
 */
final class ParkedRetryLog {

    /** What was last said of a database at WARN, when, and how many failed attempts went unsaid since. */
    private static final class Said {
        String why;
        long at;
        int unsaid;
    }

    private final long every;
    private final Map<String, Said> said = new HashMap<>();

    /** @param everyNanos the longest a database's failed retries go without a WARN line while the reason stays */
    ParkedRetryLog(long everyNanos) {
        this.every = everyNanos;
    }

    /**
     * A failed attempt of {@code database} for {@code why}, at {@code now} (nanoTime): -1 when it is not to be said at
     * WARN, else how many failed attempts went unsaid before it (0 for a first failure or a new reason).
     */
    int failed(String database, String why, long now) {
        Said last = said.get(database);
        if (last == null) {
            last = new Said();
            said.put(database, last);
        } else if (why.equals(last.why) && now - last.at < every) {
            last.unsaid++;
            return -1;
        }
        int unsaid = why.equals(last.why) ? last.unsaid : 0;
        last.why = why;
        last.at = now;
        last.unsaid = 0;
        return unsaid;
    }

    /** The database caught up: its next failure is a first one again. */
    void caughtUp(String database) {
        said.remove(database);
    }
}
