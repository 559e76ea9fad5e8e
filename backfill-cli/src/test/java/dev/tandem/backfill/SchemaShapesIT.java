package dev.tandem.backfill;

import static dev.tandem.backfill.Fixtures.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.Identifiers;
import dev.tandem.testing.PgServer;
import dev.tandem.testing.PostgresPairExtension;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Unusual but legitimate table shapes: quoted names in a non-public schema, columns in another order on the target,
 * dropped columns, generated and identity columns, domains, enums whose OIDs differ, arrays, composites, jsonb, numeric
 * NaN and infinity, infinite timestamps, bytea with NULs, text with every character, duplicate rows without a key; plain
 * and partitioned by the time column. The target must end up with exactly the source's rows before T, and verify must
 * see a difference planted afterwards.
 */
class SchemaShapesIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static final String TABLE = "\"Odd Schema\".\"Readings \"\"v2\"\"\"";
    private static final String EVENTS = "\"Odd Schema\".events";
    private static final String BEFORE_T = "\"Time\" < '" + Fixtures.T + "'";
    private static final String TABLE_COLUMNS = "\"Time\", id, \"the \"\"value\"\"\", amount, n, mood, tags, doc, raw, note,"
            + " at, doubled";
    private static final String EVENTS_COLUMNS = "\"Time\", p, moods, note, raw, v, i";

    /** Types created on the target after an unrelated one, so their OIDs differ from the source's. */
    private static final String TYPES = "CREATE SCHEMA \"Odd Schema\";"
            + "CREATE TYPE \"Odd Schema\".mood AS ENUM ('sad', 'ok', 'happy');"
            + "CREATE DOMAIN \"Odd Schema\".positive AS numeric CHECK (VALUE > 0);"
            + "CREATE TYPE \"Odd Schema\".pair AS (label text, mood \"Odd Schema\".mood, at timestamptz)";

    @Test
    void aNotNullDomainColumnDoesNotStopVerify() {
        String db = PG.pair().freshDatabase("nndomain");
        PG.pair().executeOnBoth(db, "CREATE DOMAIN code AS text NOT NULL;"
                + "CREATE TABLE m (\"Time\" timestamptz NOT NULL, c code)");
        PG.source().execute(db, "INSERT INTO m SELECT '2026-01-01 00:00:00+00'::timestamptz + i * interval '3 hours',"
                + " 'c' || i FROM generate_series(0, 40) i");
        Fixtures.stage(PG.pair(), db, "--table", "m:\"Time\"");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        assertThat(ok(Cli.both("verify", PG.source(), PG.target(), db)).out()).contains("4 match, 0 differ");
        PG.target().execute(db, "UPDATE m SET c = 'changed' WHERE \"Time\" = '2026-01-03'");
        assertThat(Cli.both("verify", PG.source(), PG.target(), db).exitCode()).isEqualTo(ExitCodes.MISMATCH);
    }

    @Test
    void objectReferencesTravelByNameNotByTheSourcesOids() {
        String db = PG.pair().freshDatabase("regs");
        // one table more on the target first: the referenced table and type get other OIDs there
        PG.target().execute(db, "CREATE TABLE shift_oids (x int)");
        PG.pair().executeOnBoth(db, "CREATE TABLE referenced (x int); CREATE TYPE kind AS ENUM ('a');"
                + "CREATE TABLE m (\"Time\" timestamptz NOT NULL, rel regclass, types regtype[])");
        PG.source().execute(db, "INSERT INTO m SELECT '2026-01-01 00:00:00+00'::timestamptz + i * interval '3 hours',"
                + " 'referenced', '{kind,int4}' FROM generate_series(0, 40) i");
        Fixtures.stage(PG.pair(), db, "--table", "m:\"Time\"");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        assertThat(PG.target().query(db, "SELECT DISTINCT rel::text, types::text FROM m"))
                .containsExactly(List.of("referenced", "{kind,integer}"));
        assertThat(ok(Cli.both("verify", PG.source(), PG.target(), db)).out()).contains("4 match, 0 differ");
    }

    @Test
    void rowsAtMinusInfinityAreRefusedWithAClearMessage() {
        String db = PG.pair().freshDatabase("neginf");
        PG.pair().executeOnBoth(db, "CREATE TABLE m (\"Time\" timestamptz, v int); CREATE TABLE d (day date, v int)");
        PG.source().execute(db, "INSERT INTO m VALUES ('-infinity', 1), ('-infinity', 2), ('2026-01-02', 3);"
                + "INSERT INTO d VALUES ('-infinity', 1), ('2026-01-02', 2)");
        Cli.Run stage = Cli.both("stage", PG.source(), PG.target(), db, "--table", "m:\"Time\"", "--table", "d:day",
                "--until", Fixtures.T);
        assertThat(stage.exitCode()).as(stage.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(stage.err()).contains("public.m: 2 rows with Time = -infinity").contains("public.d: 1 rows with day ="
                + " -infinity").contains("--from").contains("nothing was staged");

        ok(Cli.both("stage", PG.source(), PG.target(), db, "--table", "m:\"Time\"", "--table", "d:day", "--until",
                Fixtures.T, "--from", "2026-01-01"));
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        assertThat(PG.target().queryValue(db, "SELECT string_agg(v::text, ',' ORDER BY v) FROM m")).isEqualTo("3");
    }

    @ParameterizedTest(name = "partitioned={0}")
    @ValueSource(booleans = {false, true})
    void unusualColumnsAreCopiedExactlyAndAPlantedDifferenceIsSeen(boolean partitioned) {
        String db = PG.pair().freshDatabase("shapes");
        PG.target().execute(db, "CREATE TYPE shift_oids AS ENUM ('x')");
        PG.pair().executeOnBoth(db, TYPES);
        String partitioning = partitioned ? " PARTITION BY RANGE (\"Time\")" : "";
        // a source on PostgreSQL 18 computes the generated column when read (virtual), the target stores it
        String generated = PG.source().majorVersion() >= 18 ? "VIRTUAL" : "STORED";
        PG.source().execute(db, "CREATE TABLE " + TABLE + " (\"Time\" timestamptz NOT NULL, gone int,"
                + " id bigint GENERATED ALWAYS AS IDENTITY, \"the \"\"value\"\"\" double precision,"
                + " amount \"Odd Schema\".positive, n numeric, mood \"Odd Schema\".mood, tags text[], doc jsonb, raw bytea,"
                + " note text, at timestamp, doubled double precision GENERATED ALWAYS AS (\"the \"\"value\"\"\" * 2) "
                + generated + ")"
                + partitioning + "; ALTER TABLE " + TABLE + " DROP COLUMN gone");
        PG.target().execute(db, "CREATE TABLE " + TABLE + " (note text, old int, raw bytea, doc jsonb,"
                + " doubled double precision GENERATED ALWAYS AS (\"the \"\"value\"\"\" * 2) STORED,"
                + " \"the \"\"value\"\"\" double precision, tags text[], at timestamp, mood \"Odd Schema\".mood,"
                + " n numeric, amount \"Odd Schema\".positive, id bigint GENERATED ALWAYS AS IDENTITY,"
                + " \"Time\" timestamptz NOT NULL)" + partitioning + "; ALTER TABLE " + TABLE + " DROP COLUMN old");
        if (partitioned) {
            PG.pair().executeOnBoth(db, "CREATE TABLE \"Odd Schema\".\"early part\" PARTITION OF " + TABLE
                    + " FOR VALUES FROM (MINVALUE) TO ('2026-01-03'); CREATE TABLE \"Odd Schema\".rest PARTITION OF "
                    + TABLE + " DEFAULT");
        }
        // numeric infinities came with PostgreSQL 14: with a server before it, very large values instead
        String infinities = Math.min(PG.source().majorVersion(), PG.target().majorVersion()) >= 14 ? "'Infinity', '-Infinity'" : "'9e1000', '-9e1000'";
        PG.source().execute(db, "INSERT INTO " + TABLE + " (\"Time\", \"the \"\"value\"\"\", amount, n, mood, tags, doc,"
                + " raw, note, at) SELECT '2026-01-01 00:00:00+00'::timestamptz + i * interval '3 hours', i / 7.0 - 2,"
                + " i + 0.5, (ARRAY['NaN', " + infinities + ", (i * 1.10)::text])[i % 4 + 1]::numeric,"
                + " (ARRAY['sad', 'ok', 'happy', NULL])[i % 4 + 1]::\"Odd Schema\".mood,"
                + " ARRAY['a b', NULL, '\"q\"', E'back\\\\slash', '{}', ','],"
                + " jsonb_build_object('i', i, 'nested', jsonb_build_array(1.50, NULL, 'x\"y')),"
                + " decode('00ff00' || lpad(to_hex(i), 2, '0') || '00', 'hex'),"
                + " (SELECT string_agg(chr(c), '') FROM generate_series(1, 255) c) || ' 東京 ✓ ' || i,"
                + " (ARRAY['infinity', '-infinity', '2026-01-01 12:34:56.789'])[i % 3 + 1]::timestamp"
                + " FROM generate_series(0, 40) i;"
                // no key: whole duplicate rows, identity value included
                + "INSERT INTO " + TABLE + " (\"Time\", id, \"the \"\"value\"\"\", amount, n, mood, tags, doc, raw, note, at)"
                + " OVERRIDING SYSTEM VALUE SELECT \"Time\", id, \"the \"\"value\"\"\", amount, n, mood, tags, doc, raw,"
                + " note, at FROM " + TABLE + " WHERE id % 5 = 0");

        Cli.Run stage = Fixtures.stage(PG.pair(), db, "--table", "\"Odd Schema\".\"Readings \"\"v2\"\"\":\"Time\"");
        assertThat(stage.out()).contains("staged 4 tasks");
        ok(Cli.both("copy", PG.source(), PG.target(), db, "--parallelism", "2"));
        assertSameRows(db, TABLE, TABLE_COLUMNS, 38);
        ok(Cli.both("verify", PG.source(), PG.target(), db));

        // one of two identical rows goes missing: only the count can tell
        PG.target().execute(db, "DELETE FROM " + TABLE + " WHERE id = 10 AND ctid = (SELECT ctid FROM " + TABLE
                + " WHERE id = 10 LIMIT 1)");
        Cli.Run missing = Cli.both("verify", PG.source(), PG.target(), db);
        assertThat(missing.exitCode()).as(missing.toString()).isEqualTo(ExitCodes.MISMATCH);
        assertThat(missing.out()).contains("rows 10 vs 9");
        ok(Cli.both("repair", PG.source(), PG.target(), db));
        assertSameRows(db, TABLE, TABLE_COLUMNS, 38);

        PG.target().execute(db, "UPDATE " + TABLE + " SET raw = raw || '\\x00'::bytea WHERE id = 3");
        Cli.Run changed = Cli.both("verify", PG.source(), PG.target(), db);
        assertThat(changed.exitCode()).as(changed.toString()).isEqualTo(ExitCodes.MISMATCH);
        assertThat(changed.out()).contains("row contents differ");
    }

    /**
     * Values their type calls equal that are still not the same value: an application reads 1.5 where it wrote 1.50,
     * 0 for -0, {@code 24:00:00} for {@code 1 day}, ab for Ab under a case-insensitive collation. A verify that hashed
     * them with their types' own hash functions (servers from PostgreSQL 14 on both sides) found such ranges to match.
     */
    @ParameterizedTest(name = "{0}: {1} vs {2}")
    @CsvSource(delimiter = '|', value = {
            "numeric | 1.50 | 1.5",
            "double precision | -0 | 0",
            "real | -0 | 0",
            "interval | 1 day | 24:00:00",
            "jsonb | {\"a\": 1.0} | {\"a\": 1}",
            "numeric[] | {1.50,2} | {1.5,2}",
            "numrange | [1.50,2) | [1.5,2)",
            "amounts | (1.50) | (1.5)",
            "citext | Ab | ab",
            "text COLLATE nocase | Ab | ab"})
    void aValueItsTypeCallsEqualToAnotherIsSeenToDiffer(String type, String onSource, String onTarget) {
        String db = PG.pair().freshDatabase("equal_not_same");
        PG.pair().executeOnBoth(db, "CREATE EXTENSION citext; CREATE TYPE amounts AS (x numeric);"
                + " CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);"
                + "CREATE TABLE m (\"Time\" timestamptz NOT NULL, v " + type + ")");
        PG.source().execute(db, "INSERT INTO m SELECT '2026-01-01 00:00:00+00'::timestamptz + i * interval '3 hours', "
                + Identifiers.quoteLiteral(onSource) + " FROM generate_series(0, 40) i");
        Fixtures.stage(PG.pair(), db, "--table", "m:\"Time\"");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        assertThat(ok(Cli.both("verify", PG.source(), PG.target(), db)).out()).contains("4 match, 0 differ");

        PG.target().execute(db, "UPDATE m SET v = " + Identifiers.quoteLiteral(onTarget)
                + " WHERE \"Time\" = '2026-01-03'");
        Cli.Run changed = Cli.both("verify", PG.source(), PG.target(), db);
        assertThat(changed.exitCode()).as(changed.toString()).isEqualTo(ExitCodes.MISMATCH);
        assertThat(changed.out()).contains("1 differ").contains("row contents differ");
    }

    /**
     * A point column has no hash function, so verify hashes the rows' text: its session settings must make each
     * value's text the same on both servers, also when one server's default writes bytea in the escape format.
     */
    @Test
    void rowsHashedAsTextCompareAlikeWhateverEachServersByteaOutput() {
        String db = PG.pair().freshDatabase("text_hash");
        PG.pair().executeOnBoth(db, "CREATE TABLE t (at timestamptz NOT NULL, p point, raw bytea)");
        PG.target().execute(db, "ALTER DATABASE " + db + " SET bytea_output = 'escape'");
        PG.source().execute(db, "INSERT INTO t SELECT '2026-01-01 00:00:00+00'::timestamptz + i * interval '1 hour',"
                + " point(i, i / 3.0), decode('00ff' || lpad(to_hex(i), 2, '0'), 'hex') FROM generate_series(0, 9) i");
        Fixtures.stage(PG.pair(), db, "--table", "t:at");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        ok(Cli.both("verify", PG.source(), PG.target(), db));
    }

    @Test
    void aTableWithCompositeAndEnumArrayColumnsTravelsAsTextExactly() {
        String db = PG.pair().freshDatabase("textcopy");
        PG.target().execute(db, "CREATE TYPE shift_oids AS ENUM ('x')");
        PG.pair().executeOnBoth(db, TYPES + "; CREATE TABLE " + EVENTS + " (\"Time\" timestamptz, p \"Odd Schema\".pair,"
                + " moods \"Odd Schema\".mood[], note text, raw bytea, v double precision, i interval)"
                + " PARTITION BY RANGE (\"Time\"); CREATE TABLE \"Odd Schema\".events_all PARTITION OF " + EVENTS + " DEFAULT");
        PG.source().execute(db, "INSERT INTO " + EVENTS + " SELECT '2026-01-01 00:00:00+00'::timestamptz"
                + " + i * interval '3 hours', ROW(E'a,\"b\"\\\\c\\t' || i, 'ok', '-infinity')::\"Odd Schema\".pair,"
                + " ARRAY['sad', NULL, 'happy']::\"Odd Schema\".mood[],"
                + " (SELECT string_agg(chr(c), '') FROM generate_series(1, 255) c), '\\x0000ff'::bytea || i::text::bytea,"
                + " ('{0.1,-0,1e308,NaN}'::double precision[])[i % 4 + 1],"
                + " make_interval(months => -i, days => i, secs => -i) FROM generate_series(0, 40) i");
        Fixtures.stage(PG.pair(), db, "--table", EVENTS + ":\"Time\"");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        assertSameRows(db, EVENTS, EVENTS_COLUMNS, 32);
        ok(Cli.both("verify", PG.source(), PG.target(), db));
        PG.target().execute(db, "UPDATE " + EVENTS + " SET p.label = (p).label || 'x' WHERE \"Time\" = '2026-01-02'");
        assertThat(Cli.both("verify", PG.source(), PG.target(), db).exitCode()).isEqualTo(ExitCodes.MISMATCH);
    }

    @Test
    void domainsOverEnumArraysAndCompositesAreCopiedAndVerifiedAlthoughTheirOidsDiffer() {
        String db = PG.pair().freshDatabase("domainoid");
        PG.target().execute(db, "CREATE TYPE shift_oids AS ENUM ('x')");
        PG.pair().executeOnBoth(db, "CREATE TYPE mood AS ENUM ('sad', 'ok');"
                + "CREATE DOMAIN moods AS mood[]; CREATE DOMAIN moods_again AS moods;"
                + "CREATE TYPE reading AS (m mood, v int); CREATE DOMAIN checked AS reading CHECK ((VALUE).v >= 0);"
                + "CREATE TABLE m (\"Time\" timestamptz NOT NULL, ms moods, again moods_again, r checked)");
        PG.source().execute(db, "INSERT INTO m SELECT '2026-01-01 00:00:00+00'::timestamptz + i * interval '3 hours',"
                + " ARRAY['sad', NULL, 'ok']::mood[], ARRAY['ok']::mood[], ROW('ok', i)::reading"
                + " FROM generate_series(0, 40) i");
        Fixtures.stage(PG.pair(), db, "--table", "m:\"Time\"");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        assertSameRows(db, "m", "\"Time\", ms, again, r", 32);
        ok(Cli.both("verify", PG.source(), PG.target(), db));
    }

    @Test
    void typesOfTheSameNameButAnotherDefinitionAreRefused() {
        String db = PG.pair().freshDatabase("typedef");
        PG.source().execute(db, "CREATE TYPE pair AS (a int, b int); CREATE TYPE mood AS ENUM ('sad', 'ok');"
                + "CREATE DOMAIN amount AS bigint; CREATE TYPE box3 AS (corner pair, m mood[]);"
                + "CREATE TABLE m (\"Time\" timestamptz NOT NULL, p pair, mood mood, x amount, b box3, same int)");
        PG.target().execute(db, "CREATE TYPE pair AS (b int, a int); CREATE TYPE mood AS ENUM ('sad', 'fine');"
                + "CREATE DOMAIN amount AS double precision; CREATE TYPE box3 AS (corner pair, m mood[]);"
                + "CREATE TABLE m (\"Time\" timestamptz NOT NULL, p pair, mood mood, x amount, b box3, same int)");
        Cli.Run stage = Cli.both("stage", PG.source(), PG.target(), db, "--table", "m:\"Time\"", "--until", Fixtures.T);
        assertThat(stage.exitCode()).as(stage.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(stage.err()).contains("public.m:")
                .contains("column p: type pair is composite (a integer, b integer) on the source,"
                        + " composite (b integer, a integer) on the target")
                .contains("column mood: type mood is enum ('sad', 'ok') on the source, enum ('sad', 'fine') on the target")
                .contains("column x: type amount is domain over bigint on the source, domain over double precision on the"
                        + " target")
                .contains("column b: type pair is composite (a integer, b integer) on the source")
                .contains("column b: type mood is enum ('sad', 'ok') on the source")
                .doesNotContain("type box3")
                .doesNotContain("column same")
                .contains("nothing was staged");
    }

    /**
     * The source's rows before T and all the target's rows, compared as multisets of their text form (an EXCEPT ALL both
     * ways, done here because the rows live on two servers); {@code columns} fixes the order, which differs by side.
     */
    private static void assertSameRows(String db, String table, String columns, int expected) {
        String select = "SELECT ROW(" + columns + ")::text FROM " + table;
        List<String> source = rows(PG.source(), db, select + " WHERE " + BEFORE_T);
        List<String> target = rows(PG.target(), db, select);
        assertThat(target).hasSize(expected).containsExactlyInAnyOrderElementsOf(source);
    }

    private static List<String> rows(PgServer server, String db, String sql) {
        List<String> rows = new ArrayList<>();
        server.query(db, sql).forEach(row -> rows.add(row.get(0)));
        return rows;
    }
}
