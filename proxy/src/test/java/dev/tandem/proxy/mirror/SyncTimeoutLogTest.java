package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.proxy.LoggedWarnings;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SyncTimeoutLogTest {

    @Test
    void theFirstTimeoutIsLoggedThenOneLineAWindowWithHowManyThereWere() {
        AtomicLong clock = new AtomicLong();
        SyncTimeoutLog log = new SyncTimeoutLog(Duration.ofSeconds(5), Duration.ofMinutes(1), clock::get);
        List<String> warnings = LoggedWarnings.of(SyncTimeoutLog.class, () -> {
            log.timedOut();
            for (int i = 0; i < 999; i++) {
                clock.addAndGet(Duration.ofMillis(10).toNanos());
                log.timedOut();
            }
            clock.addAndGet(Duration.ofMinutes(1).toNanos());
            log.timedOut();
        });
        assertThat(warnings).hasSize(2);
        assertThat(warnings.get(0)).startsWith("mirror: 1 sync-mode commit(s) answered after mirror.sync-timeout (5000"
                + " ms) before the target had committed them: ").contains("tandem_mirror_sync_timeouts_total");
        assertThat(warnings.get(1)).startsWith("mirror: 1000 sync-mode commit(s) answered after mirror.sync-timeout"
                + " (5000 ms) before the target had committed them since the last such line");
    }
}
