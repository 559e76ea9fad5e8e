package dev.tandem.backfill.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.state.TimeType;
import dev.tandem.testing.PostgresPairExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Workers claiming tasks from one target: overlapping ranges (repair's ledger tasks) are never copied at once. */
class TaskClaimIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static TaskStore.NewTask task(long start, long end) {
        return new TaskStore.NewTask("public", "m", "t", TimeType.TIMESTAMPTZ, start, end, "ledger", List.of());
    }

    private static long claim(Connection c) throws Exception {
        Timestamp now = new Timestamp(System.currentTimeMillis());
        return TaskStore.claim(c, now, Long.MAX_VALUE, "worker", List.of()).map(Task::id).orElse(-1L);
    }

    /**
     * A TimescaleDB source has a task per chunk, thousands of them: a claim read (and sorted) every open task, twice
     * more for the overlap check, so a plan cost O(tasks^2) on the target. Rows read are counted in the claim's own
     * transaction ({@code pg_stat_xact_user_tables}), with the planner's statistics as autovacuum leaves them.
     */
    @Test
    void aClaimReadsTheFirstOpenTasksNotEveryOpenOne() throws Exception {
        String db = PG.pair().freshDatabase("manyclaims");
        int tasks = 4000;
        try (Connection setup = PG.target().connect(db)) {
            BackfillSchema.create(setup);
            List<TaskStore.NewTask> plan = new ArrayList<>();
            for (int i = 0; i < tasks; i++) {
                plan.add(task(i * 100L, (i + 1) * 100L));
            }
            TaskStore.insert(setup, plan);
            try (Statement s = setup.createStatement()) {
                s.execute("UPDATE tandem.backfill_task SET state = 'done' WHERE id <= " + tasks / 4);
                s.execute("ANALYZE tandem.backfill_task");
            }
        }
        try (Connection worker = PG.target().connect(db)) {
            worker.setAutoCommit(false);
            assertThat(claim(worker)).isEqualTo(tasks / 4 + 1);
            long read;
            try (Statement s = worker.createStatement();
                 ResultSet rs = s.executeQuery("SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) "
                         + "FROM pg_stat_xact_user_tables WHERE relid = 'tandem.backfill_task'::regclass")) {
                rs.next();
                read = rs.getLong(1);
            }
            assertThat(read).as("task rows the claim read, of %d open", tasks * 3 / 4).isLessThan(20);
            worker.rollback();
        }
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
