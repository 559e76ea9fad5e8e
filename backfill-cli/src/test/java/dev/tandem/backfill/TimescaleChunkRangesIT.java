package dev.tandem.backfill;

import static dev.tandem.backfill.Fixtures.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.HypertableCatalog;
import dev.tandem.testing.PgServer;
import dev.tandem.testing.PostgresPairExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * stage on a TimescaleDB source, with a stand-in for the part of TimescaleDB's catalog it reads, on plain PostgreSQL.
 * The stand-in has the real shapes: {@code _timescaledb_catalog.hypertable}, {@code .dimension} (with
 * {@code partitioning_func}), {@code .dimension_slice} holding bounds in TimescaleDB's internal units (microseconds
 * since 1970 for time types, {@code int8} limits for an open end), {@code .chunk} (with {@code dropped} and
 * {@code osm_chunk}) and {@code .chunk_constraint}; and the information views over them as {@code sql/views.sql}
 * (2.13 to 2.25) defines them: {@code chunks} converts a time dimension's bounds with {@code to_timestamp} (so an open
 * end is {@code -infinity}/{@code infinity}), shows an integer one's as {@code range_*_integer}, reports only the
 * primary dimension and leaves out dropped and tiered-storage (OSM) chunks; {@code hypertables} leaves out one whose
 * primary dimension has no {@code interval_length}, as a calendar-chunked one (2.25) has not.
 */
class TimescaleChunkRangesIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    /** The stand-in's pg_extension row, which version checks read (as TimescaleDB's own tests fake timescaledb_osm). */
    private static String extension(String version) {
        return "INSERT INTO pg_extension (oid, extname, extowner, extnamespace, extrelocatable, extversion)"
                + " VALUES (99999, 'timescaledb', 10, 'public'::regnamespace, false, '" + version + "');";
    }

    private static final String CATALOG = """
            CREATE SCHEMA _timescaledb_catalog;
            CREATE SCHEMA _timescaledb_functions;
            CREATE TABLE _timescaledb_catalog.hypertable (id int PRIMARY KEY, schema_name name, table_name name);
            CREATE TABLE _timescaledb_catalog.dimension (id serial PRIMARY KEY, hypertable_id int, column_name name,
                column_type regtype, num_slices smallint, partitioning_func_schema name, partitioning_func name,
                "interval" interval, interval_length bigint);
            CREATE TABLE _timescaledb_catalog.dimension_slice (id serial PRIMARY KEY, dimension_id int,
                range_start bigint, range_end bigint);
            CREATE TABLE _timescaledb_catalog.chunk (id serial PRIMARY KEY, hypertable_id int,
                schema_name name NOT NULL DEFAULT '_timescaledb_internal', table_name name,
                status int NOT NULL DEFAULT 0, dropped bool NOT NULL DEFAULT false,
                osm_chunk bool NOT NULL DEFAULT false);
            CREATE TABLE _timescaledb_catalog.chunk_constraint (chunk_id int, dimension_slice_id int);
            CREATE TABLE _timescaledb_catalog.continuous_agg (mat_hypertable_id int, raw_hypertable_id int,
                user_view_schema name, user_view_name name);
            CREATE SCHEMA _timescaledb_internal;
            CREATE FUNCTION _timescaledb_functions.to_timestamp(us bigint) RETURNS timestamptz LANGUAGE sql AS $$
                SELECT CASE us WHEN -9223372036854775808 THEN '-infinity'::timestamptz
                               WHEN 9223372036854775807 THEN 'infinity'::timestamptz
                               ELSE 'epoch'::timestamptz + us * interval '1 microsecond' END $$;
            CREATE SCHEMA timescaledb_information;
            CREATE VIEW timescaledb_information.hypertables AS
                SELECT schema_name AS hypertable_schema, table_name AS hypertable_name
                FROM _timescaledb_catalog.hypertable ht
                WHERE NOT EXISTS (SELECT 1 FROM _timescaledb_catalog.continuous_agg ca
                                  WHERE ca.mat_hypertable_id = ht.id)
                  AND (SELECT dim.interval_length FROM _timescaledb_catalog.dimension dim
                       WHERE dim.hypertable_id = ht.id ORDER BY dim.id LIMIT 1) IS NOT NULL;
            CREATE VIEW timescaledb_information.dimensions AS
                SELECT ht.schema_name AS hypertable_schema, ht.table_name AS hypertable_name,
                       rank() OVER (PARTITION BY hypertable_id ORDER BY dim.id) AS dimension_number,
                       dim.column_name, dim.column_type,
                       CASE WHEN dim.interval_length IS NULL AND dim."interval" IS NULL THEN 'Space' ELSE 'Time' END
                           AS dimension_type
                FROM _timescaledb_catalog.hypertable ht JOIN _timescaledb_catalog.dimension dim
                  ON dim.hypertable_id = ht.id;
            """ + HypertableCatalog.CONTINUOUS_AGGREGATES + """
            CREATE VIEW timescaledb_information.chunks AS
                SELECT hypertable_schema, hypertable_name, chunk_schema, chunk_name, primary_dimension,
                       primary_dimension_type, range_start, range_end, range_start_integer, range_end_integer,
                       is_compressed
                FROM (SELECT ht.schema_name AS hypertable_schema, ht.table_name AS hypertable_name,
                             ch.schema_name AS chunk_schema, ch.table_name AS chunk_name,
                             dim.column_name AS primary_dimension, dim.column_type AS primary_dimension_type,
                             row_number() OVER (PARTITION BY cc.chunk_id ORDER BY dim.id) AS chunk_dimension_num,
                             CASE WHEN dim.column_type = ANY(ARRAY['timestamp','timestamptz','date']::regtype[])
                                  THEN _timescaledb_functions.to_timestamp(sl.range_start) END AS range_start,
                             CASE WHEN dim.column_type = ANY(ARRAY['timestamp','timestamptz','date']::regtype[])
                                  THEN _timescaledb_functions.to_timestamp(sl.range_end) END AS range_end,
                             CASE WHEN dim.column_type = ANY(ARRAY['timestamp','timestamptz','date']::regtype[])
                                  THEN NULL ELSE sl.range_start END AS range_start_integer,
                             CASE WHEN dim.column_type = ANY(ARRAY['timestamp','timestamptz','date']::regtype[])
                                  THEN NULL ELSE sl.range_end END AS range_end_integer,
                             ch.status & 1 = 1 AS is_compressed
                      FROM _timescaledb_catalog.chunk ch
                      JOIN _timescaledb_catalog.hypertable ht ON ht.id = ch.hypertable_id
                      JOIN _timescaledb_catalog.chunk_constraint cc ON cc.chunk_id = ch.id
                      JOIN _timescaledb_catalog.dimension dim ON dim.hypertable_id = ch.hypertable_id
                      JOIN _timescaledb_catalog.dimension_slice sl ON sl.dimension_id = dim.id
                       AND sl.id = cc.dimension_slice_id
                      WHERE ch.dropped IS FALSE AND ch.osm_chunk IS FALSE) finalq
                WHERE chunk_dimension_num = 1;
            """;

    private static final String JAN_1 = "'2026-01-01 00:00:00+00'";
    private static final String JAN_2 = "'2026-01-02 00:00:00+00'";
    private static final String JAN_3 = "'2026-01-03 00:00:00+00'";

    /** TimescaleDB's internal value of a timestamptz literal: microseconds since 1970. */
    private static String internal(String timestamptz) {
        return "(extract(epoch from " + timestamptz + "::timestamptz) * 1000000)::bigint";
    }

    /** A database whose source has the catalog stand-in and hypertable {@code public.m} ({@code t timestamptz}). */
    private static String source(String prefix) {
        String db = PG.pair().freshDatabase(prefix);
        PG.pair().executeOnBoth(db, "CREATE TABLE m (t timestamptz NOT NULL, v int)");
        PG.source().execute(db, extension("2.21.0") + CATALOG);
        hypertable(PG.source(), db, 1, "m", "t", "timestamptz", null);
        return db;
    }

    private static void hypertable(String db, int id, String table, String column, String type, String partitioning) {
        hypertable(PG.source(), db, id, table, column, type, partitioning);
    }

    private static void hypertable(PgServer server, String db, int id, String table, String column, String type,
                                   String partitioning) {
        server.execute(db, "INSERT INTO _timescaledb_catalog.hypertable VALUES (" + id + ", 'public', '" + table
                + "');INSERT INTO _timescaledb_catalog.dimension (hypertable_id, column_name, column_type,"
                + " partitioning_func_schema, partitioning_func, interval_length) VALUES (" + id + ", '" + column
                + "', '" + type + "', " + (partitioning == null ? "NULL, NULL" : "'public', '" + partitioning + "'")
                + ", 86400000000)");
    }

    /** A chunk of hypertable {@code id} with primary-dimension bounds given as SQL bigint expressions. */
    private static void chunk(String db, int id, String start, String end, boolean osm) {
        chunk(PG.source(), db, id, start, end, osm, false);
    }

    /**
     * A chunk of hypertable {@code id}, named {@code _timescaledb_internal._hyper_<id>_<chunk id>_chunk} as TimescaleDB
     * names it (an empty table of that name, so that the name casts to regclass).
     */
    private static void chunk(PgServer server, String db, int id, String start, String end, boolean osm,
                              boolean compressed) {
        server.execute(db, "WITH s AS (INSERT INTO _timescaledb_catalog.dimension_slice (dimension_id, range_start,"
                + " range_end) SELECT min(id), " + start + ", " + end + " FROM _timescaledb_catalog.dimension"
                + " WHERE hypertable_id = " + id + " RETURNING id), c AS (INSERT INTO _timescaledb_catalog.chunk"
                + " (hypertable_id, status, osm_chunk) VALUES (" + id + ", " + (compressed ? 1 : 0) + ", " + osm
                + ") RETURNING id) INSERT INTO _timescaledb_catalog.chunk_constraint SELECT c.id, s.id FROM c, s;"
                + "UPDATE _timescaledb_catalog.chunk SET table_name = format('_hyper_%s_%s_chunk', hypertable_id, id)"
                + " WHERE table_name IS NULL;"
                + "DO $$ DECLARE c record; BEGIN FOR c IN SELECT schema_name, table_name FROM _timescaledb_catalog.chunk"
                + " WHERE to_regclass(format('%I.%I', schema_name, table_name)) IS NULL LOOP"
                + " EXECUTE format('CREATE TABLE %I.%I ()', c.schema_name, c.table_name); END LOOP; END $$");
    }

    @Test
    void rowsOfAnOpenEndedOldestChunkAreNeverLeftOutSilently() {
        String db = source("openchunk");
        PG.source().execute(db, "INSERT INTO m VALUES ('1969-12-30 00:00:00+00', 1), ('2026-01-01 06:00:00+00', 2),"
                + " ('2026-01-02 06:00:00+00', 3)");
        chunk(db, 1, "'-9223372036854775808'::bigint", internal(JAN_1), false);
        chunk(db, 1, internal(JAN_1), internal(JAN_2), false);
        chunk(db, 1, internal(JAN_2), internal(JAN_3), false);

        Cli.Run unbounded = Cli.both("stage", PG.source(), PG.target(), db, "--until", "2026-01-02 12:00:00+00");
        assertThat(unbounded.exitCode()).as(unbounded.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(unbounded.err()).contains("public.m: its oldest chunk is open-ended").contains("--from");

        ok(Cli.both("stage", PG.source(), PG.target(), db, "--until", "2026-01-02 12:00:00+00",
                "--from", "1900-01-01 00:00:00+00"));
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        assertThat(PG.target().query(db, "SELECT v FROM m ORDER BY t").toString()).isEqualTo("[[1], [2], [3]]");
    }

    /**
     * A daily aggregate of {@code m} materialized as {@code _timescaledb_internal._materialized_hypertable_<matId>}
     * (its own hypertable, bucket column {@code day}), holding {@code days} buckets.
     */
    private static void dailyAggregate(String db, String view, int matId, String... days) {
        String mat = "_materialized_hypertable_" + matId;
        PG.source().execute(db, "CREATE VIEW " + view + " AS SELECT 1 AS one;"
                + "CREATE TABLE _timescaledb_internal." + mat + " (day timestamptz, total bigint);"
                + "INSERT INTO _timescaledb_catalog.hypertable VALUES (" + matId + ", '_timescaledb_internal', '" + mat
                + "');INSERT INTO _timescaledb_catalog.dimension (hypertable_id, column_name, column_type,"
                + " interval_length) VALUES (" + matId + ", 'day', 'timestamptz', 864000000000);"
                + "INSERT INTO _timescaledb_catalog.continuous_agg VALUES (" + matId + ", 1, 'public', '" + view + "');"
                + "INSERT INTO _timescaledb_internal." + mat + " SELECT d::timestamptz, 1 FROM unnest(ARRAY["
                + String.join(", ", days) + "]) d");
    }

    @Test
    void aggregateBucketsOlderThanEveryRowAreNamedWithTheCopyThatKeepsThem() {
        String db = source("olderbuckets");
        PG.source().execute(db, "INSERT INTO m VALUES ('2026-01-01 06:00:00+00', 1), ('2026-01-02 06:00:00+00', 2)");
        chunk(db, 1, internal(JAN_1), internal(JAN_2), false);
        chunk(db, 1, internal(JAN_2), internal(JAN_3), false);
        // days whose rows a retention policy dropped, then the two days the rows are in
        dailyAggregate(db, "m_daily", 2, "'2025-12-30 00:00:00+00'", "'2025-12-31 00:00:00+00'", JAN_1, JAN_2);
        // only the days the rows are in: nothing to say
        dailyAggregate(db, "m_recent", 3, JAN_1, JAN_2);

        Cli.Run stage = ok(Cli.both("stage", PG.source(), PG.target(), db, "--until", "2026-01-02 12:00:00+00"));
        assertThat(stage.out()).contains("warning: continuous aggregate \"public\".\"m_daily\" holds buckets from"
                        + " 2025-12-30 00:00:00+00 on, older than every row of \"public\".\"m\" (the oldest is"
                        + " 2026-01-01 06:00:00+00)")
                .contains("source=> \\copy (SELECT * FROM \"_timescaledb_internal\".\"_materialized_hypertable_2\""
                        + " WHERE \"day\" < '2026-01-01 06:00:00+00') TO 'aggregate.copy'")
                .doesNotContain("m_recent").contains("staged 2 tasks");
    }

    /**
     * A calendar-chunked hypertable (2.25, {@code timescaledb.enable_calendar_chunking}) keeps its interval in
     * {@code dimension.interval}, {@code interval_length} NULL: its month-long chunks, of 31 and 28 days, are its tasks.
     */
    @Test
    void aCalendarChunkedHypertableIsStagedByItsChunksOfUnequalLength() {
        String db = PG.pair().freshDatabase("calendar");
        PG.pair().executeOnBoth(db, "CREATE TABLE cal (t timestamptz NOT NULL, v int)");
        PG.source().execute(db, extension("2.25.0") + CATALOG
                + "INSERT INTO _timescaledb_catalog.hypertable VALUES (1, 'public', 'cal');"
                + "INSERT INTO _timescaledb_catalog.dimension (hypertable_id, column_name, column_type, \"interval\")"
                + " VALUES (1, 't', 'timestamptz', '1 month');"
                + "INSERT INTO cal VALUES ('2026-01-31 23:00:00+00', 1), ('2026-02-01 00:00:00+00', 2),"
                + " ('2026-02-28 23:00:00+00', 3), ('2026-03-01 06:00:00+00', 4)");
        String feb1 = "'2026-02-01 00:00:00+00'";
        String mar1 = "'2026-03-01 00:00:00+00'";
        chunk(db, 1, internal(JAN_1), internal(feb1), false);
        chunk(db, 1, internal(feb1), internal(mar1), false);
        chunk(db, 1, internal(mar1), internal("'2026-04-01 00:00:00+00'"), false);

        ok(Cli.both("stage", PG.source(), PG.target(), db, "--until", "2026-03-01 12:00:00+00"));
        assertThat(PG.target().query(db, "SELECT (range_end - range_start) / 86400000000 FROM tandem.backfill_task"
                + " ORDER BY range_start").toString()).isEqualTo("[[31], [28], [0]]");
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        assertThat(PG.target().query(db, "SELECT v FROM cal ORDER BY t").toString())
                .isEqualTo("[[1], [2], [3], [4]]");
    }

    @Test
    void rowsInTieredStorageAreNamedNotLeftOutSilently() {
        String db = source("tiered");
        PG.source().execute(db, "INSERT INTO m VALUES ('2026-01-01 06:00:00+00', 1), ('2026-01-02 06:00:00+00', 2)");
        chunk(db, 1, internal("'2025-01-01 00:00:00+00'"), internal(JAN_1), true);
        chunk(db, 1, internal(JAN_1), internal(JAN_2), false);
        chunk(db, 1, internal(JAN_2), internal(JAN_3), false);

        Cli.Run stage = ok(Cli.both("stage", PG.source(), PG.target(), db, "--until", "2026-01-02 12:00:00+00"));
        assertThat(stage.out()).contains("warning: public.m has rows in tiered storage")
                .contains("no task copies them").contains("staged 2 tasks");
    }

    @Test
    void aTimeDimensionWithAPartitioningFunctionIsRefusedAndCanBeStagedInSlicesOfTheColumn() {
        String db = PG.pair().freshDatabase("partfunc");
        PG.pair().executeOnBoth(db, "CREATE TABLE e (t_ms bigint NOT NULL, v int)");
        PG.source().execute(db, extension("2.21.0") + CATALOG + "CREATE FUNCTION public.ms_to_time(bigint) RETURNS timestamptz"
                + " LANGUAGE sql IMMUTABLE AS 'SELECT to_timestamp($1 / 1000.0)';"
                + "INSERT INTO e VALUES (1767225600000, 1), (1767312000000, 2)"); // 2026-01-01, 2026-01-02 in ms
        hypertable(db, 1, "e", "t_ms", "bigint", "ms_to_time");
        // the slices hold the function's values: microseconds, a thousand times the column's milliseconds
        chunk(db, 1, internal(JAN_1), internal(JAN_2), false);
        chunk(db, 1, internal(JAN_2), internal(JAN_3), false);

        Cli.Run refused = Cli.both("stage", PG.source(), PG.target(), db, "--until", "1767398400000");
        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(refused.err()).contains("public.e: its time dimension t_ms is partitioned through public.ms_to_time")
                .contains("--table public.e:t_ms:");

        ok(Cli.both("stage", PG.source(), PG.target(), db, "--until", "1767398400000", "--table",
                "public.e:t_ms:86400000"));
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        assertThat(PG.target().query(db, "SELECT v FROM e ORDER BY t_ms").toString()).isEqualTo("[[1], [2]]");
    }

    /**
     * A target whose chunks of {@code m} are compressed and hold stale rows, as where its compression policy ran
     * before a re-copy: jan 1 and jan 2 (copied) and jan 3 (after --until). The stand-in refuses to delete a row of a
     * compressed chunk as the given TimescaleDB version does: before 2.11 always ("cannot update/delete rows from
     * chunk"), from 2.14 on past {@code timescaledb.max_tuples_decompressed_per_dml_transaction} (set to 1 here, where
     * the version has it), and from 2.11 on while {@code timescaledb.enable_dml_decompression} is off ("UPDATE/DELETE
     * is disabled on compressed chunks"; turned off here with {@code dmlDecompressionOff}). Its
     * {@code decompress_chunk} marks the chunk uncompressed and records the call.
     */
    private static String compressedTarget(String prefix, String version, boolean decompressionLimit) {
        return compressedTarget(prefix, version, decompressionLimit, false);
    }

    private static String compressedTarget(String prefix, String version, boolean decompressionLimit,
                                           boolean dmlDecompressionOff) {
        String db = source(prefix);
        PG.source().execute(db, "INSERT INTO m VALUES ('2026-01-01 06:00:00+00', 1), ('2026-01-02 06:00:00+00', 2)");
        chunk(db, 1, internal(JAN_1), internal(JAN_2), false);
        chunk(db, 1, internal(JAN_2), internal(JAN_3), false);
        PG.target().execute(db, extension(version) + CATALOG + """
                CREATE TABLE _timescaledb_internal.decompressed (n serial, chunk text);
                CREATE FUNCTION public.decompress_chunk(uncompressed_chunk regclass, if_compressed boolean = true)
                RETURNS regclass LANGUAGE sql AS $$
                    INSERT INTO _timescaledb_internal.decompressed (chunk) VALUES (uncompressed_chunk::text);
                    UPDATE _timescaledb_catalog.chunk SET status = status & ~1
                    WHERE format('%I.%I', schema_name, table_name)::regclass = uncompressed_chunk;
                    SELECT uncompressed_chunk $$;
                CREATE FUNCTION refuse_compressed_delete() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE
                    compressed name;
                    lim text := current_setting('timescaledb.max_tuples_decompressed_per_dml_transaction', true);
                BEGIN
                    SELECT c.chunk_name INTO compressed FROM timescaledb_information.chunks c
                    WHERE c.hypertable_name = TG_TABLE_NAME AND c.is_compressed
                      AND OLD.t >= c.range_start AND OLD.t < c.range_end;
                    IF compressed IS NOT NULL AND lim IS NULL THEN
                        RAISE EXCEPTION 'cannot update/delete rows from chunk "%" as it is compressed', compressed
                            USING ERRCODE = 'feature_not_supported';
                    ELSIF compressed IS NOT NULL
                          AND current_setting('timescaledb.enable_dml_decompression', true) = 'off' THEN
                        RAISE EXCEPTION 'UPDATE/DELETE is disabled on compressed chunks'
                            USING ERRCODE = 'feature_not_supported',
                                  HINT = 'Set timescaledb.enable_dml_decompression to TRUE.';
                    ELSIF compressed IS NOT NULL AND lim <> '0' THEN
                        RAISE EXCEPTION 'tuple decompression limit exceeded by operation'
                            USING ERRCODE = 'configuration_limit_exceeded';
                    END IF;
                    RETURN OLD;
                END $$;
                CREATE TRIGGER refuse_compressed_delete BEFORE DELETE ON m
                    FOR EACH ROW EXECUTE FUNCTION refuse_compressed_delete();
                INSERT INTO m VALUES ('2026-01-01 07:00:00+00', 91), ('2026-01-02 07:00:00+00', 92),
                                     ('2026-01-03 07:00:00+00', 93);
                """ + (decompressionLimit ? "ALTER DATABASE " + db
                + " SET timescaledb.max_tuples_decompressed_per_dml_transaction = 1;" : "")
                + (dmlDecompressionOff ? "ALTER DATABASE " + db + " SET timescaledb.enable_dml_decompression = off;"
                : ""));
        hypertable(PG.target(), db, 1, "m", "t", "timestamptz", null);
        chunk(PG.target(), db, 1, internal(JAN_1), internal(JAN_2), false, true);
        chunk(PG.target(), db, 1, internal(JAN_2), internal(JAN_3), false, true);
        chunk(PG.target(), db, 1, internal(JAN_3), internal("'2026-01-04 00:00:00+00'"), false, true);
        return db;
    }

    @Test
    void beforeTimescale211TheCompressedTargetChunksOfARangeAreDecompressedBeforeItsRowsAreReplaced() {
        String db = compressedTarget("compressed210", "2.10.3", false);

        ok(Cli.both("stage", PG.source(), PG.target(), db, "--until", "2026-01-03 00:00:00+00"));
        ok(Cli.both("copy", PG.source(), PG.target(), db));

        assertThat(PG.target().query(db, "SELECT v FROM m ORDER BY t").toString()).isEqualTo("[[1], [2], [93]]");
        assertThat(PG.target().query(db, "SELECT chunk FROM _timescaledb_internal.decompressed ORDER BY chunk")
                .toString()).isEqualTo("[[_timescaledb_internal._hyper_1_1_chunk], [_timescaledb_internal._hyper_1_2_chunk]]");
    }

    @Test
    void fromTimescale214TheDecompressionLimitIsLiftedForATasksTransactionAndNoChunkIsDecompressed() {
        String db = compressedTarget("compressed214", "2.14.2", true);

        ok(Cli.both("stage", PG.source(), PG.target(), db, "--until", "2026-01-03 00:00:00+00"));
        ok(Cli.both("copy", PG.source(), PG.target(), db));

        assertThat(PG.target().query(db, "SELECT v FROM m ORDER BY t").toString()).isEqualTo("[[1], [2], [93]]");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM _timescaledb_internal.decompressed")).isEqualTo("0");
        assertThat(PG.target().queryValue(db, "SHOW timescaledb.max_tuples_decompressed_per_dml_transaction"))
                .isEqualTo("1");
    }

    @Test
    void dmlDecompressionTurnedOffOnTheTargetIsTurnedOnForATasksTransactionOnly() {
        String db = compressedTarget("dmloff", "2.26.0", true, true);

        ok(Cli.both("stage", PG.source(), PG.target(), db, "--until", "2026-01-03 00:00:00+00"));
        ok(Cli.both("copy", PG.source(), PG.target(), db));

        assertThat(PG.target().query(db, "SELECT v FROM m ORDER BY t").toString()).isEqualTo("[[1], [2], [93]]");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM _timescaledb_internal.decompressed")).isEqualTo("0");
        assertThat(PG.target().queryValue(db, "SHOW timescaledb.enable_dml_decompression")).isEqualTo("off");
    }

    /** A hypertable partitioned by a UUIDv7 column has no time type Tandem ranges over: stage says how to go on. */
    @Test
    void aHypertableTheBackfillCannotRangeOverIsRefusedWithTheFilterThatStagesTheOthers() {
        String db = source("uuidpart");
        PG.pair().executeOnBoth(db, "CREATE TABLE events (id uuid NOT NULL, v int)");
        hypertable(db, 2, "events", "id", "uuid", null);

        Cli.Run refused = Cli.both("stage", PG.source(), PG.target(), db, "--until", "2026-01-02 12:00:00+00");
        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(refused.err()).contains("unsupported time column type uuid")
                .contains("public.events is a hypertable of the source")
                .contains("--filter '^(?!\\Qpublic.events\\E$)'");

        ok(Cli.both("stage", PG.source(), PG.target(), db, "--until", "2026-01-02 12:00:00+00", "--filter",
                "^(?!\\Qpublic.events\\E$)"));
    }
}
