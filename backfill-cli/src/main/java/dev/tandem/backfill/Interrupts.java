package dev.tandem.backfill;

import java.util.concurrent.atomic.AtomicBoolean;
import sun.misc.Signal;

/**
 * Ctrl-C once: finish the running tasks and stop; twice: stop now. Stopping now halts the JVM, which closes every
 * connection, so the server rolls back each running task's transaction and its target range stays unchanged.
 * {@code sun.misc.Signal} is used because a shutdown hook runs only once: it cannot see the second Ctrl-C.
 */
final class Interrupts {

    private static final int INTERRUPTED = 130;

    private Interrupts() {
    }

    static void install(AtomicBoolean stopRequested) {
        Signal.handle(new Signal("INT"), signal -> {
            if (stopRequested.compareAndSet(false, true)) {
                System.err.println("\nstopping after the running tasks; press Ctrl-C again to roll them back and stop now");
            } else {
                System.err.println("\nrolling back the running tasks and stopping");
                Runtime.getRuntime().halt(INTERRUPTED);
            }
        });
    }
}
