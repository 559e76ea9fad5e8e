package dev.tandem.proxy.spool;

import static dev.tandem.proxy.spool.SpoolTestSupport.payload;
import static dev.tandem.proxy.spool.SpoolTestSupport.newestSegment;
import static dev.tandem.proxy.spool.SpoolTestSupport.readAll;
import static dev.tandem.proxy.spool.SpoolTestSupport.segmentFiles;
import static dev.tandem.proxy.spool.SpoolTestSupport.size;
import static dev.tandem.proxy.spool.SpoolTestSupport.smallSegments;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.proxy.LoggedWarnings;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolAcknowledgeTest {

    @TempDir
    Path dir;

    @Test
    void deletesOnlySegmentsWhoseRecordsWereAllApplied() {
        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.NEVER))) {
            for (int i = 0; i < 12; i++) {
                spool.writer().append(payload(i)).join();
            }
            List<SpoolRecord> records = readAll(spool, SpoolPosition.ORIGIN);
            List<Path> segments = segmentFiles(dir);
            assertThat(segments).extracting(p -> p.getFileName().toString())
                    .containsExactly(Segment.fileName(1), Segment.fileName(5), Segment.fileName(9));
            assertThat(spool.stats().pendingRecords()).isEqualTo(12);

            spool.acknowledge(records.get(2).next());
            assertThat(segmentFiles(dir)).as("record 4 is not applied yet").isEqualTo(segments);
            assertThat(spool.stats().pendingRecords()).isEqualTo(9);

            spool.acknowledge(records.get(3).next());
            assertThat(segmentFiles(dir)).isEqualTo(segments.subList(1, 3));
            assertThat(spool.stats().pendingRecords()).isEqualTo(8);

            spool.acknowledge(records.get(5).next());
            spool.acknowledge(records.get(1).next());
            assertThat(segmentFiles(dir)).as("an older acknowledgement changes nothing").isEqualTo(segments.subList(1, 3));
            assertThat(spool.stats().pendingRecords()).isEqualTo(6);

            spool.acknowledge(records.get(11).next());
            assertThat(segmentFiles(dir)).as("the segment being written stays").isEqualTo(segments.subList(2, 3));
            assertThat(spool.stats().pendingRecords()).isZero();
            assertThat(readAll(spool, SpoolPosition.ORIGIN)).extracting(SpoolRecord::sequence)
                    .containsExactly(9L, 10L, 11L, 12L);
        }
    }

    @Test
    void aSpoolClosedWithEverythingAppliedKeepsNoRecordAndMayChangeOwner() {
        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL), "proxy-a")) {
            for (int i = 0; i < 6; i++) {
                spool.writer().append(payload(i)).join();
            }
            List<SpoolRecord> records = readAll(spool, SpoolPosition.ORIGIN);
            spool.acknowledge(records.get(5).next());
        }
        assertThat(segmentFiles(dir)).extracting(p -> p.getFileName().toString())
                .containsExactly(Segment.fileName(7));
        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL), "proxy-b")) {
            assertThat(readAll(spool, SpoolPosition.ORIGIN)).isEmpty();
            spool.writer().append(payload(7)).join();
            assertThat(readAll(spool, SpoolPosition.ORIGIN)).extracting(SpoolRecord::sequence).containsExactly(7L);
        }
    }

    @Test
    void aDrainedSpoolReopenedAndClosedAgainSaysNothingIsLeft() {
        SpoolPosition applied;
        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL), "proxy-a")) {
            for (int i = 0; i < 6; i++) {
                spool.writer().append(payload(i)).join();
            }
            applied = readAll(spool, SpoolPosition.ORIGIN).get(5).next();
            spool.acknowledge(applied);
        }
        Spool reopened = Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL), "proxy-a");
        // what the applier does on connecting: the target's progress names a segment the drained spool deleted
        reopened.acknowledge(applied);
        assertThat(LoggedWarnings.of(Spool.class, reopened::close)).isEmpty();
    }

    @Test
    void aSpoolClosedWithRecordsNotAppliedKeepsThemAndSaysSo() {
        Spool open = Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL), "proxy-a");
        for (int i = 0; i < 3; i++) {
            open.writer().append(payload(i)).join();
        }
        open.acknowledge(readAll(open, SpoolPosition.ORIGIN).get(1).next());
        assertThat(LoggedWarnings.of(Spool.class, open::close)).containsExactly("spool " + dir + " closed holding 1"
                + " transaction(s) the target has not confirmed as applied: they stay in this directory, and a proxy"
                + " started on it with the same instance-id applies them");
        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.INTERVAL), "proxy-a")) {
            assertThat(readAll(spool, SpoolPosition.ORIGIN)).extracting(SpoolRecord::sequence)
                    .containsExactly(1L, 2L, 3L);
        }
    }

    @Test
    void acknowledgedFullSegmentIsDeletedWhenTheNextRecordSealsIt() {
        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.NEVER))) {
            for (int i = 0; i < 4; i++) {
                spool.writer().append(payload(i)).join();
            }
            spool.acknowledge(readAll(spool, SpoolPosition.ORIGIN).get(3).next());
            assertThat(segmentFiles(dir)).hasSize(1);

            spool.writer().append(payload(4)).join();

            assertThat(segmentFiles(dir)).extracting(p -> p.getFileName().toString())
                    .containsExactly(Segment.fileName(5));
        }
    }

    @Test
    void readerFromTheOriginWaitsWhenEveryRecordWasAppliedAndDeleted() {
        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.NEVER))) {
            for (int i = 0; i < 4; i++) {
                spool.writer().append(payload(i)).join();
            }
            SpoolPosition applied = readAll(spool, SpoolPosition.ORIGIN).get(3).next();
            spool.acknowledge(applied);
            // A position past the end seals the segment being written, which the acknowledgement then lets go.
            spool.openReader(new SpoolPosition(40, 100)).close();
            assertThat(segmentFiles(dir)).extracting(p -> p.getFileName().toString())
                    .containsExactly(Segment.fileName(41));

            try (SpoolReader reader = spool.openReader(SpoolPosition.ORIGIN)) {
                assertThat(reader.poll()).isNull();
                assertThat(reader.whenAvailable()).isNotDone();

                spool.writer().append(payload(9)).join();

                SpoolRecord record = reader.poll();
                assertThat(record.sequence()).isEqualTo(41);
                assertThat(record.payload()).isEqualTo(payload(9));
            }
        }
    }

    /**
     * Reopened, the spool counts as pending what an earlier run had not seen applied, once told what it had, and
     * deletes nothing for it: only an acknowledgement (the target's word) does.
     */
    @Test
    void recordsPresumedAppliedAreNotPendingButStayOnDiskUntilAcknowledged() {
        List<SpoolRecord> records;
        long epoch;
        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.NEVER))) {
            for (int i = 0; i < 10; i++) {
                spool.writer().append(payload(i)).join();
            }
            records = readAll(spool, SpoolPosition.ORIGIN);
            spool.acknowledge(records.get(3).next());
            epoch = spool.epochOf(records.get(5).position());
        }
        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.NEVER))) {
            List<Path> segments = segmentFiles(dir);
            assertThat(spool.stats().pendingRecords()).as("every record on disk").isEqualTo(6);

            spool.presumeApplied(epoch, records.get(5).next());
            SpoolStats stats = spool.stats();
            assertThat(stats.pendingRecords()).isEqualTo(4);
            assertThat(stats.pendingBytes()).isEqualTo(4L * SpoolTestSupport.RECORD_BYTES);
            assertThat(stats.oldestPendingAppend()).contains(records.get(6).appendTime());
            assertThat(segmentFiles(dir)).isEqualTo(segments);
            assertThat(readAll(spool, SpoolPosition.ORIGIN)).hasSize(6);

            spool.writer().append(payload(10)).join();
            assertThat(spool.stats().pendingRecords()).isEqualTo(5);
            spool.acknowledge(records.get(4).next());
            assertThat(spool.stats().pendingRecords()).as("an acknowledgement behind the presumption").isEqualTo(5);
            spool.acknowledge(records.get(7).next());
            assertThat(spool.stats().pendingRecords()).isEqualTo(3);

            spool.presumeApplied(epoch, records.get(9).next());
            assertThat(spool.stats().pendingRecords()).isEqualTo(1);
            spool.withdrawPresumption();
            assertThat(spool.stats().pendingRecords()).as("what was acknowledged stays so").isEqualTo(3);
        }
    }

    /**
     * Records lost in a host crash after they were applied: the records appended next take their positions in a new
     * epoch, and are pending although they sit before the position an earlier run saw applied.
     */
    @Test
    void recordsAppendedWhereLostOnesWereAreNotPresumedApplied() throws Exception {
        List<SpoolRecord> records;
        long epoch;
        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.NEVER))) {
            for (int i = 0; i < 10; i++) {
                spool.writer().append(payload(i)).join();
            }
            records = readAll(spool, SpoolPosition.ORIGIN);
            epoch = spool.epochOf(records.get(9).position());
        }
        SpoolTestSupport.truncate(newestSegment(dir), records.get(8).position().offset());
        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.NEVER))) {
            for (int i = 10; i < 13; i++) {
                spool.writer().append(payload(i)).join();
            }
            spool.presumeApplied(epoch, records.get(9).next());
            assertThat(spool.stats().pendingRecords()).as("the 3 appended after the crash").isEqualTo(3);
        }
    }

    @Test
    void statsDescribeWhatIsPending() {
        Instant before = AppendClock.SYSTEM.now(); // the clock that stamps the records
        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.NEVER))) {
            SpoolStats empty = spool.stats();
            assertThat(empty.pendingRecords()).isZero();
            assertThat(empty.oldestPendingAppend()).isEmpty();
            assertThat(empty.bytesOnDisk()).isEqualTo(RecordFormat.SEGMENT_HEADER_BYTES);

            for (int i = 0; i < 6; i++) {
                spool.writer().append(payload(i)).join();
            }
            List<SpoolRecord> records = readAll(spool, SpoolPosition.ORIGIN);
            spool.acknowledge(records.get(1).next());
            SpoolStats stats = spool.stats();

            assertThat(stats.segments()).isEqualTo(2);
            assertThat(stats.bytesOnDisk()).isEqualTo(segmentFiles(dir).stream().mapToLong(p -> size(p)).sum());
            assertThat(stats.lastSequence()).isEqualTo(6);
            assertThat(stats.pendingRecords()).isEqualTo(4);
            assertThat(stats.pendingBytes()).isEqualTo(4L * SpoolTestSupport.RECORD_BYTES);
            assertThat(stats.oldestPendingAppend()).contains(records.get(2).appendTime());
            assertThat(records.get(2).appendTime()).isAfterOrEqualTo(before.minusMillis(1));
            assertThat(stats.shedRecords()).isZero();
            assertThat(stats.blockedAppends()).isZero();
        }
    }
}
