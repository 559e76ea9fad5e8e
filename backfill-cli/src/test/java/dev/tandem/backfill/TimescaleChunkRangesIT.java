package dev.tandem.backfill;

import static dev.tandem.backfill.Fixtures.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.PostgresPairExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * stage on a TimescaleDB source whose oldest chunk is open-ended, with stand-ins for the documented catalog views on
 * plain PostgreSQL. The stand-ins have the real views' columns and types ({@code sql/views.sql}): {@code chunks} shows a
 * time dimension's bounds as timestamptz, {@code -infinity} for a slice starting at the lowest internal value.
 */
class TimescaleChunkRangesIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static String source() {
        String db = PG.pair().freshDatabase("openchunk");
        PG.pair().executeOnBoth(db, "CREATE TABLE m (t timestamptz NOT NULL, v int)");
        PG.source().execute(db, """
                INSERT INTO pg_extension (oid, extname, extowner, extnamespace, extrelocatable, extversion)
                VALUES (99999, 'timescaledb', 10, 'public'::regnamespace, false, '2.21.0');
                INSERT INTO m VALUES ('1969-12-30 00:00:00+00', 1), ('2026-01-01 06:00:00+00', 2),
                    ('2026-01-02 06:00:00+00', 3);
                CREATE SCHEMA timescaledb_information;
                CREATE VIEW timescaledb_information.hypertables AS
                    SELECT 'public'::name AS hypertable_schema, 'm'::name AS hypertable_name;
                CREATE VIEW timescaledb_information.dimensions AS
                    SELECT 'public'::name AS hypertable_schema, 'm'::name AS hypertable_name,
                           1::bigint AS dimension_number, 't'::name AS column_name,
                           'timestamptz'::regtype AS column_type, 'Time'::text AS dimension_type;
                CREATE VIEW timescaledb_information.chunks AS
                    SELECT 'public'::name AS hypertable_schema, 'm'::name AS hypertable_name,
                           'timestamptz'::regtype AS primary_dimension_type, s::timestamptz AS range_start,
                           e::timestamptz AS range_end, NULL::bigint AS range_start_integer,
                           NULL::bigint AS range_end_integer
                    FROM (VALUES ('-infinity', '2026-01-01 00:00:00+00'),
                                 ('2026-01-01 00:00:00+00', '2026-01-02 00:00:00+00'),
                                 ('2026-01-02 00:00:00+00', '2026-01-03 00:00:00+00')) AS c(s, e);
                """);
        return db;
    }

    @Test
    void rowsOfAnOpenEndedOldestChunkAreNeverLeftOutSilently() {
        String db = source();
        Cli.Run unbounded = Cli.both("stage", PG.source(), PG.target(), db, "--until", "2026-01-02 12:00:00+00");
        assertThat(unbounded.exitCode()).as(unbounded.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(unbounded.err()).contains("public.m: its oldest chunk is open-ended").contains("--from");

        ok(Cli.both("stage", PG.source(), PG.target(), db, "--until", "2026-01-02 12:00:00+00",
                "--from", "1900-01-01 00:00:00+00"));
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        assertThat(PG.target().query(db, "SELECT v FROM m ORDER BY t").toString()).isEqualTo("[[1], [2], [3]]");
    }
}
