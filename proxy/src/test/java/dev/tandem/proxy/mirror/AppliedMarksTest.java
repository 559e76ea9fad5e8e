package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.proxy.spool.Spool;
import dev.tandem.proxy.spool.SpoolSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AppliedMarksTest {

    @TempDir
    Path dir;

    @Test
    void aFileWrittenBeforeTheAcknowledgedPositionWasKeptStillGivesItsMarks() throws Exception {
        Files.writeString(dir.resolve(AppliedMarks.FILE),
                "{\"instanceId\":\"proxy-a\",\"databases\":{\"app\":{\"sequence\":7,\"segment\":1,\"offset\":1200}}}");
        try (Spool spool = Spool.open(SpoolSettings.defaults(dir), "proxy-a")) {
            AppliedMarks.Content content = AppliedMarks.load(spool, "proxy-a");
            assertThat(content.databases()).containsExactly(Map.entry("app", new AppliedMarks.Mark(7, 1, 1200)));
            assertThat(content.acknowledged()).isNull();
            assertThat(content.stoppedIn()).isEmpty();
            assertThat(content.read()).isNull();
            assertThat(content.parked()).isEmpty();
        }
    }

    @Test
    void aFileALaterVersionWroteWithMoreFieldsStillGivesWhatThisOneKnows() throws Exception {
        Files.writeString(dir.resolve(AppliedMarks.FILE), "{\"instanceId\":\"proxy-a\",\"databases\":{\"app\":"
                + "{\"sequence\":7,\"segment\":1,\"offset\":1200,\"appliedAt\":1}},"
                + "\"acknowledged\":{\"epoch\":3,\"segment\":1,\"offset\":1432},\"later\":[1,2]}");
        try (Spool spool = Spool.open(SpoolSettings.defaults(dir), "proxy-a")) {
            AppliedMarks.Content content = AppliedMarks.load(spool, "proxy-a");
            assertThat(content.databases()).containsExactly(Map.entry("app", new AppliedMarks.Mark(7, 1, 1200)));
            assertThat(content.acknowledged()).isEqualTo(new AppliedMarks.Acknowledged(3, 1, 1432));
        }
    }

    @Test
    void marksTheAcknowledgedPositionAndStopMarksAreReadBackByTheirInstanceOnly() {
        try (Spool spool = Spool.open(SpoolSettings.defaults(dir), "proxy-a")) {
            AppliedMarks.Acknowledged acknowledged = new AppliedMarks.Acknowledged(42, 1, 1432);
            AppliedMarks.Reached read = new AppliedMarks.Reached(42, 1, 2000, 9);
            AppliedMarks.Reached parkedAt = new AppliedMarks.Reached(42, 1, 1432, 8);
            AppliedMarks.save(spool, "proxy-a", Map.of("app", new AppliedMarks.Mark(7, 1, 1200)), acknowledged,
                    Set.of("app"), read, Map.of("other", parkedAt));

            AppliedMarks.Content content = AppliedMarks.load(spool, "proxy-a");
            assertThat(content.databases()).containsExactly(Map.entry("app", new AppliedMarks.Mark(7, 1, 1200)));
            assertThat(content.acknowledged()).isEqualTo(acknowledged);
            assertThat(content.stoppedIn()).containsExactly("app");
            assertThat(content.read()).isEqualTo(read);
            assertThat(content.parked()).containsExactly(Map.entry("other", parkedAt));

            AppliedMarks.Content other = AppliedMarks.load(spool, "proxy-b");
            assertThat(other.databases()).isEmpty();
            assertThat(other.acknowledged()).isNull();
            assertThat(other.stoppedIn()).isEmpty();
        }
    }
}
