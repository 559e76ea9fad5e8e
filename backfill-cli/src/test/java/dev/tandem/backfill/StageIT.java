package dev.tandem.backfill;

import static dev.tandem.backfill.Fixtures.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.PgServer;
import dev.tandem.testing.PostgresPairExtension;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** stage: which tables, up to which T, and the checks before anything is written. */
class StageIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    @Test
    void filterPicksSeveralTablesAndStatusAndCleanReportOnThem() {
        String db = PG.pair().freshDatabase("filter");
        Fixtures.metrics(PG.pair(), db, "a_metrics");
        Fixtures.metrics(PG.pair(), db, "b_metrics");
        Fixtures.metrics(PG.pair(), db, "other");
        Cli.Run stage = Fixtures.stage(PG.pair(), db, "--table", "a_metrics:t", "--table", "public.b_metrics:t",
                "--table", "other:t", "--filter", "^public\\.(a|b)_");
        assertThat(stage.out()).contains("public.a_metrics").contains("public.b_metrics").doesNotContain("other")
                .contains("staged 8 tasks")
                .contains("warning: public.a_metrics has no index starting with t on the source");
        ok(Cli.both("copy", PG.source(), PG.target(), db, "--metrics-port", "0"));

        Fixtures.assertCopied(PG.pair(), db, "a_metrics");
        Fixtures.assertCopied(PG.pair(), db, "b_metrics");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM other")).isEqualTo("0");
        Cli.Run status = ok(Cli.targetOnly("status", PG.target(), db));
        assertThat(status.out()).containsPattern("done\\s+8\\s+192").contains("throughput");

        assertThat(ok(Cli.targetOnly("clean", PG.target(), db)).out()).contains("dropped");
        assertThat(PG.target().queryValue(db, "SELECT to_regclass('tandem.backfill_task') IS NULL")).isEqualTo("t");
        assertThat(PG.target().queryValue(db, "SELECT to_regclass('tandem.divergence') IS NOT NULL")).isEqualTo("t");
        assertThat(ok(Cli.targetOnly("status", PG.target(), db)).out()).contains("no plan");
    }

    @Test
    void aTableWithRowsFromTOnOnTheSourceOnlyWhileAProxyMirrorsIsNamed() {
        String db = PG.pair().freshDatabase("unmirrored");
        Fixtures.metrics(PG.pair(), db, "metrics");
        Fixtures.metrics(PG.pair(), db, "forgotten");
        // no proxy has reached this database yet: no table can have mirrored rows, and none is named
        assertThat(Fixtures.stage(PG.pair(), db, "--table", "metrics:t", "--table", "forgotten:t").out())
                .doesNotContain("no proxy mirrored");

        // a proxy mirrors into it now, and brought over the rows of metrics from T on, none of forgotten's
        PG.target().execute(db, "INSERT INTO tandem.mirror_progress VALUES ('proxy-a', 1, 0, 0, now(), now())");
        PG.target().execute(db, "INSERT INTO metrics SELECT * FROM (VALUES ('2026-01-05 01:00:00+00'::timestamptz, 1,"
                + " 0.1::float8, 'mirrored')) v");
        Cli.Run stage = Fixtures.stage(PG.pair(), db, "--table", "metrics:t", "--table", "forgotten:t", "--replace");
        assertThat(stage.out()).contains("warning: public.forgotten has rows from 2026-01-05 00:00:00+00 on on the"
                        + " source and none on the target: no proxy mirrored them")
                .contains("mirror.tables.include").contains("docs/migration.md, step 3")
                .doesNotContain("public.metrics has rows from");

        // the cutover's windows, with every writer stopped: nothing more is to come from the mirror
        assertThat(ok(Cli.both("stage", PG.source(), PG.target(), db, "--table", "forgotten:t", "--from", Fixtures.T,
                "--until", "2026-01-06 00:00:00+00", "--writers-stopped", "--replace")).out())
                .doesNotContain("no proxy mirrored");
    }

    /**
     * A mirrored INSERT that leaves a sequence-filled key out is numbered by the target's sequence: behind the source's,
     * it hands out ids the source gave to rows the backfill copies later, and their copy fails on the key on every retry
     * (a walkthrough on PostgreSQL 15).
     */
    @Test
    void aSequenceFilledKeyWhoseTargetSequenceIsBehindTheSourcesIsNamedWithTheSetvalThatMovesIt() {
        String db = PG.pair().freshDatabase("sequences");
        Fixtures.metrics(PG.pair(), db, "metrics");
        PG.pair().executeOnBoth(db, "CREATE TABLE orders (id bigserial PRIMARY KEY, t timestamptz NOT NULL)");
        PG.source().execute(db, "INSERT INTO orders (t) SELECT '2026-01-01 00:00:00+00'::timestamptz"
                + " + i * interval '1 hour' FROM generate_series(0, 120) i");

        // a cloned schema: the target's sequence stands at its start
        Cli.Run cloned = Fixtures.stage(PG.pair(), db, "--table", "orders:t", "--table", "metrics:t");
        assertThat(cloned.out()).contains("warning: the target's sequence public.orders_id_seq (public.orders.id)"
                        + " hands out 1 next, and the source already used ids up to 121 (max(id) 121 and its sequence"
                        + " public.orders_id_seq at 121 on the source)")
                .contains("the copy of that row's range fails on the key (duplicate key, SQLSTATE 23505) on every retry")
                .contains("docs/migration.md, step 2, \"Sequences of mirrored tables\"")
                .contains("\n  SELECT setval('public.orders_id_seq', 4611686018427387964);\n")
                .doesNotContain("(public.metrics.");

        // a data-only dump set it where the source's stood, and the source went on until the proxy took over
        PG.target().execute(db, "SELECT setval('orders_id_seq', 121)");
        PG.source().execute(db, "INSERT INTO orders (t) VALUES ('2026-01-06 01:00:00+00'), ('2026-01-06 02:00:00+00')");
        assertThat(Fixtures.stage(PG.pair(), db, "--table", "orders:t", "--replace").out())
                .contains("hands out 122 next, and the source already used ids up to 123");
        // the cutover's windows, with every writer stopped: no mirrored row is numbered any more
        assertThat(ok(Cli.both("stage", PG.source(), PG.target(), db, "--table", "orders:t", "--until",
                Fixtures.T, "--writers-stopped", "--replace")).out()).doesNotContain("orders_id_seq");

        // moved as the warning says: nothing to say
        PG.target().execute(db, "SELECT setval('public.orders_id_seq', 4611686018427387964)");
        assertThat(Fixtures.stage(PG.pair(), db, "--table", "orders:t", "--replace").out())
                .doesNotContain("orders_id_seq");
    }

    @Test
    void anIdentityColumnWithoutAUniqueIndexOfItsOwnIsNamedWithTheIdsThatDiffer() {
        String db = PG.pair().freshDatabase("identity");
        // time is part of every unique key of a hypertable: two rows may share an id, and the copy goes through
        PG.pair().executeOnBoth(db, "CREATE TABLE readings (id int GENERATED ALWAYS AS IDENTITY, t timestamptz NOT NULL,"
                + " PRIMARY KEY (id, t))");
        PG.source().execute(db, "INSERT INTO readings (t) SELECT '2026-01-01 00:00:00+00'::timestamptz"
                + " + i * interval '1 hour' FROM generate_series(0, 120) i");
        Cli.Run stage = Fixtures.stage(PG.pair(), db, "--table", "readings:t");
        assertThat(stage.out()).contains("warning: the target's sequence public.readings_id_seq (public.readings.id)"
                        + " hands out 1 next, and the source already used ids up to 121")
                .contains("the target then holds two rows with that id, and the mirrored rows' ids differ from the"
                        + " source's")
                .contains("SELECT setval('public.readings_id_seq', 1073741884);")
                .doesNotContain("23505");
    }

    /** The backfill's role may read neither sequence: said, as what could not be checked, and stage goes on. */
    @Test
    void aSequenceTheRoleMayNotReadIsNamedAsNotChecked() {
        String db = PG.pair().freshDatabase("seqprivileges");
        String role = "sequence_checker";
        for (PgServer server : new PgServer[] {PG.source(), PG.target()}) {
            server.execute("postgres", "DROP ROLE IF EXISTS " + role + "; CREATE ROLE " + role + " LOGIN");
        }
        // no index on either column: on the source only the sequences tell how far the ids went
        PG.pair().executeOnBoth(db, "CREATE TABLE events (a serial, b serial, t timestamptz NOT NULL);"
                + " GRANT SELECT ON events TO " + role);
        PG.source().execute(db, "INSERT INTO events (t) VALUES ('2026-01-01 00:00:00+00')");
        PG.target().execute(db, "GRANT CREATE ON DATABASE " + db + " TO " + role + "; GRANT USAGE ON SEQUENCE"
                + " events_a_seq TO " + role);
        Cli.Run stage = ok(Cli.run("stage", "--source", url(PG.source(), role, db), "--target",
                url(PG.target(), role, db), "--until", Fixtures.T, "--table", "events:t"));
        assertThat(stage.out()).contains("note: could not check whether the target's sequence public.events_a_seq"
                        + " (public.events.a) hands out ids the source already used: on the source, this"
                        + " role may not read its sequence public.events_a_seq (GRANT SELECT ON SEQUENCE"
                        + " public.events_a_seq), and no index lets max(a) be read without scanning the table")
                .contains("note: could not check whether the target's sequence public.events_b_seq"
                        + " (public.events.b) hands out ids the source already used: this role may not read the"
                        + " sequence on the target (GRANT USAGE ON SEQUENCE public.events_b_seq)")
                .contains("staged 4 tasks");
    }

    private static String url(PgServer server, String user, String db) {
        return "postgres://" + user + "@" + server.host() + ":" + server.port() + "/" + db;
    }

    @Test
    void noIndexWarningWhenTheTimeColumnIsIndexedOrThePartitionKey() {
        String db = PG.pair().freshDatabase("indexed");
        Fixtures.metrics(PG.pair(), db, "metrics");
        PG.source().execute(db, "CREATE INDEX ON metrics (t, device)");
        PG.pair().executeOnBoth(db, "CREATE TABLE p (t timestamptz NOT NULL, v int) PARTITION BY RANGE (t);"
                + "CREATE TABLE p_all PARTITION OF p DEFAULT");
        Cli.Run stage = Fixtures.stage(PG.pair(), db, "--table", "metrics:t", "--table", "p:t");
        assertThat(stage.out()).doesNotContain("has no index");
    }

    @Test
    void aTypeMismatchIsRefusedNamingTableColumnAndTypes() {
        String db = PG.pair().freshDatabase("mismatch");
        PG.source().execute(db, "CREATE TABLE m (t timestamptz, reading bigint, gone text)");
        PG.target().execute(db, "CREATE TABLE m (t timestamptz, reading integer, added text NOT NULL)");
        Cli.Run stage = Cli.both("stage", PG.source(), PG.target(), db, "--table", "m:t", "--until", Fixtures.T);
        assertThat(stage.exitCode()).isEqualTo(ExitCodes.FAILURE);
        assertThat(stage.err()).contains("public.m:")
                .contains("column reading: source type bigint, target type integer")
                .contains("column gone (text) is missing on the target")
                .contains("column added (text) exists only on the target, NOT NULL without a default: every copied"
                        + " row would be refused there (23502, not-null violation)")
                .contains("nothing was staged");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.backfill_task")).isEqualTo("0");

        // the refused stage left the backfill's tables behind, empty: that is no plan, not one that copied or verified
        Cli.Run copy = Cli.both("copy", PG.source(), PG.target(), db);
        assertThat(copy.exitCode()).as(copy.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(copy.err()).contains("no plan on the target: run 'stage' first");
        assertThat(copy.out()).doesNotContain("copied 0 tasks");
        Cli.Run verify = Cli.both("verify", PG.source(), PG.target(), db, "--through", "now");
        assertThat(verify.exitCode()).as(verify.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(verify.err()).contains("no plan on the target: run 'stage' first, then 'copy'");
        assertThat(verify.out()).doesNotContain("0 differ");
        assertThat(ok(Cli.targetOnly("status", PG.target(), db)).out()).contains("no plan staged on the target");
    }

    /**
     * A column the operator added on the target ahead of the migration: the copy names the source's columns, so the
     * target fills it. Stage refused it as a difference (walkthrough).
     */
    @Test
    void extraTargetColumnsTheTargetCanFillAreStagedWithAWarningEachAndCopied() {
        String db = PG.pair().freshDatabase("extra_cols");
        PG.source().execute(db, "CREATE TABLE m (t timestamptz NOT NULL, v int)");
        PG.target().execute(db, "CREATE TABLE m (t timestamptz NOT NULL, note text, v int,"
                + " region text NOT NULL DEFAULT 'eu', id bigint GENERATED ALWAYS AS IDENTITY,"
                + " doubled int GENERATED ALWAYS AS (v * 2) STORED)");
        PG.source().execute(db, "INSERT INTO m VALUES ('2026-01-01 00:00:00+00', 1), ('2026-01-01 01:00:00+00', 2)");
        Cli.Run stage = ok(Cli.both("stage", PG.source(), PG.target(), db, "--table", "m:t", "--until", Fixtures.T));
        assertThat(stage.out())
                .contains("warning: public.m.note (text) exists only on the target: the backfill and the mirror leave"
                        + " it out, so the target fills it with NULL")
                .contains("warning: public.m.region (text) exists only on the target: the backfill and the mirror"
                        + " leave it out, so the target fills it with its default 'eu'::text")
                .contains("warning: public.m.id (bigint) exists only on the target: the backfill and the mirror leave"
                        + " it out, so the target fills it from its identity sequence")
                .contains("warning: public.m.doubled (integer) exists only on the target: the backfill and the mirror"
                        + " leave it out, so the target computes it (generated)")
                .contains("staged ");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        assertThat(PG.target().query(db, "SELECT v, coalesce(note, 'null'), region, id, doubled FROM m ORDER BY t"))
                .containsExactly(List.of("1", "null", "eu", "1", "2"), List.of("2", "null", "eu", "2", "4"));
    }

    /**
     * Differences the comparison did not look at: a NOT NULL the target alone has only showed up as 23502 during copy
     * (walkthrough: DROP IDENTITY had left a NOT NULL behind). COPY writes given values into a target column GENERATED
     * ALWAYS AS IDENTITY (as OVERRIDING SYSTEM VALUE would), so that one is staged, but a mirrored INSERT naming it is
     * refused there. A default the target lacks leaves a mirrored INSERT without the column NULL or refused.
     */
    @Test
    void nullabilityIdentityAndGeneratedColumnsAreComparedAndWhatEachCausesIsSaid() {
        String db = PG.pair().freshDatabase("col_kinds");
        PG.source().execute(db, "CREATE TABLE m (t timestamptz NOT NULL, v int, id bigint,"
                + " doubled int GENERATED ALWAYS AS (v * 2) STORED, kind text NOT NULL DEFAULT 'a',"
                + " seq bigint GENERATED BY DEFAULT AS IDENTITY)");
        PG.target().execute(db, "CREATE TABLE m (t timestamptz NOT NULL, v int NOT NULL,"
                + " id bigint GENERATED ALWAYS AS IDENTITY, doubled int, kind text NOT NULL, seq bigint)");
        PG.source().execute(db, "INSERT INTO m (t, v, id) VALUES ('2026-01-01 00:00:00+00', 1, 40),"
                + " ('2026-01-01 01:00:00+00', 2, 41)");
        Cli.Run stage = ok(Cli.both("stage", PG.source(), PG.target(), db, "--table", "m:t", "--until", Fixtures.T));
        assertThat(stage.out())
                .contains("warning: public.m.v is NOT NULL on the target but nullable on the source: a row with NULL"
                        + " in v is refused on the target (23502)")
                .contains("warning: public.m.id is GENERATED ALWAYS AS IDENTITY on the target only: the backfill's"
                        + " COPY writes the source's values, but the target refuses a mirrored INSERT that gives id a"
                        + " value (428C9)")
                .contains("ALTER TABLE \"public\".\"m\" ALTER COLUMN \"id\" SET GENERATED BY DEFAULT")
                .contains("warning: public.m.doubled is generated on the source only: the backfill and the mirror leave"
                        + " it out, so the target fills it with NULL")
                .contains("warning: public.m.kind is filled by the source from its default 'a'::text but has no default"
                        + " on the target: a mirrored INSERT that leaves kind out is refused on the target (23502)")
                .contains("warning: public.m.seq is filled by the source from its identity sequence but has no default"
                        + " on the target: a mirrored INSERT that leaves seq out writes NULL into it on the target")
                .contains("staged ");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        assertThat(PG.target().query(db, "SELECT v, id, coalesce(doubled::text, 'null') FROM m ORDER BY t"))
                .containsExactly(List.of("1", "40", "null"), List.of("2", "41", "null"));
    }

    @Test
    void aColumnGeneratedOnTheTargetOnlyIsRefusedWithWhatToChange() {
        String db = PG.pair().freshDatabase("gen_target");
        PG.source().execute(db, "CREATE TABLE m (t timestamptz NOT NULL, v int, doubled int)");
        PG.target().execute(db, "CREATE TABLE m (t timestamptz NOT NULL, v int,"
                + " doubled int GENERATED ALWAYS AS (v * 2) STORED)");
        Cli.Run stage = Cli.both("stage", PG.source(), PG.target(), db, "--table", "m:t", "--until", Fixtures.T);
        assertThat(stage.exitCode()).as(stage.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(stage.err()).contains("public.m:")
                .contains("column doubled is generated on the target only: COPY cannot write into it (428C9), nor"
                        + " can a mirrored INSERT")
                .contains("ALTER TABLE \"public\".\"m\" ALTER COLUMN \"doubled\" DROP EXPRESSION")
                .contains("nothing was staged");
    }

    @Test
    void sameArgumentsAreANoOpDifferentOnesNeedReplaceAndReplaceWithTheSameOnesStagesAfresh() {
        String db = PG.pair().freshDatabase("restage");
        Fixtures.metrics(PG.pair(), db, "metrics");
        Fixtures.stage(PG.pair(), db, "--table", "metrics:t");
        assertThat(Fixtures.stage(PG.pair(), db, "--table", "metrics:t").out()).contains("nothing to do");

        Cli.Run different = Cli.both("stage", PG.source(), PG.target(), db, "--table", "metrics:t",
                "--until", "2026-01-04 00:00:00+00");
        assertThat(different.exitCode()).isEqualTo(ExitCodes.FAILURE);
        assertThat(different.err()).contains("a different plan is already staged").contains("--replace");

        ok(Cli.both("stage", PG.source(), PG.target(), db, "--table", "metrics:t", "--until", "2026-01-04 00:00:00+00",
                "--replace"));
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.backfill_task")).isEqualTo("3");

        // copying the same ranges once more: the same arguments with --replace put every task back to pending
        PG.target().execute(db, "UPDATE tandem.backfill_task SET state = 'done'");
        assertThat(ok(Cli.both("stage", PG.source(), PG.target(), db, "--table", "metrics:t", "--until",
                "2026-01-04 00:00:00+00", "--replace")).out()).contains("staged 3 tasks");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.backfill_task WHERE state = 'pending'"))
                .isEqualTo("3");
    }

    @Test
    void untilDefaultsToTheDualWriteStartMark() {
        String db = PG.pair().freshDatabase("mark");
        Fixtures.metrics(PG.pair(), db, "metrics");
        Cli.Run unmarked = Cli.both("stage", PG.source(), PG.target(), db, "--table", "metrics:t");
        assertThat(unmarked.exitCode()).isEqualTo(ExitCodes.FAILURE);
        assertThat(unmarked.err()).contains("no dual-write start is marked").contains("POST /dual-write/mark")
                .contains("tandem-proxy --mark-dual-write-start");

        PG.target().execute(db, "INSERT INTO tandem.dual_write (database, first_mirrored_at, marked_at, marked_by) "
                + "VALUES (current_database(), '2026-01-04 23:00:00+00', '" + Fixtures.T + "', 'test')");
        Cli.Run marked = ok(Cli.both("stage", PG.source(), PG.target(), db, "--table", "metrics:t"));
        assertThat(marked.out()).contains("dual-write start mark 2026-01-05 00:00:00+00").contains("staged 4 tasks");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        Fixtures.assertCopied(PG.pair(), db, "metrics");
    }

    @Test
    void anUntilEarlierThanTheMarkIsStagedWithAWarningThatNamesTheRowsNoTaskCopies() {
        String db = PG.pair().freshDatabase("beforemark");
        Fixtures.metrics(PG.pair(), db, "metrics");
        Cli.Run unmarked = ok(Cli.both("stage", PG.source(), PG.target(), db, "--table", "metrics:t", "--until",
                "2026-01-04 00:00:00+00")); // and the state schema
        // with no mark to compare it with, the rows dated from --until up to the proxy's takeover may be nowhere
        assertThat(unmarked.out()).doesNotContain("dual-write start mark")
                .contains("warning: no dual-write start is marked for database ").contains(" so stage cannot tell"
                        + " whether --until 2026-01-04 00:00:00+00 (public.metrics) is at or after the time the proxy"
                        + " took the writes over: rows dated from --until on that were written directly to the source"
                        + " before then are in neither this plan nor the mirror")
                .contains("verify --through").contains("POST /dual-write/mark");
        assertThat(ok(Cli.both("stage", PG.source(), PG.target(), db, "--table", "metrics:t", "--until",
                "2026-01-04 00:00:00+00", "--writers-stopped", "--replace")).out())
                .doesNotContain("no dual-write start is marked");
        PG.target().execute(db, "INSERT INTO tandem.dual_write (database, first_mirrored_at, marked_at, marked_by) "
                + "VALUES (current_database(), '2026-01-04 23:00:00+00', '" + Fixtures.T + "', 'test')");

        Cli.Run early = ok(Cli.both("stage", PG.source(), PG.target(), db, "--table", "metrics:t", "--until",
                "2026-01-04 00:00:00+00", "--replace"));
        assertThat(early.out()).contains("warning: --until 2026-01-04 00:00:00+00 is earlier than the dual-write start"
                + " mark 2026-01-05 00:00:00+00 (public.metrics)").contains("--until dual-write-start")
                .doesNotContain("no dual-write start is marked");

        // the mark itself or later, and a plan with --from (a window, or one part of the history), are as asked
        for (List<String> args : List.of(List.of("--until", Fixtures.T), List.of("--until", "2026-01-06 00:00:00+00"),
                List.of("--from", "2026-01-02 00:00:00+00", "--until", "2026-01-04 00:00:00+00"))) {
            List<String> extra = new ArrayList<>(List.of("--table", "metrics:t", "--replace"));
            extra.addAll(args);
            Cli.Run run = ok(Cli.both("stage", PG.source(), PG.target(), db, extra.toArray(String[]::new)));
            assertThat(run.out()).as("%s", args).doesNotContain("earlier than the dual-write start mark");
        }
        // an integer time column has no mark in its unit to compare with
        PG.pair().executeOnBoth(db, "CREATE TABLE ticks (epoch_ms bigint, v int)");
        PG.source().execute(db, "INSERT INTO ticks VALUES (5, 1)");
        Cli.Run integer = ok(Cli.both("stage", PG.source(), PG.target(), db, "--replace", "--table", "ticks:epoch_ms:10",
                "--until", "20"));
        assertThat(integer.out()).contains("staged 2 tasks").doesNotContain("dual-write start mark");
    }

    /**
     * Columns in another order on the target are fine for the backfill, which names them, but not for a proxy without
     * {@code source.user}, which replays INSERTs and COPYs without a column list by position: a 17 to 18 walkthrough
     * found {@code (ts, a, b)} mirrored into {@code (ts, b, a)} as {@code 2, 1} for {@code 1, 2}, and stage said
     * nothing.
     */
    @Test
    void columnsInAnotherOrderOnTheTargetAreStagedWithAWarningAboutTheMirror() {
        String db = PG.pair().freshDatabase("colorder");
        PG.source().execute(db, "CREATE TABLE metrics (t timestamptz NOT NULL, a int, b int)");
        PG.target().execute(db, "CREATE TABLE metrics (t timestamptz NOT NULL, b int, a int)");
        PG.source().execute(db, "INSERT INTO metrics VALUES ('2026-01-01 00:00:00+00', 1, 2)");
        Cli.Run stage = ok(Cli.both("stage", PG.source(), PG.target(), db, "--table", "metrics:t", "--until",
                Fixtures.T));
        assertThat(stage.out()).contains("warning: the columns of public.metrics are in another order on the target"
                + " (source: t, a, b; target: t, b, a)").contains("the time ranges of the ledger entries it wrote for"
                + " rows it did not keep may be another column's").contains("staged ");

        String same = PG.pair().freshDatabase("colorder_same");
        Fixtures.metrics(PG.pair(), same, "metrics");
        assertThat(ok(Cli.both("stage", PG.source(), PG.target(), same, "--table", "metrics:t", "--until",
                Fixtures.T)).out()).doesNotContain("another order");

        // by position, columns after the source's get their defaults: the same order as far as the mirror goes
        String added = PG.pair().freshDatabase("colorder_added");
        PG.source().execute(added, "CREATE TABLE metrics (t timestamptz NOT NULL, a int, b int)");
        PG.target().execute(added, "CREATE TABLE metrics (t timestamptz NOT NULL, a int, b int, c int)");
        assertThat(ok(Cli.both("stage", PG.source(), PG.target(), added, "--table", "metrics:t", "--until",
                Fixtures.T)).out()).doesNotContain("another order").contains("public.metrics.c (integer) exists only");
        String between = PG.pair().freshDatabase("colorder_between");
        PG.source().execute(between, "CREATE TABLE metrics (t timestamptz NOT NULL, a int, b int)");
        PG.target().execute(between, "CREATE TABLE metrics (t timestamptz NOT NULL, c int, a int, b int)");
        assertThat(ok(Cli.both("stage", PG.source(), PG.target(), between, "--table", "metrics:t", "--until",
                Fixtures.T)).out()).contains("(source: t, a, b; target: t, c, a, b)");
    }

    @Test
    void aTooRecentUntilIsRefusedAndExplained() {
        String db = PG.pair().freshDatabase("lateness");
        Fixtures.metrics(PG.pair(), db, "metrics");
        Cli.Run stage = Cli.both("stage", PG.source(), PG.target(), db, "--table", "metrics:t", "--until",
                java.time.Instant.now().toString());
        assertThat(stage.exitCode()).isEqualTo(ExitCodes.FAILURE);
        assertThat(stage.err()).contains("--max-lateness").contains("late write could end up on the target twice");

        // says when the same --until will be accepted: --until + --max-lateness
        Cli.Run future = Cli.both("stage", PG.source(), PG.target(), db, "--table", "metrics:t", "--until",
                "2099-01-01 00:00:00+00", "--max-lateness", "15 min");
        assertThat(future.exitCode()).isEqualTo(ExitCodes.FAILURE);
        assertThat(future.err()).contains("Wait until 2099-01-01 00:15:00+00 and stage again");
    }

    @Test
    void aFromNotBeforeTheUntilIsRefused() {
        String db = PG.pair().freshDatabase("frombeyond");
        Fixtures.metrics(PG.pair(), db, "metrics");
        Cli.Run stage = Cli.both("stage", PG.source(), PG.target(), db, "--table", "metrics:t", "--until", Fixtures.T,
                "--from", "2026-02-01");
        assertThat(stage.exitCode()).as(stage.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(stage.err()).contains("public.metrics: --from 2026-02-01 is not before --until " + Fixtures.T
                + ", so no range lies between them; nothing was staged");
        assertThat(ok(Cli.targetOnly("status", PG.target(), db)).out()).contains("no plan staged on the target");
    }

    @Test
    void anIntegerTimeColumnNeedsAnIntegerSliceAndAnExplicitUntil() {
        String db = PG.pair().freshDatabase("intslice");
        PG.pair().executeOnBoth(db, "CREATE TABLE m (t bigint, v int)");
        PG.source().execute(db, "INSERT INTO m SELECT i, i FROM generate_series(0, 99) i");
        Cli.Run durationSlice = Cli.both("stage", PG.source(), PG.target(), db, "--table", "m:t", "--until", "50");
        assertThat(durationSlice.exitCode()).isEqualTo(ExitCodes.FAILURE);
        assertThat(durationSlice.err()).contains("integer slice");
        Cli.Run timestampUntil = Cli.both("stage", PG.source(), PG.target(), db, "--table", "m:t:10",
                "--until", "2026-01-01");
        assertThat(timestampUntil.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(timestampUntil.err()).contains("give an integer");
        assertThat(ok(Cli.both("stage", PG.source(), PG.target(), db, "--table", "m:t:10", "--until", "50")).out())
                .contains("staged 5 tasks");
    }

    @Test
    void anIntegerTimeTableIsBoundedByIntegerUntilBesideTheDualWriteMarkInOnePlan() {
        String db = PG.pair().freshDatabase("intmark");
        PG.pair().executeOnBoth(db, "CREATE TABLE ts (t timestamptz, v int); CREATE TABLE ticks (epoch_ms bigint, v int)");
        PG.source().execute(db, "INSERT INTO ts VALUES ('2020-01-01 00:00:00+00', 1); INSERT INTO ticks VALUES (5, 1)");
        ok(Cli.both("stage", PG.source(), PG.target(), db, "--table", "ts:t", "--until", "2020-01-02")); // the state schema
        PG.target().execute(db, "INSERT INTO tandem.dual_write (database, first_mirrored_at, marked_at, marked_by) "
                + "VALUES (current_database(), '" + Fixtures.T + "', '" + Fixtures.T + "', 'test')");
        Cli.Run mixed = Cli.both("stage", PG.source(), PG.target(), db, "--replace", "--table", "ts:t",
                "--table", "ticks:epoch_ms:10");
        assertThat(mixed.exitCode()).isEqualTo(ExitCodes.FAILURE);
        assertThat(mixed.err()).contains("public.ticks: its time column epoch_ms is bigint")
                .contains("give --integer-until in the column's unit");

        // one plan holds both: the mark bounds the timestamp table, --integer-until the integer one
        Cli.Run both = ok(Cli.both("stage", PG.source(), PG.target(), db, "--replace", "--table", "ts:t",
                "--table", "ticks:epoch_ms:10", "--integer-until", "20"));
        assertThat(both.out()).containsPattern("public.ticks +2 tasks +\\[0, 20\\)")
                .containsPattern("public.ts +\\d+ tasks +\\[2020-01-01 00:00:00\\+00, " + Fixtures.T.replace("+", "\\+"));
        assertThat(PG.target().query(db, "SELECT table_name, range_start, range_end FROM tandem.backfill_task"
                + " WHERE table_name = 'ticks' ORDER BY range_start")).containsExactly(List.of("ticks", "0", "10"),
                        List.of("ticks", "10", "20"));
        assertThat(ok(Cli.targetOnly("status", PG.target(), db)).out()).contains("integer-until=20");
        Cli.Run fromAlone = Cli.both("stage", PG.source(), PG.target(), db, "--table", "ticks:epoch_ms:10",
                "--integer-from", "0");
        assertThat(fromAlone.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(fromAlone.err()).contains("--integer-from needs --integer-until");
    }

    @Test
    void aTimestampColumnIsReadInTheTimeZoneGivenAndTheMarkIsConvertedToIt() {
        String db = PG.pair().freshDatabase("zone");
        PG.pair().executeOnBoth(db, "CREATE TABLE m (t timestamp, v int); CREATE INDEX ON m (t)");
        PG.source().execute(db, "INSERT INTO m SELECT '2026-01-01 00:00:00'::timestamp + i * interval '1 hour', i"
                + " FROM generate_series(0, 119) i");
        ok(Cli.both("stage", PG.source(), PG.target(), db, "--table", "m:t", "--until", "2020-01-01"));
        PG.target().execute(db, "INSERT INTO tandem.dual_write (database, first_mirrored_at, marked_at, marked_by) "
                + "VALUES (current_database(), '2026-01-04 23:00:00+00', '" + Fixtures.T + "', 'test')");

        // the application writes Berlin wall-clock times: the mark, midnight UTC, is 01:00 there (UTC+1 in January)
        Cli.Run berlin = ok(Cli.both("stage", PG.source(), PG.target(), db, "--table", "m:t", "--time-zone",
                "Europe/Berlin", "--replace"));
        assertThat(berlin.out()).contains("public.m: t is a timestamp without time zone, read as wall-clock times in"
                + " Europe/Berlin (--time-zone): rows before 2026-01-05 01:00:00 are copied").doesNotContain("warning");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        assertThat(PG.target().queryValue(db, "SELECT max(t)::text FROM m")).isEqualTo("2026-01-05 00:00:00");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM m")).isEqualTo("97");

        Cli.Run utc = ok(Cli.both("stage", PG.source(), PG.target(), db, "--table", "m:t", "--replace"));
        assertThat(utc.out()).contains("read as wall-clock times in UTC (--time-zone): rows before 2026-01-05 00:00:00");

        Cli.Run unknown = Cli.both("stage", PG.source(), PG.target(), db, "--table", "m:t", "--time-zone", "Mars/Olympus");
        assertThat(unknown.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(unknown.err()).contains("--time-zone Mars/Olympus is not a time zone the source knows");
    }

    @Test
    void rowsDatedAfterNowAreCountedSinceNoTaskCopiesThem() {
        String db = PG.pair().freshDatabase("future");
        PG.pair().executeOnBoth(db, "CREATE TABLE m (t timestamptz, v int); CREATE INDEX ON m (t)");
        // a forecast written before the dual-write mark, dated next week, and one at infinity
        PG.source().execute(db, "INSERT INTO m VALUES ('2026-01-01 00:00:00+00', 1),"
                + " ('2100-01-07 12:00:00+00', 2), ('infinity', 3)");
        String out = Fixtures.stage(PG.pair(), db, "--table", "m:t").out();
        assertThat(out).contains("warning: 2 rows of public.m are dated after now (the newest infinity)")
                .contains("verify --through '2100-01-07 12:00:00.000001+00'")
                .contains("the 1 at infinity no range reaches: copy them by hand")
                .contains("copy them with stage --writers-stopped");
    }

    /**
     * The rows dated after now are counted with a literal bound, so the planner prunes a partitioned table's partitions
     * and leaves the old ones alone: with now() it planned a scan of every partition (2.3 s of stage with 5,000), and
     * so waited for a lock on each. The old partition is locked here; lock_timeout turns that wait into a failure.
     */
    @Test
    void rowsDatedAfterNowAreCountedWithoutPlanningOverEveryPartition() throws Exception {
        String db = PG.pair().freshDatabase("future_partitions");
        PG.pair().executeOnBoth(db, "CREATE TABLE ev (t timestamptz NOT NULL, v int) PARTITION BY RANGE (t);"
                + " CREATE INDEX ON ev (t);"
                + " CREATE TABLE ev_2020 PARTITION OF ev FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');"
                + " CREATE TABLE ev_2021 PARTITION OF ev FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');"
                + " CREATE TABLE ev_2100 PARTITION OF ev FOR VALUES FROM ('2100-01-01') TO ('2101-01-01')");
        PG.source().execute(db, "INSERT INTO ev VALUES ('2020-06-01 00:00+00', 1), ('2021-03-01 00:00+00', 2),"
                + " ('2100-01-07 12:00+00', 3)");
        try (Connection locker = PG.source().connect(db); Statement s = locker.createStatement()) {
            locker.setAutoCommit(false);
            s.execute("LOCK TABLE ev_2020 IN ACCESS EXCLUSIVE MODE");
            Cli.Run stage = Cli.run("stage", "--source", PG.source().jdbcUrl(db) + "?user=" + PG.source().user()
                            + "&options=-c%20lock_timeout%3D10000", "--target",
                    PG.target().jdbcUrl(db) + "?user=" + PG.target().user(), "--table", "ev:t",
                    "--from", "2021-01-01 00:00+00", "--until", "2021-06-01 00:00+00");
            locker.rollback();
            assertThat(stage.exitCode()).as(stage.err()).isEqualTo(ExitCodes.OK);
            assertThat(stage.out()).contains("warning: 1 rows of public.ev are dated after now (the newest"
                    + " 2100-01-07 12:00:00+00)").contains("verify --through '2100-01-07 12:00:00.000001+00'");
        }
    }

    /**
     * The oldest row of a table range-partitioned by its time column is found partition by partition, in the order of
     * their bounds, up to the first that has a row (and in the DEFAULT one): min(t) planned a scan of every partition,
     * 4-6 s of stage with 5,000, and waited for a lock on each. A partition after the oldest is locked here; lock_timeout
     * turns that wait into a failure.
     */
    @Test
    void theOldestRowIsFoundWithoutPlanningOverEveryPartition() throws Exception {
        String db = PG.pair().freshDatabase("oldest_partition");
        StringBuilder partitions = new StringBuilder("CREATE TABLE ev (t timestamptz NOT NULL, v int) PARTITION BY RANGE (t);"
                + " CREATE INDEX ON ev (t); CREATE TABLE ev_default PARTITION OF ev DEFAULT;");
        for (int month = 1; month <= 12; month++) {
            partitions.append(String.format(" CREATE TABLE ev_%02d PARTITION OF ev FOR VALUES FROM ('2021-%02d-01 00:00+00')"
                    + " TO (timestamptz '2021-%02d-01 00:00+00' + interval '1 month');", month, month, month));
        }
        PG.pair().executeOnBoth(db, partitions.toString());
        PG.source().execute(db, "INSERT INTO ev VALUES ('2021-05-20 10:00+00', 1), ('2021-04-03 07:00+00', 2),"
                + " ('2021-11-01 00:00+00', 3), ('2022-02-01 00:00+00', 4)");
        try (Connection locker = PG.source().connect(db); Statement s = locker.createStatement()) {
            locker.setAutoCommit(false);
            s.execute("LOCK TABLE ev_11 IN ACCESS EXCLUSIVE MODE");
            Cli.Run stage = Cli.run("stage", "--source", PG.source().jdbcUrl(db) + "?user=" + PG.source().user()
                            + "&options=-c%20lock_timeout%3D10000", "--target",
                    PG.target().jdbcUrl(db) + "?user=" + PG.target().user(), "--table", "ev:t:1d",
                    "--until", "2022-03-01 00:00+00");
            locker.rollback();
            assertThat(stage.exitCode()).as(stage.err()).isEqualTo(ExitCodes.OK);
            assertThat(stage.out()).contains("[2021-04-03 00:00:00+00, 2022-03-01 00:00:00+00)");
        }
        // rows in the DEFAULT partition older than every bound
        PG.source().execute(db, "INSERT INTO ev VALUES ('2019-08-30 23:00+00', 5)");
        Cli.Run older = ok(Cli.both("stage", PG.source(), PG.target(), db, "--table", "ev:t:1d",
                "--until", "2022-03-01 00:00+00", "--replace"));
        assertThat(older.out()).contains("[2019-08-30 00:00:00+00, 2022-03-01 00:00:00+00)");
    }

    @Test
    void aMalformedUntilOrFromIsAUsageErrorThatSaysHowToWriteIt() {
        String db = PG.pair().freshDatabase("malformedbound");
        Fixtures.metrics(PG.pair(), db, "metrics");
        for (List<String> flags : List.of(List.of("--until", "2026-02-30"), List.of("--until", "27/11/2026 10:00"),
                List.of("--until", Fixtures.T, "--from", "last spring"))) {
            List<String> args = new ArrayList<>(List.of("--table", "metrics:t"));
            args.addAll(flags);
            Cli.Run stage = Cli.both("stage", PG.source(), PG.target(), db, args.toArray(String[]::new));
            assertThat(stage.exitCode()).as(stage.toString()).isEqualTo(ExitCodes.USAGE);
            String option = flags.get(flags.size() - 2);
            assertThat(stage.err()).as(stage.toString())
                    .contains(option + " " + flags.get(flags.size() - 1) + " is not a valid timestamptz: ")
                    .contains("write it as ISO 8601, e.g. '2026-11-27 04:00:00+00'")
                    .contains("Usage: tandem-backfill stage");
        }
    }

    @Test
    void anUntilAtInfinityIsRefusedSinceNoRangeReachesIt() {
        String db = PG.pair().freshDatabase("untilinfinity");
        Fixtures.metrics(PG.pair(), db, "metrics");
        // the server will not turn infinity into a bigint, with an SQLSTATE the pool takes for a broken connection
        Cli.Run stage = Cli.both("stage", PG.source(), PG.target(), db, "--table", "metrics:t", "--until", "infinity");
        assertThat(stage.exitCode()).as(stage.toString()).isEqualTo(ExitCodes.USAGE);
        assertThat(stage.err()).contains("--until infinity is not a finite timestamptz: no task range can start or"
                + " end at infinity, so rows at infinity are copied by hand").doesNotContain("Connection is closed");
    }

    @Test
    void withTheWritersStoppedAPlanReachesTheRowsDatedAfterNowAndVerifyThroughMatches() {
        String db = PG.pair().freshDatabase("stopped");
        Fixtures.metrics(PG.pair(), db, "metrics");
        PG.source().execute(db, "CREATE INDEX ON metrics (t)");
        // forecasts written before the dual-write mark, dated ahead of the clock, and one at infinity
        PG.source().execute(db, "INSERT INTO metrics VALUES ('2100-01-07 12:00:00+00', 1, 1, 'forecast a'),"
                + " ('2100-03-01 00:00:00+00', 2, 2, 'forecast b'), ('infinity', 3, 3, 'forever')");
        Fixtures.stage(PG.pair(), db, "--table", "metrics:t");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        ok(Cli.both("verify", PG.source(), PG.target(), db));
        // the rows from T to now came through the proxy, the forecasts did not
        PG.target().execute(db, "INSERT INTO metrics SELECT '2026-01-01 00:00:00+00'::timestamptz + i * interval"
                + " '1 hour', i % 7, i * 0.1, 'row ' || i FROM generate_series(96, 120) i");
        String until = "2100-03-02 00:00:00+00";
        assertThat(Cli.both("verify", PG.source(), PG.target(), db, "--through", until).exitCode())
                .isEqualTo(ExitCodes.MISMATCH);

        // from the end of the verified plan's last range, as docs/migration.md says, in slices of ten years
        String[] fromT = {"--replace", "--table", "metrics:t:3650d", "--from", Fixtures.T, "--until"};
        Cli.Run refused = Cli.both("stage", PG.source(), PG.target(), db, concat(fromT, until));
        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(refused.err()).contains("is later than now() - --max-lateness");

        // only the rows the plan does not hold are counted: from --until on, and at infinity
        Cli.Run shortOfForecastB = ok(Cli.both("stage", PG.source(), PG.target(), db,
                concat(fromT, "2100-01-08 00:00:00+00", "--writers-stopped")));
        assertThat(shortOfForecastB.out()).contains("--writers-stopped: the lateness check (--max-lateness) is off")
                .contains("warning: no task copies 2 rows of public.metrics dated after now and at or after --until"
                        + " 2100-01-08 00:00:00+00 (the newest infinity): stage again with --until"
                        + " '2100-03-01 00:00:00.000001+00' to copy them; the 1 at infinity no range reaches: copy them"
                        + " by hand");
        Cli.Run stage = ok(Cli.both("stage", PG.source(), PG.target(), db, concat(fromT, until, "--writers-stopped")));
        assertThat(stage.out()).contains("warning: no task copies 1 row of public.metrics dated after now and at or"
                        + " after --until " + until + " (the newest infinity); the 1 at infinity no range reaches: copy"
                        + " them by hand")
                .doesNotContain("stage again").doesNotContain("verify --through");
        Cli.Run infinity = Cli.both("stage", PG.source(), PG.target(), db, concat(fromT, "infinity", "--writers-stopped"));
        assertThat(infinity.exitCode()).as(infinity.toString()).isEqualTo(ExitCodes.USAGE);
        assertThat(infinity.err()).contains("--until infinity is not a finite timestamptz");
        ok(Cli.both("copy", PG.source(), PG.target(), db));

        Cli.Run verify = ok(Cli.both("verify", PG.source(), PG.target(), db, "--through", until));
        assertThat(verify.out()).contains("0 differ");
        String finite = "SELECT t, device, v, note FROM metrics WHERE t <> 'infinity' ORDER BY t";
        assertThat(PG.target().query(db, finite)).isEqualTo(PG.source().query(db, finite)).hasSize(123);
    }

    private static String[] concat(String[] first, String... more) {
        String[] all = java.util.Arrays.copyOf(first, first.length + more.length);
        System.arraycopy(more, 0, all, first.length, more.length);
        return all;
    }

    @Test
    void lateRowsAndFutureValuesOfATimestampColumnAreJudgedInItsTimeZone() {
        String db = PG.pair().freshDatabase("zonelate");
        PG.pair().executeOnBoth(db, "CREATE TABLE m (t timestamp, v int); CREATE INDEX ON m (t)");
        // written in Tokyo wall-clock time, nine hours ahead of UTC
        PG.source().execute(db, "INSERT INTO m VALUES ('2026-01-01 00:00:00', 1), (now() AT TIME ZONE 'Asia/Tokyo', 2)");
        assertThat(Fixtures.stage(PG.pair(), db, "--table", "m:t").out())
                .contains("warning: the newest t of public.m").contains("is later than now in UTC")
                .contains("--time-zone <that zone>");
        assertThat(ok(Cli.both("stage", PG.source(), PG.target(), db, "--until", Fixtures.T, "--table", "m:t",
                "--time-zone", "Asia/Tokyo", "--replace")).out()).doesNotContain("later than now");

        // an hour ago in UTC wall-clock time is still hours ahead in New York: rows that late may still be written
        String hourAgoUtc = PG.source().queryValue(db, "SELECT (now() AT TIME ZONE 'UTC' - interval '1 hour')::text");
        ok(Cli.both("stage", PG.source(), PG.target(), db, "--table", "m:t", "--until", hourAgoUtc, "--replace"));
        Cli.Run newYork = Cli.both("stage", PG.source(), PG.target(), db, "--table", "m:t", "--until", hourAgoUtc,
                "--time-zone", "America/New_York", "--replace");
        assertThat(newYork.exitCode()).as(newYork.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(newYork.err()).contains("is later than now() - --max-lateness").contains("in America/New_York");
    }

    @Test
    void cleanRefusesWhileACopyHoldsATaskAndChangesNothing() throws Exception {
        String db = PG.pair().freshDatabase("cleanbusy");
        Fixtures.metrics(PG.pair(), db, "metrics");
        Fixtures.stage(PG.pair(), db, "--table", "metrics:t");
        try (java.sql.Connection copy = PG.target().connect(db)) {
            copy.setAutoCommit(false);
            copy.createStatement().execute("SELECT 1 FROM tandem.backfill_task WHERE id = (SELECT min(id)"
                    + " FROM tandem.backfill_task) FOR UPDATE");
            Cli.Run clean = Cli.targetOnly("clean", PG.target(), db);
            assertThat(clean.exitCode()).isEqualTo(ExitCodes.FAILURE);
            assertThat(clean.err()).contains("a copy or repair is working on this plan").contains("nothing was changed");
            copy.rollback();
        }
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.backfill_task")).isEqualTo("4");
        assertThat(ok(Cli.targetOnly("clean", PG.target(), db)).out()).contains("dropped");
    }
}
