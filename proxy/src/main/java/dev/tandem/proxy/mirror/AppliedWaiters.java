package dev.tandem.proxy.mirror;

import dev.tandem.proxy.spool.SpoolPosition;
import dev.tandem.proxy.spool.SpoolRecord;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Whoever waits for spool records to be applied on the target (a sync-mode session holding its ReadyForQuery, a test,
 * the admin's caught-up check): by sequence number, or by the position a spool append completed with, of a target
 * database or of every one. The applier thread moves the applied marks; any thread may wait. A future asked for
 * after its record was applied is complete at once.
 *
 * <p>While a database is parked ({@link ParkedDatabases}) the records after its position are applied for the other
 * databases only: a wait for one of its records, or for every database, is held until it catches up.
 */
final class AppliedWaiters {

    /** A wait for the record at a position of {@code database}. */
    private static final class Waiter extends CompletableFuture<Void> {
        final String database;

        Waiter(String database) {
            this.database = database;
        }
    }

    private final ParkedDatabases parked;
    private final ConcurrentSkipListMap<Long, CompletableFuture<Void>> bySequence = new ConcurrentSkipListMap<>();
    private final ConcurrentSkipListMap<SpoolPosition, Waiter> byPosition = new ConcurrentSkipListMap<>();
    /** Waits for a record to be applied on every database. */
    private final ConcurrentSkipListMap<SpoolPosition, CompletableFuture<Void>> everywhereByPosition =
            new ConcurrentSkipListMap<>();
    /**
     * Waits read past by the applier that are held for a parked database, by database (the applier thread adds and
     * releases them).
     */
    private final Map<String, NavigableMap<SpoolPosition, Waiter>> held = new ConcurrentHashMap<>();
    /** Every record up to it is applied on every database. */
    private volatile long appliedSequence;
    /** Every record before it is applied on every database. */
    private volatile SpoolPosition appliedEnd = SpoolPosition.ORIGIN;
    /** Every record before it is applied, but those of a parked database from its position on. */
    private volatile SpoolPosition readEnd = SpoolPosition.ORIGIN;

    /**
     * @param firstSequence the oldest record's sequence number when the applier starts: the records before it are
     *                      applied already (the spool deleted them), though this applier will never read them
     */
    AppliedWaiters(long firstSequence, ParkedDatabases parked) {
        this.parked = parked;
        appliedSequence = Math.max(0, firstSequence - 1);
    }

    /** Completes once the record with this sequence number is applied on every database. */
    CompletableFuture<Void> bySequence(long sequence) {
        if (sequence <= appliedSequence) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> done = bySequence.computeIfAbsent(sequence, s -> new CompletableFuture<>());
        if (sequence <= appliedSequence) {
            done.complete(null); // the applier moved on between the check and the registration
        }
        return done;
    }

    /**
     * Completes once the record starting at {@code position} is applied on {@code database}, its target database, or
     * on every database when null.
     */
    CompletableFuture<Void> byPosition(String database, SpoolPosition position) {
        if (applied(database, position)) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> done = database == null
                ? everywhereByPosition.computeIfAbsent(position, p -> new CompletableFuture<>())
                : byPosition.computeIfAbsent(position, p -> new Waiter(database));
        if (applied(database, position)) {
            done.complete(null);
        }
        return done;
    }

    /**
     * Whether the record at {@code position} is applied on {@code database} (null: on every database). Reads
     * {@link #readEnd} before the parked position: the applier parks a database before it moves readEnd past its
     * records, and resumes it only once it applied everything before readEnd.
     */
    private boolean applied(String database, SpoolPosition position) {
        if (position.compareTo(appliedEnd) < 0) {
            return true;
        }
        if (database == null) {
            return false;
        }
        SpoolPosition end = readEnd;
        SpoolPosition from = parked.from(database);
        return position.compareTo(from != null ? from : end) < 0;
    }

    long appliedSequence() {
        return appliedSequence;
    }

    /** Every record before it is applied, but those of a parked database from its position on. */
    SpoolPosition readEnd() {
        return readEnd;
    }

    /**
     * Every record up to {@code last} is applied or ledgered everywhere (nothing is parked): release whoever waits
     * for them.
     */
    void applied(SpoolRecord last) {
        appliedSequence = last.sequence();
        appliedEnd = last.next();
        readEnd = last.next();
        for (Map.Entry<Long, CompletableFuture<Void>> e : bySequence.headMap(last.sequence(), true).entrySet()) {
            e.getValue().complete(null);
            bySequence.remove(e.getKey(), e.getValue());
        }
        for (Map.Entry<SpoolPosition, Waiter> e : byPosition.headMap(last.next(), false).entrySet()) {
            e.getValue().complete(null);
            byPosition.remove(e.getKey(), e.getValue());
        }
        if (!everywhereByPosition.isEmpty()) {
            releaseEverywhere(last.next());
        }
        if (!held.isEmpty()) {
            held.values().forEach(waiting -> waiting.values().forEach(w -> w.complete(null)));
            held.clear();
        }
    }

    /**
     * The applier read up to {@code readEnd} while databases are parked: every record before it is applied but those
     * of a parked database from its position on; every record before {@code appliedEnd} (up to sequence
     * {@code appliedSequence}) is applied everywhere. Call after each change of the parked databases too.
     */
    void applied(SpoolPosition readEnd, long appliedSequence, SpoolPosition appliedEnd) {
        this.appliedSequence = appliedSequence;
        this.appliedEnd = appliedEnd;
        this.readEnd = readEnd;
        for (Map.Entry<Long, CompletableFuture<Void>> e : bySequence.headMap(appliedSequence, true).entrySet()) {
            e.getValue().complete(null);
            bySequence.remove(e.getKey(), e.getValue());
        }
        releaseEverywhere(appliedEnd);
        for (Map.Entry<SpoolPosition, Waiter> e : byPosition.headMap(readEnd, false).entrySet()) {
            Waiter w = e.getValue();
            byPosition.remove(e.getKey(), w);
            if (applied(w.database, e.getKey())) {
                w.complete(null);
            } else {
                held.computeIfAbsent(w.database, d -> new ConcurrentSkipListMap<>()).put(e.getKey(), w);
            }
        }
        for (Iterator<Map.Entry<String, NavigableMap<SpoolPosition, Waiter>>> i = held.entrySet().iterator();
             i.hasNext(); ) {
            Map.Entry<String, NavigableMap<SpoolPosition, Waiter>> e = i.next();
            SpoolPosition from = parked.from(e.getKey());
            NavigableMap<SpoolPosition, Waiter> released = from == null ? e.getValue() : e.getValue().headMap(from,
                    false);
            released.values().forEach(w -> w.complete(null));
            released.clear();
            if (e.getValue().isEmpty()) {
                i.remove();
            }
        }
    }

    private void releaseEverywhere(SpoolPosition end) {
        for (Map.Entry<SpoolPosition, CompletableFuture<Void>> e : everywhereByPosition.headMap(end, false)
                .entrySet()) {
            e.getValue().complete(null);
            everywhereByPosition.remove(e.getKey(), e.getValue());
        }
    }

    /** Nothing more will be applied by this applier: every waiter fails with {@code why}. */
    void fail(RuntimeException why) {
        bySequence.values().forEach(f -> f.completeExceptionally(why));
        byPosition.values().forEach(f -> f.completeExceptionally(why));
        everywhereByPosition.values().forEach(f -> f.completeExceptionally(why));
        bySequence.clear();
        byPosition.clear();
        everywhereByPosition.clear();
        held.values().forEach(waiting -> waiting.values().forEach(w -> w.completeExceptionally(why)));
        held.clear();
    }
}
