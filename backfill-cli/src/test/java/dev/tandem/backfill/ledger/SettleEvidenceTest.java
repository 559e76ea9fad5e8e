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
        return new TaskStore.Copied(new Task(id, "public", "m", "t", type, start, end, state, List.of()), copyStarted,
                copyStarted == null ? null : "copy " + id, state == TaskState.VERIFIED ? "verify " + id : null);
    }

    private static SettleEvidence.Finding of(List<TaskStore.Copied> tasks) {
        return SettleEvidence.of("public.m", SettleEvidence.Recorded.at(RECORDED, RECORDED + 2 * HOUR), tasks);
    }

    /** A summary entry: transactions from RECORDED to three hours later. */
    private static SettleEvidence.Finding ofSummary(List<TaskStore.Copied> tasks) {
        return SettleEvidence.of("public.m", new SettleEvidence.Recorded(RECORDED, RECORDED + 2 * HOUR,
                RECORDED + 3 * HOUR, RECORDED + 5 * HOUR, Long.MIN_VALUE), tasks);
    }

    @Test
    void aSummaryNeedsItsWholeSpanCopiedAfterItsLastTransaction() {
        // holds the first transaction's time only: the later ones may be missing still
        SettleEvidence.Finding first = ofSummary(List.of(task(1, TimeType.TIMESTAMPTZ, RECORDED - HOUR,
                RECORDED + HOUR, TaskState.VERIFIED, RECORDED + 4 * HOUR)));
        assertThat(first).isInstanceOf(SettleEvidence.Missing.class);
        assertThat(((SettleEvidence.Missing) first).reason()).startsWith("no task of public.m whose range holds the"
                + " times the entry stands for was copied after the last of them")
                .contains("from recorded_at to recorded_until");
        // the whole span, but copied before its last transaction committed
        assertThat(ofSummary(List.of(task(1, TimeType.TIMESTAMPTZ, RECORDED - HOUR, RECORDED + 4 * HOUR,
                TaskState.VERIFIED, RECORDED + 2 * HOUR)))).isInstanceOf(SettleEvidence.Missing.class);
        // two adjacent tasks copied after it hold the span together
        SettleEvidence.Finding both = ofSummary(List.of(
                task(1, TimeType.TIMESTAMPTZ, RECORDED - HOUR, RECORDED + HOUR, TaskState.VERIFIED, RECORDED + 4 * HOUR),
                task(2, TimeType.TIMESTAMPTZ, RECORDED + HOUR, RECORDED + 4 * HOUR, TaskState.VERIFIED,
                        RECORDED + 5 * HOUR)));
        assertThat(both).isInstanceOf(SettleEvidence.Shown.class);
        assertThat(((SettleEvidence.Shown) both).describe()).isEqualTo("tasks 1, 2 of public.m [2026-01-05 09:00:00+00,"
                + " 2026-01-05 14:00:00+00) were copied from copy 1, after the last transaction the entry stands for,"
                + " and verified equal by verify 2");
        // a hole between them
        assertThat(ofSummary(List.of(
                task(1, TimeType.TIMESTAMPTZ, RECORDED - HOUR, RECORDED + HOUR, TaskState.VERIFIED, RECORDED + 4 * HOUR),
                task(2, TimeType.TIMESTAMPTZ, RECORDED + 2 * HOUR, RECORDED + 4 * HOUR, TaskState.VERIFIED,
                        RECORDED + 5 * HOUR)))).isInstanceOf(SettleEvidence.Missing.class);
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
