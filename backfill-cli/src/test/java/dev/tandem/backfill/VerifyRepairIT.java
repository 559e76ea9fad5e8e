package dev.tandem.backfill;

import static dev.tandem.backfill.Fixtures.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.state.TandemSchema;
import dev.tandem.testing.PostgresPairExtension;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** verify finds every kind of difference; repair fixes them and the ranges of the proxy's divergence ledger. */
class VerifyRepairIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    @Test
    void verifyCatchesAChangedAMissingAndAnExtraRowAndRepairFixesThem() {
        String db = PG.pair().freshDatabase("verify");
        Fixtures.metrics(PG.pair(), db, "metrics");
        Fixtures.stage(PG.pair(), db, "--table", "metrics:t");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        ok(Cli.both("verify", PG.source(), PG.target(), db));

        PG.target().execute(db, "UPDATE metrics SET v = v + 0.000001 WHERE t = '2026-01-01 05:00:00+00';"
                + "DELETE FROM metrics WHERE t = '2026-01-02 05:00:00+00';"
                + "INSERT INTO metrics VALUES ('2026-01-04 05:00:00+00', 1, 1, 'extra')");
        Cli.Run verify = Cli.both("verify", PG.source(), PG.target(), db);
        assertThat(verify.exitCode()).as(verify.toString()).isEqualTo(ExitCodes.MISMATCH);
        assertThat(verify.out()).contains("4 tasks: 1 match, 3 differ")
                .contains("[2026-01-01 00:00:00+00, 2026-01-02 00:00:00+00)")
                .contains("row contents differ")
                .contains("[2026-01-02 00:00:00+00, 2026-01-03 00:00:00+00)")
                .contains("rows 24 vs 23")
                .contains("[2026-01-04 00:00:00+00, 2026-01-05 00:00:00+00)")
                .contains("rows 24 vs 25")
                .doesNotContain("[2026-01-03 00:00:00+00");
        assertThat(Cli.targetOnly("status", PG.target(), db).out()).contains("mismatch");

        ok(Cli.both("repair", PG.source(), PG.target(), db));
        Fixtures.assertCopied(PG.pair(), db, "metrics");
        assertThat(ok(Cli.both("verify", PG.source(), PG.target(), db)).out()).contains("4 match, 0 differ");
    }

    @Test
    void copyVerifyAndRepairWithNothingStagedFailAlikeAndSayToStageFirst() {
        String db = PG.pair().freshDatabase("noplan");
        Fixtures.metrics(PG.pair(), db, "metrics");
        for (String command : List.of("copy", "verify", "repair")) {
            Cli.Run run = Cli.both(command, PG.source(), PG.target(), db);
            assertThat(run.exitCode()).as(command + ": " + run).isEqualTo(ExitCodes.FAILURE);
            assertThat(run.err()).as(command).contains("no plan on the target: run 'stage' first");
        }
        // a refused stage leaves the backfill's tables behind, empty: still no plan
        Cli.Run refused = Cli.both("stage", PG.source(), PG.target(), db, "--table", "metrics:nosuchcolumn",
                "--until", Fixtures.T);
        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(ExitCodes.FAILURE);
        for (String command : List.of("copy", "verify", "repair")) {
            Cli.Run run = Cli.both(command, PG.source(), PG.target(), db);
            assertThat(run.exitCode()).as(command + ": " + run).isEqualTo(ExitCodes.FAILURE);
            assertThat(run.err()).as(command).contains("no plan on the target: run 'stage' first");
        }
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM metrics")).as("nothing copied").isEqualTo("0");

        // the proxy ledgers gaps whether or not a backfill was staged: repair re-copies their ranges without a plan
        PG.target().execute(db, TandemSchema.ddl());
        PG.target().execute(db, "INSERT INTO tandem.divergence (instance_id, database, session, table_schema,"
                + " table_name, sqlstate, message, time_column, range_start, range_end) VALUES ('p', '" + db + "', '1',"
                + " 'public', 'metrics', '23505', 'duplicate key', 't', '2026-01-01 00:00:00+00',"
                + " '2026-01-01 02:00:00+00')");
        ok(Cli.both("repair", PG.source(), PG.target(), db));
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM metrics")).isEqualTo("2");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence WHERE repaired_at IS NULL"))
                .isEqualTo("0");
    }

    @Test
    void aRepairStoppedByCtrlCWithTasksLeftIsNotASuccess() {
        String db = PG.pair().freshDatabase("repairstop");
        Fixtures.metrics(PG.pair(), db, "metrics");
        Fixtures.stage(PG.pair(), db, "--table", "metrics:t");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        PG.target().execute(db, "DELETE FROM metrics WHERE t = '2026-01-02 05:00:00+00'");
        assertThat(Cli.both("verify", PG.source(), PG.target(), db).exitCode()).isEqualTo(ExitCodes.MISMATCH);

        TandemBackfill app = new TandemBackfill();
        app.stopRequested().set(true); // Ctrl-C before the re-queued task is claimed
        picocli.CommandLine cli = new picocli.CommandLine(app);
        cli.setOut(new java.io.PrintWriter(new java.io.StringWriter(), true));
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("repair"));
        args.addAll(Cli.connection(PG.source(), PG.target(), db));
        // 'repair && verify' must stop here: the mismatched range is still pending
        assertThat(cli.execute(args.toArray(String[]::new))).isEqualTo(ExitCodes.FAILURE);
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.backfill_task WHERE state = 'pending'"))
                .isEqualTo("1");
    }

    @Test
    void repairReCopiesTheRangesOfTheDivergenceLedgerAndMarksThemRepaired() {
        String db = PG.pair().freshDatabase("ledger");
        Fixtures.metrics(PG.pair(), db, "metrics");
        Fixtures.stage(PG.pair(), db, "--table", "metrics:t");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        // rows from T on arrive by dual-write; the proxy failed to mirror some and recorded their range
        PG.source().execute(db, "INSERT INTO metrics VALUES ('2026-01-05 10:00:00+00', 1, 1, 'late a'),"
                + "('2026-01-05 10:30:00+00', 2, 2, 'late b')");
        PG.target().execute(db, "INSERT INTO tandem.divergence (instance_id, database, table_schema, table_name, sqlstate, "
                + "message, time_column, range_start, range_end) VALUES ('proxy-1', current_database(), 'public', 'metrics', "
                + "'23505', 'duplicate key', 't', '2026-01-05 10:00:00+00', '2026-01-05 11:00:00+00'),"
                + "('proxy-1', current_database(), 'public', 'metrics', '57014', 'canceled', NULL, NULL, NULL),"
                // a range still being written: copying it now could copy a late row the mirror then applies too
                + "('proxy-1', current_database(), 'public', 'metrics', '23505', 'duplicate key', 't',"
                + " (now() - interval '1 minute')::text, (now() + interval '1 minute')::text),"
                // another of the same burst: one line says what waits for a later run, not one per entry
                + "('proxy-1', current_database(), 'public', 'metrics', '23505', 'duplicate key', 't',"
                + " (now() - interval '2 minutes')::text, (now() - interval '1 minute')::text),"
                // shed by a full spool: the target never saw it, so there is no SQLSTATE
                + "('proxy-1', current_database(), 'public', 'metrics', NULL, 'not mirrored: the spool was full', NULL,"
                + " NULL, NULL)");

        Cli.Run repair = ok(Cli.both("repair", PG.source(), PG.target(), db));
        assertThat(repair.out()).contains("queued ledger entry 1").contains("ledger entry 2").contains("no time range")
                .contains("ledger entries 3-4 (public.metrics, ranges within [").contains("left for a later repair")
                .doesNotContain("queued ledger entry 3").doesNotContain("queued ledger entry 4")
                .doesNotContain("ledger entry 4 (")
                .contains("(public.metrics, recorded ").contains(", not mirrored: the spool was full) has no time range")
                .contains("'Re-copying a window'").doesNotContain("SQLSTATE null");

        String range = "t >= '2026-01-05 10:00:00+00' AND t < '2026-01-05 11:00:00+00'";
        assertThat(PG.target().query(db, "SELECT * FROM metrics WHERE " + range + " ORDER BY t"))
                .isEqualTo(PG.source().query(db, "SELECT * FROM metrics WHERE " + range + " ORDER BY t")).hasSize(3);
        assertThat(PG.target().query(db, "SELECT id, repaired_at IS NOT NULL FROM tandem.divergence ORDER BY id").toString())
                .isEqualTo("[[1, t], [2, f], [3, f], [4, f], [5, f]]");
        Fixtures.assertCopied(PG.pair(), db, "metrics");
    }

    @Test
    void withTheWritersStoppedRepairReCopiesALedgerRangeDatedAfterNowAndClosesIt() {
        String db = PG.pair().freshDatabase("ledgerfuture");
        Fixtures.metrics(PG.pair(), db, "metrics");
        Fixtures.stage(PG.pair(), db, "--table", "metrics:t");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        // the rows from T on came through the proxy, except a forecast dated ahead of the clock that the target
        // rejected: the proxy ledgered its range
        PG.target().execute(db, "INSERT INTO metrics SELECT '2026-01-01 00:00:00+00'::timestamptz + i * interval"
                + " '1 hour', i % 7, i * 0.1, 'row ' || i FROM generate_series(96, 120) i");
        PG.source().execute(db, "INSERT INTO metrics VALUES ('2100-01-07 12:00:00+00', 1, 1, 'forecast')");
        PG.target().execute(db, "INSERT INTO tandem.divergence (instance_id, database, table_schema, table_name, sqlstate,"
                + " message, time_column, range_start, range_end) VALUES ('proxy-1', current_database(), 'public',"
                + " 'metrics', '23514', 'no partition', 't', '2100-01-07 12:00:00+00', '2100-01-07 12:00:00.000001+00')");
        String through = "2100-01-08 00:00:00+00";

        assertThat(ok(Cli.both("repair", PG.source(), PG.target(), db)).out())
                .contains("ledger entry 1 (public.metrics [2100-01-07 12:00:00+00, 2100-01-07 12:00:00.000001+00))"
                        + " ends later than now() - --max-lateness").contains("left for a later repair")
                .doesNotContain("queued ledger entry 1");
        Cli.Run open = Cli.both("verify", PG.source(), PG.target(), db, "--through", through);
        assertThat(open.exitCode()).as(open.toString()).isEqualTo(ExitCodes.MISMATCH);
        assertThat(open.out()).contains("ledger entries are open");

        Cli.Run repair = ok(Cli.both("repair", PG.source(), PG.target(), db, "--writers-stopped"));
        assertThat(repair.out()).contains("--writers-stopped: the lateness check (--max-lateness) is off")
                .contains("queued ledger entry 1: public.metrics [2100-01-07 12:00:00+00,"
                        + " 2100-01-07 12:00:00.000001+00)")
                .doesNotContain("left for a later repair");
        assertThat(PG.target().queryValue(db, "SELECT note FROM metrics WHERE t = '2100-01-07 12:00:00+00'"))
                .isEqualTo("forecast");
        assertThat(PG.target().queryValue(db, "SELECT repaired_at IS NOT NULL FROM tandem.divergence")).isEqualTo("t");
        Cli.Run verify = ok(Cli.both("verify", PG.source(), PG.target(), db, "--through", through));
        assertThat(verify.out()).contains("5 tasks: 5 match, 0 differ").contains("1 table: 1 match, 0 differ")
                .doesNotContain("ledger entries are open");
    }

    /** A burst of rejected transactions leaves an entry each: repair names them on one line per table. */
    @Test
    void entriesOfOneTableAreQueuedOnOneLine() {
        String db = PG.pair().freshDatabase("ledgerburst");
        Fixtures.metrics(PG.pair(), db, "metrics");
        Fixtures.stage(PG.pair(), db, "--table", "metrics:t");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        PG.source().execute(db, "INSERT INTO metrics VALUES ('2026-01-05 10:00:00+00', 1, 1, 'late a'),"
                + "('2026-01-05 12:30:00+00', 2, 2, 'late b')");
        PG.target().execute(db, "INSERT INTO tandem.divergence (instance_id, database, table_schema, table_name, sqlstate,"
                + " message, time_column, range_start, range_end) VALUES ('proxy-1', current_database(), 'public',"
                + " 'metrics', '23505', 'duplicate key', 't', '2026-01-05 10:00:00+00', '2026-01-05 11:00:00+00'),"
                + " ('proxy-1', current_database(), 'public', 'metrics', '23505', 'duplicate key', 't',"
                + " '2026-01-05 12:00:00+00', '2026-01-05 13:00:00+00')");

        Cli.Run repair = ok(Cli.both("repair", PG.source(), PG.target(), db));
        assertThat(repair.out()).contains("queued ledger entries 1-2 (public.metrics, ranges within"
                + " [2026-01-05 10:00:00+00, 2026-01-05 13:00:00+00))").doesNotContain("queued ledger entry ");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM metrics WHERE note LIKE 'late %'")).isEqualTo("2");
    }

    @Test
    void anEntryRepairCannotReCopyStaysOpenAndTheOthersAreRepaired() {
        String db = PG.pair().freshDatabase("ledgerunusable");
        Fixtures.metrics(PG.pair(), db, "metrics");
        Fixtures.stage(PG.pair(), db, "--table", "metrics:t");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        PG.source().execute(db, "INSERT INTO metrics VALUES ('2026-01-05 10:00:00+00', 1, 1, 'late')");
        // the first names a table dropped on the source since; the second is an ordinary range
        PG.target().execute(db, "INSERT INTO tandem.divergence (instance_id, database, table_schema, table_name, sqlstate,"
                + " message, time_column, range_start, range_end) VALUES ('proxy-1', current_database(), 'public',"
                + " 'dropped', '23505', 'duplicate key', 't', '2026-01-05 10:00:00+00', '2026-01-05 11:00:00+00'),"
                + " ('proxy-1', current_database(), 'public', 'metrics', '23505', 'duplicate key', 't',"
                + " '2026-01-05 10:00:00+00', '2026-01-05 11:00:00+00')");

        Cli.Run repair = Cli.both("repair", PG.source(), PG.target(), db);
        assertThat(repair.exitCode()).as(repair.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(repair.err()).contains("ledger entry 1 (public.dropped) cannot be re-copied: ")
                .contains("it stays open");
        assertThat(repair.out()).contains("queued ledger entry 2: public.metrics");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM metrics WHERE note = 'late'")).isEqualTo("1");
        assertThat(PG.target().query(db, "SELECT id, repaired_at IS NOT NULL FROM tandem.divergence ORDER BY id"))
                .containsExactly(List.of("1", "f"), List.of("2", "t"));
    }

    @Test
    void repairWaitsForTheMirrorsAtMostMirrorWait() {
        String db = PG.pair().freshDatabase("repairwait");
        Fixtures.metrics(PG.pair(), db, "metrics");
        Fixtures.stage(PG.pair(), db, "--table", "metrics:t");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        PG.target().execute(db, "DELETE FROM metrics WHERE t = '2026-01-02 05:00:00+00'");
        assertThat(Cli.both("verify", PG.source(), PG.target(), db).exitCode()).isEqualTo(ExitCodes.MISMATCH);
        PG.target().execute(db, "INSERT INTO tandem.mirror_progress VALUES"
                + " ('lagging', 1, 0, 0, now() - interval '1 hour', now() - interval '1 hour')");

        Cli.Run stopped = Cli.both("repair", PG.source(), PG.target(), db, "--mirror-wait", "1 s");
        assertThat(stopped.exitCode()).as(stopped.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(stopped.err()).contains("proxy instance 'lagging'", "--mirror-wait");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM metrics WHERE t = '2026-01-02 05:00:00+00'"))
                .isEqualTo("0");

        Cli.Run noUnit = Cli.both("repair", PG.source(), PG.target(), db, "--mirror-wait", "5");
        assertThat(noUnit.exitCode()).as(noUnit.toString()).isEqualTo(ExitCodes.USAGE);
        assertThat(noUnit.err()).contains("--mirror-wait must be a duration");
    }

    @Test
    void aThroughTheSourceCannotReadIsReportedBeforeAnythingIsComparedOrAwaited() {
        String db = PG.pair().freshDatabase("badthrough");
        Fixtures.metrics(PG.pair(), db, "metrics");
        Fixtures.stage(PG.pair(), db, "--table", "metrics:t");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        // a proxy that never catches up: reading --through only after the wait would report the wait instead
        PG.target().execute(db, "INSERT INTO tandem.mirror_progress VALUES"
                + " ('stopped', 1, 0, 0, now() - interval '1 hour', now() - interval '1 hour')");

        Cli.Run verify = Cli.both("verify", PG.source(), PG.target(), db, "--through", "yesterday noon",
                "--mirror-wait", "1 s");
        assertThat(verify.exitCode()).as(verify.toString()).isEqualTo(ExitCodes.USAGE);
        assertThat(verify.err()).contains("--through yesterday noon is not a valid timestamptz")
                .doesNotContain("proxy instance 'stopped'");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.backfill_task WHERE verified_at IS NOT NULL"))
                .isEqualTo("0");
    }

    @Test
    void rowsWithANullTimeAreRefusedByStageAndComparedByVerify() {
        String db = PG.pair().freshDatabase("nulltime");
        PG.pair().executeOnBoth(db, "CREATE TABLE m (t timestamptz, v int)");
        PG.source().execute(db, "INSERT INTO m SELECT '2026-01-01 00:00:00+00'::timestamptz + i * interval '1 hour', i"
                + " FROM generate_series(0, 47) i; INSERT INTO m VALUES (NULL, 1), (NULL, 2)");

        Cli.Run refused = Cli.both("stage", PG.source(), PG.target(), db, "--table", "m:t", "--until", Fixtures.T);
        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(refused.err()).contains("public.m: 2 rows with a NULL t").contains("nothing was staged")
                .contains("--allow-null-time");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.backfill_task")).isEqualTo("0");

        assertThat(Fixtures.stage(PG.pair(), db, "--table", "m:t", "--allow-null-time").out())
                .contains("warning: not copied, their time column is NULL").contains("public.m: 2 rows with a NULL t");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        Cli.Run verify = Cli.both("verify", PG.source(), PG.target(), db);
        assertThat(verify.exitCode()).as(verify.toString()).isEqualTo(ExitCodes.MISMATCH);
        assertThat(verify.out()).contains("4 tasks: 4 match, 0 differ")
                .contains("public.m (t IS NULL): rows 2 vs 0");

        PG.target().execute(db, "INSERT INTO m VALUES (NULL, 1), (NULL, 3)");
        assertThat(Cli.both("verify", PG.source(), PG.target(), db).out())
                .contains("public.m (t IS NULL): row contents differ (checksum)");
        PG.target().execute(db, "UPDATE m SET v = 2 WHERE t IS NULL AND v = 3");
        assertThat(ok(Cli.both("verify", PG.source(), PG.target(), db)).out()).doesNotContain("IS NULL");
    }

    @Test
    void throughNowOnAnIntegerTimeColumnNamesTheTableAndAsksForAnInteger() {
        String db = PG.pair().freshDatabase("intthrough");
        PG.pair().executeOnBoth(db, "CREATE TABLE ticks (epoch_ms bigint, v int)");
        PG.source().execute(db, "INSERT INTO ticks SELECT i, i FROM generate_series(0, 99) i");
        ok(Cli.both("stage", PG.source(), PG.target(), db, "--table", "ticks:epoch_ms:10", "--until", "50"));
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        Cli.Run now = Cli.both("verify", PG.source(), PG.target(), db, "--through", "now");
        assertThat(now.exitCode()).as(now.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(now.err()).contains("--through now: public.ticks's time column epoch_ms is bigint")
                .contains("give --integer-through in the column's unit");
        // rows 50-99 were never mirrored here: an integer --through compares the window
        Cli.Run integer = Cli.both("verify", PG.source(), PG.target(), db, "--through", "100");
        assertThat(integer.exitCode()).as(integer.toString()).isEqualTo(ExitCodes.MISMATCH);
        assertThat(integer.out()).contains("dual-write windows up to 100, 1 table: 0 match, 1 differ");
    }

    @Test
    void aPlanOfTimestampAndIntegerTablesComparesEachWindowUpToItsOwnBound() {
        String db = PG.pair().freshDatabase("mixedwindows");
        Fixtures.metrics(PG.pair(), db, "metrics");
        PG.pair().executeOnBoth(db, "CREATE TABLE ticks (epoch_ms bigint, v int)");
        PG.source().execute(db, "INSERT INTO ticks SELECT i, i FROM generate_series(0, 99) i");
        Fixtures.stage(PG.pair(), db, "--table", "metrics:t", "--table", "ticks:epoch_ms:10", "--integer-until", "50");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        // nothing mirrored the rows after either bound: both windows differ, each measured in its own unit
        Cli.Run run = Cli.both("verify", PG.source(), PG.target(), db, "--through", "2026-01-06 12:00:00+00",
                "--integer-through", "100");
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(ExitCodes.MISMATCH);
        assertThat(run.out()).contains("dual-write windows up to 2026-01-06 12:00:00+00 (integer time columns: 100),"
                + " 2 tables: 0 match, 2 differ");
        PG.target().execute(db, "INSERT INTO ticks SELECT i, i FROM generate_series(50, 99) i;"
                + " INSERT INTO metrics SELECT * FROM metrics WHERE false");
        Cli.Run ticksEqual = Cli.both("verify", PG.source(), PG.target(), db, "--through", "2026-01-06 12:00:00+00",
                "--integer-through", "100");
        assertThat(ticksEqual.out()).contains("2 tables: 1 match, 1 differ");
        Cli.Run alone = Cli.both("verify", PG.source(), PG.target(), db, "--integer-through", "100");
        assertThat(alone.exitCode()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void throughNowWhileAProxyStillAppliesSaysTheWritersAreStillRunning() {
        String db = PG.pair().freshDatabase("stillwriting");
        Fixtures.metrics(PG.pair(), db, "metrics");
        Fixtures.stage(PG.pair(), db, "--table", "metrics:t");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        // caught up, yet applying again by the time the windows are read: a proxy whose writers still write (its last
        // apply is dated later than any moment of this run); nothing mirrored the window's rows, so it differs
        PG.target().execute(db, "INSERT INTO tandem.mirror_progress VALUES"
                + " ('busy', 1, 0, 0, now() + interval '1 hour', now() + interval '1 hour')");
        Cli.Run now = Cli.both("verify", PG.source(), PG.target(), db, "--through", "now");
        assertThat(now.exitCode()).as(now.toString()).isEqualTo(ExitCodes.MISMATCH);
        assertThat(now.out()).contains("1 table: 0 match, 1 differ")
                .contains("a table missing from the proxy's mirror.tables.include")
                .contains("note: proxy instance(s) busy applied transactions into this database while the windows were"
                        + " compared: writers are still running")
                .contains("or pass a --through at least --max-lateness ago");
        // a --through in the past does not reach the rows of running writers
        Cli.Run past = Cli.both("verify", PG.source(), PG.target(), db, "--through", "2026-01-06 12:00:00+00");
        assertThat(past.exitCode()).as(past.toString()).isEqualTo(ExitCodes.MISMATCH);
        assertThat(past.out()).doesNotContain("writers are still running");
        // the proxy has applied nothing since it caught up: the writers stopped, the window differs for another reason
        PG.target().execute(db, "UPDATE tandem.mirror_progress SET applied_at = now() - interval '1 hour'");
        Cli.Run stopped = Cli.both("verify", PG.source(), PG.target(), db, "--through", "now");
        assertThat(stopped.exitCode()).as(stopped.toString()).isEqualTo(ExitCodes.MISMATCH);
        assertThat(stopped.out()).contains("1 differ").doesNotContain("writers are still running");
    }

    @Test
    void throughComparesTheDualWriteWindowAfterTheMirrorsCaughtUp() {
        String db = PG.pair().freshDatabase("window");
        Fixtures.metrics(PG.pair(), db, "metrics");
        Fixtures.stage(PG.pair(), db, "--table", "metrics:t");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        // the rows from T on were written before any writer used the proxy: nothing brought them over
        Cli.Run missing = Cli.both("verify", PG.source(), PG.target(), db, "--through", "2026-01-06 12:00:00+00");
        assertThat(missing.exitCode()).as(missing.toString()).isEqualTo(ExitCodes.MISMATCH);
        assertThat(missing.out()).contains("4 tasks: 4 match, 0 differ")
                .contains("dual-write windows up to 2026-01-06 12:00:00+00, 1 table: 0 match, 1 differ")
                .containsPattern("public.metrics +\\[2026-01-05 00:00:00\\+00, 2026-01-06 12:00:00\\+00\\) +25 +0  rows 25 vs 0")
                .contains("Re-copy each window shown").contains("each server computed its own values")
                .contains("a commit was in flight when a proxy crashed");
        // a --through the plan already reaches compares nothing, and says so rather than reporting 0 tables silently
        assertThat(ok(Cli.both("verify", PG.source(), PG.target(), db, "--through", "2026-01-04 00:00:00+00")).out())
                .contains("0 tables: 0 match, 0 differ")
                .contains("note: public.metrics: its planned ranges end at 2026-01-05 00:00:00+00,"
                        + " not before --through");
        assertThat(ok(Cli.both("verify", PG.source(), PG.target(), db)).out()).doesNotContain("window");

        PG.target().execute(db, "INSERT INTO metrics SELECT '2026-01-01 00:00:00+00'::timestamptz + i * interval '1 hour',"
                + " i % 7, i * 0.1, 'row ' || i FROM generate_series(96, 120) i");
        assertThat(ok(Cli.both("verify", PG.source(), PG.target(), db, "--through", "now")).out())
                .contains("dual-write windows up to now, 1 table: 1 match, 0 differ");

        // a proxy whose spool may still hold rows of the window: its mirror must catch up first
        PG.target().execute(db, "INSERT INTO tandem.mirror_progress VALUES"
                + " ('lagging', 1, 0, 0, now() - interval '1 hour', now() - interval '1 hour')");
        Cli.Run lagging = Cli.both("verify", PG.source(), PG.target(), db, "--through", "now", "--mirror-wait", "1 s");
        assertThat(lagging.exitCode()).as(lagging.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(lagging.err()).contains("proxy instance 'lagging'");

        // the same proxy stopped cleanly with everything applied: nothing of the window is in flight
        PG.target().execute(db, "UPDATE tandem.mirror_progress SET stopped_at = now() WHERE instance_id = 'lagging'");
        assertThat(ok(Cli.both("verify", PG.source(), PG.target(), db, "--through", "now", "--mirror-wait", "1 s"))
                .out()).contains("dual-write windows up to now, 1 table: 1 match, 0 differ");
        // verify only reads the target: a progress table an older proxy made, without stopped_at, is read as before
        PG.target().execute(db, "ALTER TABLE tandem.mirror_progress DROP COLUMN stopped_at");
        Cli.Run old = Cli.both("verify", PG.source(), PG.target(), db, "--through", "now", "--mirror-wait", "1 s");
        assertThat(old.exitCode()).as(old.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(old.err()).contains("proxy instance 'lagging'");
    }
}
