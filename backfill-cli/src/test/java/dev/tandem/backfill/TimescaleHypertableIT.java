package dev.tandem.backfill;

import static dev.tandem.backfill.Fixtures.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.PostgresPairExtension;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Hypertables on TimescaleDB: one task per primary-dimension range, compressed source chunks, integer time. */
@Tag("timescaledb")
class TimescaleHypertableIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.timescaledb();

    private static final String ROWS = "SELECT t, device, v FROM m WHERE t < '2026-01-04 12:00:00+00' ORDER BY t, device";

    private static String hypertable(String spacePartitioning) {
        return "CREATE EXTENSION IF NOT EXISTS timescaledb;"
                + "CREATE TABLE m (t timestamptz NOT NULL, device int NOT NULL, v double precision);"
                + "SELECT create_hypertable('m', 't', " + spacePartitioning + "chunk_time_interval => interval '1 day')";
    }

    private static void fill(String db) {
        PG.source().execute(db, "INSERT INTO m SELECT '2026-01-01'::timestamptz + h * interval '1 hour', d, h * d / 7.0 "
                + "FROM generate_series(0, 5 * 24 - 1) h, generate_series(1, 8) d");
    }

    @Test
    void chunksOfSeveralSpacePartitionsWithTheSameRangeBecomeOneTask() {
        String db = PG.pair().freshDatabase("space");
        PG.pair().executeOnBoth(db, hypertable("'device', 4, "));
        fill(db);
        assertThat(Integer.parseInt(PG.source().queryValue(db, "SELECT count(*) FROM show_chunks('m')"))).isGreaterThan(5);

        Cli.Run stage = ok(Cli.both("stage", PG.source(), PG.target(), db, "--until", "2026-01-04 12:00:00+00"));
        assertThat(stage.out()).contains("public.m").contains("staged 4 tasks");
        ok(Cli.both("copy", PG.source(), PG.target(), db));

        assertThat(PG.target().query(db, ROWS)).isEqualTo(PG.source().query(db, ROWS)).hasSize(84 * 8);
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM m WHERE t >= '2026-01-04 12:00:00+00'")).isEqualTo("0");
        ok(Cli.both("verify", PG.source(), PG.target(), db));
    }

    @Test
    void compressedSourceChunksAreReadThroughTheHypertableAndTargetJobsArePausedAndRestored() {
        String db = PG.pair().freshDatabase("compressed");
        PG.pair().executeOnBoth(db, hypertable(""));
        fill(db);
        // the source's sessions would not see the compressed rows: the backfill's own sessions turn it back on
        PG.source().execute(db, "ALTER TABLE m SET (timescaledb.compress, timescaledb.compress_segmentby = 'device');"
                + "SELECT compress_chunk(c) FROM show_chunks('m', older_than => '2026-01-03'::timestamptz) c;"
                + "ALTER DATABASE " + db + " SET timescaledb.enable_transparent_decompression = off");
        assertThat(PG.source().queryValue(db, "SELECT count(*) FROM timescaledb_information.chunks WHERE is_compressed"))
                .isEqualTo("2");
        PG.target().execute(db, "ALTER TABLE m SET (timescaledb.compress);"
                + "SELECT add_compression_policy('m', interval '30 days')");

        ok(Cli.both("stage", PG.source(), PG.target(), db, "--until", "2026-01-04 12:00:00+00"));
        Cli.Run copy = ok(Cli.both("copy", PG.source(), PG.target(), db, "--pause-jobs"));
        assertThat(copy.out()).contains("paused job").contains("policy_compression").contains("restored job");

        ok(Cli.both("verify", PG.source(), PG.target(), db));
        PG.source().execute(db, "ALTER DATABASE " + db + " RESET timescaledb.enable_transparent_decompression");
        assertThat(PG.target().query(db, ROWS)).isEqualTo(PG.source().query(db, ROWS)).hasSize(84 * 8);
        assertThat(PG.target().queryValue(db, "SELECT bool_and(scheduled) FROM timescaledb_information.jobs "
                + "WHERE proc_name = 'policy_compression'")).isEqualTo("t");
        ok(Cli.targetOnly("refresh-caggs", PG.target(), db));
    }

    /**
     * A re-copy over target chunks that hold rows and are compressed (as after the target's compression policy ran),
     * of a table with a unique index, whose rows COPY checks against the compressed ones: TimescaleDB before 2.11
     * refuses to delete from them, from 2.11 on refuses both while {@code timescaledb.enable_dml_decompression} is off
     * (turned off here), and from 2.14 on refuses to decompress more rows in one transaction than
     * {@code timescaledb.max_tuples_decompressed_per_dml_transaction} (set low here).
     */
    @Test
    void rangesOfCompressedTargetChunksAreReplaced() {
        String db = PG.pair().freshDatabase("compressedtarget");
        PG.pair().executeOnBoth(db, hypertable("") + "; CREATE UNIQUE INDEX m_t_device ON m (t, device)");
        fill(db);
        PG.target().execute(db, "INSERT INTO m SELECT '2026-01-01'::timestamptz + h * interval '1 hour', d, -1"
                + " FROM generate_series(0, 3 * 24 - 1) h, generate_series(1, 8) d;"
                + "ALTER TABLE m SET (timescaledb.compress, timescaledb.compress_segmentby = 'device');"
                + "SELECT compress_chunk(c) FROM show_chunks('m', older_than => '2026-01-03'::timestamptz) c;"
                + "DO $$ BEGIN IF current_setting('timescaledb.max_tuples_decompressed_per_dml_transaction', true)"
                + " IS NOT NULL THEN EXECUTE format('ALTER DATABASE %I SET"
                + " timescaledb.max_tuples_decompressed_per_dml_transaction = 10', current_database()); END IF;"
                + " IF current_setting('timescaledb.enable_dml_decompression', true) IS NOT NULL THEN"
                + " EXECUTE format('ALTER DATABASE %I SET timescaledb.enable_dml_decompression = off',"
                + " current_database()); END IF; END $$");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM timescaledb_information.chunks WHERE is_compressed"))
                .isEqualTo("2");

        ok(Cli.both("stage", PG.source(), PG.target(), db, "--until", "2026-01-04 12:00:00+00"));
        ok(Cli.both("copy", PG.source(), PG.target(), db));

        assertThat(PG.target().query(db, ROWS)).isEqualTo(PG.source().query(db, ROWS)).hasSize(84 * 8);
        ok(Cli.both("verify", PG.source(), PG.target(), db));
    }

    /**
     * The day holding T has rows from the copy (before T) and from the mirror (from T on, inserted here on both sides
     * as the proxy would): after refresh-caggs the aggregate, materialized only, matches the source's rows everywhere.
     */
    @Test
    void refreshCaggsMaterializesTheBucketHoldingTAndTheDualWriteWindow() {
        String db = PG.pair().freshDatabase("caggs");
        PG.pair().executeOnBoth(db, hypertable(""));
        PG.pair().executeOnBoth(db, "CREATE MATERIALIZED VIEW m_daily WITH (timescaledb.continuous, timescaledb.materialized_only = true)"
                + " AS SELECT time_bucket('1 day', t) AS day, count(*) AS n, sum(v) AS total FROM m GROUP BY 1"
                + " WITH NO DATA");
        fill(db);
        ok(Cli.both("stage", PG.source(), PG.target(), db, "--until", "2026-01-04 12:00:00+00"));
        ok(Cli.both("copy", PG.source(), PG.target(), db));
        PG.target().execute(db, "INSERT INTO m SELECT * FROM (VALUES " + mirrored(db) + ") AS mirrored(t, device, v)");

        Cli.Run refreshed = ok(Cli.targetOnly("refresh-caggs", PG.target(), db));
        assertThat(refreshed.out()).contains("refreshed 1 continuous aggregates");
        // rounded: a float sum depends on the order it adds in
        String bySource = "SELECT time_bucket('1 day', t)::text, count(*), round(sum(v)::numeric, 6) FROM m"
                + " GROUP BY 1 ORDER BY 1";
        assertThat(PG.target().query(db, "SELECT day::text, n, round(total::numeric, 6) FROM m_daily ORDER BY 1"))
                .isEqualTo(PG.source().query(db, bySource)).hasSize(5);
    }

    /** The source's rows from T on, as VALUES rows: what the mirror would have written to the target. */
    private static String mirrored(String db) {
        return String.join(", ", PG.source().query(db, "SELECT format('(%L::timestamptz, %s, %s::float8)', t, device, v)"
                + " FROM m WHERE t >= '2026-01-04 12:00:00+00'").stream().map(row -> row.get(0)).toList());
    }

    /**
     * Chunks of a month: with calendar chunking (TimescaleDB 2.2x, {@code timescaledb.enable_calendar_chunking},
     * turned on where the version has it) months of 28 to 31 days aligned in the session's zone, here New York's;
     * without it, 30 days. Either way each task's range is a chunk's range as the catalog gives it, never an interval
     * added to a start, for a timestamptz and for a date column, in a quoted schema.
     */
    @Test
    void monthlyChunksAreCopiedRangeByRangeAsTheCatalogGivesThem() {
        String db = PG.pair().freshDatabase("calendar");
        PG.pair().executeOnBoth(db, "CREATE EXTENSION IF NOT EXISTS timescaledb; CREATE SCHEMA \"Sales\";"
                + "CREATE TABLE \"Sales\".\"Hourly\" (t timestamptz NOT NULL, v int);"
                + "CREATE TABLE \"Sales\".\"Daily\" (d date NOT NULL, v int)");
        PG.source().execute(db, "DO $$ BEGIN IF current_setting('timescaledb.enable_calendar_chunking', true)"
                + " IS NOT NULL THEN PERFORM set_config('timescaledb.enable_calendar_chunking', 'on', false); END IF;"
                + " END $$; SET TIME ZONE 'America/New_York';"
                + "SELECT create_hypertable('\"Sales\".\"Hourly\"', 't', chunk_time_interval => interval '1 month');"
                + "SELECT create_hypertable('\"Sales\".\"Daily\"', 'd', chunk_time_interval => interval '1 month');"
                + "INSERT INTO \"Sales\".\"Hourly\" SELECT '2025-01-15 00:00:00+00'::timestamptz + h * interval"
                + " '1 hour', h FROM generate_series(0, 24 * 100) h;"
                + "INSERT INTO \"Sales\".\"Daily\" SELECT '2025-01-15'::date + d, d FROM generate_series(0, 100) d");
        PG.target().execute(db, "SELECT create_hypertable('\"Sales\".\"Hourly\"', 't', chunk_time_interval =>"
                + " interval '1 month'); SELECT create_hypertable('\"Sales\".\"Daily\"', 'd', chunk_time_interval"
                + " => interval '1 month')");
        String until = "2025-04-01 00:00:00+00";

        ok(Cli.both("stage", PG.source(), PG.target(), db, "--until", until));
        for (String table : List.of("Hourly", "Daily")) {
            // the chunks' own bounds, the first from the oldest chunk's start, the last cut at --until
            assertThat(PG.target().query(db, "SELECT range_start, range_end FROM tandem.backfill_task"
                    + " WHERE table_schema = 'Sales' AND table_name = '" + table + "' ORDER BY 1"))
                    .as(table).isEqualTo(PG.source().query(db, "SELECT (extract(epoch FROM range_start) * 1000000)"
                            + "::bigint, least((extract(epoch FROM range_end) * 1000000)::bigint,"
                            + " (extract(epoch FROM '" + until + "'::timestamptz) * 1000000)::bigint)"
                            + " FROM timescaledb_information.chunks WHERE hypertable_schema = 'Sales'"
                            + " AND hypertable_name = '" + table + "' AND range_start < '" + until + "' ORDER BY 1"))
                    .hasSizeGreaterThan(2);
        }
        ok(Cli.both("copy", PG.source(), PG.target(), db));

        assertThat(PG.target().query(db, "SELECT t, v FROM \"Sales\".\"Hourly\" ORDER BY t"))
                .isEqualTo(PG.source().query(db, "SELECT t, v FROM \"Sales\".\"Hourly\" WHERE t < '" + until
                        + "' ORDER BY t"));
        assertThat(PG.target().query(db, "SELECT d, v FROM \"Sales\".\"Daily\" ORDER BY d"))
                .isEqualTo(PG.source().query(db, "SELECT d, v FROM \"Sales\".\"Daily\" WHERE d < '2025-04-01'"
                        + " ORDER BY d")).hasSize(76);
        ok(Cli.both("verify", PG.source(), PG.target(), db));
    }

    /**
     * An {@code integer} time column of a hypertable whose chunks have their own schema and prefix
     * ({@code associated_schema_name}, {@code associated_table_prefix}): integer ranges from
     * {@code range_start_integer}/{@code range_end_integer}, read through the hypertable.
     */
    @Test
    void anIntegerHypertableWithItsOwnChunkSchemaAndPrefixUsesItsIntegerRanges() {
        String db = PG.pair().freshDatabase("intprefix");
        PG.pair().executeOnBoth(db, "CREATE EXTENSION IF NOT EXISTS timescaledb; CREATE SCHEMA \"Counters\";"
                + "CREATE SCHEMA counter_chunks; CREATE TABLE \"Counters\".\"Ticks\" (n integer NOT NULL, v int);"
                + "SELECT create_hypertable('\"Counters\".\"Ticks\"', 'n', chunk_time_interval => 100,"
                + " associated_schema_name => 'counter_chunks', associated_table_prefix => 'ticks')");
        PG.source().execute(db, "INSERT INTO \"Counters\".\"Ticks\" SELECT i, i FROM generate_series(0, 999) i");
        assertThat(PG.source().queryValue(db, "SELECT min(c::text) FROM show_chunks('\"Counters\".\"Ticks\"') c"))
                .startsWith("counter_chunks.ticks_");

        Cli.Run stage = ok(Cli.both("stage", PG.source(), PG.target(), db, "--until", "450"));
        assertThat(stage.out()).contains("staged 5 tasks");
        ok(Cli.both("copy", PG.source(), PG.target(), db));

        assertThat(PG.target().query(db, "SELECT n, v FROM \"Counters\".\"Ticks\" ORDER BY n"))
                .isEqualTo(PG.source().query(db, "SELECT n, v FROM \"Counters\".\"Ticks\" WHERE n < 450 ORDER BY n"));
        ok(Cli.both("verify", PG.source(), PG.target(), db));
    }

    @Test
    void integerTimeHypertablesUseIntegerRanges() {
        String db = PG.pair().freshDatabase("inttime");
        PG.pair().executeOnBoth(db, "CREATE EXTENSION IF NOT EXISTS timescaledb;"
                + "CREATE TABLE m (t bigint NOT NULL, v int);"
                + "SELECT create_hypertable('m', 't', chunk_time_interval => 100)");
        PG.source().execute(db, "INSERT INTO m SELECT i, i FROM generate_series(0, 999) i");

        Cli.Run unmarked = Cli.both("stage", PG.source(), PG.target(), db);
        assertThat(unmarked.exitCode()).isEqualTo(ExitCodes.FAILURE);
        Cli.Run stage = ok(Cli.both("stage", PG.source(), PG.target(), db, "--until", "450"));
        assertThat(stage.out()).contains("staged 5 tasks");
        ok(Cli.both("copy", PG.source(), PG.target(), db));

        assertThat(PG.target().query(db, "SELECT t, v FROM m ORDER BY t"))
                .isEqualTo(PG.source().query(db, "SELECT t, v FROM m WHERE t < 450 ORDER BY t"));
        ok(Cli.both("verify", PG.source(), PG.target(), db));
    }
}
