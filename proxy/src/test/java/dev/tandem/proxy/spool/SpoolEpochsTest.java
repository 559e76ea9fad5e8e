package dev.tandem.proxy.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolEpochsTest {

    @TempDir
    Path dir;

    private static SpoolPosition at(long segment, long offset) {
        return new SpoolPosition(segment, offset);
    }

    @Test
    void aRecordOfALaterEpochIsNewWhereverItSits() throws Exception {
        try (SpoolDirectory directory = SpoolDirectory.open(dir)) {
            SpoolEpochs first = SpoolEpochs.open(directory, SpoolPosition.ORIGIN, at(1, 32), false);
            long e1 = first.current();
            // the target applied up to (1, 900); a host crash then cut the spool back to (1, 500)
            SpoolEpochs second = SpoolEpochs.open(directory, SpoolPosition.ORIGIN, at(1, 500), true);
            long e2 = second.current();
            assertThat(e2).isNotEqualTo(e1);
            assertThat(second.of(at(1, 400))).isEqualTo(e1);
            assertThat(second.of(at(1, 600))).isEqualTo(e2);
            assertThat(second.applied(at(1, 400), e1, at(1, 900))).isTrue();
            assertThat(second.applied(at(1, 600), e1, at(1, 900))).as("appended after the restart").isFalse();
            assertThat(second.applied(at(1, 600), e2, at(1, 700))).isTrue();
            assertThat(second.applied(at(1, 700), e2, at(1, 700))).isFalse();
        }
    }

    /** The records {@code applied} takes for applied are those before {@code appliedEnd}, wherever it stops them. */
    @Test
    void theRecordsAProgressTakesForAppliedEndWhereAppliedEndSays() throws Exception {
        try (SpoolDirectory directory = SpoolDirectory.open(dir)) {
            long e1 = SpoolEpochs.open(directory, SpoolPosition.ORIGIN, at(1, 32), false).current();
            // the target applied up to (1, 900); a host crash then cut the spool back to (1, 500)
            SpoolEpochs second = SpoolEpochs.open(directory, SpoolPosition.ORIGIN, at(1, 500), true);
            long e2 = second.current();
            assertThat(second.appliedEnd(e1, at(1, 900))).as("not past the records appended after the crash")
                    .isEqualTo(at(1, 500));
            assertThat(second.appliedEnd(e1, at(1, 300))).isEqualTo(at(1, 300));
            assertThat(second.appliedEnd(e2, at(1, 700))).isEqualTo(at(1, 700));
            assertThat(second.appliedEnd(12345L, at(5000, 64))).as("another spool's").isEqualTo(SpoolPosition.ORIGIN);
            for (long offset = 32; offset < 1000; offset += 4) {
                for (SpoolPosition before : new SpoolPosition[] {at(1, 300), at(1, 900)}) {
                    assertThat(second.applied(at(1, offset), e1, before))
                            .isEqualTo(at(1, offset).compareTo(second.appliedEnd(e1, before)) < 0);
                }
                assertThat(second.applied(at(1, offset), e2, at(1, 700)))
                        .isEqualTo(at(1, offset).compareTo(second.appliedEnd(e2, at(1, 700))) < 0);
            }
        }
    }

    @Test
    void progressOfAnotherSpoolCountsNothingHereAsApplied() throws Exception {
        try (SpoolDirectory directory = SpoolDirectory.open(dir)) {
            SpoolEpochs fresh = SpoolEpochs.open(directory, SpoolPosition.ORIGIN, at(1, 32), false);
            assertThat(fresh.applied(at(1, 32), 12345L, at(5000, 64))).isFalse();
            assertThat(fresh.applied(at(1, 32), null, at(5000, 64))).as("a proxy without epochs stored it").isFalse();
        }
    }

    @Test
    void aDirectoryWrittenBeforeEpochsIsTheLegacyEpochAProgressWithoutOneMeans() throws Exception {
        try (SpoolDirectory directory = SpoolDirectory.open(dir)) {
            SpoolEpochs upgraded = SpoolEpochs.open(directory, SpoolPosition.ORIGIN, at(1, 500), true);
            assertThat(upgraded.of(at(1, 100))).isEqualTo(SpoolEpochs.LEGACY);
            assertThat(upgraded.applied(at(1, 100), null, at(1, 300))).isTrue();
            assertThat(upgraded.applied(at(1, 300), null, at(1, 300))).isFalse();
            assertThat(upgraded.applied(at(1, 500), null, at(1, 300))).isFalse();
        }
    }

    @Test
    void epochsWhoseRecordsAreDeletedAreForgotten() throws Exception {
        try (SpoolDirectory directory = SpoolDirectory.open(dir)) {
            SpoolEpochs.open(directory, SpoolPosition.ORIGIN, at(1, 32), false);
            SpoolEpochs.open(directory, SpoolPosition.ORIGIN, at(5, 32), true);
            SpoolEpochs.open(directory, at(7, 0), at(9, 32), true);
            assertThat(Files.readAllLines(dir.resolve(SpoolEpochs.FILE))).hasSize(2); // (5, 32) still holds (7, x)
        }
    }

    @Test
    void aDamagedFileStopsTheOpenClearly() throws Exception {
        Files.writeString(dir.resolve(SpoolEpochs.FILE), "12 x 3\n", StandardCharsets.UTF_8);
        try (SpoolDirectory directory = SpoolDirectory.open(dir)) {
            assertThatThrownBy(() -> SpoolEpochs.open(directory, SpoolPosition.ORIGIN, at(1, 32), true))
                    .isInstanceOf(SpoolException.class)
                    .hasMessageContaining("epochs has the line '12 x 3', not '<epoch> <segment> <offset>'");
        }
    }
}
