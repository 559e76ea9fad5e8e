package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.tandem.protocol.sql.TableName;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class LedgerLogTest {

    private static final TableName T = new TableName("public", "t");
    private static final TableName U = new TableName("public", "u");

    private final Logger logger = (Logger) LoggerFactory.getLogger(LedgerLog.class);
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private long now;
    private final LedgerLog log = new LedgerLog(Duration.ofMinutes(1), () -> now);

    @BeforeEach
    void capture() {
        logger.setLevel(Level.DEBUG);
        logged.start();
        logger.addAppender(logged);
    }

    @AfterEach
    void release() {
        log.close();
        logger.detachAppender(logged);
        logger.setLevel(null);
    }

    private List<String> warnings() {
        return logged.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
                .toList();
    }

    private void rejected(TableName table, String sqlState, long sequence) {
        log.ledgered("app", table, "rejected", sqlState, "permission denied for table " + table.name(), true, 7,
                sequence);
    }

    @Test
    void theFirstOfAMinuteIsLoggedAndTheOthersAreCountedInOneLine() {
        for (int i = 1; i <= 1000; i++) {
            rejected(T, "42501", i);
        }
        assertThat(warnings()).containsExactly("mirror: transaction of session 7 on table public.t ledgered in target"
                + " database app (rejected, SQLSTATE 42501: the target's message is in tandem.divergence), spool"
                + " sequence 1; more of this table and reason in the next 60 s are logged as one count");
        now += TimeUnit.SECONDS.toNanos(59);
        log.flush(false);
        assertThat(warnings()).hasSize(1);
        now += TimeUnit.SECONDS.toNanos(1);
        log.flush(false);
        assertThat(warnings()).hasSize(2);
        assertThat(warnings().get(1)).startsWith("mirror: 999 more transaction(s) on table public.t ledgered in target"
                + " database app (rejected, SQLSTATE 42501) since ");
        // the next minute starts with a whole line again
        rejected(T, "42501", 1001);
        assertThat(warnings()).hasSize(3);
        assertThat(warnings().get(2)).contains("spool sequence 1001");
    }

    @Test
    void eachTableAndSqlStateHasItsOwnLine() {
        rejected(T, "42501", 1);
        rejected(U, "42501", 2);
        rejected(T, "23505", 3);
        rejected(T, "42501", 4);
        assertThat(warnings()).hasSize(3);
    }

    @Test
    void aMessageThatMayQuoteValuesIsLoggedAtDebugOnlyAndTheProxysOwnReasonsAtWarn() {
        rejected(T, "22P02", 1);
        log.ledgered("app", U, "not_replayable", null, "the session's search_path could not be followed", false, 7, 2);
        assertThat(warnings()).hasSize(2);
        assertThat(warnings().get(0)).doesNotContain("permission denied");
        assertThat(warnings().get(1)).contains("(not_replayable: the session's search_path could not be followed)");
        assertThat(logged.list).filteredOn(e -> e.getLevel() == Level.DEBUG)
                .extracting(ILoggingEvent::getFormattedMessage)
                .anySatisfy(line -> assertThat(line).contains("permission denied for table t"));
    }

    /**
     * The count of a window is logged when the window ends, with no further call: under continuous load the applier
     * never waits on an empty spool, and a window's count that waited for one came arbitrarily late, or never.
     */
    @Test
    void aWindowsCountIsLoggedWhenItEndsWithoutAnotherCall() throws InterruptedException {
        // long enough that the three calls fall in one window on a loaded machine (100 ms did not, in a CI run)
        try (LedgerLog timed = new LedgerLog(Duration.ofSeconds(2), System::nanoTime)) {
            for (int i = 1; i <= 3; i++) {
                timed.ledgered("app", T, "rejected", "42501", "permission denied for table t", true, 7, i);
            }
            for (int i = 0; i < 300 && warnings().size() < 2; i++) {
                Thread.sleep(100);
            }
            assertThat(warnings()).as("the window's count, logged by the end of its window").hasSize(2);
        }
        assertThat(warnings()).as("nothing left for close to log").hasSize(2);
        assertThat(warnings().get(1)).startsWith("mirror: 2 more transaction(s) on table public.t ledgered in target"
                + " database app (rejected, SQLSTATE 42501) since ");
    }

    @Test
    void stoppingLogsTheCountsNotLoggedYet() {
        rejected(T, "42501", 1);
        rejected(T, "42501", 2);
        rejected(U, "42501", 3);
        log.flush(true);
        assertThat(warnings()).hasSize(3);
        assertThat(warnings().get(2)).startsWith("mirror: 1 more transaction(s) on table public.t");
    }
}
