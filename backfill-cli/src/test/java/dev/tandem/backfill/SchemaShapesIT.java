package dev.tandem.backfill;

import static dev.tandem.backfill.Fixtures.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.PostgresPairExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

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
}
