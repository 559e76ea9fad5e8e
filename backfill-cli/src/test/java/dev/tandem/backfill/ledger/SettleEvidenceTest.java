package dev.tandem.backfill.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.backfill.state.Task;
import dev.tandem.backfill.state.TaskState;
import dev.tandem.backfill.state.TaskStore;
import dev.tandem.protocol.state.TimeType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which tasks show that a ledger entry's table was re-copied and found equal after the entry was recorded. */
class SettleEvidenceTest {

    private static final long HOUR = 3_600_000_000L;
    /** 2026-01-05 10:00:00 UTC. */
    private static final long RECORDED = 1_767_607_200_000_000L;

    private static TaskStore.Copied task(long id, TimeType type, long start, long end, TaskState state, Long copyStarted) {
        return new TaskStore.Copied(new Task(id, "public", "m", "t", type, start, end, state, null), copyStarted,
                copyStarted == null ? null : "copy " + id, state == TaskState.VERIFIED ? "verify " + id : null);
    }

    private static SettleEvidence.Finding of(List<TaskStore.Copied> tasks) {
        return SettleEvidence.of("public.m", RECORDED, RECORDED + 2 * HOUR, tasks);
    }

    @Test
    void aVerifiedTaskHoldingTheTimeAndCopiedAfterItIsEvidence() {
        SettleEvidence.Finding f = of(List.of(
                task(1, TimeType.TIMESTAMPTZ, RECORDED - 24 * HOUR, RECORDED - HOUR, TaskState.VERIFIED, RECORDED + HOUR),
                task(2, TimeType.TIMESTAMPTZ, RECORDED - HOUR, RECORDED + HOUR, TaskState.VERIFIED, RECORDED + HOUR)));
        assertThat(f).isInstanceOf(SettleEvidence.Shown.class);
        assertThat(((SettleEvidence.Shown) f).describe()).startsWith("task 2 of public.m [2026-01-05 09:00:00+00,"
                + " 2026-01-05 11:00:00+00) was copied from copy 2, after the entry was recorded, and verified equal at"
                + " verify 2").doesNotContain("cannot be told");
    }

    @Test
    void aCopyThatStartedBeforeTheEntryIsNoEvidence() {
        SettleEvidence.Finding f = of(List.of(
                task(1, TimeType.TIMESTAMPTZ, RECORDED - HOUR, RECORDED + HOUR, TaskState.VERIFIED, RECORDED)));
        assertThat(f).isInstanceOf(SettleEvidence.Missing.class);
        assertThat(((SettleEvidence.Missing) f).reason()).contains("no task of public.m whose range holds the time"
                + " the entry was recorded was copied after it (its tasks cover [2026-01-05 09:00:00+00,"
                + " 2026-01-05 11:00:00+00), copies started copy 1 to copy 1)");
    }

    @Test
    void aRangeEndingAtTheEntrysTimeDoesNotHoldIt() {
        assertThat(of(List.of(task(1, TimeType.TIMESTAMPTZ, RECORDED - HOUR, RECORDED, TaskState.VERIFIED,
                RECORDED + HOUR)))).isInstanceOf(SettleEvidence.Missing.class);
    }

    @Test
    void timestampAndDateColumnsAreComparedWithTheWallClockTimeInThePlansZone() {
        // the wall-clock time is two hours ahead of UTC here: 12:00
        assertThat(of(List.of(task(1, TimeType.TIMESTAMP, RECORDED - HOUR, RECORDED + HOUR, TaskState.VERIFIED,
                RECORDED + HOUR)))).isInstanceOf(SettleEvidence.Missing.class);
        assertThat(of(List.of(task(1, TimeType.TIMESTAMP, RECORDED + HOUR, RECORDED + 3 * HOUR, TaskState.VERIFIED,
                RECORDED + HOUR)))).isInstanceOf(SettleEvidence.Shown.class);
        long day = RECORDED - 10 * HOUR;
        assertThat(of(List.of(task(1, TimeType.DATE, day, day + 24 * HOUR, TaskState.VERIFIED, RECORDED + HOUR))))
                .isInstanceOf(SettleEvidence.Shown.class);
    }

    @Test
    void anIntegerTimeColumnIsEvidenceByItsCopyTimeAndSaysItsRangeWasNotChecked() {
        SettleEvidence.Finding f = of(List.of(task(1, TimeType.BIGINT, 0, 50, TaskState.VERIFIED, RECORDED + 1)));
        assertThat(((SettleEvidence.Shown) f).describe()).contains("its time column t is bigint: whether that range"
                + " holds the entry's rows cannot be told from recorded_at");
    }

    @Test
    void anyTaskOfTheTableNotVerifiedEqualRefusesEveryEntryOfIt() {
        SettleEvidence.Finding f = of(List.of(
                task(1, TimeType.TIMESTAMPTZ, RECORDED - HOUR, RECORDED + HOUR, TaskState.VERIFIED, RECORDED + HOUR),
                task(2, TimeType.TIMESTAMPTZ, 0, HOUR, TaskState.MISMATCH, RECORDED + HOUR),
                task(3, TimeType.TIMESTAMPTZ, HOUR, 2 * HOUR, TaskState.DONE, RECORDED + HOUR),
                task(4, TimeType.TIMESTAMPTZ, 2 * HOUR, 3 * HOUR, TaskState.PENDING, null)));
        assertThat(((SettleEvidence.Missing) f).reason()).startsWith("tasks of public.m are not verified equal:"
                + " 2 (mismatch), 3 (copied, not verified since), 4 (pending); run 'repair'");
    }

    @Test
    void aTableWithoutTasksHasNoEvidence() {
        assertThat(((SettleEvidence.Missing) of(List.of())).reason())
                .startsWith("no task of the staged plan copies public.m: re-copy a window of it");
    }
}
