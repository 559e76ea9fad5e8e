package dev.tandem.backfill.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.backfill.BackfillException;
import dev.tandem.backfill.Cli;
import dev.tandem.backfill.ExitCodes;
import dev.tandem.backfill.state.BackfillSchema;
import dev.tandem.backfill.state.TaskStore;
import dev.tandem.protocol.state.TimeType;
import dev.tandem.testing.PostgresPairExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code --pause-jobs}, {@code clean} and {@code refresh-caggs} against a stand-in of TimescaleDB's catalog: hypertable
 * {@code public.m} with continuous aggregate {@code m_hourly}, {@code m_daily} on it and {@code m_monthly} on that.
 */
class TimescaleJobsIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static final long JAN_1 = Instant.parse("2026-01-01T00:00:00Z").getEpochSecond() * 1_000_000L;
    private static final long JAN_4_NOON = Instant.parse("2026-01-04T12:00:00Z").getEpochSecond() * 1_000_000L;

    private static String database(String prefix, TimescaleStandIn.JobsView jobs) throws Exception {
        return database(prefix, jobs, TimescaleStandIn.JobOwner.REGROLE);
    }

    private static String database(String prefix, TimescaleStandIn.JobsView jobs, TimescaleStandIn.JobOwner owner)
            throws Exception {
        String db = PG.pair().freshDatabase(prefix);
        PG.target().execute(db, "CREATE TABLE m (t timestamptz NOT NULL, v int); CREATE TABLE other (t timestamptz)");
        TimescaleStandIn.install(PG.target(), db, jobs, owner);
        TimescaleStandIn.hypertable(PG.target(), db, 1, "public", "m");
        TimescaleStandIn.hypertable(PG.target(), db, 5, "public", "other");
        TimescaleStandIn.continuousAggregate(PG.target(), db, "m_hourly", 1, 2, "1 hour");
        TimescaleStandIn.continuousAggregate(PG.target(), db, "m_daily", 2, 3, "1 day");
        TimescaleStandIn.continuousAggregate(PG.target(), db, "m_monthly", 3, 4, "30 days");
        try (Connection c = PG.target().connect(db)) {
            BackfillSchema.create(c);
            TaskStore.insert(c, List.of(new TaskStore.NewTask("public", "m", "t", TimeType.TIMESTAMPTZ, JAN_1,
                    JAN_4_NOON, "plan", List.of())));
        }
        return db;
    }

    /** A role that owns policies and aggregates, and a login role for the backfill that is not (yet) a member of it. */
    private static final String OPERATOR_ROLES = """
            DO $$ BEGIN
                CREATE ROLE policy_owner;
                CREATE ROLE backfill_operator LOGIN PASSWORD 'operator';
            EXCEPTION WHEN duplicate_object THEN NULL;
            END $$;
            REVOKE policy_owner FROM backfill_operator;
            """;

    private static String scheduled(String db) {
        return PG.target().query(db, "SELECT id, scheduled FROM _timescaledb_catalog.bgw_job ORDER BY id").toString();
    }

    @ParameterizedTest
    @EnumSource(TimescaleStandIn.JobsView.class)
    void theJobsOfTheHypertableAndOfEveryLevelOfItsContinuousAggregatesArePausedAndRestored(
            TimescaleStandIn.JobsView jobsView) throws Exception {
        String db = database("pause", jobsView);
        TimescaleStandIn.job(PG.target(), db, 1000, "policy_compression", 1);
        TimescaleStandIn.job(PG.target(), db, 1001, "policy_refresh_continuous_aggregate", 2);
        TimescaleStandIn.job(PG.target(), db, 1002, "policy_refresh_continuous_aggregate", 3);
        TimescaleStandIn.job(PG.target(), db, 1003, "policy_compression", 3);
        TimescaleStandIn.job(PG.target(), db, 1004, "policy_retention", 4);
        TimescaleStandIn.job(PG.target(), db, 1005, "policy_compression", 5);
        TimescaleStandIn.job(PG.target(), db, 1006, "custom_job", null);

        StringWriter out = new StringWriter();
        try (Connection c = PG.target().connect(db)) {
            assertThat(JobPauser.pause(c, new PrintWriter(out, true))).as(out.toString()).isEqualTo(5);
        }
        assertThat(scheduled(db)).isEqualTo("[[1000, f], [1001, f], [1002, f], [1003, f], [1004, f], [1005, t], [1006, t]]");
        assertThat(out.toString()).contains("job 1001 (policy_refresh_continuous_aggregate on public.m_hourly)")
                .contains("job 1004 (policy_retention on public.m_monthly)");

        // the operator removes a policy while it is paused: clean restores the others and forgets it
        PG.target().execute(db, "DELETE FROM _timescaledb_catalog.bgw_job WHERE id = 1003");
        try (Connection c = PG.target().connect(db)) {
            assertThat(JobPauser.restore(c, new PrintWriter(out, true))).isEqualTo(5);
        }
        assertThat(scheduled(db)).isEqualTo("[[1000, t], [1001, t], [1002, t], [1004, t], [1005, t], [1006, t]]");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.paused_job")).isEqualTo("0");
    }

    /**
     * A reorder policy rewrites and locks the chunks the copy writes (and reorders each one only once), Tiger Cloud's
     * tiering policy freezes them read-only before moving them to object storage, and a recompression policy (2.x
     * before it was folded into compression) rewrites compressed ones: each is attached to its hypertable like the
     * others, under a procedure of its own.
     */
    @Test
    void reorderTieringAndEveryOtherPolicyOfAStagedHypertableOrItsAggregatesArePausedAndRestoredExactly()
            throws Exception {
        String db = database("every_policy", TimescaleStandIn.JobsView.CONTINUOUS_AGGREGATE);
        TimescaleStandIn.job(PG.target(), db, 1000, "policy_reorder", 1);
        TimescaleStandIn.job(PG.target(), db, 1001, "policy_recompression", 1);
        TimescaleStandIn.job(PG.target(), db, 1002, "policy_tiering", 1);
        TimescaleStandIn.job(PG.target(), db, 1003, "policy_tiering", 2);
        TimescaleStandIn.job(PG.target(), db, 1004, "policy_reorder", 5);
        TimescaleStandIn.job(PG.target(), db, 1005, "custom_job", null);
        TimescaleStandIn.job(PG.target(), db, 1006, "policy_reorder", 1);
        PG.target().execute(db, "UPDATE _timescaledb_catalog.bgw_job SET scheduled = false WHERE id = 1006");

        StringWriter out = new StringWriter();
        try (Connection c = PG.target().connect(db)) {
            assertThat(JobPauser.pause(c, new PrintWriter(out, true))).as(out.toString()).isEqualTo(4);
        }
        assertThat(scheduled(db)).isEqualTo(
                "[[1000, f], [1001, f], [1002, f], [1003, f], [1004, t], [1005, t], [1006, f]]");
        assertThat(out.toString()).contains("job 1000 (policy_reorder on public.m)")
                .contains("job 1003 (policy_tiering on public.m_hourly)");

        // a second copy run (after a crash or with failed tasks) pauses nothing more and forgets nothing
        try (Connection c = PG.target().connect(db)) {
            assertThat(JobPauser.pause(c, new PrintWriter(out, true))).isZero();
            assertThat(JobPauser.restore(c, new PrintWriter(out, true))).isEqualTo(4);
        }
        // the job paused before the copy stays paused
        assertThat(scheduled(db)).isEqualTo(
                "[[1000, t], [1001, t], [1002, t], [1003, t], [1004, t], [1005, t], [1006, f]]");
    }

    /**
     * Each job is re-enabled and forgotten in one transaction: a restore that fails between the two (here the record's
     * DELETE, refused by a trigger) leaves the job paused and recorded, for the next restore, never re-enabled while
     * {@code tandem.paused_job} still says it is paused.
     */
    @Test
    void aRestoreThatFailsPartWayLeavesEachJobEitherPausedAndRecordedOrRestoredAndForgotten() throws Exception {
        String db = database("restore_fails", TimescaleStandIn.JobsView.CONTINUOUS_AGGREGATE);
        TimescaleStandIn.job(PG.target(), db, 1000, "policy_compression", 1);
        TimescaleStandIn.job(PG.target(), db, 1001, "policy_retention", 1);
        StringWriter out = new StringWriter();
        try (Connection c = PG.target().connect(db)) {
            assertThat(JobPauser.pause(c, new PrintWriter(out, true))).isEqualTo(2);
        }
        PG.target().execute(db, """
                CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'refused'; END $$;
                CREATE TRIGGER refuse BEFORE DELETE ON tandem.paused_job FOR EACH ROW WHEN (OLD.job_id = 1001)
                    EXECUTE FUNCTION refuse()""");
        try (Connection c = PG.target().connect(db)) {
            assertThatThrownBy(() -> JobPauser.restore(c, new PrintWriter(out, true))).hasMessageContaining("refused");
        }
        assertThat(scheduled(db)).isEqualTo("[[1000, t], [1001, f]]");
        assertThat(PG.target().query(db, "SELECT job_id FROM tandem.paused_job").toString()).isEqualTo("[[1001]]");

        PG.target().execute(db, "DROP TRIGGER refuse ON tandem.paused_job");
        try (Connection c = PG.target().connect(db)) {
            assertThat(JobPauser.restore(c, new PrintWriter(out, true))).isEqualTo(1);
        }
        assertThat(scheduled(db)).isEqualTo("[[1000, t], [1001, t]]");
    }

    @Test
    void jobsOfAnotherOwnerAreRefusedBeforeAnyIsPausedAndAMemberOfTheOwnersRolePausesThem() throws Exception {
        String db = database("owner", TimescaleStandIn.JobsView.CONTINUOUS_AGGREGATE);
        PG.target().execute(db, OPERATOR_ROLES + """
                GRANT USAGE ON SCHEMA tandem TO backfill_operator;
                GRANT SELECT, INSERT, DELETE ON ALL TABLES IN SCHEMA tandem TO backfill_operator""");
        TimescaleStandIn.job(PG.target(), db, 1000, "policy_compression", 1, "backfill_operator");
        TimescaleStandIn.job(PG.target(), db, 1001, "policy_refresh_continuous_aggregate", 2, "policy_owner");

        StringWriter out = new StringWriter();
        try (Connection c = DriverManager.getConnection(PG.target().jdbcUrl(db), "backfill_operator", "operator")) {
            assertThatThrownBy(() -> JobPauser.pause(c, new PrintWriter(out, true)))
                    .isInstanceOf(BackfillException.class)
                    .hasMessageContaining("the target user backfill_operator")
                    .hasMessageContaining("job 1001 (policy_refresh_continuous_aggregate on public.m_hourly), owned by"
                            + " policy_owner")
                    .hasMessageNotContaining("job 1000")
                    .hasMessageContaining("Nothing was paused");
        }
        assertThat(scheduled(db)).isEqualTo("[[1000, t], [1001, t]]");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.paused_job")).isEqualTo("0");

        PG.target().execute(db, "GRANT policy_owner TO backfill_operator");
        try (Connection c = DriverManager.getConnection(PG.target().jdbcUrl(db), "backfill_operator", "operator")) {
            assertThat(JobPauser.pause(c, new PrintWriter(out, true))).isEqualTo(2);
        }
        assertThat(scheduled(db)).isEqualTo("[[1000, f], [1001, f]]");
        assertThat(PG.target().query(db, "SELECT job_id FROM tandem.paused_job ORDER BY 1").toString())
                .isEqualTo("[[1000], [1001]]");
    }

    @ParameterizedTest
    @EnumSource(TimescaleStandIn.JobOwner.class)
    void jobsOfARoleWhoseNameNeedsQuotingArePausedWhateverTheTypeTheCatalogGivesTheirOwner(
            TimescaleStandIn.JobOwner ownerType) throws Exception {
        String db = database("quoted_owner", TimescaleStandIn.JobsView.MATERIALIZATION_HYPERTABLE, ownerType);
        PG.target().execute(db, """
                DO $$ BEGIN
                    CREATE ROLE "Policy Owner";
                EXCEPTION WHEN duplicate_object THEN NULL;
                END $$""");
        PG.target().execute(db, "INSERT INTO _timescaledb_catalog.bgw_job (id, proc_name, owner, hypertable_id)"
                + " VALUES (1000, 'policy_compression', "
                + (ownerType == TimescaleStandIn.JobOwner.NAME ? "'Policy Owner'" : "'\"Policy Owner\"'") + ", 1)");

        StringWriter out = new StringWriter();
        try (Connection c = PG.target().connect(db)) {
            assertThat(JobPauser.pause(c, new PrintWriter(out, true))).as(out.toString()).isEqualTo(1);
        }
        assertThat(scheduled(db)).isEqualTo("[[1000, f]]");
    }

    @Test
    void jobsStayPausedWhileATaskHasFailedAndTheCopyThatFinishesItRestoresThem() throws Exception {
        String db = database("failedtask", TimescaleStandIn.JobsView.CONTINUOUS_AGGREGATE);
        TimescaleStandIn.job(PG.target(), db, 1000, "policy_compression", 1);
        PG.source().execute(db, "CREATE TABLE m (t timestamptz NOT NULL, v int);"
                + " INSERT INTO m VALUES ('2026-01-02 00:00:00+00', 1), ('2026-01-03 00:00:00+00', -1)");
        PG.target().execute(db, "ALTER TABLE m ADD CONSTRAINT positive CHECK (v >= 0)");

        Cli.Run failed = Cli.both("copy", PG.source(), PG.target(), db, "--pause-jobs");
        assertThat(failed.exitCode()).as(failed.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(failed.out()).contains("paused job 1000", "paused jobs stay paused while tasks are pending or failed (1 task)");
        assertThat(scheduled(db)).isEqualTo("[[1000, f]]");
        assertThat(Cli.targetOnly("status", PG.target(), db).out()).contains("failed task 1 public.m")
                .contains("paused job 1000 (policy_compression on public.m)");

        PG.target().execute(db, "ALTER TABLE m DROP CONSTRAINT positive");
        Cli.Run retried = Cli.both("copy", PG.source(), PG.target(), db);
        assertThat(retried.exitCode()).as(retried.toString()).isEqualTo(ExitCodes.OK);
        assertThat(retried.out()).contains("restored job 1000");
        assertThat(scheduled(db)).isEqualTo("[[1000, t]]");
        assertThat(PG.target().queryValue(db, "SELECT attempts || ' ' || state FROM tandem.backfill_task"))
                .isEqualTo("2 done");
    }

    @Test
    void everyLevelOfContinuousAggregatesIsRefreshedAfterTheOneItReadsFromOverAllItsData() throws Exception {
        String db = database("refresh", TimescaleStandIn.JobsView.CONTINUOUS_AGGREGATE);
        PG.target().execute(db, "UPDATE tandem.backfill_task SET state = 'done'");

        Cli.Run run = Cli.targetOnly("refresh-caggs", PG.target(), db);
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(ExitCodes.OK);
        // an open window: any bound would leave out the bucket it cuts (the one holding T), or be "too small"
        assertThat(PG.target().query(db, "SELECT view::text, window_type,"
                + " (window_start IS NULL AND window_end IS NULL)::text FROM _timescaledb_internal.refreshed ORDER BY n"))
                .containsExactly(List.of("m_hourly", "timestamp with time zone", "true"),
                        List.of("m_daily", "timestamp with time zone", "true"),
                        List.of("m_monthly", "timestamp with time zone", "true"));
        assertThat(run.out()).contains("refreshed 3 continuous aggregates");
    }
    @Test
    void refreshingLiftsTimescalesDecompressionLimitWhereTheTargetHasIt() throws Exception {
        String db = database("decompressionlimit", TimescaleStandIn.JobsView.CONTINUOUS_AGGREGATE);
        PG.target().execute(db, "UPDATE tandem.backfill_task SET state = 'done';"
                + "ALTER DATABASE " + db + " SET timescaledb.max_tuples_decompressed_per_dml_transaction = 100000");

        Cli.Run run = Cli.targetOnly("refresh-caggs", PG.target(), db);
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(ExitCodes.OK);
        assertThat(run.out()).contains("refreshed 3 continuous aggregates");
    }

    @Test
    void aggregatesOfAnotherOwnerAreRefusedBeforeAnyIsRefreshedAndAMemberOfTheOwnersRoleRefreshesThem()
            throws Exception {
        String db = database("caggowner", TimescaleStandIn.JobsView.CONTINUOUS_AGGREGATE);
        PG.target().execute(db, OPERATOR_ROLES + """
                UPDATE tandem.backfill_task SET state = 'done';
                GRANT USAGE ON SCHEMA tandem, _timescaledb_internal TO backfill_operator;
                GRANT SELECT ON ALL TABLES IN SCHEMA tandem, _timescaledb_internal TO backfill_operator;
                GRANT INSERT ON _timescaledb_internal.refreshed TO backfill_operator;
                GRANT USAGE ON SEQUENCE _timescaledb_internal.refreshed_n_seq TO backfill_operator;
                GRANT SELECT ON m TO backfill_operator;
                ALTER VIEW m_hourly OWNER TO backfill_operator;
                ALTER VIEW m_daily OWNER TO policy_owner;
                ALTER VIEW m_monthly OWNER TO policy_owner""");
        String[] asOperator = {"refresh-caggs", "--target", PG.target().jdbcUrl(db) + "?user=backfill_operator"};

        Cli.Run refused = Cli.run(Map.of("PGPASSWORD", "operator"), asOperator);
        assertThat(refused.exitCode()).as(refused.toString()).isNotEqualTo(ExitCodes.OK);
        assertThat(refused.err()).contains("the target user backfill_operator")
                .contains("\"public\".\"m_daily\", owned by policy_owner")
                .contains("\"public\".\"m_monthly\", owned by policy_owner")
                .doesNotContain("\"m_hourly\", owned by")
                .contains("Nothing was refreshed");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM _timescaledb_internal.refreshed")).isEqualTo("0");

        PG.target().execute(db, "GRANT policy_owner TO backfill_operator");
        Cli.Run run = Cli.run(Map.of("PGPASSWORD", "operator"), asOperator);
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(ExitCodes.OK);
        assertThat(run.out()).contains("refreshed 3 continuous aggregates");
    }

    @Test
    void bucketsOlderThanEveryRowAreKeptByRefreshingFromTheOldestRowOn() throws Exception {
        String db = database("olderbuckets", TimescaleStandIn.JobsView.CONTINUOUS_AGGREGATE);
        PG.target().execute(db, "UPDATE tandem.backfill_task SET state = 'done';"
                + "INSERT INTO m VALUES ('2026-01-03 00:30:00+00', 1), ('2026-01-04 11:00:00+00', 2);"
                // copied from the source's aggregate: hours whose rows a retention policy dropped there
                + "INSERT INTO _timescaledb_internal._materialized_hypertable_2 VALUES ('2026-01-01 00:00:00+00', 5),"
                + " ('2026-01-02 00:00:00+00', 7), ('2026-01-03 00:00:00+00', 1);"
                // a month whose days are not there at all
                + "INSERT INTO _timescaledb_internal._materialized_hypertable_4 VALUES ('2025-12-01 00:00:00+00', 99)");

        Cli.Run run = Cli.targetOnly("refresh-caggs", PG.target(), db);
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(ExitCodes.OK);
        assertThat(PG.target().query(db, "SELECT view::text, coalesce((window_start AT TIME ZONE 'UTC')::text, 'open')"
                + " FROM _timescaledb_internal.refreshed ORDER BY n"))
                .containsExactly(List.of("m_hourly", "2026-01-03 00:30:00"), List.of("m_daily", "open"));
        assertThat(run.out()).contains("refreshing \"public\".\"m_hourly\" from 2026-01-03 00:30:00+00 on: its buckets from"
                        + " 2026-01-01 00:00:00+00 are older than every row of \"public\".\"m\"")
                .contains("not refreshing \"public\".\"m_monthly\": it holds buckets from 2025-12-01 00:00:00+00 on, but"
                        + " \"_timescaledb_internal\".\"_materialized_hypertable_3\" has no rows")
                .contains("refreshed 2 continuous aggregates");
    }
}
