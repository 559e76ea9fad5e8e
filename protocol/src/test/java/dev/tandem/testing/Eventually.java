package dev.tandem.testing;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Waits for what another thread or process brings about (a row on the target, a session gone from the source). The
 * minute is a bound for a machine under load, not a measure: a condition that holds returns at once.
 */
public final class Eventually {

    private Eventually() {
    }

    /** Polls {@code condition} until it holds; fails naming {@code what} after a minute. */
    public static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("never happened: " + what);
            }
            Thread.sleep(20);
        }
    }
}
