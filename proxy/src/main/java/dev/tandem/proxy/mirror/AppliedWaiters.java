package dev.tandem.proxy.mirror;

import dev.tandem.proxy.spool.SpoolPosition;
import dev.tandem.proxy.spool.SpoolRecord;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Whoever waits for spool records to be applied on the target (a sync-mode session holding its ReadyForQuery, a test,
 * the admin's caught-up check): by sequence number, or by the position a spool append completed with. The applier
 * thread moves the applied mark; any thread may wait. A future asked for after its record was applied is complete at
 * once.
 */
final class AppliedWaiters {

    private final ConcurrentSkipListMap<Long, CompletableFuture<Void>> bySequence = new ConcurrentSkipListMap<>();
    private final ConcurrentSkipListMap<SpoolPosition, CompletableFuture<Void>> byPosition =
            new ConcurrentSkipListMap<>();
    private volatile long appliedSequence;
    private volatile SpoolPosition appliedEnd = SpoolPosition.ORIGIN;

    /**
     * @param firstSequence the oldest record's sequence number when the applier starts: the records before it are
     *                      applied already (the spool deleted them), though this applier will never read them
     */
    AppliedWaiters(long firstSequence) {
        appliedSequence = Math.max(0, firstSequence - 1);
    }

    /** Completes once the record with this sequence number is applied. */
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

    /** Completes once the record starting at {@code position} is applied. */
    CompletableFuture<Void> byPosition(SpoolPosition position) {
        if (position.compareTo(appliedEnd) < 0) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> done = byPosition.computeIfAbsent(position, p -> new CompletableFuture<>());
        if (position.compareTo(appliedEnd) < 0) {
            done.complete(null);
        }
        return done;
    }

    long appliedSequence() {
        return appliedSequence;
    }

    /** Every record up to {@code last} is applied or ledgered everywhere: release whoever waits for them. */
    void applied(SpoolRecord last) {
        appliedSequence = last.sequence();
        appliedEnd = last.next();
        for (Map.Entry<Long, CompletableFuture<Void>> e : bySequence.headMap(last.sequence(), true).entrySet()) {
            e.getValue().complete(null);
            bySequence.remove(e.getKey(), e.getValue());
        }
        for (Map.Entry<SpoolPosition, CompletableFuture<Void>> e : byPosition.headMap(last.next(), false).entrySet()) {
            e.getValue().complete(null);
            byPosition.remove(e.getKey(), e.getValue());
        }
    }

    /** Nothing more will be applied by this applier: every waiter fails with {@code why}. */
    void fail(RuntimeException why) {
        bySequence.values().forEach(f -> f.completeExceptionally(why));
        byPosition.values().forEach(f -> f.completeExceptionally(why));
        bySequence.clear();
        byPosition.clear();
    }
}
