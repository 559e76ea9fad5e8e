package dev.tandem.proxy.spool;

import static dev.tandem.proxy.spool.SpoolTestSupport.payload;
import static dev.tandem.proxy.spool.SpoolTestSupport.readAll;
import static dev.tandem.proxy.spool.SpoolTestSupport.smallSegments;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When the target applied records up to a position past the spool's end, the spool starts a segment past that
 * position and skips the sequence numbers in between. No record carries them: they are neither held
 * ({@code tandem_spool_records}, {@code /status}) nor missing ({@code tandem_spool_gaps}), in this run and after a
 * restart.
 */
class SequenceJumpsTest {

    /** What the target applied, far past what the spool below holds: the spool jumps to sequence number 41. */
    private static final SpoolPosition TARGET_AHEAD = new SpoolPosition(40, 100);

    @TempDir
    Path dir;

    private SpoolSettings settings() {
        return smallSegments(dir, FsyncPolicy.NEVER);
    }

    @Test
    void recordsOnBothSidesOfTheJumpAreCountedAsHeldAndNoneAsMissing() {
        try (Spool spool = Spool.open(settings())) {
            for (int i = 1; i <= 3; i++) {
                spool.writer().append(payload(i)).join();
            }
            spool.openReader(TARGET_AHEAD).close();
            for (int i = 4; i <= 5; i++) {
                spool.writer().append(payload(i)).join();
            }

            assertThat(readAll(spool, SpoolPosition.ORIGIN)).extracting(SpoolRecord::sequence)
                    .containsExactly(1L, 2L, 3L, 41L, 42L);
            SpoolStats stats = spool.stats();
            assertThat(stats.pendingRecords()).isEqualTo(5);
            assertThat(stats.lastSequence()).isEqualTo(42);
            assertThat(stats.gaps()).isZero();
        }
        try (Spool reopened = Spool.open(settings())) {
            assertThat(readAll(reopened, SpoolPosition.ORIGIN)).hasSize(5);
            SpoolStats stats = reopened.stats();
            assertThat(stats.pendingRecords()).isEqualTo(5);
            assertThat(stats.lastSequence()).isEqualTo(42);
            assertThat(stats.gaps()).isZero();
        }
    }

    @Test
    void withNoRecordSinceTheJumpTheNewestRecordIsTheOneBeforeIt() {
        try (Spool spool = Spool.open(settings())) {
            for (int i = 1; i <= 3; i++) {
                spool.writer().append(payload(i)).join();
            }
            spool.openReader(TARGET_AHEAD).close();

            assertThat(spool.stats().lastSequence()).isEqualTo(3);
            assertThat(spool.stats().pendingRecords()).isEqualTo(3);
        }
        try (Spool reopened = Spool.open(settings())) {
            assertThat(reopened.stats().lastSequence()).isEqualTo(3);
            assertThat(reopened.stats().pendingRecords()).isEqualTo(3);
            assertThat(reopened.writer().append(payload(4)).join().segment()).isEqualTo(41);
        }
    }

    @Test
    void recordsLostBeforeAJumpAreStillReportedMissing() throws IOException {
        try (Spool spool = Spool.open(settings())) {
            for (int i = 1; i <= 3; i++) {
                spool.writer().append(payload(i)).join();
            }
            spool.openReader(TARGET_AHEAD).close();
            spool.writer().append(payload(4)).join();
        }
        // the last record before the jump is lost (cut off by hand, as a host crash under fsync: never may)
        SpoolTestSupport.truncate(dir.resolve(Segment.fileName(1)),
                RecordFormat.SEGMENT_HEADER_BYTES + 2L * SpoolTestSupport.RECORD_BYTES);

        try (Spool reopened = Spool.open(settings())) {
            assertThat(readAll(reopened, SpoolPosition.ORIGIN)).extracting(SpoolRecord::sequence)
                    .containsExactly(1L, 2L, 41L);
            assertThat(reopened.stats().gaps()).isEqualTo(1);
        }
    }

    @Test
    void aJumpWhoseSegmentWasNeverStartedIsForgottenWhenTheSpoolOpens() throws IOException {
        try (Spool spool = Spool.open(settings())) {
            for (int i = 1; i <= 3; i++) {
                spool.writer().append(payload(i)).join();
            }
        }
        // the proxy stopped after noting the jump, before it started segment 41: numbers 4 on are used after all
        Path file = dir.resolve(SequenceJumps.FILE);
        Files.writeString(file, "4 41\n", StandardCharsets.UTF_8);

        try (Spool reopened = Spool.open(settings())) {
            assertThat(Files.readString(file)).isEmpty();
            reopened.writer().append(payload(4)).join();
            assertThat(reopened.stats().lastSequence()).isEqualTo(4);
            assertThat(reopened.stats().pendingRecords()).isEqualTo(4);
        }
    }
}
