package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.proxy.spool.SpoolPosition;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class TimedOutReplaysTest {

    private static final long SECOND = Duration.ofSeconds(1).toNanos();
    private static final String TIMEOUT = "canceling statement due to statement timeout";

    @Test
    void aCancelIsTheMirrorsTimeoutOnlyWhenItsTimeoutIsSetAndCouldHavePassed() {
        TimedOutReplays replays = new TimedOutReplays(Duration.ofSeconds(1));
        assertThat(replays.timedOut("57014", TIMEOUT, SECOND)).isTrue();
        // translated by lc_messages: the time it took decides
        assertThat(replays.timedOut("57014", "Anweisung wurde wegen Zeitüberschreitung abgebrochen", 2 * SECOND))
                .isTrue();
        // pg_cancel_backend before the timeout could have passed, or saying so after
        assertThat(replays.timedOut("57014", "canceling statement due to user request", SECOND / 2)).isFalse();
        assertThat(replays.timedOut("57014", "canceling statement due to user request", 2 * SECOND)).isFalse();
        assertThat(replays.timedOut("55P03", "canceling statement due to lock timeout", 2 * SECOND)).isFalse();
        assertThat(new TimedOutReplays(Duration.ZERO).timedOut("57014", TIMEOUT, 2 * SECOND)).isFalse();
    }

    @Test
    void countsTheTimeoutsAloneOfOneTransactionInARowPerDatabase() {
        TimedOutReplays replays = new TimedOutReplays(Duration.ofSeconds(1));
        SpoolPosition slow = new SpoolPosition(1, 100);
        SpoolPosition other = new SpoolPosition(1, 200);
        assertThat(replays.suspect("db")).isNull();
        replays.timedOutInGroup("db", slow);
        assertThat(replays.suspect("db")).isEqualTo(slow);
        assertThat(replays.suspect("other_db")).isNull();
        assertThat(replays.timedOutAlone("db", slow)).isEqualTo(1);
        // in a group again (a restarted catch-up), it keeps its count
        replays.timedOutInGroup("db", slow);
        assertThat(replays.timedOutAlone("db", slow)).isEqualTo(2);
        // another transaction starts from zero
        replays.timedOutInGroup("db", other);
        assertThat(replays.timedOutAlone("db", other)).isEqualTo(1);
        replays.settled("db");
        assertThat(replays.suspect("db")).isNull();
        assertThat(replays.timedOutAlone("db", other)).isEqualTo(1);
    }
}
