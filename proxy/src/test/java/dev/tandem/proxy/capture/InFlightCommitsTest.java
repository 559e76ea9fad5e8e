package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.TableName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A proxy that dies with commits in flight leaves them in the file; the next one on the spool finds them. */
class InFlightCommitsTest {

    static final TableName EVENTS = new TableName("public", "events");
    static final TableName KEYED = new TableName("app", "keyed");

    @TempDir
    Path spool;

    @Test
    void whatWasMarkedAndNotClearedWhenTheProcessDiedIsFoundByTheNextOne() throws Exception {
        InFlightCommits died = InFlightCommits.open(spool, 4);
        assertThat(died.recovered()).isEmpty();
        InFlightCommits.Slot idle = died.claim();
        InFlightCommits.Slot committing = died.claim();
        InFlightCommits.Slot answered = died.claim();
        idle.mark("app", 1, "a COMMIT", List.of(EVENTS));
        idle.clear();
        long before = System.currentTimeMillis();
        committing.mark("app", 2, "a COMMIT", List.of(EVENTS));
        committing.mark("app", 2, "the Sync that commits the batch that writes them", List.of(EVENTS, KEYED));
        int mark = answered.mark("other", 3, "a COMMIT", List.of(KEYED));
        answered.clearMark(mark);
        assertThat(committing.marked()).isTrue();
        assertThat(answered.marked()).isFalse();

        InFlightCommits next = InFlightCommits.open(spool, 4); // the process died: nothing was closed
        assertThat(next.recovered()).singleElement().satisfies(o -> {
            assertThat(o.database()).isEqualTo("app");
            assertThat(o.sessionId()).isEqualTo(2);
            assertThat(o.tables()).containsExactly(EVENTS, KEYED);
            assertThat(o.awaited()).isEqualTo("the Sync that commits the batch that writes them");
            assertThat(o.endedAt()).isBetween(before, System.currentTimeMillis());
            assertThat(o.message()).contains("the proxy process stopped without closing the session");
        });
        assertThat(InFlightCommits.open(spool, 4).recovered()).as("taken once").isEmpty();
        assertThat(Files.getPosixFilePermissions(spool.resolve(InFlightCommits.FILE_NAME)))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    }

    @Test
    void aLaterMarkIsNotClearedByAnEarliersCompletion() throws Exception {
        InFlightCommits commits = InFlightCommits.open(spool, 1);
        InFlightCommits.Slot slot = commits.claim();
        int first = slot.mark("app", 1, "a COMMIT", List.of(EVENTS));
        slot.mark("app", 1, "a COMMIT", List.of(EVENTS));
        slot.clearMark(first);
        assertThat(slot.marked()).isTrue();
        assertThat(InFlightCommits.open(spool, 1).recovered()).hasSize(1);
    }

    @Test
    void slotsAreReusedAndBoundedAndAReleasedSlotIsClear() throws Exception {
        InFlightCommits commits = InFlightCommits.open(spool, 2);
        InFlightCommits.Slot a = commits.claim();
        InFlightCommits.Slot b = commits.claim();
        assertThat(commits.claim()).as("every slot taken: that session is not traced").isNull();
        a.mark("app", 1, "a COMMIT", List.of(EVENTS));
        a.release();
        InFlightCommits.Slot c = commits.claim();
        assertThat(c).isNotNull();
        assertThat(c.marked()).isFalse();
        b.mark("app", 2, "a COMMIT", List.of(EVENTS));
        assertThat(InFlightCommits.open(spool, 3).recovered()).extracting(UnknownOutcome::sessionId).containsExactly(2L);
    }

    @Test
    void tablesThatDoNotFitAreSaidToBeMissing() throws Exception {
        InFlightCommits commits = InFlightCommits.open(spool, 1);
        List<TableName> many = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            many.add(new TableName("public", "table_with_a_long_name_" + i));
        }
        commits.claim().mark("app", 1, "a COMMIT", many);
        assertThat(InFlightCommits.open(spool, 1).recovered()).singleElement().satisfies(o -> {
            assertThat(o.tables()).isNotEmpty().hasSizeLessThan(many.size()).isEqualTo(many.subList(0, o.tables().size()));
            assertThat(o.awaited()).isEqualTo("a COMMIT (and writes into more tables than the trace could hold)");
        });
    }
}
