package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

    private static void none(List<UnknownOutcome> left) {
        throw new AssertionError("nothing was left: " + left);
    }

    /** Opens the trace again, as the next start does, and returns what it was handed. */
    private static List<UnknownOutcome> left(Path spool, int sessions) throws Exception {
        List<UnknownOutcome> left = new ArrayList<>();
        InFlightCommits.open(spool, sessions, left::addAll);
        return left;
    }

    @Test
    void whatWasMarkedAndNotClearedWhenTheProcessDiedIsFoundByTheNextOne() throws Exception {
        InFlightCommits died = InFlightCommits.open(spool, 4, InFlightCommitsTest::none);
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

        assertThat(left(spool, 4)).as("the process died: nothing was closed").singleElement().satisfies(o -> {
            assertThat(o.database()).isEqualTo("app");
            assertThat(o.sessionId()).isEqualTo(2);
            assertThat(o.tables()).containsExactly(EVENTS, KEYED);
            assertThat(o.awaited()).isEqualTo("the Sync that commits the batch that writes them");
            assertThat(o.endedAt()).isBetween(before, System.currentTimeMillis());
            assertThat(o.message()).contains("the proxy process stopped without closing the session");
        });
        assertThat(left(spool, 4)).as("taken once").isEmpty();
        assertThat(Files.getPosixFilePermissions(spool.resolve(InFlightCommits.FILE_NAME)))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    }

    @Test
    void whatWasLeftIsKeptUntilItWasHandedOver() throws Exception {
        InFlightCommits.open(spool, 1, InFlightCommitsTest::none).claim().mark("app", 1, "a COMMIT", List.of(EVENTS));
        assertThatThrownBy(() -> InFlightCommits.open(spool, 1, left -> {
            throw new IllegalStateException("the ledger's journal could not be written");
        })).hasMessageContaining("journal");
        assertThat(left(spool, 1)).as("still there for the next start").hasSize(1);
    }

    @Test
    void aLaterMarkIsNotClearedByAnEarliersCompletion() throws Exception {
        InFlightCommits commits = InFlightCommits.open(spool, 1, InFlightCommitsTest::none);
        InFlightCommits.Slot slot = commits.claim();
        int first = slot.mark("app", 1, "a COMMIT", List.of(EVENTS));
        slot.mark("app", 1, "a COMMIT", List.of(EVENTS));
        slot.clearMark(first);
        assertThat(slot.marked()).isTrue();
        assertThat(left(spool, 1)).hasSize(1);
    }

    @Test
    void slotsAreReusedAndBoundedAndAReleasedSlotIsClear() throws Exception {
        InFlightCommits commits = InFlightCommits.open(spool, 2, InFlightCommitsTest::none);
        InFlightCommits.Slot a = commits.claim();
        InFlightCommits.Slot b = commits.claim();
        assertThat(commits.claim()).as("every slot taken: that session is not traced").isNull();
        a.mark("app", 1, "a COMMIT", List.of(EVENTS));
        a.release();
        InFlightCommits.Slot c = commits.claim();
        assertThat(c).isNotNull();
        assertThat(c.marked()).isFalse();
        b.mark("app", 2, "a COMMIT", List.of(EVENTS));
        assertThat(left(spool, 3)).extracting(UnknownOutcome::sessionId).containsExactly(2L);
    }

    @Test
    void tablesThatDoNotFitAreSaidToBeMissing() throws Exception {
        InFlightCommits commits = InFlightCommits.open(spool, 1, InFlightCommitsTest::none);
        List<TableName> many = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            many.add(new TableName("public", "table_with_a_long_name_" + i));
        }
        commits.claim().mark("app", 1, "a COMMIT", many);
        assertThat(left(spool, 1)).singleElement().satisfies(o -> {
            assertThat(o.tables()).isNotEmpty().hasSizeLessThan(many.size()).isEqualTo(many.subList(0, o.tables().size()));
            assertThat(o.awaited()).isEqualTo("a COMMIT (and writes into more tables than the trace could hold)");
        });
    }
}
