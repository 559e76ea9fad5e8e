package dev.tandem.proxy.spool;

import static dev.tandem.proxy.spool.SpoolTestSupport.RECORD_BYTES;
import static dev.tandem.proxy.spool.SpoolTestSupport.payload;
import static dev.tandem.proxy.spool.SpoolTestSupport.readAll;
import static dev.tandem.proxy.spool.SpoolTestSupport.size;
import static dev.tandem.proxy.spool.SpoolTestSupport.smallSegments;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failed fsync under {@code fsync: always}. The append of a record whose fsync failed fails, and the capture
 * records its transaction in the divergence ledger as not mirrored: so the record must not be applied after all, by
 * the spool reopened over the same files. The fsync is the one thing these tests make fail (as a failing disk does);
 * files, directory and reopening are real.
 */
class SpoolFsyncFailureTest {

    private static final long HEADER = RecordFormat.SEGMENT_HEADER_BYTES;

    @TempDir
    Path dir;

    private SpoolSettings settings() {
        return smallSegments(dir, FsyncPolicy.ALWAYS);
    }

    /** Runs {@code test} with a writer on {@link #dir} whose segment files are forced by {@code fsync}. */
    private void withWriter(SegmentChannel.Fsync fsync, WriterTest test) throws Exception {
        try (SpoolDirectory directory = SpoolDirectory.open(dir)) {
            SpoolWriter writer = new SpoolWriter(settings(), directory, new SegmentCatalog(),
                    SequenceJumps.open(directory, List.of()), 1, null, () -> { }, fsync);
            try {
                test.run(writer);
            } finally {
                writer.close();
            }
        }
    }

    @FunctionalInterface
    private interface WriterTest {
        void run(SpoolWriter writer) throws Exception;
    }

    /** Forces as the disk does, except the next time after {@code failNext} is set. */
    private static SegmentChannel.Fsync failingOnce(AtomicBoolean failNext) {
        return (channel, metaData) -> {
            if (failNext.compareAndSet(true, false)) {
                throw new IOException("Input/output error");
            }
            channel.force(metaData);
        };
    }

    @Test
    void aRecordWhoseFsyncFailedIsRemovedSoItIsNeverAppliedAfterItsAppendFailed() throws Exception {
        AtomicBoolean failNext = new AtomicBoolean();
        Path segment = dir.resolve(Segment.fileName(1));
        withWriter(failingOnce(failNext), writer -> {
            writer.append(payload(1)).get(30, TimeUnit.SECONDS);
            failNext.set(true);

            CompletableFuture<SpoolPosition> lost = writer.append(payload(2));

            Throwable failure = catchThrowable(() -> lost.get(30, TimeUnit.SECONDS));
            assertThat(size(segment)).as("the segment holds the first record only").isEqualTo(HEADER + RECORD_BYTES);
            assertThat(failure).cause().isInstanceOf(SpoolException.class)
                    .hasMessage("the spool writer failed on " + segment + " before the record was on disk (input/output"
                            + " error); it was removed from the spool again and will not be applied, so the"
                            + " transaction is not mirrored");
            assertThatThrownBy(() -> writer.append(payload(3)).join()).cause()
                    .hasMessageEndingWith("; no further appends are accepted until the spool is reopened");
        });

        try (Spool reopened = Spool.open(settings())) {
            assertThat(reopened.tornTail()).isEmpty();
            assertThat(readAll(reopened, SpoolPosition.ORIGIN)).extracting(SpoolRecord::payload)
                    .containsExactly(payload(1));
            assertThat(reopened.writer().append(payload(4)).get(30, TimeUnit.SECONDS).segment()).isEqualTo(2);
        }
    }

    @Test
    void aWriterThatFailedDoesNotCloseCleanlySoTheSpoolLeavesNoCleanStopMark() throws Exception {
        AtomicBoolean failNext = new AtomicBoolean();
        try (SpoolDirectory directory = SpoolDirectory.open(dir)) {
            SpoolWriter writer = new SpoolWriter(settings(), directory, new SegmentCatalog(),
                    SequenceJumps.open(directory, List.of()), 1, null, () -> { }, failingOnce(failNext));
            writer.append(payload(1)).get(30, TimeUnit.SECONDS);
            failNext.set(true);
            catchThrowable(() -> writer.append(payload(2)).get(30, TimeUnit.SECONDS));

            assertThat(writer.close()).isFalse();
        }
    }

    @Test
    void recordsAnEarlierFsyncCoveredSucceedAndOnlyTheOthersAreRemoved() throws Exception {
        CountDownLatch appended = new CountDownLatch(1);
        AtomicBoolean flusherFailed = new AtomicBoolean();
        // The flusher's first fsync waits until five records are written, then fails. Meanwhile the fifth record
        // starts a segment, and the roll forces the first one (with the first four records) successfully.
        SegmentChannel.Fsync fsync = (channel, metaData) -> {
            if (Thread.currentThread().getName().equals("tandem-spool-flusher")
                    && flusherFailed.compareAndSet(false, true)) {
                try {
                    appended.await();
                } catch (InterruptedException e) {
                    throw new InterruptedIOException();
                }
                throw new IOException("Input/output error");
            }
            channel.force(metaData);
        };
        withWriter(fsync, writer -> {
            List<CompletableFuture<SpoolPosition>> appends = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                appends.add(writer.append(payload(i)));
            }
            appended.countDown();

            for (int i = 0; i < 4; i++) {
                assertThat(appends.get(i).get(30, TimeUnit.SECONDS).segment()).isEqualTo(1);
            }
            assertThatThrownBy(() -> appends.get(4).get(30, TimeUnit.SECONDS)).cause()
                    .hasMessageStartingWith("the spool writer failed on " + dir.resolve(Segment.fileName(5)))
                    .hasMessageContaining("it was removed from the spool again and will not be applied");
        });

        try (Spool reopened = Spool.open(settings())) {
            assertThat(reopened.tornTail()).isEmpty();
            assertThat(readAll(reopened, SpoolPosition.ORIGIN)).extracting(SpoolRecord::payload)
                    .containsExactly(payload(0), payload(1), payload(2), payload(3));
        }
    }

    @Test
    void whenTheRecordCannotBeRemovedEitherTheErrorSaysItMayStillBeAppliedAndHowToPreventIt() throws Exception {
        AtomicBoolean failing = new AtomicBoolean();
        Path segment = dir.resolve(Segment.fileName(1));
        SegmentChannel.Fsync fsync = (channel, metaData) -> {
            if (failing.get()) {
                throw new IOException("Input/output error");
            }
            channel.force(metaData);
        };
        withWriter(fsync, writer -> {
            writer.append(payload(1)).get(30, TimeUnit.SECONDS);
            failing.set(true);

            assertThatThrownBy(() -> writer.append(payload(2)).get(30, TimeUnit.SECONDS)).cause()
                    .hasMessage("the spool writer failed on " + segment + " before the record was on disk (input/output"
                            + " error), and removing the record from the file failed too (input/output error): it may"
                            + " still be applied on the target after a restart. To make sure it is not, truncate "
                            + segment + " to " + (HEADER + RECORD_BYTES) + " bytes before the proxy starts again");
        });
    }
}
