package dev.tandem.proxy.capture;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The memory all sessions together may hold for the captured data of their open transactions
 * ({@code mirror.max-captured-bytes}). Each session reserves what it captures and gives it back when the transaction
 * ends; a transaction that would pass the limit is ledgered instead of replayed, so many large open transactions at
 * once cost a ledger entry each rather than the proxy's heap.
 */
public final class CaptureBudget {

    private final long max;
    private final AtomicLong used = new AtomicLong();

    public CaptureBudget(long max) {
        if (max < 1) {
            throw new IllegalArgumentException("capture budget must be positive: " + max);
        }
        this.max = max;
    }

    /** For tests and tools that do not limit the total. */
    public static CaptureBudget unlimited() {
        return new CaptureBudget(Long.MAX_VALUE);
    }

    /** Reserves {@code bytes} if they fit; false (and nothing reserved) otherwise. */
    boolean tryReserve(long bytes) {
        while (true) {
            long now = used.get();
            if (bytes > max - now) {
                return false;
            }
            if (used.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    void release(long bytes) {
        used.addAndGet(-bytes);
    }

    public long used() {
        return used.get();
    }

    public long max() {
        return max;
    }
}
