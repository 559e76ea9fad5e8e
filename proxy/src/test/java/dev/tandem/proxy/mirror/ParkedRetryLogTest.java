package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ParkedRetryLogTest {

    private static final long MINUTE = 60_000_000_000L;

    @Test
    void aReasonIsSaidOncePerPeriodWithTheAttemptsThatWentUnsaid() {
        ParkedRetryLog log = new ParkedRetryLog(MINUTE);
        assertThat(log.failed("a", "SQLSTATE 08006: refused", 0)).as("the first failure").isZero();
        assertThat(log.failed("a", "SQLSTATE 08006: refused", 100)).isEqualTo(-1);
        assertThat(log.failed("a", "SQLSTATE 08006: refused", MINUTE - 1)).isEqualTo(-1);
        assertThat(log.failed("b", "SQLSTATE 08006: refused", 200)).as("another database's own").isZero();
        assertThat(log.failed("a", "SQLSTATE 08006: refused", MINUTE)).as("a minute on, with the two unsaid")
                .isEqualTo(2);
        assertThat(log.failed("a", "SQLSTATE 3D000: gone", MINUTE + 1)).as("a new reason, at once").isZero();
        assertThat(log.failed("a", "SQLSTATE 3D000: gone", MINUTE + 2)).isEqualTo(-1);
        log.caughtUp("a");
        assertThat(log.failed("a", "SQLSTATE 3D000: gone", MINUTE + 3)).as("a first failure again").isZero();
    }
}
