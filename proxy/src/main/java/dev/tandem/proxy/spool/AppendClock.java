package dev.tandem.proxy.spool;

import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The clock that stamps spool records, segments and the clean-stop mark and measures their age (the mirror's lag,
 * and the {@code caught_up_to} the backfill waits for): the host's wall clock as read once, advanced by
 * {@link System#nanoTime}. Ages measured with the wall clock itself follow its steps (NTP correcting a large offset, a
 * VM resumed): stepped back, a record still waiting in the spool looks younger than it is, the target is told that the
 * mirror caught up past commits it has not applied, and a backfill copying a range meanwhile gets the record's row
 * twice; stepped forward, the lag jumps. The stamps outlive the process in the spool's files, so they stay wall-clock
 * times: a step while the proxy is down still moves the ages of the records it left behind.
 */
public final class AppendClock {

    /** The one clock of the process: every stamp and every age are measured against the same reading. */
    public static final AppendClock SYSTEM = new AppendClock(Instant.now(), System::nanoTime);

    private final long startEpochNanos;
    private final long startNanoTime;
    private final LongSupplier nanoTime;

    /**
     * @param wallAtStart the wall clock's time at {@code nanoTime}'s first reading
     * @param nanoTime    a monotonic nanosecond counter
     */
    AppendClock(Instant wallAtStart, LongSupplier nanoTime) {
        this.startEpochNanos = TimeUnit.SECONDS.toNanos(wallAtStart.getEpochSecond()) + wallAtStart.getNano();
        this.nanoTime = nanoTime;
        this.startNanoTime = nanoTime.getAsLong();
    }

    /** Now, in epoch milliseconds. */
    public long millis() {
        return Math.floorDiv(startEpochNanos + (nanoTime.getAsLong() - startNanoTime), 1_000_000L);
    }

    public Instant now() {
        return Instant.ofEpochMilli(millis());
    }
}
