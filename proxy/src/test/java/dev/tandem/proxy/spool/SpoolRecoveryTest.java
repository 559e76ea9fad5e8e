package dev.tandem.proxy.spool;

import static dev.tandem.proxy.spool.SpoolTestSupport.RECORD_BYTES;
import static dev.tandem.proxy.spool.SpoolTestSupport.flipByte;
import static dev.tandem.proxy.spool.SpoolTestSupport.newestSegment;
import static dev.tandem.proxy.spool.SpoolTestSupport.payload;
import static dev.tandem.proxy.spool.SpoolTestSupport.readAll;
import static dev.tandem.proxy.spool.SpoolTestSupport.segmentFiles;
import static dev.tandem.proxy.spool.SpoolTestSupport.segmentsWithRecords;
import static dev.tandem.proxy.spool.SpoolTestSupport.size;
import static dev.tandem.proxy.spool.SpoolTestSupport.smallSegments;
import static dev.tandem.proxy.spool.SpoolTestSupport.truncate;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.proxy.LoggedWarnings;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Crash simulations: the spool files are damaged between a close and the next open, as a crash would leave them. */
class SpoolRecoveryTest {

    private static final int HEADER = RecordFormat.SEGMENT_HEADER_BYTES;

    @TempDir
    Path dir;

    /** Appends {@code count} records of 200 bytes (4 per segment) and closes the spool. */
    private List<SpoolPosition> appendAndClose(int count) {
        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL))) {
            for (int i = 0; i < count; i++) {
                spool.writer().append(payload(i)).join();
            }
            return readAll(spool, SpoolPosition.ORIGIN).stream().map(SpoolRecord::position).toList();
        }
    }

    @Test
    void recordTornMidWriteIsCutOffAndReported() throws IOException {
        appendAndClose(3);
        Path file = newestSegment(dir);
        long lastRecord = HEADER + 2L * RECORD_BYTES;
        truncate(file, lastRecord + 20);

        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL))) {
            assertThat(spool.tornTail()).hasValueSatisfying(torn -> {
                assertThat(torn.file()).isEqualTo(file);
                assertThat(torn.offset()).isEqualTo(lastRecord);
                assertThat(torn.droppedBytes()).isEqualTo(20);
                assertThat(torn.reason()).isEqualTo("record header is truncated (20 of 28 bytes before the end)");
            });
            assertThat(size(file)).isEqualTo(lastRecord);
            assertThat(readAll(spool, SpoolPosition.ORIGIN)).extracting(SpoolRecord::sequence).containsExactly(1L, 2L);

            spool.writer().append(payload(99)).join();

            List<SpoolRecord> after = readAll(spool, SpoolPosition.ORIGIN);
            assertThat(after).extracting(SpoolRecord::sequence).containsExactly(1L, 2L, 3L);
            assertThat(after.get(2).payload()).isEqualTo(payload(99));
        }
    }

    @Test
    void payloadCutShortIsATornTail() throws IOException {
        appendAndClose(3);
        Path file = newestSegment(dir);
        long lastRecord = HEADER + 2L * RECORD_BYTES;
        truncate(file, lastRecord + RECORD_BYTES - 1);

        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.NEVER))) {
            assertThat(spool.tornTail()).hasValueSatisfying(torn -> {
                assertThat(torn.offset()).isEqualTo(lastRecord);
                assertThat(torn.droppedBytes()).isEqualTo(RECORD_BYTES - 1);
                assertThat(torn.reason()).contains("payload of 200 bytes runs past the end (199 bytes left)");
            });
            assertThat(readAll(spool, SpoolPosition.ORIGIN)).hasSize(2);
        }
    }

    @Test
    void flippedByteInTheLastRecordIsATornTail() throws IOException {
        appendAndClose(3);
        Path file = newestSegment(dir);
        long lastRecord = HEADER + 2L * RECORD_BYTES;
        flipByte(file, lastRecord + RecordFormat.RECORD_HEADER_BYTES + 100);

        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL))) {
            assertThat(spool.tornTail()).hasValueSatisfying(torn -> {
                assertThat(torn.offset()).isEqualTo(lastRecord);
                assertThat(torn.droppedBytes()).isEqualTo(RECORD_BYTES);
                assertThat(torn.reason()).isEqualTo("checksum mismatch (the header says sequence 3, 200 payload bytes)");
            });
            assertThat(readAll(spool, SpoolPosition.ORIGIN)).extracting(SpoolRecord::sequence).containsExactly(1L, 2L);
        }
    }

    @Test
    void flippedSequenceInTheLastHeaderIsCaughtByTheChecksum() throws IOException {
        appendAndClose(2);
        long lastRecord = HEADER + RECORD_BYTES;
        flipByte(newestSegment(dir), lastRecord + 15);

        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL))) {
            assertThat(spool.tornTail()).hasValueSatisfying(torn -> assertThat(torn.reason()).contains("checksum"));
            assertThat(readAll(spool, SpoolPosition.ORIGIN)).hasSize(1);
        }
    }

    @Test
    void damageInTheMiddleOfTheNewestSegmentFailsTheOpenWithFileAndOffset() throws IOException {
        appendAndClose(3);
        Path file = newestSegment(dir);
        long secondRecord = HEADER + RECORD_BYTES;
        flipByte(file, secondRecord + RecordFormat.RECORD_HEADER_BYTES + 7);

        assertThatThrownBy(() -> Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL)))
                .isInstanceOfSatisfying(SpoolCorruptedException.class, e -> {
                    assertThat(e.file()).isEqualTo(file);
                    assertThat(e.offset()).isEqualTo(secondRecord);
                })
                .hasMessageContaining("spool file " + file + " is corrupt at offset " + secondRecord
                        + ": checksum mismatch (the header says sequence 2");
        assertThat(size(file)).as("nothing was cut off").isEqualTo(HEADER + 3L * RECORD_BYTES);
    }

    @Test
    void damageInAnOlderSegmentIsReportedByTheReaderAndNotSkipped() throws IOException {
        appendAndClose(10);
        Path oldest = segmentFiles(dir).get(0);
        long secondRecord = HEADER + RECORD_BYTES;
        flipByte(oldest, secondRecord + RecordFormat.RECORD_HEADER_BYTES + 3);

        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL));
             SpoolReader reader = spool.openReader(SpoolPosition.ORIGIN)) {
            assertThat(spool.tornTail()).isEmpty();
            assertThat(reader.poll().sequence()).isEqualTo(1);
            for (int attempt = 0; attempt < 2; attempt++) {
                assertThatThrownBy(reader::poll)
                        .isInstanceOfSatisfying(SpoolCorruptedException.class, e -> {
                            assertThat(e.file()).isEqualTo(oldest);
                            assertThat(e.offset()).isEqualTo(secondRecord);
                        })
                        .hasMessageContaining("checksum mismatch (the header says sequence 2");
            }
            assertThat(reader.position()).isEqualTo(new SpoolPosition(1, secondRecord));
        }
    }

    /** A reader that has read the four records of the first segment, of twelve appended. */
    private static SpoolReader doneWithTheFirstSegment(Spool spool) {
        SpoolReader reader = spool.openReader(SpoolPosition.ORIGIN);
        for (int i = 0; i < 12; i++) {
            spool.writer().append(payload(i)).join();
        }
        for (int i = 0; i < 4; i++) {
            reader.poll();
        }
        return reader;
    }

    @Test
    void segmentDeletedUnderARunningReaderIsNamedEachTimeTheReaderComesToIt() throws IOException {
        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL));
             SpoolReader reader = doneWithTheFirstSegment(spool)) {
            Path second = segmentFiles(dir).get(1);
            Files.delete(second);

            for (int attempt = 0; attempt < 2; attempt++) {
                assertThatThrownBy(reader::poll).isInstanceOf(SpoolException.class)
                        .hasMessageStartingWith("spool file " + second + " was deleted or moved while the proxy was"
                                + " running: its records, from sequence 5 on, cannot be replayed");
            }
        }
    }

    @Test
    void damagedHeaderOfASegmentReachedWhileRunningIsReportedEachTime() throws IOException {
        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL));
             SpoolReader reader = doneWithTheFirstSegment(spool)) {
            Path second = segmentFiles(dir).get(1);
            flipByte(second, 1);

            for (int attempt = 0; attempt < 2; attempt++) {
                assertThatThrownBy(reader::poll).isInstanceOf(SpoolCorruptedException.class)
                        .hasMessageContaining(second + " is corrupt at offset 0: not a spool segment");
            }
        }
    }

    @Test
    void segmentDeletedWhileTheProxyWasDownIsReportedWithTheRecordsItHeld() throws IOException {
        appendAndClose(12);
        List<Path> files = segmentFiles(dir);
        Files.delete(files.get(1));

        List<String> warnings = LoggedWarnings.of(SpoolReader.class, () -> {
            try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL))) {
                assertThat(spool.stats().gaps()).isZero();
                assertThat(readAll(spool, SpoolPosition.ORIGIN)).extracting(SpoolRecord::sequence)
                        .containsExactly(1L, 2L, 3L, 4L, 9L, 10L, 11L, 12L);
                assertThat(spool.stats().gaps()).as("counted for tandem_spool_gaps_total").isEqualTo(1);
            }
        });

        assertThat(warnings).singleElement().asString().startsWith("spool records 5 to 8 are missing: " + files.get(0)
                + " ends before them and " + files.get(2) + " starts after them");
    }

    @Test
    void missingRecordsAreReportedWithWhenTheyWereAppendedForTheRepair() throws IOException {
        appendAndClose(12);
        List<Path> files = segmentFiles(dir);
        Instant lastBefore;
        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL))) {
            lastBefore = readAll(spool, SpoolPosition.ORIGIN).get(3).appendTime();
        }
        // the segment header: magic, version, reserved, first sequence, then the creation time
        long nextCreated = ByteBuffer.wrap(Files.readAllBytes(files.get(2))).getLong(16);
        Files.delete(files.get(1));

        List<String> warnings = LoggedWarnings.of(SpoolReader.class, () -> {
            try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL))) {
                readAll(spool, SpoolPosition.ORIGIN);
            }
        });

        assertThat(warnings).singleElement().asString().contains("They were appended after " + lastBefore
                + " and before " + Instant.ofEpochMilli(nextCreated) + ".");
    }

    @Test
    void missingRecordsAreToldOnceToTheListenerWithWhenTheyWereAppended() throws IOException {
        appendAndClose(12);
        List<Path> files = segmentFiles(dir);
        Instant lastBefore;
        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL))) {
            lastBefore = readAll(spool, SpoolPosition.ORIGIN).get(3).appendTime();
        }
        Instant nextCreated = Instant.ofEpochMilli(ByteBuffer.wrap(Files.readAllBytes(files.get(2))).getLong(16));
        Files.delete(files.get(1));

        List<SpoolLoss> losses = new ArrayList<>();
        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL))) {
            spool.onRecordsLost(losses::add);
            readAll(spool, SpoolPosition.ORIGIN);
            // a parked database's reader comes to the same records, again at each retry: the target's ledger needs
            // them once, the log and tandem_spool_gaps_total too
            List<String> again = LoggedWarnings.of(SpoolReader.class, () -> readAll(spool, SpoolPosition.ORIGIN));
            assertThat(again).isEmpty();
            assertThat(spool.stats().gaps()).isEqualTo(1);
        }

        assertThat(losses).containsExactly(new SpoolLoss(5, 8, lastBefore, nextCreated));
        assertThat(losses.get(0).records()).isEqualTo(4);
    }

    /** What a stop that is not clean leaves: the mark of the clean stop before it is gone, as the open removed it. */
    private void crashed() throws IOException {
        Files.delete(dir.resolve(CleanStop.FILE));
    }

    @Test
    void theOpenSaysWhenTheLastRunDidNotStopCleanly() throws IOException {
        appendAndClose(3);
        List<String> afterCleanStop = LoggedWarnings.of(Spool.class,
                () -> Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL)).close());
        crashed();
        List<String> afterCrash = LoggedWarnings.of(Spool.class,
                () -> Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL)).close());

        assertThat(afterCleanStop).noneMatch(w -> w.contains("did not stop cleanly"));
        assertThat(afterCrash).first().asString().contains("next sequence 4; the last run on it did not stop cleanly"
                + " (killed, or its host stopped)");
    }

    @Test
    void tornTailWithoutACleanStopIsTheRecordBeingWrittenWhenTheProxyStopped() throws IOException {
        appendAndClose(3);
        crashed();
        truncate(newestSegment(dir), HEADER + 2L * RECORD_BYTES + 20);

        List<String> warnings = LoggedWarnings.andErrorsOf(TailRecovery.class, () -> {
            Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL)).close();
        });

        assertThat(warnings).singleElement().asString().contains("The proxy did not stop cleanly after it wrote"
                + " there (no clean-stop mark covers that record), so this is the record that was being written when"
                + " the proxy process or its host stopped");
    }

    @Test
    void cleanStopWithItsFilesAsItLeftThemIsNotWorthAWarning() throws IOException {
        appendAndClose(3);

        List<String> warnings = LoggedWarnings.andErrorsOf(TailRecovery.class, () -> {
            try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL))) {
                assertThat(spool.tornTail()).isEmpty();
                assertThat(Files.exists(dir.resolve(CleanStop.FILE))).as("removed before anything is appended")
                        .isFalse();
                assertThat(readAll(spool, SpoolPosition.ORIGIN)).hasSize(3);
                assertThat(spool.stats().gaps()).isZero();
            }
        });

        assertThat(warnings).isEmpty();
    }

    @Test
    void recordCutShortAfterACleanStopIsALossNotATornWrite() throws IOException {
        Instant secondAppended;
        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL))) {
            for (int i = 0; i < 3; i++) {
                spool.writer().append(payload(i)).join();
            }
            secondAppended = readAll(spool, SpoolPosition.ORIGIN).get(1).appendTime();
        }
        Path file = newestSegment(dir);
        Instant stoppedAt = CleanStop.read(dir).orElseThrow().stoppedAt();
        truncate(file, HEADER + 2L * RECORD_BYTES + 20);

        List<SpoolLoss> losses = new ArrayList<>();
        List<String> messages = LoggedWarnings.andErrorsOf(TailRecovery.class, () -> {
            try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL))) {
                assertThat(spool.tornTail()).isPresent();
                spool.onRecordsLost(losses::add);
                assertThat(readAll(spool, SpoolPosition.ORIGIN)).extracting(SpoolRecord::sequence)
                        .containsExactly(1L, 2L);
                readAll(spool, SpoolPosition.ORIGIN);
                assertThat(spool.stats().gaps()).as("counted for tandem_spool_gaps_total").isEqualTo(1);
            }
        });

        assertThat(messages).singleElement().asString().startsWith("spool records 3 to 3 (1 transaction(s)) were lost"
                + " after the proxy stopped cleanly at " + stoppedAt + ": the stop left " + file + " "
                + (HEADER + 3L * RECORD_BYTES) + " bytes long with every record complete on disk, and it now ends at"
                + " offset " + (HEADER + 2L * RECORD_BYTES) + " (recovery cut 20 damaged bytes off there")
                .contains("repair the time range of the rows they wrote (appended after " + secondAppended
                        + " and before " + stoppedAt + ")")
                .doesNotContain("did not stop cleanly");
        assertThat(losses).as("told once, to the ledger").containsExactly(
                new SpoolLoss(3, 3, secondAppended, stoppedAt));
    }

    @Test
    void recordsCutOffAtARecordBoundaryAfterACleanStopAreReported() throws IOException {
        appendAndClose(7);
        Path file = newestSegment(dir);
        truncate(file, HEADER + RECORD_BYTES);

        List<SpoolLoss> losses = new ArrayList<>();
        List<String> messages = LoggedWarnings.andErrorsOf(TailRecovery.class, () -> {
            try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL))) {
                assertThat(spool.tornTail()).as("nothing was torn: whole records are gone").isEmpty();
                spool.onRecordsLost(losses::add);
                readAll(spool, SpoolPosition.ORIGIN);
            }
        });

        assertThat(messages).singleElement().asString().startsWith("spool records 6 to 7 (2 transaction(s)) were lost"
                + " after the proxy stopped cleanly");
        assertThat(losses).extracting(SpoolLoss::firstSequence, SpoolLoss::lastSequence)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(6L, 7L));
    }

    @Test
    void newestSegmentDeletedAfterACleanStopIsReportedWithTheRecordsItHeld() throws IOException {
        appendAndClose(6);
        Files.delete(newestSegment(dir));

        List<String> messages = LoggedWarnings.andErrorsOf(TailRecovery.class, () -> {
            Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL)).close();
        });

        assertThat(messages).singleElement().asString().startsWith("spool records 5 to 6 (2 transaction(s)) were lost"
                + " after the proxy stopped cleanly").contains(dir.resolve(Segment.fileName(5)) + " "
                + (HEADER + 2L * RECORD_BYTES) + " bytes long with every record complete on disk, and it now is gone");
    }

    @Test
    void markOfAnEarlierStopDoesNotTurnTheTornRecordOfALaterCrashIntoALoss() throws IOException {
        appendAndClose(3);
        byte[] earlier = Files.readAllBytes(dir.resolve(CleanStop.FILE));
        appendAndClose(1);
        // the mark of the first stop, back as a host crash may bring it back after the open removed it
        Files.write(dir.resolve(CleanStop.FILE), earlier);
        // the second run appended its record to a segment of its own
        truncate(newestSegment(dir), HEADER + 20);

        List<String> messages = LoggedWarnings.andErrorsOf(TailRecovery.class, () -> {
            Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL)).close();
        });

        assertThat(messages).singleElement().asString().contains("The proxy did not stop cleanly");
    }

    @Test
    void tornRecordWrittenAfterTheMarkIsACrashNotALoss() throws IOException {
        appendAndClose(3);
        Path file = newestSegment(dir);
        // a run that kept no mark (an older version) appended and was killed mid-record
        Files.write(file, new byte[20], java.nio.file.StandardOpenOption.APPEND);

        List<String> messages = LoggedWarnings.andErrorsOf(TailRecovery.class, () -> {
            try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL))) {
                assertThat(readAll(spool, SpoolPosition.ORIGIN)).hasSize(3);
            }
        });

        assertThat(messages).singleElement().asString().contains("cut 20 bytes off " + file)
                .contains("The proxy did not stop cleanly");
    }

    @Test
    void olderSegmentCutShortAtARecordBoundaryIsReportedWithTheRecordsItLost() throws IOException {
        appendAndClose(12);
        Path oldest = segmentFiles(dir).get(0);
        truncate(oldest, HEADER + 2L * RECORD_BYTES);

        List<String> warnings = LoggedWarnings.of(SpoolReader.class, () -> {
            try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL))) {
                assertThat(readAll(spool, SpoolPosition.ORIGIN)).extracting(SpoolRecord::sequence)
                        .containsExactly(1L, 2L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L);
            }
        });

        assertThat(warnings).singleElement().asString().startsWith("spool records 3 to 4 are missing: " + oldest
                + " ends before them");
    }

    @Test
    void damagedHeaderOfAnOlderSegmentFailsTheOpen() throws IOException {
        appendAndClose(10);
        Path oldest = segmentFiles(dir).get(0);
        flipByte(oldest, 1);

        assertThatThrownBy(() -> Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL)))
                .isInstanceOf(SpoolCorruptedException.class)
                .hasMessageContaining(oldest + " is corrupt at offset 0: not a spool segment")
                .hasMessageContaining("move the file away to continue")
                .as("a file cut at offset 0 is no segment either").hasMessageNotContaining("truncate");
    }

    @Test
    void segmentWhoseCreationWasInterruptedIsRemoved() throws IOException {
        appendAndClose(4);
        Path half = dir.resolve(Segment.fileName(5));
        Files.deleteIfExists(half);
        Files.write(half, new byte[] {0x54, 0x53, 0x45});

        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL))) {
            assertThat(spool.tornTail()).hasValueSatisfying(torn -> {
                assertThat(torn.file()).isEqualTo(half);
                assertThat(torn.droppedBytes()).isEqualTo(3);
            });
            spool.writer().append(payload(4)).join();
            assertThat(readAll(spool, SpoolPosition.ORIGIN)).extracting(SpoolRecord::sequence)
                    .containsExactly(1L, 2L, 3L, 4L, 5L);
        }
    }

    @Test
    void recordsLostAfterTheTargetAppliedThemDoNotHideNewRecords() throws IOException {
        appendAndClose(3);
        SpoolPosition appliedThrough = new SpoolPosition(1, HEADER + 3L * RECORD_BYTES);
        // The host crashed before the page holding record 3 reached the disk, after the mirror had applied it.
        truncate(newestSegment(dir), HEADER + 2L * RECORD_BYTES);

        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL));
             SpoolReader reader = spool.openReader(appliedThrough)) {
            spool.writer().append(payload(50)).join();

            SpoolRecord next = reader.poll();
            assertThat(next).isNotNull();
            assertThat(next.payload()).isEqualTo(payload(50));
            spool.acknowledge(next.next());
            assertThat(segmentFiles(dir)).hasSize(1);
        }
    }

    @Test
    void wholeSegmentLostAfterTheTargetAppliedItDoesNotHideNewRecords() {
        appendAndClose(3);
        SpoolPosition appliedThrough = new SpoolPosition(40, HEADER + 2L * RECORD_BYTES);

        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL))) {
            try (SpoolReader reader = spool.openReader(appliedThrough)) {
                SpoolPosition written = spool.writer().append(payload(60)).join();

                assertThat(written).isGreaterThan(appliedThrough);
                assertThat(reader.poll().payload()).isEqualTo(payload(60));
            }
            spool.acknowledge(appliedThrough);
            assertThat(segmentsWithRecords(dir)).hasSize(1);
        }
    }
}
