package dev.tandem.proxy.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AppendClockTest {

    private static final Instant START = Instant.parse("2026-10-25T00:59:59.999600Z");

    @Test
    void advancesWithTheMonotonicCounterOnlySoThatAgesSpanningAStepOfTheWallClockStayTrue() {
        AtomicLong nanos = new AtomicLong(123_456_789L);
        AppendClock clock = new AppendClock(START, nanos::get);
        long appended = clock.millis();
        assertThat(appended).isEqualTo(START.toEpochMilli());

        // whatever the host's wall clock does meanwhile, 90 s on the counter are 90 s of age
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(90));
        assertThat(clock.millis() - appended).isEqualTo(90_000L);
        assertThat(clock.now()).isEqualTo(Instant.parse("2026-10-25T01:01:29.999Z"));
    }

    @Test
    void keepsTheSubMillisecondPartOfTheStartAndAWrappingCounter() {
        AtomicLong nanos = new AtomicLong(Long.MAX_VALUE - 100_000L);
        AppendClock clock = new AppendClock(START, nanos::get);
        nanos.addAndGet(500_000L); // past Long.MAX_VALUE: nanoTime values are only compared by difference
        assertThat(clock.now()).isEqualTo(Instant.parse("2026-10-25T01:00:00.000Z"));
    }
}
