package dev.tandem.backfill;

import static dev.tandem.backfill.Fixtures.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.PostgresPairExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/**
 * repair re-copies the union of each table's overlapping and touching ledger ranges once, one task per merged range,
 * and closes every entry that range covers: a burst of shed transactions leaves thousands of entries of one table,
 * most of them inside its summary entry's range, and a task per entry copied those rows twice, at one task at a time.
 */
class RepairLedgerRangesIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    /** The ledger's entries with a range, those repair re-copies. */
    private static final String ENTRIES = "SELECT count(*) FROM tandem.divergence WHERE range_start IS NOT NULL";

    @Test
    void entriesNestedInABigOneAndTouchingOnesAreReCopiedAsOneRangeEachTableApart() {
        String db = PG.pair().freshDatabase("ledgermerge");
        int entries = shedBurst(db);

        Cli.Run repair = ok(Cli.both("repair", PG.source(), PG.target(), db));
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.backfill_task WHERE origin = 'repair'"))
                .as("tasks for " + entries + " ledger entries: metrics' three ranges and other's one").isEqualTo("4");
        assertThat(repair.out()).contains("(public.metrics, ranges within [2026-01-05 10:00:00+00,"
                        + " 2026-01-05 20:00:00+00)): " + (entries - 3) + " ledger entries -> 3 re-copy ranges")
                .contains("(public.other, ranges within [2026-01-05 10:00:00+00, 2026-01-05 12:00:00+00)):"
                        + " 3 ledger entries -> 1 re-copy range")
                .contains("has no time range");
        assertThat(PG.target().query(db, "SELECT table_name, to_timestamp(range_start / 1e6)::text,"
                + " to_timestamp(range_end / 1e6)::text, cardinality(divergence_ids) FROM tandem.backfill_task"
                + " WHERE origin = 'repair' ORDER BY table_name, range_start").toString())
                .as("one task per merged range, naming every entry it covers")
                .isEqualTo("[[metrics, 2026-01-05 10:00:00+00, 2026-01-05 14:00:00+00, " + (entries - 6) + "],"
                        + " [metrics, 2026-01-05 16:00:00+00, 2026-01-05 17:00:00+00, 1],"
                        + " [metrics, 2026-01-05 18:00:00+00, 2026-01-05 20:00:00+00, 2],"
                        + " [other, 2026-01-05 10:00:00+00, 2026-01-05 12:00:00+00, 3]]");
        assertReCopiedOnce(db);

        Cli.Run again = ok(Cli.both("repair", PG.source(), PG.target(), db));
        assertThat(again.out()).contains("re-queued 0 mismatched or failed tasks").doesNotContain("queued ledger");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.backfill_task WHERE origin = 'repair'"
                + " AND (state <> 'done' OR copies <> 1)")).isEqualTo("0");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.backfill_task")).isEqualTo("12");
    }

    @Test
    void aRepairStoppedAfterQueueingOrFailingAtTheCloseLosesAndDoublesNothingOnTheNextRun() {
        String db = PG.pair().freshDatabase("ledgermergestop");
        shedBurst(db);
        // Ctrl-C before the first merged task is claimed: the tasks stay pending, the entries open
        assertThat(stoppedRepair(db)).isEqualTo(ExitCodes.FAILURE);
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.backfill_task WHERE origin = 'repair'"
                + " AND state = 'pending'")).isEqualTo("4");
        assertThat(PG.target().queryValue(db, ENTRIES + " AND repaired_at IS NULL"))
                .isEqualTo(PG.target().queryValue(db, ENTRIES));

        // closing the entries fails in the copy's transaction: the copied rows roll back with it
        PG.target().execute(db, "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                + " RAISE EXCEPTION 'closing refused'; END $$; CREATE TRIGGER refuse BEFORE UPDATE ON"
                + " tandem.divergence FOR EACH ROW EXECUTE FUNCTION refuse()");
        Cli.Run failed = Cli.both("repair", PG.source(), PG.target(), db);
        assertThat(failed.exitCode()).as(failed.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(failed.out()).as("the entries of the pending tasks are not queued again")
                .doesNotContain("queued ledger");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.backfill_task WHERE origin = 'repair'"
                + " AND state = 'failed'")).isEqualTo("4");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM metrics WHERE note LIKE 'shed %'"))
                .isEqualTo("0");

        PG.target().execute(db, "DROP FUNCTION refuse() CASCADE");
        ok(Cli.both("repair", PG.source(), PG.target(), db));
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.backfill_task WHERE origin = 'repair'"))
                .isEqualTo("4");
        assertReCopiedOnce(db);
    }

    /** The bounds of a table's entries are read in one query; one it cannot read is read alone, and named. */
    @Test
    void anEntryWithABoundNoRangeCanHaveStaysOpenAndTheOthersOfItsTableAreRepaired() {
        String db = PG.pair().freshDatabase("ledgerbadbound");
        Fixtures.metrics(PG.pair(), db, "metrics");
        Fixtures.stage(PG.pair(), db, "--table", "metrics:t");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        PG.source().execute(db, "INSERT INTO metrics VALUES ('2026-01-05 10:30:00+00', 1, 1, 'shed')");
        String entry = "('proxy-1', current_database(), 'public', 'metrics', 'not mirrored', 't', ";
        PG.target().execute(db, "INSERT INTO tandem.divergence (instance_id, database, table_schema, table_name,"
                + " message, time_column, range_start, range_end) VALUES "
                + entry + "'2026-01-05 10:00:00+00', 'infinity'), "
                + entry + "'2026-01-05 10:00:00+00', '2026-01-05 11:00:00+00'), "
                + entry + "'2026-02-30 10:00:00+00', '2026-01-05 11:00:00+00'), "
                + entry + "'2026-01-05 10:30:00+00', '2026-01-05 10:30:00.000001+00')");

        Cli.Run repair = Cli.both("repair", PG.source(), PG.target(), db);
        assertThat(repair.exitCode()).as(repair.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(repair.err()).contains("ledger entry 1 (public.metrics) cannot be re-copied: ledger entry 1"
                        + " range_end infinity is not a finite timestamptz")
                .contains("ledger entry 3 (public.metrics) cannot be re-copied: ledger entry 3 range_start"
                        + " 2026-02-30 10:00:00+00 is not a valid timestamptz");
        assertThat(repair.out()).contains("queued ledger entries 2,4 (public.metrics, ranges within"
                + " [2026-01-05 10:00:00+00, 2026-01-05 11:00:00+00)): 2 ledger entries -> 1 re-copy range");
        assertThat(PG.target().queryValue(db, "SELECT note FROM metrics WHERE t = '2026-01-05 10:30:00+00'"))
                .isEqualTo("shed");
        assertThat(PG.target().query(db, "SELECT id, repaired_at IS NOT NULL FROM tandem.divergence ORDER BY id")
                .toString()).isEqualTo("[[1, f], [2, t], [3, f], [4, t]]");
    }

    @Test
    void aTaskAnEarlierRepairQueuedForOneEntryIsCopiedAndClosesItsEntry() {
        String db = PG.pair().freshDatabase("ledgeroldtask");
        Fixtures.metrics(PG.pair(), db, "metrics");
        Fixtures.stage(PG.pair(), db, "--table", "metrics:t");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        PG.source().execute(db, "INSERT INTO metrics VALUES ('2026-01-05 10:30:00+00', 1, 1, 'shed')");
        PG.target().execute(db, "INSERT INTO tandem.divergence (instance_id, database, table_schema, table_name,"
                + " message, time_column, range_start, range_end) VALUES ('proxy-1', current_database(), 'public',"
                + " 'metrics', 'not mirrored: the spool was full', 't', '2026-01-05 10:00:00+00',"
                + " '2026-01-05 11:00:00+00');"
                // queued by a repair before tasks named several entries, then stopped
                + " INSERT INTO tandem.backfill_task (table_schema, table_name, time_column, time_type, range_start,"
                + " range_end, origin, divergence_id) VALUES ('public', 'metrics', 't', 'TIMESTAMPTZ',"
                + " 1767607200000000, 1767610800000000, 'repair', 1)");

        assertThat(ok(Cli.both("repair", PG.source(), PG.target(), db)).out()).doesNotContain("queued ledger");
        assertThat(PG.target().queryValue(db, "SELECT note FROM metrics WHERE t = '2026-01-05 10:30:00+00'"))
                .isEqualTo("shed");
        assertThat(PG.target().queryValue(db, "SELECT repaired_at IS NOT NULL FROM tandem.divergence"))
                .isEqualTo("t");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.backfill_task WHERE origin = 'repair'"))
                .isEqualTo("1");
    }

    /**
     * Two tables copied up to T, their rows from T on mirrored, then transactions of both shed: their rows are on the
     * source only, and the ledger holds for metrics a summary entry of 10:00 to 14:00 with an entry of one minute per
     * shed transaction inside it, one of 16:00 to 17:00 apart, and two touching at 19:00; for other, two touching at
     * 11:00 with one inside the first; and one entry without a range.
     *
     * @return how many entries have a range
     */
    private static int shedBurst(String db) {
        for (String table : List.of("metrics", "other")) {
            Fixtures.metrics(PG.pair(), db, table);
        }
        Fixtures.stage(PG.pair(), db, "--table", "metrics:t", "--table", "other:t");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        for (String table : List.of("metrics", "other")) {
            PG.target().execute(db, "INSERT INTO " + table + " SELECT '2026-01-01 00:00:00+00'::timestamptz + i"
                    + " * interval '1 hour', i % 7, i * 0.1, 'row ' || i FROM generate_series(96, 120) i");
        }
        int nested = 200;
        PG.source().execute(db, "INSERT INTO metrics SELECT '2026-01-05 10:00:30+00'::timestamptz + i * interval"
                + " '1 minute', 1, i, 'shed ' || i FROM generate_series(0, " + (nested - 1) + ") i;"
                + " INSERT INTO metrics VALUES ('2026-01-05 16:30:00+00', 2, 0, 'shed apart'),"
                + " ('2026-01-05 18:59:59.999999+00', 2, 0, 'shed before 19'),"
                + " ('2026-01-05 19:00:00+00', 2, 0, 'shed at 19');"
                + " INSERT INTO other VALUES ('2026-01-05 10:30:00+00', 3, 0, 'shed a'),"
                + " ('2026-01-05 11:00:00+00', 3, 0, 'shed at 11')");
        String columns = "INSERT INTO tandem.divergence (instance_id, database, table_schema, table_name, message,"
                + " time_column, range_start, range_end, recorded_until) ";
        PG.target().execute(db, columns + "SELECT 'proxy-1', current_database(), 'public', 'metrics', 'not mirrored:"
                + " the spool was full', 't', ('2026-01-05 10:00:30+00'::timestamptz + i * interval '1 minute')::text,"
                + " ('2026-01-05 10:00:30.000001+00'::timestamptz + i * interval '1 minute')::text, NULL"
                + " FROM generate_series(0, " + (nested - 1) + ") i;"
                + columns + "VALUES ('proxy-1', current_database(), 'public', 'metrics', 'not mirrored: the spool was"
                + " full; summary', 't', '2026-01-05 10:00:00+00', '2026-01-05 14:00:00+00', now()),"
                + " ('proxy-1', current_database(), 'public', 'metrics', 'not mirrored', 't',"
                + " '2026-01-05 16:00:00+00', '2026-01-05 17:00:00+00', NULL),"
                + " ('proxy-1', current_database(), 'public', 'metrics', 'not mirrored', 't',"
                + " '2026-01-05 18:00:00+00', '2026-01-05 19:00:00+00', NULL),"
                + " ('proxy-1', current_database(), 'public', 'metrics', 'not mirrored', 't',"
                + " '2026-01-05 19:00:00+00', '2026-01-05 20:00:00+00', NULL),"
                + " ('proxy-1', current_database(), 'public', 'other', 'not mirrored', 't',"
                + " '2026-01-05 10:00:00+00', '2026-01-05 11:00:00+00', NULL),"
                + " ('proxy-1', current_database(), 'public', 'other', 'not mirrored', 't',"
                + " '2026-01-05 10:30:00+00', '2026-01-05 10:30:00.000001+00', NULL),"
                + " ('proxy-1', current_database(), 'public', 'other', 'not mirrored', 't',"
                + " '2026-01-05 11:00:00+00', '2026-01-05 12:00:00+00', NULL),"
                + " ('proxy-1', current_database(), 'public', 'other', 'not mirrored: no range', NULL, NULL, NULL,"
                + " NULL)");
        return nested + 4 + 3;
    }

    /** Both tables agree, every entry with a range is closed, and each task copied its range's source rows once. */
    private static void assertReCopiedOnce(String db) {
        for (String table : List.of("metrics", "other")) {
            String all = "SELECT t, device, v, note FROM " + table + " ORDER BY t, device, v, note";
            assertThat(PG.target().query(db, all)).as(table).isEqualTo(PG.source().query(db, all));
        }
        assertThat(PG.target().queryValue(db, ENTRIES + " AND repaired_at IS NULL")).isEqualTo("0");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence WHERE range_start IS NULL"
                + " AND repaired_at IS NULL")).as("the entry without a range stays open").isEqualTo("1");
        // metrics: 4 hourly rows + 200 shed in [10:00, 14:00), 1 + 1 in [16:00, 17:00), 2 + 2 in [18:00, 20:00);
        // other: 2 hourly rows + 2 shed in [10:00, 12:00)
        assertThat(PG.target().queryValue(db, "SELECT sum(rows) FROM tandem.backfill_task WHERE origin = 'repair'"))
                .isEqualTo(String.valueOf(4 + 200 + 2 + 4 + 4));
    }

    private static int stoppedRepair(String db) {
        TandemBackfill app = new TandemBackfill();
        app.stopRequested().set(true);
        CommandLine cli = new CommandLine(app);
        cli.setOut(new PrintWriter(new StringWriter(), true));
        cli.setErr(new PrintWriter(new StringWriter(), true));
        List<String> args = new ArrayList<>(List.of("repair"));
        args.addAll(Cli.connection(PG.source(), PG.target(), db));
        return cli.execute(args.toArray(String[]::new));
    }
}
