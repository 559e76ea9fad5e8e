package dev.tandem.proxy.spool;

import static dev.tandem.proxy.spool.SpoolTestSupport.SMALL_SEGMENT;
import static dev.tandem.proxy.spool.SpoolTestSupport.payload;
import static dev.tandem.proxy.spool.SpoolTestSupport.readAll;
import static dev.tandem.proxy.spool.SpoolTestSupport.smallSegments;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Real {@link Thread#interrupt()}s of threads that write to the spool: a {@code FileChannel} closes itself when the
 * thread using it is interrupted, and the writer's channel is shared, so an interrupt used to fail the writer until
 * the proxy restarted. The caller keeps its interrupt status.
 */
class SpoolInterruptTest {

    @TempDir
    Path dir;

    /** Runs {@code call} with the current thread interrupted; checks and clears the interrupt status afterwards. */
    private static <T> T interrupted(Supplier<T> call) {
        Thread.currentThread().interrupt();
        try {
            return call.get();
        } finally {
            assertThat(Thread.interrupted()).as("the caller's interrupt status is kept").isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(FsyncPolicy.class)
    void appendsOnAnInterruptedThreadAreWrittenAcrossSegmentsAndTheWriterGoesOn(FsyncPolicy fsync) throws Exception {
        SpoolSettings settings = smallSegments(dir, fsync);
        try (Spool spool = Spool.open(settings)) {
            // 10 records: two segments are started by an interrupted append, the others are plain writes
            for (int i = 0; i < 10; i++) {
                int record = i;
                CompletableFuture<SpoolPosition> appended = interrupted(() -> spool.writer().append(payload(record)));
                appended.get(30, TimeUnit.SECONDS);
            }
            spool.writer().append(payload(10)).get(30, TimeUnit.SECONDS);

            assertThat(readAll(spool, SpoolPosition.ORIGIN)).extracting(SpoolRecord::sequence)
                    .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L);
            assertThat(spool.stats().segments()).isEqualTo(3);
        }
        try (Spool spool = Spool.open(settings)) {
            assertThat(spool.tornTail()).isEmpty();
            List<SpoolRecord> records = readAll(spool, SpoolPosition.ORIGIN);
            assertThat(records).hasSize(11);
            for (int i = 0; i < records.size(); i++) {
                assertThat(records.get(i).payload()).isEqualTo(payload(i));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(FsyncPolicy.class)
    void anAcknowledgementOnAnInterruptedThreadWritesTheAppendThatWaitedForSpace(FsyncPolicy fsync) throws Exception {
        SpoolSettings settings = new SpoolSettings(dir, 4 * SMALL_SEGMENT, SMALL_SEGMENT, fsync,
                Duration.ofSeconds(1), OnFull.BLOCK);
        try (Spool spool = Spool.open(settings)) {
            spool.writer().append(payload(1, 2900)).get(30, TimeUnit.SECONDS);
            CompletableFuture<SpoolPosition> waiting = spool.writer().append(payload(2, 2900));
            assertThat(waiting).isNotDone();
            SpoolPosition applied = readAll(spool, SpoolPosition.ORIGIN).get(0).next();

            // the mirror's thread acknowledges, and writes the waiting record (starting a segment for it)
            interrupted(() -> {
                spool.acknowledge(applied);
                return null;
            });

            waiting.get(30, TimeUnit.SECONDS);
            spool.writer().append(payload(3, 10)).get(30, TimeUnit.SECONDS);
            assertThat(readAll(spool, SpoolPosition.ORIGIN)).extracting(SpoolRecord::payload)
                    .containsExactly(payload(2, 2900), payload(3, 10));
        }
    }

    @ParameterizedTest
    @EnumSource(FsyncPolicy.class)
    void aTargetAheadOfTheSpoolMetOnAnInterruptedThreadStartsTheNextSegment(FsyncPolicy fsync) throws Exception {
        try (Spool spool = Spool.open(smallSegments(dir, fsync))) {
            spool.writer().append(payload(1)).get(30, TimeUnit.SECONDS);
            SpoolPosition ahead = new SpoolPosition(40, 100);

            interrupted(() -> {
                spool.openReader(ahead).close();
                return null;
            });

            SpoolPosition next = spool.writer().append(payload(2)).get(30, TimeUnit.SECONDS);
            assertThat(next).isGreaterThan(ahead);
            assertThat(readAll(spool, SpoolPosition.ORIGIN)).extracting(SpoolRecord::payload)
                    .containsExactly(payload(1), payload(2));
        }
    }

    @Test
    void closingOnAnInterruptedThreadKeepsEveryRecord() throws Exception {
        SpoolSettings settings = smallSegments(dir, FsyncPolicy.INTERVAL);
        Spool spool = Spool.open(settings);
        for (int i = 0; i < 6; i++) {
            spool.writer().append(payload(i)).get(30, TimeUnit.SECONDS);
        }

        interrupted(() -> {
            spool.close();
            return null;
        });

        try (Spool reopened = Spool.open(settings)) {
            assertThat(reopened.tornTail()).isEmpty();
            assertThat(readAll(reopened, SpoolPosition.ORIGIN)).hasSize(6);
        }
    }

    @Test
    void closingADrainedSpoolOnAnInterruptedThreadLeavesNoRecord() throws Exception {
        SpoolSettings settings = smallSegments(dir, FsyncPolicy.ALWAYS);
        Spool spool = Spool.open(settings);
        for (int i = 0; i < 6; i++) {
            spool.writer().append(payload(i)).get(30, TimeUnit.SECONDS);
        }
        List<SpoolRecord> records = readAll(spool, SpoolPosition.ORIGIN);
        spool.acknowledge(records.get(records.size() - 1).next());

        interrupted(() -> {
            spool.close();
            return null;
        });

        try (Spool reopened = Spool.open(settings)) {
            assertThat(readAll(reopened, SpoolPosition.ORIGIN)).isEmpty();
            assertThat(reopened.stats().segments()).isEqualTo(1);
        }
    }

    /**
     * Interrupts that arrive at any moment, also while the file is written or forced, on the appending thread (and so,
     * through the shared channel, under the flusher's fsync).
     */
    @ParameterizedTest
    @EnumSource(value = FsyncPolicy.class, names = {"ALWAYS", "NEVER"})
    void anAppenderInterruptedOverAndOverLosesAndDuplicatesNothing(FsyncPolicy fsync) throws Exception {
        int records = 500;
        SpoolSettings settings = new SpoolSettings(dir, 1L << 30, 16 * 1024, fsync, null, OnFull.BLOCK);
        List<CompletableFuture<SpoolPosition>> appended = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try (Spool spool = Spool.open(settings)) {
            Thread appender = new Thread(() -> {
                try {
                    for (int i = 0; i < records; i++) {
                        appended.add(spool.writer().append(payload(i)));
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            }, "interrupted-appender");
            appender.start();
            while (appender.isAlive()) {
                appender.interrupt();
                LockSupport.parkNanos(20_000);
            }
            appender.join();
            assertThat(failure.get()).isNull();
            for (CompletableFuture<SpoolPosition> f : appended) {
                f.get(30, TimeUnit.SECONDS);
            }
        }
        try (Spool spool = Spool.open(settings)) {
            assertThat(spool.tornTail()).isEmpty();
            List<SpoolRecord> read = readAll(spool, SpoolPosition.ORIGIN);
            assertThat(read).hasSize(records);
            for (int i = 0; i < records; i++) {
                assertThat(read.get(i).sequence()).isEqualTo(i + 1);
                assertThat(read.get(i).payload()).isEqualTo(payload(i));
            }
        }
    }

    /** An interrupt in the middle of a record written in several pieces: the whole record is written again. */
    @Test
    void aLargeRecordWrittenInPiecesByAnInterruptedAppenderIsWrittenWhole() throws Exception {
        int records = 12;
        int size = 2 * FileSlices.BYTES + 5;
        SpoolSettings settings = new SpoolSettings(dir, 1L << 30, 8L << 20, FsyncPolicy.NEVER, null, OnFull.BLOCK);
        List<CompletableFuture<SpoolPosition>> appended = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try (Spool spool = Spool.open(settings)) {
            Thread appender = new Thread(() -> {
                try {
                    for (int i = 0; i < records; i++) {
                        appended.add(spool.writer().append(payload(i, size)));
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            }, "interrupted-appender");
            appender.start();
            while (appender.isAlive()) {
                appender.interrupt();
                LockSupport.parkNanos(200_000);
            }
            appender.join();
            assertThat(failure.get()).isNull();
            for (CompletableFuture<SpoolPosition> f : appended) {
                f.get(30, TimeUnit.SECONDS);
            }
        }
        try (Spool spool = Spool.open(settings)) {
            assertThat(spool.tornTail()).isEmpty();
            List<SpoolRecord> read = readAll(spool, SpoolPosition.ORIGIN);
            assertThat(read).hasSize(records);
            for (int i = 0; i < records; i++) {
                assertThat(read.get(i).payload()).isEqualTo(payload(i, size));
            }
        }
    }
}
