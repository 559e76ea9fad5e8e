package dev.tandem.proxy.mirror;

import dev.tandem.proxy.spool.SpoolPosition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The target databases the applier could not apply to and left behind, so that one the target cannot serve for now
 * (missing, refusing the credentials, down) holds up no other: per database, where its records that may not be applied
 * start in the spool (every earlier record of it is applied), and when to try again. Its records stay in the spool,
 * which is acknowledged no further than the oldest such position, and are read again from there when it is retried.
 * Each also has the position it is shown at ({@code /status}, its lag): the same, but for a database parked before the
 * proxy reached it since it started, where an earlier run saw it applied up to, the target's to confirm.
 * The applier thread changes it; any thread may read it.
 */
final class ParkedDatabases {

    /**
     * @param from     where the database's records that may not be applied start: its earlier ones are applied
     * @param before   the sequence number of the record before {@code from}: every record up to it of this database
     *                 is applied
     * @param failures attempts in a row that failed
     * @param retryAt  {@link System#nanoTime} of the next attempt
     * @param since    when it was parked
     * @param error    the last failure, as logged
     * @param shownFrom   where its records not applied start as far as the proxy knows: {@code from}, or further on
     *                    where an earlier run saw it applied up to, until the target says otherwise
     * @param shownBefore the sequence number of the record before {@code shownFrom}
     */
    record Parked(SpoolPosition from, long before, int failures, long retryAt, Instant since, String error,
                  SpoolPosition shownFrom, long shownBefore) {
    }

    private final Map<String, Parked> parked = new ConcurrentHashMap<>();

    boolean isEmpty() {
        return parked.isEmpty();
    }

    int size() {
        return parked.size();
    }

    boolean contains(String database) {
        return parked.containsKey(database);
    }

    Parked get(String database) {
        return parked.get(database);
    }

    /** Where the database's records that may not be applied start, or null when it is not parked. */
    SpoolPosition from(String database) {
        Parked p = parked.get(database);
        return p == null ? null : p.from();
    }

    /**
     * Where the database is shown, or null when it is not parked: where its records not applied start as far as the
     * proxy knows.
     */
    SpoolPosition shownFrom(String database) {
        Parked p = parked.get(database);
        return p == null ? null : p.shownFrom();
    }

    /**
     * Leaves the database behind after a failed attempt, or again after another one.
     *
     * @param presumed how far an earlier run saw it applied, when the proxy has not reached it since; or null
     */
    void park(String database, SpoolPosition from, long before, int failures, long retryAt, String error,
              AppliedMarks.Reached presumed) {
        Parked earlier = parked.get(database);
        SpoolPosition shownFrom = from;
        long shownBefore = before;
        if (earlier != null && earlier.shownFrom().compareTo(shownFrom) > 0) {
            shownFrom = earlier.shownFrom();
            shownBefore = earlier.shownBefore();
        }
        if (presumed != null && presumed.position().compareTo(shownFrom) > 0) {
            shownFrom = presumed.position();
            shownBefore = presumed.before();
        }
        parked.put(database, new Parked(from, before, failures, retryAt,
                earlier == null ? Instant.now() : earlier.since(), error, shownFrom, shownBefore));
    }

    /**
     * The database applied everything before {@code from} (the record before it has sequence {@code before}): no
     * attempt failed since.
     */
    void advance(String database, SpoolPosition from, long before) {
        parked.computeIfPresent(database, (d, p) -> p.shownFrom().compareTo(from) > 0
                ? new Parked(from, before, 0, p.retryAt(), p.since(), p.error(), p.shownFrom(), p.shownBefore())
                : new Parked(from, before, 0, p.retryAt(), p.since(), p.error(), from, before));
    }

    /** The target showed that what an earlier run saw applied there is not: the database is shown where it is read. */
    void forgetPresumption(String database) {
        parked.computeIfPresent(database, (d, p) -> new Parked(p.from(), p.before(), p.failures(), p.retryAt(),
                p.since(), p.error(), p.from(), p.before()));
    }

    void resume(String database) {
        parked.remove(database);
    }

    /** The parked databases whose time to try again came, oldest position first. */
    List<String> due(long now) {
        List<Map.Entry<String, Parked>> due = new ArrayList<>();
        for (Map.Entry<String, Parked> e : parked.entrySet()) {
            if (now - e.getValue().retryAt() >= 0) {
                due.add(e);
            }
        }
        due.sort(Map.Entry.comparingByValue((x, y) -> x.from().compareTo(y.from())));
        return due.stream().map(Map.Entry::getKey).toList();
    }

    /** Nanoseconds until the first parked database is due (0 when one is), or {@code max} when none is parked. */
    long nanosUntilDue(long now, long max) {
        long wait = max;
        for (Parked p : parked.values()) {
            wait = Math.min(wait, Math.max(0, p.retryAt() - now));
        }
        return wait;
    }

    /** The parked database whose records start first in the spool, or null when none is parked. */
    Parked oldest() {
        return first(Parked::from);
    }

    /** The parked database shown first in the spool, or null when none is parked. */
    Parked oldestShown() {
        return first(Parked::shownFrom);
    }

    private Parked first(Function<Parked, SpoolPosition> position) {
        return parked.values().stream().min(Comparator.comparing(position)).orElse(null);
    }

    /** The parked databases and the positions they are shown at. */
    Map<String, Parked> snapshot() {
        return Map.copyOf(parked);
    }

    /** Whether every parked database failed at least {@code failures} attempts in a row. */
    boolean allFailedAtLeast(int failures) {
        return parked.values().stream().allMatch(p -> p.failures() >= failures);
    }

    /** The parked databases and why, for {@code /status}. */
    Map<String, Map<String, Object>> describe() {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        parked.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("since", e.getValue().since().toString());
            d.put("failedAttempts", e.getValue().failures());
            d.put("error", e.getValue().error());
            out.put(e.getKey(), d);
        });
        return out;
    }
}
