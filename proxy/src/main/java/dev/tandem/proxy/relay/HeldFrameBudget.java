package dev.tandem.proxy.relay;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The bytes all sessions together may hold of client messages that arrive in pieces and must be seen whole (a
 * mirroring session's queries, Parse and Bind messages): {@code limits.max-held-bytes}. A session reserves a message's
 * whole length when its first piece arrives; when that does not fit, the session stops reading its client until other
 * sessions' messages completed and made room. Sessions never wait for each other in a circle: a session holds a
 * reservation only for a message it is receiving, and one message always fits alone (the budget is at least
 * {@code limits.max-frame-bytes}). Messages under {@link #RESERVED_FROM} bytes are held without a reservation: at most
 * one at a time per session.
 *
 * <p>Waiting sessions get room in the order they asked. Thread-safe: sessions run on several event loops.
 */
final class HeldFrameBudget {

    /** Smaller messages are not counted: a session holds at most one of them, which costs less than its buffers. */
    static final int RESERVED_FROM = 1 << 20;

    /** A session waiting for room; {@code granted} runs, on any thread, once {@code bytes} are reserved for it. */
    static final class Waiter {
        private final long bytes;
        private final Runnable granted;

        private Waiter(long bytes, Runnable granted) {
            this.bytes = bytes;
            this.granted = granted;
        }
    }

    private final long limit;
    private long reserved;
    private final Deque<Waiter> waiting = new ArrayDeque<>();

    HeldFrameBudget(long limit) {
        this.limit = limit;
    }

    /** Reserves {@code bytes} now if they fit and nobody waits before this caller. */
    synchronized boolean tryReserve(long bytes) {
        if (!waiting.isEmpty() || reserved + bytes > limit) {
            return false;
        }
        reserved += bytes;
        return true;
    }

    /** Queues for {@code bytes}: {@code granted} runs once they are reserved for the caller, who then releases them. */
    Waiter await(long bytes, Runnable granted) {
        Waiter waiter = new Waiter(bytes, granted);
        List<Runnable> ready;
        synchronized (this) {
            waiting.add(waiter);
            ready = grant();
        }
        ready.forEach(Runnable::run);
        return waiter;
    }

    /** Takes a waiter out of the queue (its session ended); false when its bytes were granted already. */
    synchronized boolean cancel(Waiter waiter) {
        return waiting.remove(waiter);
    }

    void release(long bytes) {
        List<Runnable> ready;
        synchronized (this) {
            reserved -= bytes;
            ready = grant();
        }
        ready.forEach(Runnable::run);
    }

    synchronized long reserved() {
        return reserved;
    }

    synchronized int waiting() {
        return waiting.size();
    }

    /** Reserves for the waiters at the head of the queue that fit now (lock held). */
    private List<Runnable> grant() {
        List<Runnable> ready = new ArrayList<>();
        while (!waiting.isEmpty() && reserved + waiting.peek().bytes <= limit) {
            Waiter next = waiting.poll();
            reserved += next.bytes;
            ready.add(next.granted);
        }
        return ready;
    }
}
