package dev.tandem.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.proxy.LoggedWarnings;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SourceOutageLogTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void anOutageIsToldOnceAMinuteWithTheSessionsItRefusedAndItsEnd() {
        AtomicLong now = new AtomicLong(5 * SECOND);
        SourceOutageLog outage = new SourceOutageLog("db-old:5432", now::get);
        List<String> told = LoggedWarnings.infoAndAbove(SourceOutageLog.class, () -> {
            outage.reached();
            for (int i = 0; i < 150; i++) {
                outage.refused("Connection refused");
                now.addAndGet(SECOND / 2);
            }
            outage.reached();
            outage.reached();
        });
        assertThat(told).hasSize(3);
        assertThat(told.get(0)).startsWith("source db-old:5432 cannot be reached (Connection refused): clients get"
                + " FATAL 08006 until it can");
        assertThat(told.get(1)).isEqualTo("source db-old:5432 still cannot be reached (Connection refused), for 60 s"
                + " now: 120 more session(s) refused in the last 60 s");
        assertThat(told.get(2)).isEqualTo("source db-old:5432 reached again after 75 s: 150 session(s) were refused"
                + " meanwhile");
    }
}
