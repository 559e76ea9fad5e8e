package dev.tandem.backfill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.state.TandemSchema;
import dev.tandem.testing.PostgresPairExtension;
import java.util.List;
import java.util.TimeZone;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every supported time type, on a plain and on a declaratively partitioned table: rows at slice borders and exactly at T,
 * T inside a slice, NULLs, bytea, jsonb, arrays, numeric and unicode text. After stage, copy and verify the target holds
 * exactly the source's rows with time &lt; T.
 */
class TimeTypesIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    /**
     * @param type  the time column type
     * @param start the first row's time, as SQL of that type
     * @param step  added to the time for each next row (an interval or an integer)
     * @param until T: a row lies exactly on it, and it is inside a slice
     * @param slice the slice width
     */
    @ParameterizedTest(name = "{0} partitioned={5}")
    @CsvSource(delimiter = '|', textBlock = """
            timestamptz | '2026-01-01 00:00:00+00'::timestamptz | interval '6 hours' | 2026-01-04 12:00:00+00 | 1 day   | false
            timestamptz | '2026-01-01 00:00:00+00'::timestamptz | interval '6 hours' | 2026-01-04T12:00:00Z   | 1 day   | true
            timestamp   | '2026-01-01 00:00:00'::timestamp      | interval '5 hours' | 2026-01-04 03:00:00    | 12h     | false
            timestamp   | '2026-01-01 00:00:00'::timestamp      | interval '5 hours' | 2026-01-04 03:00:00    | 12h     | true
            date        | '2026-01-01'::date                    | 1                  | 2026-01-20             | 1 week  | false
            date        | '2026-01-01'::date                    | 1                  | 2026-01-20             | 1 week  | true
            smallint    | 0::smallint                           | 5                  | 75                     | 20      | false
            smallint    | 0::smallint                           | 5                  | 75                     | 20      | true
            integer     | 1000::integer                         | 5                  | 1075                   | 20      | false
            integer     | 1000::integer                         | 5                  | 1075                   | 20      | true
            bigint      | 1695036737000::bigint                 | 5000               | 1695036812000          | 20000   | false
            bigint      | 1695036737000::bigint                 | 5000               | 1695036812000          | 20000   | true
            """)
    void copiesExactlyTheRowsBeforeT(String type, String start, String step, String until, String slice,
                                     boolean partitioned) {
        String db = PG.pair().freshDatabase("types");
        String columns = "(t " + type + ", id int, v double precision, payload jsonb, b bytea, arr int[], n numeric, "
                + "s text)";
        if (partitioned) {
            PG.pair().executeOnBoth(db, "CREATE TABLE m " + columns + " PARTITION BY RANGE (t);"
                    + "CREATE TABLE m_early PARTITION OF m FOR VALUES FROM (MINVALUE) TO (" + start + " + " + step + " * 7);"
                    + "CREATE TABLE m_rest PARTITION OF m DEFAULT");
        } else {
            PG.pair().executeOnBoth(db, "CREATE TABLE m " + columns);
        }
        PG.source().execute(db, "INSERT INTO m SELECT " + start + " + " + step + " * i, i, i / 3.0, "
                + "jsonb_build_object('i', i, 'name', 'zähler ' || i), decode(md5(i::text), 'hex'), ARRAY[i, i + 1, NULL], "
                + "i * 1.000000000001, CASE WHEN i % 4 = 0 THEN NULL ELSE 'Grüße ✓ 東京 ' || i END "
                + "FROM generate_series(0, 40) i;"
                + "INSERT INTO m (t, id) VALUES (" + start + " + " + step + " * 3, NULL)");

        Cli.Run stage = Cli.both("stage", PG.source(), PG.target(), db, "--table", "public.m:t", "--until", until,
                "--slice", slice);
        assertThat(stage.exitCode()).as(stage.toString()).isZero();
        Cli.Run copy = Cli.both("copy", PG.source(), PG.target(), db, "--parallelism", "3");
        assertThat(copy.exitCode()).as(copy.toString()).isZero();

        String cast = "'" + until + "'::" + type;
        String rows = "SELECT m::text FROM m WHERE t < " + cast + " ORDER BY t, id NULLS FIRST";
        assertThat(PG.target().query(db, "SELECT m::text FROM m ORDER BY t, id NULLS FIRST"))
                .isEqualTo(PG.source().query(db, rows))
                .hasSize(Integer.parseInt(PG.source().queryValue(db, "SELECT count(*) FROM m WHERE t < " + cast)));
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM m WHERE t = " + cast)).isEqualTo("0");
        assertThat(PG.source().queryValue(db, "SELECT count(*) FROM m WHERE t = " + cast)).isEqualTo("1");

        Cli.Run verify = Cli.both("verify", PG.source(), PG.target(), db);
        assertThat(verify.exitCode()).as(verify.toString()).isZero();
        assertThat(verify.out()).contains("differ").contains(" 0 differ");
    }

    @Test
    void aDateColumnIsCopiedThroughTheWholeDayOfAMarkInsideIt() {
        String db = PG.pair().freshDatabase("date_mark");
        PG.pair().executeOnBoth(db, "CREATE TABLE d (t date, id int)");
        // the day of the mark holds rows written straight to the source before the mark, and mirrored ones after it
        PG.source().execute(db, "INSERT INTO d VALUES ('2026-01-19', 1), ('2026-01-20', 2), ('2026-01-20', 3),"
                + " ('2026-01-21', 4)");
        PG.target().execute(db, "INSERT INTO d VALUES ('2026-01-20', 3), ('2026-01-21', 4)");
        Cli.Run stage = Cli.both("stage", PG.source(), PG.target(), db, "--table", "public.d:t", "--until",
                "2026-01-20 04:00:00+00", "--slice", "1 day");
        assertThat(stage.exitCode()).as(stage.toString()).isZero();
        assertThat(stage.out()).contains("the whole day is copied, up to 2026-01-21");
        Cli.Run copy = Cli.both("copy", PG.source(), PG.target(), db);
        assertThat(copy.exitCode()).as(copy.toString()).isZero();
        assertThat(PG.target().query(db, "SELECT id FROM d ORDER BY id"))
                .isEqualTo(PG.source().query(db, "SELECT id FROM d ORDER BY id"));
    }

    /**
     * Local times repeat when a zone falls back: Europe/Berlin reads 02:00 to 03:00 twice on 2026-10-25, first in
     * summer time (00:00 to 01:00 UTC), then in winter time. A mark at 01:20 UTC is 02:20 on the second pass, but rows
     * written straight to the source before it, at 00:40 UTC, read 02:40: the bound must be where the local times
     * before the mark end (03:00), or those rows are neither copied nor mirrored.
     */
    @Test
    void aMarkInTheRepeatedHourOfAFallBackBoundsATimestampColumnAfterEveryLocalTimeBeforeIt() {
        String db = PG.pair().freshDatabase("fall_back");
        PG.pair().executeOnBoth(db, "CREATE TABLE f (t timestamp, id int)");
        // ids 1 and 2 written straight to the source before the mark; 3 and 4 through the proxy after it
        PG.source().execute(db, "INSERT INTO f VALUES ('2026-10-25 02:10', 1), ('2026-10-25 02:40', 2),"
                + " ('2026-10-25 02:30', 3), ('2026-10-25 03:30', 4)");
        PG.target().execute(db, "INSERT INTO f VALUES ('2026-10-25 02:30', 3), ('2026-10-25 03:30', 4)");
        Cli.Run stage = Cli.both("stage", PG.source(), PG.target(), db, "--table", "public.f:t", "--until",
                "2026-10-25 01:20:00+00", "--time-zone", "Europe/Berlin", "--slice", "1 hour");
        assertThat(stage.exitCode()).as(stage.toString()).isZero();
        assertThat(stage.out()).contains("rows before 2026-10-25 03:00:00 are copied");
        Cli.Run copy = Cli.both("copy", PG.source(), PG.target(), db);
        assertThat(copy.exitCode()).as(copy.toString()).isZero();
        assertThat(PG.target().query(db, "SELECT id FROM f ORDER BY id"))
                .isEqualTo(PG.source().query(db, "SELECT id FROM f ORDER BY id"));
    }

    /**
     * America/Santiago falls back at midnight: on 2026-04-05 at 03:00 UTC, 00:00 becomes 23:00 of the 4th again. A
     * mark at 03:20 UTC reads 23:20 on the 4th, but rows dated the 4th were written until it: the day is copied whole.
     */
    @Test
    void aMarkInARepeatedHourThatFollowsMidnightBoundsADateColumnAfterTheDayItRepeats() {
        String db = PG.pair().freshDatabase("fall_back_date");
        PG.pair().executeOnBoth(db, "CREATE TABLE d (t date, id int)");
        PG.source().execute(db, "INSERT INTO d VALUES ('2026-04-03', 0), ('2026-04-04', 1), ('2026-04-05', 2)");
        PG.target().execute(db, "INSERT INTO d VALUES ('2026-04-05', 2)");
        Cli.Run stage = Cli.both("stage", PG.source(), PG.target(), db, "--table", "public.d:t", "--until",
                "2026-04-05 03:20:00+00", "--time-zone", "America/Santiago", "--slice", "1 day");
        assertThat(stage.exitCode()).as(stage.toString()).isZero();
        Cli.Run copy = Cli.both("copy", PG.source(), PG.target(), db);
        assertThat(copy.exitCode()).as(copy.toString()).isZero();
        assertThat(PG.target().query(db, "SELECT id FROM d ORDER BY id"))
                .isEqualTo(PG.source().query(db, "SELECT id FROM d ORDER BY id"));
    }

    /**
     * The mark bounds a {@code timestamptz} and a {@code timestamp} column at the same instant (rows 1 microsecond
     * before it copied, rows exactly on it left to the mirror) whatever zones the servers' sessions default to and
     * whatever the backfill's JVM runs in (pgjdbc sends the JVM's zone at start-up).
     */
    @Test
    void theMarkBoundsTheSameInstantWhateverTheZonesOfTheServersAndOfTheJvm() {
        String db = PG.pair().freshDatabase("zones");
        PG.source().execute(db, "ALTER DATABASE " + db + " SET TimeZone = 'Asia/Kolkata'");
        PG.target().execute(db, "ALTER DATABASE " + db + " SET TimeZone = 'America/Los_Angeles'");
        PG.pair().executeOnBoth(db, "CREATE TABLE z (t timestamptz, id int); CREATE TABLE l (t timestamp, id int)");
        PG.source().execute(db, "INSERT INTO z VALUES ('2026-01-15 09:59:59.999999+00', 1),"
                + " ('2026-01-15 10:00:00+00', 2), ('2026-01-15 10:00:00.000001+00', 3);"
                + "INSERT INTO l VALUES ('2026-01-15 10:59:59.999999', 1), ('2026-01-15 11:00:00', 2)");
        PG.target().execute(db, TandemSchema.ddl() + "; INSERT INTO tandem.dual_write (database, marked_at, marked_by)"
                + " VALUES (current_database(), '2026-01-15 05:00:00-05', 'test')");
        TimeZone jvm = TimeZone.getDefault();
        TimeZone.setDefault(TimeZone.getTimeZone("America/St_Johns"));
        try {
            Cli.Run stage = Cli.both("stage", PG.source(), PG.target(), db, "--table", "public.z:t", "--table",
                    "public.l:t", "--time-zone", "Europe/Berlin");
            assertThat(stage.exitCode()).as(stage.toString()).isZero();
            assertThat(stage.out()).contains("dual-write start mark 2026-01-15 10:00:00+00")
                    .contains("rows before 2026-01-15 11:00:00 are copied");
            Cli.Run copy = Cli.both("copy", PG.source(), PG.target(), db);
            assertThat(copy.exitCode()).as(copy.toString()).isZero();
        } finally {
            TimeZone.setDefault(jvm);
        }
        assertThat(PG.target().query(db, "SELECT id FROM z ORDER BY id")).containsExactly(List.of("1"));
        assertThat(PG.target().query(db, "SELECT id FROM l ORDER BY id")).containsExactly(List.of("1"));
    }
}
