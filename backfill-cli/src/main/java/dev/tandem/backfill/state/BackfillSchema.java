package dev.tandem.backfill.state;

import dev.tandem.protocol.state.TandemSchema;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The backfill's own tables in schema {@code tandem} on the target, beside the ones it shares with the proxy
 * ({@link TandemSchema}). {@code clean} drops exactly these.
 */
public final class BackfillSchema {

    /** The arguments the plan was staged with: same arguments again are a no-op, different ones need --replace. */
    static final String CREATE_PLAN = """
            CREATE TABLE IF NOT EXISTS tandem.backfill_plan (
                id int PRIMARY KEY CHECK (id = 1),
                arguments text NOT NULL,
                until_text text,
                staged_at timestamptz NOT NULL DEFAULT now()
            )""";

    /** One row per {@code [range_start, range_end)} range of one table; positions as in {@code TimeType}. */
    static final String CREATE_TASK = """
            CREATE TABLE IF NOT EXISTS tandem.backfill_task (
                id bigserial PRIMARY KEY,
                table_schema text NOT NULL,
                table_name text NOT NULL,
                time_column text NOT NULL,
                time_type text NOT NULL,
                range_start bigint NOT NULL,
                range_end bigint NOT NULL,
                origin text NOT NULL DEFAULT 'plan',
                divergence_id bigint,
                state text NOT NULL DEFAULT 'pending',
                attempts int NOT NULL DEFAULT 0,
                copies int NOT NULL DEFAULT 0,
                rows bigint,
                bytes bigint,
                worker text,
                started_at timestamptz,
                finished_at timestamptz,
                failed_at timestamptz,
                error text,
                verified_at timestamptz,
                verify_report text,
                CHECK (range_start < range_end)
            )""";

    /** The zone timestamp and date columns are read in ({@code stage --time-zone}); repair needs it too. */
    static final String ADD_PLAN_TIME_ZONE =
            TandemSchema.addColumnIfMissing("backfill_plan", "time_zone", "text NOT NULL DEFAULT 'UTC'");

    /**
     * The ledger entries a {@code repair} task re-copies: one task covers the union of a table's overlapping and
     * touching ledger ranges, and its copy closes every entry of it. A task queued before this column existed names
     * its one entry in {@code divergence_id}, which is still read.
     */
    static final String ADD_TASK_DIVERGENCE_IDS =
            TandemSchema.addColumnIfMissing("backfill_task", "divergence_ids", "bigint[]");

    static final String CREATE_TASK_INDEX =
            "CREATE INDEX IF NOT EXISTS backfill_task_state ON tandem.backfill_task (state, id)";

    /**
     * The open tasks in id order, for {@link TaskStore#claim}: with {@code (state, id)} alone, the claim of a pending or
     * failed task read and sorted every open task, so a plan of n tasks cost O(n^2) on the target (a TimescaleDB source
     * has a task per chunk, thousands of them).
     */
    static final String CREATE_OPEN_TASK_INDEX = "CREATE INDEX IF NOT EXISTS backfill_task_open ON tandem.backfill_task "
            + "(id) WHERE state IN ('pending', 'failed')";

    /**
     * The open tasks of each table by range start, for the overlap check of each claim: tasks are claimed in the order
     * of their ranges, so those starting before a claimed task ends are the few in flight, not every open one.
     */
    static final String CREATE_OPEN_RANGE_INDEX = "CREATE INDEX IF NOT EXISTS backfill_task_open_range ON "
            + "tandem.backfill_task (table_schema, table_name, range_start) WHERE state IN ('pending', 'failed')";

    /** TimescaleDB jobs {@code copy --pause-jobs} disabled, so status shows and clean restores them after a crash. */
    static final String CREATE_PAUSED_JOB = """
            CREATE TABLE IF NOT EXISTS tandem.paused_job (
                job_id int PRIMARY KEY,
                proc_name text,
                hypertable text,
                paused_at timestamptz NOT NULL DEFAULT now()
            )""";

    public static final String DROP = "DROP TABLE IF EXISTS tandem.backfill_task, tandem.backfill_plan, tandem.paused_job";

    private BackfillSchema() {
    }

    /**
     * Creates the shared and the backfill tables if missing. The index is created only when missing: even with
     * {@code IF NOT EXISTS}, {@code CREATE INDEX} first takes a SHARE lock on the task table, which waits for every task
     * a copy is running (on any machine) and meanwhile stops every copy from claiming the next.
     */
    public static void create(Connection target) throws SQLException {
        try (Statement s = target.createStatement()) {
            s.execute(TandemSchema.ddl());
            s.execute(String.join(";\n", TandemSchema.LOCK, CREATE_PLAN, ADD_PLAN_TIME_ZONE, CREATE_TASK,
                    ADD_TASK_DIVERGENCE_IDS, CREATE_PAUSED_JOB));
            createIndexIfMissing(s, "backfill_task_state", CREATE_TASK_INDEX);
            createIndexIfMissing(s, "backfill_task_open", CREATE_OPEN_TASK_INDEX);
            createIndexIfMissing(s, "backfill_task_open_range", CREATE_OPEN_RANGE_INDEX);
        }
    }

    private static void createIndexIfMissing(Statement s, String name, String create) throws SQLException {
        boolean indexed;
        try (var rs = s.executeQuery("SELECT to_regclass('tandem." + name + "') IS NOT NULL")) {
            rs.next();
            indexed = rs.getBoolean(1);
        }
        if (!indexed) {
            s.execute(create);
        }
    }

    /** The zone the staged plan reads timestamp and date columns in, {@code UTC} without a plan. */
    public static String timeZone(Connection target) throws SQLException {
        try (Statement s = target.createStatement();
             var rs = s.executeQuery("SELECT time_zone FROM tandem.backfill_plan WHERE id = 1")) {
            return rs.next() ? rs.getString(1) : "UTC";
        }
    }

    /** What {@code copy}, {@code verify} and {@code repair} fail with when nothing is {@link #staged}. */
    public static final String NO_PLAN = "no plan on the target: run 'stage' first";

    /** True when the backfill's tables exist: a plan was staged, or a stage (perhaps a refused one) created them. */
    public static boolean exists(Connection target) throws SQLException {
        return TandemSchema.hasTable(target, "backfill_task");
    }

    /**
     * True when there is something to copy, verify or repair: a plan was staged (perhaps of no task), or tasks were
     * queued without one (by the repair of an earlier release, which did not ask for a plan).
     * The tables alone are not a plan: {@code stage} creates them before it checks the tables, so a refused stage
     * leaves them empty, and {@code verify} would report "0 differ" for a backfill that never ran.
     */
    public static boolean staged(Connection target) throws SQLException {
        if (!exists(target)) {
            return false;
        }
        try (Statement s = target.createStatement();
             var rs = s.executeQuery("SELECT EXISTS (SELECT FROM tandem.backfill_plan)"
                     + " OR EXISTS (SELECT FROM tandem.backfill_task)")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }
}
