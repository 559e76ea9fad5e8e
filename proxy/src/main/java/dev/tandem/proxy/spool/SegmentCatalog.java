package dev.tandem.proxy.spool;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The segments of one spool and how far readers may read.
 *
 * <p>The <em>visible end</em> is the position up to which records are complete on disk and may be handed to readers:
 * right after each write with {@link FsyncPolicy#INTERVAL}/{@link FsyncPolicy#NEVER}, only after the fsync with
 * {@link FsyncPolicy#ALWAYS} (the target never applies a record the spool could still lose). Readers wait on it; the
 * writer publishes it.
 */
final class SegmentCatalog {

    private final ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();
    private final AtomicLong totalBytes = new AtomicLong();
    private final Object visibility = new Object();
    private final AtomicInteger waiters = new AtomicInteger();
    private final List<CompletableFuture<Void>> availabilityListeners = new ArrayList<>();
    private volatile SpoolPosition visibleEnd = SpoolPosition.ORIGIN;
    private volatile boolean closed;

    void add(Segment segment) {
        segments.put(segment.firstSequence(), segment);
        totalBytes.addAndGet(segment.size());
    }

    void remove(Segment segment) {
        if (segments.remove(segment.firstSequence(), segment)) {
            totalBytes.addAndGet(-segment.size());
        }
    }

    /** Called by the writer after it grew a segment. */
    void grew(long bytes) {
        totalBytes.addAndGet(bytes);
    }

    long totalBytes() {
        return totalBytes.get();
    }

    int count() {
        return segments.size();
    }

    Segment get(long firstSequence) {
        return segments.get(firstSequence);
    }

    Segment oldest() {
        Map.Entry<Long, Segment> e = segments.firstEntry();
        return e == null ? null : e.getValue();
    }

    Segment newest() {
        Map.Entry<Long, Segment> e = segments.lastEntry();
        return e == null ? null : e.getValue();
    }

    Segment after(long firstSequence) {
        Map.Entry<Long, Segment> e = segments.higherEntry(firstSequence);
        return e == null ? null : e.getValue();
    }

    /** The segment holding {@code firstSequence} or the first one after it. */
    Segment atOrAfter(long firstSequence) {
        Map.Entry<Long, Segment> e = segments.ceilingEntry(firstSequence);
        return e == null ? null : e.getValue();
    }

    List<Segment> snapshot() {
        return new ArrayList<>(segments.values());
    }

    SpoolPosition visibleEnd() {
        return visibleEnd;
    }

    /** Moves the visible end forward (never back) and wakes readers waiting for it. */
    void publish(SpoolPosition end) {
        synchronized (visibility) {
            if (!end.isAfter(visibleEnd)) {
                return;
            }
            visibleEnd = end;
        }
        wakeWaiters();
    }

    /** Lets waiting readers see that the spool closed. */
    void close() {
        closed = true;
        wakeWaiters();
    }

    boolean closed() {
        return closed;
    }

    private void wakeWaiters() {
        if (waiters.get() == 0) {
            return;
        }
        List<CompletableFuture<Void>> listeners;
        synchronized (visibility) {
            visibility.notifyAll();
            listeners = new ArrayList<>(availabilityListeners);
            availabilityListeners.clear();
            waiters.addAndGet(-listeners.size());
        }
        listeners.forEach(l -> l.complete(null));
    }

    /**
     * Waits until the visible end is beyond {@code position}, the spool closes or the timeout passes.
     *
     * @return whether the visible end is beyond {@code position}
     */
    boolean awaitBeyond(SpoolPosition position, long timeoutNanos) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        synchronized (visibility) {
            waiters.incrementAndGet();
            try {
                while (!visibleEnd.isAfter(position) && !closed) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    TimeUnit.NANOSECONDS.timedWait(visibility, left);
                }
                return visibleEnd.isAfter(position);
            } finally {
                waiters.decrementAndGet();
            }
        }
    }

    /** Completes once the visible end moves beyond {@code position} (or the spool closes). */
    CompletableFuture<Void> whenBeyond(SpoolPosition position) {
        synchronized (visibility) {
            if (visibleEnd.isAfter(position) || closed) {
                return CompletableFuture.completedFuture(null);
            }
            CompletableFuture<Void> listener = new CompletableFuture<>();
            availabilityListeners.add(listener);
            waiters.incrementAndGet();
            return listener;
        }
    }
}
