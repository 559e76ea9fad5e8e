package dev.tandem.proxy.spool;

import static dev.tandem.proxy.spool.SpoolTestSupport.payload;
import static dev.tandem.proxy.spool.SpoolTestSupport.readAll;
import static dev.tandem.proxy.spool.SpoolTestSupport.segmentFiles;
import static dev.tandem.proxy.spool.SpoolTestSupport.segmentsWithRecords;
import static dev.tandem.proxy.spool.SpoolTestSupport.smallSegments;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolOwnerTest {

    @TempDir
    Path dir;

    @Test
    void aNewSpoolDirectoryRecordsTheInstanceId() throws IOException {
        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.ALWAYS), "proxy-a")) {
            assertThat(owner()).isEqualTo("proxy-a\n");
        }
        assertThat(dir.resolve(SpoolOwner.FILE + ".tmp")).as("the temporary file was renamed").doesNotExist();
    }

    @Test
    void theSameInstanceReopensItsRecords() {
        writeRecords("proxy-a", 3);

        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.NEVER), "proxy-a")) {
            assertThat(readAll(spool, SpoolPosition.ORIGIN)).hasSize(3);
        }
    }

    @Test
    void anotherInstanceIsRefusedWhileRecordsRemain() throws IOException {
        writeRecords("proxy-a", 3);
        List<Path> segments = segmentFiles(dir);

        assertThatThrownBy(() -> Spool.open(smallSegments(dir, FsyncPolicy.NEVER), "proxy-b"))
                .isInstanceOf(SpoolOwnerMismatchException.class)
                .hasMessageContaining("spool directory " + dir.toAbsolutePath())
                .hasMessageContaining("written by instance-id 'proxy-a'")
                .hasMessageContaining("this proxy is instance-id 'proxy-b'")
                .hasMessageContaining("--instance-id proxy-a")
                .hasMessageContaining("instance-id: proxy-a")
                .hasMessageContaining("(--spool-dir) at a new, empty directory");

        assertThat(owner()).isEqualTo("proxy-a\n");
        assertThat(segmentFiles(dir)).as("a refused open writes no segment").isEqualTo(segments);
        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.NEVER), "proxy-a")) {
            assertThat(readAll(spool, SpoolPosition.ORIGIN)).as("the refusal released the directory").hasSize(3);
        }
    }

    @Test
    void appliedRecordsStillOnDiskCountAsRecords() throws IOException {
        // Only the target knows they were applied; opened under another id, the applier would apply them again. They
        // stay on disk when the proxy stops before all of them are applied (a clean close with all applied empties
        // the spool: SpoolAcknowledgeTest).
        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.NEVER), "proxy-a")) {
            spool.writer().append(payload(0)).join();
            spool.writer().append(payload(1)).join();
            spool.acknowledge(readAll(spool, SpoolPosition.ORIGIN).get(0).next());
        }

        assertThatThrownBy(() -> Spool.open(smallSegments(dir, FsyncPolicy.NEVER), "proxy-b"))
                .isInstanceOf(SpoolOwnerMismatchException.class);
        assertThat(owner()).isEqualTo("proxy-a\n");
    }

    @Test
    void aDrainedSpoolChangesOwner() throws IOException {
        writeRecords("proxy-a", 3);
        // Restarted as its owner, the spool starts a new segment; once the old records are applied they are deleted.
        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.NEVER), "proxy-a")) {
            List<SpoolRecord> records = readAll(spool, SpoolPosition.ORIGIN);
            spool.acknowledge(records.get(records.size() - 1).next());
        }
        assertThat(segmentsWithRecords(dir)).isEmpty();

        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.NEVER), "proxy-b")) {
            assertThat(owner()).isEqualTo("proxy-b\n");
            spool.writer().append(payload(9)).join();
        }
        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.NEVER), "proxy-b")) {
            assertThat(readAll(spool, SpoolPosition.ORIGIN)).hasSize(1);
        }
    }

    @Test
    void aSpoolWrittenBeforeTheOwnerWasRecordedIsTakenForTheConfiguredId() throws IOException {
        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.NEVER))) {
            spool.writer().append(payload(0)).join();
        }
        assertThat(dir.resolve(SpoolOwner.FILE)).as("a spool opened without an id records none").doesNotExist();

        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.NEVER), "proxy-b")) {
            assertThat(readAll(spool, SpoolPosition.ORIGIN)).hasSize(1);
        }
        assertThat(owner()).isEqualTo("proxy-b\n");
        assertThatThrownBy(() -> Spool.open(smallSegments(dir, FsyncPolicy.NEVER), "proxy-c"))
                .isInstanceOf(SpoolOwnerMismatchException.class);
    }

    @Test
    void theDecisionOnADirectoryWithoutSegments() throws IOException {
        Files.writeString(dir.resolve(SpoolOwner.FILE), "proxy-a\n");
        try (SpoolDirectory directory = SpoolDirectory.open(dir)) {
            assertThatThrownBy(() -> SpoolOwner.claim(directory, "proxy-b", true))
                    .isInstanceOf(SpoolOwnerMismatchException.class);
            assertThat(owner()).isEqualTo("proxy-a\n");

            SpoolOwner.claim(directory, "proxy-a", true);
            assertThat(owner()).isEqualTo("proxy-a\n");

            SpoolOwner.claim(directory, "proxy-b", false);
            assertThat(owner()).isEqualTo("proxy-b\n");
        }
    }

    @Test
    void aDamagedInstanceIdFileIsReportedNotGuessed() throws IOException {
        Files.writeString(dir.resolve(SpoolOwner.FILE), "  \n");

        assertThatThrownBy(() -> Spool.open(smallSegments(dir, FsyncPolicy.NEVER), "proxy-a"))
                .isInstanceOf(SpoolException.class)
                .hasMessageContaining(SpoolOwner.FILE + " should hold the instance id the spool was written for");
    }

    @Test
    void aTemporaryFileLeftByACrashIsReplaced() throws IOException {
        Files.writeString(dir.resolve(SpoolOwner.FILE + ".tmp"), "half-writ");

        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.NEVER), "proxy-a")) {
            assertThat(owner()).isEqualTo("proxy-a\n");
        }
        assertThat(dir.resolve(SpoolOwner.FILE + ".tmp")).doesNotExist();
    }

    private void writeRecords(String instanceId, int count) {
        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.NEVER), instanceId)) {
            for (int i = 0; i < count; i++) {
                spool.writer().append(payload(i)).join();
            }
        }
    }

    private String owner() throws IOException {
        return Files.readString(dir.resolve(SpoolOwner.FILE));
    }
}
