package dev.tandem.backfill.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.state.TimeType;
import dev.tandem.testing.PostgresPairExtension;
import java.sql.Connection;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Workers claiming tasks from one target: overlapping ranges (repair's ledger tasks) are never copied at once. */
class TaskClaimIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static TaskStore.NewTask task(long start, long end) {
        return new TaskStore.NewTask("public", "m", "t", TimeType.TIMESTAMPTZ, start, end, "ledger", null);
    }

    private static long claim(Connection c) throws Exception {
        Timestamp now = new Timestamp(System.currentTimeMillis());
        return TaskStore.claim(c, now, Long.MAX_VALUE, "worker", List.of()).map(Task::id).orElse(-1L);
    }

    @Test
    void aTaskOverlappingOneAnotherWorkerCopiesWaitsItsTurn() throws Exception {
        String db = PG.pair().freshDatabase("claims");
        try (Connection setup = PG.target().connect(db)) {
            BackfillSchema.create(setup);
            TaskStore.insert(setup, List.of(task(0, 100), task(50, 150), task(200, 300)));
        }
        try (Connection copyingB = PG.target().connect(db); Connection other = PG.target().connect(db)) {
            copyingB.setAutoCommit(false);
            other.setAutoCommit(false);
            try (Statement s = copyingB.createStatement()) {
                s.execute("SELECT id FROM tandem.backfill_task WHERE id = 2 FOR UPDATE");
            }
            assertThat(claim(other)).as("task 1 overlaps task 2, which is being copied").isEqualTo(3);
            other.rollback();
            copyingB.commit();
            assertThat(claim(other)).as("task 2 is free again: task 1 goes, and holds task 2 meanwhile").isEqualTo(1);
            try (Connection third = PG.target().connect(db)) {
                third.setAutoCommit(false);
                assertThat(claim(third)).isEqualTo(3);
                third.rollback();
            }
            other.rollback();
        }
    }
}
