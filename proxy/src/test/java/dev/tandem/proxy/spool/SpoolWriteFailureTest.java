package dev.tandem.proxy.spool;

import static dev.tandem.proxy.spool.SpoolTestSupport.SMALL_SEGMENT;
import static dev.tandem.proxy.spool.SpoolTestSupport.payload;
import static dev.tandem.proxy.spool.SpoolTestSupport.readAll;
import static dev.tandem.proxy.spool.SpoolTestSupport.smallSegments;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failures to write that pass: the append that met one fails, and the spool goes on once the cause is gone. A directory
 * standing where the next segment file goes makes creating it fail as a full disk or a process out of file descriptors
 * does, without needing either.
 */
class SpoolWriteFailureTest {

    @TempDir
    Path dir;

    private Path inTheWayOf(long firstSequence) throws IOException {
        return Files.createDirectory(dir.resolve(Segment.fileName(firstSequence)));
    }

    @ParameterizedTest
    @EnumSource(FsyncPolicy.class)
    void aSegmentThatCannotBeStartedFailsOnlyTheAppendThatNeededIt(FsyncPolicy fsync) throws IOException {
        SpoolSettings settings = smallSegments(dir, fsync);
        try (Spool spool = Spool.open(settings)) {
            for (int i = 0; i < 4; i++) {
                spool.writer().append(payload(i)).join();
            }
            Path obstacle = inTheWayOf(5);

            assertThatThrownBy(() -> spool.writer().append(payload(4)).join()).cause()
                    .isExactlyInstanceOf(SpoolException.class)
                    .hasMessageStartingWith("could not start spool segment " + obstacle + ": ")
                    .hasMessageEndingWith("; the record of 200 bytes was not written");

            Files.delete(obstacle);
            spool.writer().append(payload(5)).join();
            assertThat(readAll(spool, SpoolPosition.ORIGIN)).extracting(SpoolRecord::payload)
                    .containsExactly(payload(0), payload(1), payload(2), payload(3), payload(5));
        }
        try (Spool spool = Spool.open(settings)) {
            assertThat(spool.tornTail()).isEmpty();
            assertThat(readAll(spool, SpoolPosition.ORIGIN)).extracting(SpoolRecord::sequence)
                    .containsExactly(1L, 2L, 3L, 4L, 5L);
        }
    }

    @Test
    void aWaitingRecordWhoseSegmentCannotBeStartedFailsAndTheNextOneIsWritten() throws Exception {
        SpoolSettings settings = new SpoolSettings(dir, 4 * SMALL_SEGMENT, SMALL_SEGMENT, FsyncPolicy.NEVER, null,
                OnFull.BLOCK);
        try (Spool spool = Spool.open(settings)) {
            spool.writer().append(payload(1, 2900)).join();
            CompletableFuture<SpoolPosition> second = spool.writer().append(payload(2, 2900));
            assertThat(second).isNotDone();
            Path obstacle = inTheWayOf(2);

            spool.acknowledge(readAll(spool, SpoolPosition.ORIGIN).get(0).next());

            assertThatThrownBy(() -> second.get(30, TimeUnit.SECONDS)).cause()
                    .hasMessageStartingWith("could not start spool segment " + obstacle + ": ");
            Files.delete(obstacle);
            spool.writer().append(payload(3, 2900)).get(30, TimeUnit.SECONDS);
            assertThat(readAll(spool, SpoolPosition.ORIGIN)).extracting(SpoolRecord::payload)
                    .containsExactly(payload(3, 2900));
        }
    }
}
