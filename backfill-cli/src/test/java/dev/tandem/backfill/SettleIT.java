package dev.tandem.backfill;

import static dev.tandem.backfill.Fixtures.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.PostgresPairExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Ledger entries without a time range (shed, over the capture limits, outcome_unknown) are closed by {@code settle},
 * and only on the evidence of a re-copy of their table verified after them; verify and status list the open ones.
 */
class SettleIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    /** The dual-write window of the fixture: after T, before the fixture's last row. */
    private static final String WINDOW_FROM = "2026-01-05 00:00:00+00";
    private static final String WINDOW_UNTIL = "2026-01-06 00:00:00+00";

    /** The main plan copied and verified; then a transaction of the dual-write window was shed by a full spool. */
    private static String copiedWithAShedTransaction(String name) {
        String db = PG.pair().freshDatabase(name);
        Fixtures.metrics(PG.pair(), db, "metrics");
        Fixtures.stage(PG.pair(), db, "--table", "metrics:t");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        ok(Cli.both("verify", PG.source(), PG.target(), db));
        // the rows after T came through the proxy, except the shed transaction's
        PG.target().execute(db, "INSERT INTO metrics SELECT '2026-01-01 00:00:00+00'::timestamptz + i * interval '1 hour',"
                + " i % 7, i * 0.1, 'row ' || i FROM generate_series(96, 120) i WHERE i <> 106");
        shed(db, "2026-01-05 10:00:00+00");
        return db;
    }

    private static void shed(String db, String committedAt) {
        PG.target().execute(db, "INSERT INTO tandem.divergence (recorded_at, instance_id, database, session,"
                + " table_schema, table_name, sqlstate, message) VALUES ('" + committedAt + "', 'proxy-1',"
                + " current_database(), '7', 'public', 'metrics', NULL, 'not mirrored: the spool is full (committed on"
                + " the source at this time)')");
    }

    private static Cli.Run settle(String db, String... ids) {
        return Cli.targetOnly("settle", PG.target(), db, ids);
    }

    private static String open(String db) {
        return PG.target().query(db, "SELECT id FROM tandem.divergence WHERE repaired_at IS NULL ORDER BY id").toString();
    }

    private static void recopyTheWindow(String db) {
        ok(Cli.both("stage", PG.source(), PG.target(), db, "--replace", "--table", "metrics:t", "--from", WINDOW_FROM,
                "--until", WINDOW_UNTIL));
        ok(Cli.both("copy", PG.source(), PG.target(), db));
    }

    @Test
    void settleIsRefusedWithoutAReCopyOfTheEntrysTimeAfterIt() {
        String db = copiedWithAShedTransaction("settlenoevidence");

        // the main plan was copied and verified after the shed, but its ranges end at T, before the shed rows
        Cli.Run refused = settle(db, "1");
        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(refused.err()).contains("ledger entry 1 (public.metrics, recorded 2026-01-05 10:00:00+00): no task"
                        + " of public.metrics whose range holds the time the entry was recorded was copied after it")
                .contains("its tasks cover [2026-01-01 00:00:00+00, 2026-01-05 00:00:00+00)")
                .contains("stage --replace").contains("nothing was settled");
        assertThat(open(db)).isEqualTo("[[1]]");

        Cli.Run unknown = settle(db, "1,99");
        assertThat(unknown.exitCode()).as(unknown.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(unknown.err()).contains("ledger entry 99: no such entry in tandem.divergence");

        Cli.Run emptySpan = settle(db, "2-50");
        assertThat(emptySpan.exitCode()).as(emptySpan.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(emptySpan.err()).contains("ledger entries 2-50: none of them is an open entry without a time range");

        Cli.Run malformed = settle(db, "one");
        assertThat(malformed.exitCode()).as(malformed.toString()).isEqualTo(ExitCodes.USAGE);
        assertThat(malformed.err()).contains("'one' is not a ledger entry id (7) or a span of ids (5-9)");
        assertThat(open(db)).isEqualTo("[[1]]");
    }

    @Test
    void anEntryForRecordsLostFromTheSpoolIsRefusedWithTheWayToCloseIt() {
        String db = copiedWithAShedTransaction("settlespoollost");
        // as the proxy writes it: the lost records' tables are gone with them
        PG.target().execute(db, "INSERT INTO tandem.divergence (recorded_at, recorded_until, instance_id, database,"
                + " message) VALUES ('2026-01-05 09:00:00+00', '2026-01-05 09:05:00+00', 'proxy-1', current_database(),"
                + " 'spool_records_lost: spool records 5 to 8 (4 sequence number(s), each a committed transaction)"
                + " were lost from the proxy''s spool')");

        Cli.Run refused = settle(db, "2");
        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(refused.err()).contains("ledger entry 2 (no table, recorded 2026-01-05 09:00:00+00 to 2026-01-05"
                + " 09:05:00+00)").contains("names no table: the proxy could not tell which table, or the spool"
                + " records that held the rows were lost").contains("WHERE id = 2");
        assertThat(open(db)).isEqualTo("[[1], [2]]");

        // repair, too, tells it to be closed by hand, not with the settle that refuses it
        Cli.Run repair = Cli.both("repair", PG.source(), PG.target(), db);
        assertThat(repair.out()).as(repair.toString()).contains("ledger entry 2 (no table, recorded 2026-01-05"
                + " 09:00:00+00 to 2026-01-05 09:05:00+00, spool_records_lost: spool records 5 to 8").contains(
                "names no table: the proxy could not tell which table").doesNotContain("'settle 2'");
        assertThat(open(db)).isEqualTo("[[1], [2]]");
    }

    @Test
    void settleIsRefusedWhileATaskOfTheTableIsMismatched() {
        String db = copiedWithAShedTransaction("settlemismatch");
        recopyTheWindow(db);
        PG.target().execute(db, "DELETE FROM metrics WHERE t = '2026-01-05 20:00:00+00'");
        assertThat(Cli.both("verify", PG.source(), PG.target(), db).exitCode()).isEqualTo(ExitCodes.MISMATCH);

        Cli.Run refused = settle(db, "1");
        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(refused.err()).containsPattern("tasks of public.metrics are not verified equal: \\d+ \\(mismatch\\);")
                .contains("run 'repair'").contains("nothing was settled");
        assertThat(open(db)).isEqualTo("[[1]]");

        // repaired but not verified again: still no evidence
        ok(Cli.both("repair", PG.source(), PG.target(), db));
        assertThat(settle(db, "1").err()).containsPattern("not verified equal: \\d+ \\(copied, not verified since\\);");
        ok(Cli.both("verify", PG.source(), PG.target(), db));
        ok(settle(db, "1"));
        assertThat(open(db)).isEqualTo("[]");
    }

    @Test
    void settleClosesTheEntriesOnceTheirWindowWasReCopiedAndVerified() {
        String db = copiedWithAShedTransaction("settleok");
        // a second gap of the same window: a session the proxy closed while the source owed the answer to its COMMIT
        PG.target().execute(db, "INSERT INTO tandem.divergence (recorded_at, instance_id, database, session,"
                + " table_schema, table_name, message) VALUES ('2026-01-05 11:30:00+00', 'proxy-1', current_database(),"
                + " '8', 'public', 'metrics', 'outcome_unknown: the drain timed out')");
        assertThat(ok(Cli.both("repair", PG.source(), PG.target(), db)).out())
                .contains("ledger entry 1 (public.metrics, recorded 2026-01-05 10:00:00+00, not mirrored: the spool is"
                        + " full (committed on the source at this time)) has no time range")
                .contains("then close the entry with 'settle 1'");

        recopyTheWindow(db);
        ok(Cli.both("verify", PG.source(), PG.target(), db));
        // an entry the verifier wrote meanwhile: repair re-copies ranges itself (this one is still being written)
        PG.target().execute(db, "INSERT INTO tandem.divergence (instance_id, database, table_schema, table_name,"
                + " message, time_column, range_start, range_end) VALUES ('proxy-1', current_database(), 'public',"
                + " 'metrics', 'verifier: rows differ', 't', (now() - interval '1 minute')::text,"
                + " (now() + interval '1 minute')::text)");
        Cli.Run ranged = settle(db, "3");
        assertThat(ranged.exitCode()).as(ranged.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(ranged.err()).contains("ledger entry 3 (public.metrics, recorded ").contains("has a time range")
                .contains("'repair' re-copies it and closes it itself");

        Cli.Run settled = ok(settle(db, "1-3"));
        assertThat(settled.out())
                .contains("settled ledger entries 1-2 (public.metrics, recorded 2026-01-05 10:00:00+00 to"
                        + " 2026-01-05 11:30:00+00): task ")
                .contains(" of public.metrics [2026-01-05 00:00:00+00, 2026-01-06 00:00:00+00) was copied from ")
                .contains("after the entry was recorded, and verified equal at ")
                .contains("settled 2 ledger entries; left 1 other entry of the spans named alone");
        assertThat(open(db)).isEqualTo("[[3]]");
        assertThat(PG.target().query(db, "SELECT id, (settled_by LIKE 'settle: task % of public.metrics [2026-01-05"
                + " 00:00:00+00, 2026-01-06 00:00:00+00) was copied from %') IS TRUE FROM tandem.divergence ORDER BY id")
                .toString())
                .isEqualTo("[[1, t], [2, t], [3, f]]");

        Cli.Run again = settle(db, "2");
        assertThat(again.exitCode()).as(again.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(again.err()).contains("ledger entry 2 (public.metrics, recorded 2026-01-05 11:30:00+00): is closed"
                + " already, at ").contains("(settle: task ");
        assertThat(Cli.targetOnly("status", PG.target(), db).out()).contains("1 open divergence ledger entry")
                .contains("with a time range: id 3").doesNotContain("without a time range");
    }

    /**
     * Past its memory cap the proxy writes one summary row per table for many shed transactions, from recorded_at to
     * recorded_until: it is listed and settled by that whole span, not by its first time.
     */
    @Test
    void aSummaryEntryIsListedAndSettledByItsWholeSpan() {
        String db = copiedWithAShedTransaction("settlesummary");
        PG.target().execute(db, "UPDATE tandem.divergence SET recorded_until = '2026-01-06 02:00:00+00',"
                + " message = 'not mirrored: the spool was full (12 transaction(s) committed on the source from this"
                + " time to 2026-01-06T02:00:00Z, summarised in one entry to bound the proxy''s memory)' WHERE id = 1");
        shed(db, "2026-01-05 09:00:00+00"); // written after the summary, committed before it

        assertThat(ok(Cli.both("verify", PG.source(), PG.target(), db)).out()).contains("public.metrics, without a time"
                + " range: ids 1-2, recorded 2026-01-05 09:00:00+00 to 2026-01-06 02:00:00+00: once a task copied"
                + " after them");
        recopyTheWindow(db); // up to 2026-01-06 00:00: not the summary's last two hours
        ok(Cli.both("verify", PG.source(), PG.target(), db));
        Cli.Run refused = settle(db, "1-2");
        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(refused.err()).contains("ledger entry 1 (public.metrics, recorded 2026-01-05 10:00:00+00 to"
                + " 2026-01-06 02:00:00+00): no task of public.metrics whose range holds the times the entry stands"
                + " for was copied after the last of them").contains("nothing was settled");
        assertThat(open(db)).isEqualTo("[[1], [2]]");

        ok(Cli.both("stage", PG.source(), PG.target(), db, "--replace", "--table", "metrics:t", "--from", WINDOW_FROM,
                "--until", "2026-01-06 03:00:00+00"));
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        ok(Cli.both("verify", PG.source(), PG.target(), db));
        assertThat(ok(settle(db, "1-2")).out()).contains("after the last transaction the entry stands for")
                .contains("settled 2 ledger entries");
        assertThat(open(db)).isEqualTo("[]");
    }

    /**
     * A full spool sheds thousands of transactions, each a ledger row per table, their ids interleaved: verify, repair
     * and settle print one bounded line per table, and a span to settle them with instead of every id.
     */
    @Test
    void aBurstOfShedEntriesIsListedInOneLinePerTableWithASpanToSettle() {
        String db = copiedWithAShedTransaction("settleburst");
        for (int k = 1; k <= 25; k++) {
            String at = "2026-01-05 10:%02d:00+00".formatted(k);
            shed(db, at);
            PG.target().execute(db, "INSERT INTO tandem.divergence (recorded_at, instance_id, database, session,"
                    + " table_schema, table_name, message) VALUES ('" + at + "', 'proxy-1', current_database(), '7',"
                    + " 'public', 'other', 'not mirrored: the spool is full (committed on the source at this time)')");
        }
        assertThat(ok(Cli.both("verify", PG.source(), PG.target(), db)).out())
                .contains("public.metrics, without a time range: ids 1-2,4,6,8,")
                .contains(",... (26 in all), recorded 2026-01-05 10:00:00+00 to 2026-01-05 10:25:00+00")
                .contains("close them with 'settle 1-50' (a span: every open entry without a time range among those"
                        + " ids, of any table")
                .contains("public.other, without a time range: ids 3,5,").contains("close them with 'settle 3-51'");
        Cli.Run repair = ok(Cli.both("repair", PG.source(), PG.target(), db));
        assertThat(repair.out().lines().filter(l -> l.contains("no time range"))).hasSize(2);
        assertThat(repair.out()).contains("ledger entries 1-2,4,6,8,").contains("(26 in all) (public.metrics, recorded"
                + " 2026-01-05 10:00:00+00 to 2026-01-05 10:25:00+00, not mirrored: the spool is full");
        // a window from the first entry's time misses the rows the first transactions wrote before they committed (a
        // walkthrough's seven outcome_unknown entries were recorded within 5 ms, their rows dated seconds before)
        assertThat(repair.out()).contains("Re-copy a window of the table around them, from before 2026-01-05"
                + " 10:00:00+00 to after 2026-01-05 10:25:00+00").doesNotContain("window from 2026-01-05");

        recopyTheWindow(db);
        ok(Cli.both("verify", PG.source(), PG.target(), db));
        Cli.Run refused = settle(db, "1-51");
        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(refused.err()).contains("ledger entries 3,5,7,").contains("(25 in all) (public.other, recorded"
                + " 2026-01-05 10:01:00+00 to 2026-01-05 10:25:00+00): no task of the staged plan copies public.other");
        assertThat(refused.err().lines()).allMatch(l -> l.length() < 700);
    }

    /**
     * A rejected transaction's rows at infinity or -infinity get an entry of their own, with the time column and no
     * range (the mirror's {@code LedgerRange}). No task's range holds infinity, so a re-copy of the window around the
     * entry's time, verified equal, says nothing of those rows: settle refuses the entry, a span leaves it alone, and
     * verify and repair tell how to copy them and close it by hand. Settle closed it on that evidence before.
     */
    @Test
    void anEntryForRowsAtInfinityIsNotSettledByAReCopyOfItsWindow() {
        String db = copiedWithAShedTransaction("settleinfinity");
        PG.target().execute(db, "INSERT INTO tandem.divergence (recorded_at, instance_id, database, session,"
                + " table_schema, table_name, sqlstate, message, time_column) VALUES ('2026-01-05 11:00:00+00',"
                + " 'proxy-1', current_database(), '9', 'public', 'metrics', '23505', 'duplicate key value violates"
                + " unique constraint \"metrics_pkey\"; 1 of its rows are at infinity or -infinity in t, which no"
                + " range reaches: copy them by hand (docs/migration.md, step 8, rows at infinity), then close this"
                + " entry', 't')");
        recopyTheWindow(db);
        Cli.Run verify = ok(Cli.both("verify", PG.source(), PG.target(), db));
        assertThat(verify.out()).contains("public.metrics, without a time range: id 1, recorded")
                .contains("public.metrics, rows at infinity or -infinity: id 2, recorded 2026-01-05 11:00:00+00: no"
                        + " range holds them, nor a re-copy of the table's window: copy them by hand"
                        + " (docs/migration.md step 8, rows at infinity), then close it: UPDATE tandem.divergence SET"
                        + " repaired_at = now(), settled_by = 'copied by hand' WHERE id = 2");
        assertThat(ok(Cli.both("repair", PG.source(), PG.target(), db)).out())
                .contains("ledger entry 2 (public.metrics, recorded 2026-01-05 11:00:00+00, SQLSTATE 23505: duplicate"
                        + " key value violates unique constraint \"metrics_pkey\"; 1 of its rows are at infinity")
                .contains("stands for rows at infinity or -infinity, which no range holds: copy them by hand");

        Cli.Run refused = settle(db, "2");
        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(refused.err()).contains("ledger entry 2 (public.metrics, recorded 2026-01-05 11:00:00+00): stands"
                        + " for rows at infinity or -infinity in t, which no task's range holds, so no re-copy shows"
                        + " they were copied: copy them by hand (docs/migration.md step 8, rows at infinity), then"
                        + " close it yourself: UPDATE tandem.divergence SET repaired_at = now(), settled_by = 'copied"
                        + " by hand' WHERE id = 2")
                .contains("nothing was settled");
        assertThat(open(db)).isEqualTo("[[1], [2]]");

        assertThat(ok(settle(db, "1-2")).out()).contains("settled 1 ledger entry; left 1 other entry of the spans"
                + " named alone: closed already, with a time range, which 'repair' re-copies, or for rows at infinity");
        assertThat(open(db)).isEqualTo("[[2]]");
    }

    @Test
    void verifyAndStatusListTheOpenEntriesAndVerifyThroughFailsWhileAnyIsOpen() {
        String db = copiedWithAShedTransaction("settlereport");
        shed(db, "2026-01-05 10:05:00+00");
        shed(db, "2026-01-05 10:10:00+00");

        Cli.Run verify = ok(Cli.both("verify", PG.source(), PG.target(), db));
        assertThat(verify.out()).contains("3 open divergence ledger entries (tandem.divergence, repaired_at IS NULL)")
                .contains("public.metrics, without a time range: ids 1-3, recorded 2026-01-05 10:00:00+00 to"
                        + " 2026-01-05 10:10:00+00: once a task copied after them whose range holds those times was"
                        + " verified equal")
                // entries recorded before T need no window of their own: the main plan holds them, and a window
                // staged with --replace would discard it
                .contains("(the staged plan's own, for entries recorded before its --until; else re-copy the table's"
                        + " window around them")
                .contains("which discards this plan), close them with 'settle 1-3'");
        Cli.Run through = Cli.both("verify", PG.source(), PG.target(), db, "--through", "2026-01-04 00:00:00+00");
        assertThat(through.exitCode()).as(through.toString()).isEqualTo(ExitCodes.MISMATCH);
        assertThat(through.out()).contains("4 tasks: 4 match, 0 differ").contains("ids 1-3")
                .contains("--through: exit code 3 while ledger entries are open; close them before cutover");
        assertThat(ok(Cli.targetOnly("status", PG.target(), db)).out()).contains("3 open divergence ledger entries")
                .contains("public.metrics, without a time range: ids 1-3");

        // the ledger outlives the plan
        ok(Cli.targetOnly("clean", PG.target(), db));
        assertThat(ok(Cli.targetOnly("status", PG.target(), db)).out()).contains("no plan staged")
                .contains("public.metrics, without a time range: ids 1-3");
    }

    /**
     * {@code recorded_at} is the proxy host's clock, the copies' start the target's. An entry the target took after
     * the window's re-copy, with a {@code recorded_at} before it (a proxy clock behind the target's), may stand for a
     * transaction the source committed after the copy read it: that copy is no evidence for it.
     */
    @Test
    void aCopyStartedBeforeTheTargetTookTheEntryIsNoEvidenceWhateverTheProxysClockSaid() {
        String db = copiedWithAShedTransaction("settleskew");
        recopyTheWindow(db);
        ok(Cli.both("verify", PG.source(), PG.target(), db));
        shed(db, "2026-01-05 10:30:00+00"); // id 2, taken now: after the copy, dated before it by the proxy's clock
        Cli.Run refused = settle(db, "2");
        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(refused.err()).contains("ledger entry 2 (public.metrics, recorded 2026-01-05 10:30:00+00): no task"
                + " of public.metrics whose range holds the time the entry was recorded was copied after it and after"
                + " the target took the entry, at ").contains("recorded_at is the proxy host's, which may be behind it");
        assertThat(open(db)).isEqualTo("[[1], [2]]");

        recopyTheWindow(db);
        ok(Cli.both("verify", PG.source(), PG.target(), db));
        assertThat(ok(settle(db, "1-2")).out()).contains("settled 2 ledger entries");
        assertThat(open(db)).isEqualTo("[]");
    }
}
