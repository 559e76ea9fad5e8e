package dev.tandem.proxy.spool;

import static dev.tandem.proxy.spool.SpoolTestSupport.SMALL_SEGMENT;
import static dev.tandem.proxy.spool.SpoolTestSupport.payload;
import static dev.tandem.proxy.spool.SpoolTestSupport.readAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.proxy.LoggedWarnings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A cap of two small segments holds exactly 8 records of 200 bytes (2 x (32 + 4 x 228) = 1888 of 2048 bytes). */
class SpoolFullTest {

    private static final int FITTING = 8;

    @TempDir
    Path dir;

    private Spool open(OnFull onFull, FsyncPolicy fsync) {
        return Spool.open(new SpoolSettings(dir, 2 * SMALL_SEGMENT, SMALL_SEGMENT, fsync, Duration.ofSeconds(1),
                onFull));
    }

    private static void fill(Spool spool) {
        for (int i = 0; i < FITTING; i++) {
            spool.writer().append(payload(i)).join();
        }
    }

    @Test
    void blockedAppendProceedsOnceAnAcknowledgementFreesSpace() throws Exception {
        try (Spool spool = open(OnFull.BLOCK, FsyncPolicy.ALWAYS)) {
            fill(spool);
            List<SpoolRecord> records = readAll(spool, SpoolPosition.ORIGIN);
            CompletableFuture<SpoolPosition> ninth = spool.writer().append(payload(8));
            CompletableFuture<SpoolPosition> tenth = spool.writer().append(payload(9));
            assertThat(ninth).isNotDone();
            assertThat(tenth).isNotDone();
            assertThat(spool.stats().blockedAppends()).isEqualTo(2);

            CountDownLatch acknowledged = new CountDownLatch(1);
            Thread mirror = new Thread(() -> {
                spool.acknowledge(records.get(3).next());
                acknowledged.countDown();
            });
            mirror.start();

            SpoolPosition ninthAt = ninth.get(30, TimeUnit.SECONDS);
            SpoolPosition tenthAt = tenth.get(30, TimeUnit.SECONDS);
            assertThat(acknowledged.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(tenthAt).isGreaterThan(ninthAt);
            assertThat(readAll(spool, SpoolPosition.ORIGIN)).extracting(SpoolRecord::sequence)
                    .containsExactly(5L, 6L, 7L, 8L, 9L, 10L);
            assertThat(spool.stats().shedRecords()).isZero();
            assertThat(spool.stats().bytesOnDisk()).isLessThanOrEqualTo(2 * SMALL_SEGMENT);
        }
    }

    /** A bounded wait that ended in a write leaves nothing queued: each would hold its commit until max-wait. */
    @Test
    void aBlockedAppendWrittenInTimeLeavesNoTimeoutBehind() throws Exception {
        try (Spool spool = open(OnFull.BLOCK, FsyncPolicy.ALWAYS)) {
            fill(spool);
            List<SpoolRecord> records = readAll(spool, SpoolPosition.ORIGIN);
            CompletableFuture<SpoolPosition> ninth = spool.writer().append(payload(8), Duration.ofHours(1));
            assertThat(spool.writer().timeoutsQueued()).isEqualTo(1);
            spool.acknowledge(records.get(3).next());
            ninth.get(30, TimeUnit.SECONDS);
            assertThat(spool.writer().timeoutsQueued()).isZero();
        }
    }

    /** Writers stall while the spool is full: the log says so once when it starts, not once per commit. */
    @Test
    void theStartOfAWaitForSpaceIsLoggedOnce() throws Exception {
        try (Spool spool = open(OnFull.BLOCK, FsyncPolicy.NEVER)) {
            fill(spool);
            List<CompletableFuture<SpoolPosition>> waiting = new java.util.ArrayList<>();
            List<String> warnings = LoggedWarnings.of(SpoolWriter.class, () -> {
                for (int i = 0; i < 3; i++) {
                    waiting.add(spool.writer().append(payload(FITTING + i)));
                }
            });
            assertThat(warnings).singleElement().asString().startsWith("spool full (")
                    .contains("mirror.spool.max-bytes " + 2 * SMALL_SEGMENT, "the applications' commits wait",
                            "nothing is lost");

            spool.acknowledge(readAll(spool, SpoolPosition.ORIGIN).get(7).next());
            for (CompletableFuture<SpoolPosition> w : waiting) {
                w.get(30, TimeUnit.SECONDS);
            }
            // a later wait is a new one, and is logged again
            int[] next = {100};
            assertThat(LoggedWarnings.of(SpoolWriter.class, () -> {
                while (spool.writer().append(payload(next[0]++)).isDone()) {
                    assertThat(next[0]).as("appends until one waits").isLessThan(200);
                }
            })).singleElement().asString().startsWith("spool full (");
        }
    }

    @Test
    void appendsQueueBehindABlockedOneSoOrderIsKept() throws Exception {
        try (Spool spool = open(OnFull.BLOCK, FsyncPolicy.NEVER)) {
            fill(spool);
            List<SpoolRecord> records = readAll(spool, SpoolPosition.ORIGIN);
            spool.acknowledge(records.get(0).next());
            CompletableFuture<SpoolPosition> big = spool.writer().append(payload(100, 600));
            CompletableFuture<SpoolPosition> small = spool.writer().append(payload(101, 1));
            assertThat(big).isNotDone();
            assertThat(small).as("would fit, but must not overtake").isNotDone();

            spool.acknowledge(records.get(7).next());

            assertThat(small.get(30, TimeUnit.SECONDS)).isGreaterThan(big.get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void anAppendWaitingForSpaceIsOneReadersCannotSeeYet() throws Exception {
        try (Spool spool = open(OnFull.BLOCK, FsyncPolicy.NEVER)) {
            fill(spool);
            assertThat(spool.writer().oldestInvisibleAppend()).isEqualTo(Long.MAX_VALUE);
            // the spool's own clock, which may stand a little off the host's
            long before = AppendClock.SYSTEM.millis();
            CompletableFuture<SpoolPosition> waiting = spool.writer().append(payload(8));
            assertThat(waiting).isNotDone();
            assertThat(spool.writer().oldestInvisibleAppend()).isBetween(before, AppendClock.SYSTEM.millis());
            spool.acknowledge(readAll(spool, SpoolPosition.ORIGIN).get(3).next());
            waiting.get(30, TimeUnit.SECONDS);
            assertThat(spool.writer().oldestInvisibleAppend()).isEqualTo(Long.MAX_VALUE);
        }
    }

    @Test
    void boundedWaitFailsWithoutWritingTheRecord() throws Exception {
        try (Spool spool = open(OnFull.BLOCK, FsyncPolicy.NEVER)) {
            fill(spool);

            CompletableFuture<SpoolPosition> late = spool.writer().append(payload(8), Duration.ofMillis(20));

            assertThatThrownBy(() -> late.get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(SpoolFullException.class)
                    .hasMessageContaining("spool stayed full (max-bytes 2048) for 20 ms: record of 200 bytes not"
                            + " written");
            assertThat(spool.stats().shedRecords()).isEqualTo(1);
            assertThat(spool.stats().blockedAppends()).isZero();

            spool.acknowledge(readAll(spool, SpoolPosition.ORIGIN).get(3).next());
            SpoolPosition next = spool.writer().append(payload(9)).join();
            List<SpoolRecord> all = readAll(spool, SpoolPosition.ORIGIN);
            assertThat(all.get(all.size() - 1).position()).isEqualTo(next);
            assertThat(all).extracting(SpoolRecord::sequence).containsExactly(5L, 6L, 7L, 8L, 9L);
        }
    }

    @Test
    void shedModeRejectsAtOnceAndCounts() {
        try (Spool spool = open(OnFull.SHED, FsyncPolicy.NEVER)) {
            fill(spool);

            CompletableFuture<SpoolPosition> first = spool.writer().append(payload(8));
            CompletableFuture<SpoolPosition> second = spool.writer().append(payload(9));

            assertThat(first).isCompletedExceptionally();
            assertThatThrownBy(first::join).cause().isInstanceOf(SpoolFullException.class)
                    .hasMessage("spool is full (1888 of max-bytes 2048): record of 200 bytes shed");
            assertThat(second).isCompletedExceptionally();
            assertThat(spool.stats().shedRecords()).isEqualTo(2);

            spool.acknowledge(readAll(spool, SpoolPosition.ORIGIN).get(3).next());
            assertThat(spool.writer().append(payload(10)).join()).isNotNull();
            assertThat(readAll(spool, SpoolPosition.ORIGIN)).extracting(SpoolRecord::sequence)
                    .containsExactly(5L, 6L, 7L, 8L, 9L);
        }
    }

    @Test
    void recordThatCanNeverFitIsRejected() {
        try (Spool spool = open(OnFull.BLOCK, FsyncPolicy.NEVER)) {
            int tooBig = (int) spool.settings().maxPayloadBytes() + 1;

            assertThatThrownBy(() -> spool.writer().append(new byte[tooBig]).join())
                    .cause().isInstanceOf(SpoolRecordTooLargeException.class)
                    .hasMessage("a record of " + tooBig + " bytes can never fit in the spool: with"
                            + " mirror.spool.max-bytes 2048 and mirror.spool.segment-bytes 1024 the largest record is "
                            + (tooBig - 1) + " bytes");
            assertThat(spool.writer().append(new byte[tooBig - 1]).join()).isNotNull();
        }
    }

    @Test
    void recordLargerThanASegmentProceedsOnceTheSegmentBeingWrittenIsApplied() throws Exception {
        SpoolSettings settings = new SpoolSettings(dir, 4 * SMALL_SEGMENT, SMALL_SEGMENT, FsyncPolicy.NEVER, null,
                OnFull.BLOCK);
        try (Spool spool = Spool.open(settings)) {
            spool.writer().append(payload(1, 2900)).join();
            CompletableFuture<SpoolPosition> second = spool.writer().append(payload(2, 2900));
            assertThat(second).isNotDone();

            spool.acknowledge(readAll(spool, SpoolPosition.ORIGIN).get(0).next());

            second.get(30, TimeUnit.SECONDS);
            List<SpoolRecord> left = readAll(spool, SpoolPosition.ORIGIN);
            assertThat(left).extracting(SpoolRecord::sequence).containsExactly(2L);
            assertThat(left.get(0).payload()).isEqualTo(payload(2, 2900));
            assertThat(spool.stats().bytesOnDisk()).isLessThanOrEqualTo(settings.maxBytes());
        }
    }

    @ParameterizedTest
    @EnumSource(OnFull.class)
    void recordLargerThanASegmentIsWrittenWhenTheSegmentBeingWrittenWasAppliedBefore(OnFull onFull) throws Exception {
        SpoolSettings settings = new SpoolSettings(dir, 4 * SMALL_SEGMENT, SMALL_SEGMENT, FsyncPolicy.NEVER, null,
                onFull);
        try (Spool spool = Spool.open(settings)) {
            spool.writer().append(payload(1, 2900)).join();
            spool.acknowledge(readAll(spool, SpoolPosition.ORIGIN).get(0).next());

            spool.writer().append(payload(2, 2900)).get(30, TimeUnit.SECONDS);

            assertThat(readAll(spool, SpoolPosition.ORIGIN)).extracting(SpoolRecord::sequence).containsExactly(2L);
            assertThat(spool.stats().bytesOnDisk()).isLessThanOrEqualTo(settings.maxBytes());
        }
    }

    @Test
    void closingFailsAppendsStillWaitingForSpace() {
        Spool spool = open(OnFull.BLOCK, FsyncPolicy.NEVER);
        fill(spool);
        CompletableFuture<SpoolPosition> waiting = spool.writer().append(payload(8));

        spool.close();

        assertThatThrownBy(waiting::join).cause().isInstanceOf(SpoolException.class)
                .hasMessage("spool closed before the record could be written");
    }
}
