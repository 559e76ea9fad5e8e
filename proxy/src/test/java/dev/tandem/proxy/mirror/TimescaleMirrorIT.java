package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.PostgresPairExtension;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.PGConnection;

/**
 * The mirror on real TimescaleDB (source and target of the same version): hypertables as the default set, read from
 * the target's catalog, and writes that name a chunk. The generic paths are tested on plain PostgreSQL with stand-ins
 * for the catalog views ({@code ChunkWritesIT}); this runs where a Docker engine is available.
 */
@Tag("timescaledb")
class TimescaleMirrorIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.timescaledb();

    private static String database(String name) {
        String db = PG.pair().freshDatabase(name);
        PG.pair().executeOnBoth(db, "CREATE EXTENSION IF NOT EXISTS timescaledb;"
                + " CREATE TABLE m (t timestamptz NOT NULL, device int NOT NULL, v double precision);"
                + " SELECT create_hypertable('m', 't', chunk_time_interval => interval '1 day');"
                + " CREATE TABLE plain (id int)");
        return db;
    }

    @Test
    void withoutIncludePatternsEveryHypertableIsMirroredAndAPlainTableIsNot(@TempDir Path spool) throws Exception {
        String db = database("default_set");
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool);
             Connection c = proxy.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO m SELECT '2026-01-01'::timestamptz + h * interval '1 hour', 1, h"
                    + " FROM generate_series(0, 71) h");
            s.execute("INSERT INTO m VALUES ('2026-01-05 00:00:00+00', 2, 0.5), ('2026-01-06 00:00:00+00', 2, 1.5)");
            s.execute("INSERT INTO m SELECT t + interval '1 year', 3, v FROM m WHERE device = 2");
            s.execute("INSERT INTO plain VALUES (1)");
            proxy.awaitCaughtUp(Duration.ofSeconds(60));
        }
        // an INSERT ... SELECT from generate_series makes its rows from its own values and is mirrored; one that
        // reads a table is counted, not mirrored
        assertThat(PG.target().query(db, "SELECT t, device, v FROM m ORDER BY t"))
                .isEqualTo(PG.source().query(db, "SELECT t, device, v FROM m WHERE device <> 3 ORDER BY t"))
                .hasSize(74);
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM plain")).isEqualTo("0");
    }

    @Test
    void aWriteNamingAChunkIsMirroredIntoItsHypertableNotIntoTheTargetsChunkOfThatName(@TempDir Path spool)
            throws Exception {
        String db = database("chunk_by_name");
        // each server numbers its chunks in its own order: here the target's first chunk holds another day
        PG.source().execute(db, "INSERT INTO m VALUES ('2026-01-01 00:00:00+00', 0, 0); DELETE FROM m");
        PG.target().execute(db, "INSERT INTO m VALUES ('2026-02-01 00:00:00+00', 0, 0); DELETE FROM m");
        String chunk = PG.source().queryValue(db, "SELECT c::text FROM show_chunks('m') c");
        assertThat(PG.target().queryValue(db, "SELECT c::text FROM show_chunks('m') c")).isEqualTo(chunk);
        writeIntoChunk(db, spool, chunk);
        assertThat(PG.target().query(db, "SELECT t, device, v FROM m ORDER BY t"))
                .isEqualTo(PG.source().query(db, "SELECT t, device, v FROM m ORDER BY t")).hasSize(2);
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM " + chunk)).isEqualTo("0");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence")).isEqualTo("0");
    }

    /**
     * A hypertable in its own schema, created with its own chunk schema and prefix: its chunks are named
     * {@code "Ev_Chunks"."Ev_<chunk id>_chunk"}, which only the catalog's {@code associated_table_prefix} tells as a
     * chunk. Both sides run the same DDL, as a schema clone copies the catalog.
     */
    @Test
    void aWriteNamingAChunkWithItsHypertablesOwnPrefixIsMirroredIntoItsHypertable(@TempDir Path spool)
            throws Exception {
        String db = database("chunk_prefix");
        PG.pair().executeOnBoth(db, "CREATE SCHEMA \"Iot\"; CREATE SCHEMA \"Ev_Chunks\";"
                + " CREATE TABLE \"Iot\".\"Ev\" (t timestamptz NOT NULL, device int NOT NULL, v double precision);"
                + " SELECT create_hypertable('\"Iot\".\"Ev\"', 't', chunk_time_interval => interval '1 day',"
                + " associated_schema_name => 'Ev_Chunks', associated_table_prefix => 'Ev')");
        PG.source().execute(db, "INSERT INTO \"Iot\".\"Ev\" VALUES ('2026-01-01 00:00:00+00', 0, 0)");
        String chunk = PG.source().queryValue(db, "SELECT c::text FROM show_chunks('\"Iot\".\"Ev\"') c");
        assertThat(chunk).startsWith("\"Ev_Chunks\".\"Ev_").endsWith("_chunk\"");
        writeIntoChunk(db, spool, chunk);
        assertThat(PG.target().query(db, "SELECT t, device, v FROM \"Iot\".\"Ev\" ORDER BY t"))
                .isEqualTo(PG.source().query(db, "SELECT t, device, v FROM \"Iot\".\"Ev\" WHERE v > 0 ORDER BY t"))
                .hasSize(2);
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence")).isEqualTo("0");
    }

    /** An INSERT and a COPY naming {@code chunk}, through a proxy that may ask the source which hypertable it is of. */
    private static void writeIntoChunk(String db, Path spool, String chunk) throws Exception {
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool,
                "--set", "source.user=" + PG.source().user());
             Connection c = proxy.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO " + chunk + " VALUES ('2026-01-01 01:00:00+00', 1, 1.5)");
            c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + chunk + " FROM STDIN",
                    new ByteArrayInputStream("2026-01-01 02:00:00+00\t2\t2.5\n".getBytes(StandardCharsets.UTF_8)));
            proxy.awaitCaughtUp(Duration.ofSeconds(60));
        }
    }

    /**
     * A late row into a range of the target that its compression policy compressed, of a table with a unique index:
     * TimescaleDB (2.14+) decompresses the batch the row may conflict with, past the limit set low here, and refuses
     * with SQLSTATE 53400 every time. It is ledgered with the setting to change, and the mirror goes on.
     */
    @Test
    void aWriteTheTargetsDecompressionLimitRefusesIsLedgeredWithTheSettingAndTheMirrorGoesOn(@TempDir Path spool)
            throws Exception {
        String db = database("decompression_limit");
        PG.pair().executeOnBoth(db, "CREATE UNIQUE INDEX m_t_device ON m (t, device)");
        PG.target().execute(db, "INSERT INTO m SELECT '2026-01-01'::timestamptz + s * interval '1 minute', 1, s"
                + " FROM generate_series(0, 999) s;"
                + " ALTER TABLE m SET (timescaledb.compress, timescaledb.compress_segmentby = 'device');"
                + " SELECT compress_chunk(c) FROM show_chunks('m') c;"
                + " ALTER DATABASE " + db + " SET timescaledb.max_tuples_decompressed_per_dml_transaction = 10");
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool);
             Connection c = proxy.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO m VALUES ('2026-01-01 00:00:30+00', 1, -1)");
            s.execute("INSERT INTO m VALUES ('2026-02-01 00:00:00+00', 1, 1)");
            proxy.awaitCaughtUp(Duration.ofSeconds(60));
        }
        assertThat(PG.target().query(db, "SELECT sqlstate, left(message, 47) FROM tandem.divergence"))
                .containsExactly(List.of("53400", "tuple decompression limit exceeded by operation"));
        assertThat(PG.target().queryValue(db, "SELECT message FROM tandem.divergence"))
                .contains("timescaledb.max_tuples_decompressed_per_dml_transaction = 0");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM m WHERE t >= '2026-02-01'")).isEqualTo("1");
    }

    @Test
    void aTransactionTheTargetRejectsIsLedgeredWithTheRangeOfTheHypertablesTimeDimension(@TempDir Path spool)
            throws Exception {
        String db = database("ledger_range");
        PG.target().execute(db, "ALTER TABLE m ADD CONSTRAINT positive CHECK (v >= 0)");
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool);
             Connection c = proxy.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO m VALUES ('2026-01-02 03:00:00+00', 1, -1), ('2026-01-03 04:00:00+00', 1, 2)");
            s.execute("INSERT INTO m VALUES ('2026-01-04 00:00:00+00', 1, 1)");
            proxy.awaitCaughtUp(Duration.ofSeconds(60));
        }
        // the time column is the hypertable's dimension, read from timescaledb_information.dimensions
        assertThat(PG.target().query(db, "SELECT table_name, sqlstate, time_column, range_start, range_end"
                + " FROM tandem.divergence")).containsExactly(List.of("m", "23514", "t", "2026-01-02 03:00:00+00",
                        "2026-01-03 04:00:00.000001+00"));
        assertThat(PG.target().query(db, "SELECT v FROM m")).containsExactly(List.of("1"));
    }

    @Test
    void theVerifierFindsAHypertableRowMissingOnTheTargetByItsTimeDimension(@TempDir Path spool) throws Exception {
        String db = database("verifier");
        // verifier.enabled is auto: on, since the target has hypertables; the time column comes from the dimension
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool,
                "--set", "source.user=" + PG.source().user(), "--set", "verifier.interval=1s",
                "--set", "verifier.bucket=1s", "--set", "verifier.margin=0s", "--mark-dual-write-start");
             Connection c = proxy.connect(); Statement s = c.createStatement()) {
            // the first mirrored commit sets the mark; the verifier compares the buckets from the mark on
            s.execute("INSERT INTO m VALUES ('" + Instant.now() + "', 0, 0)");
            Instant base = Instant.now().truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
            StringBuilder values = new StringBuilder();
            for (int i = 1; i <= 30; i++) {
                values.append(i == 1 ? "" : ", ").append("('").append(base.plusMillis(100L * i)).append("', 1, ")
                        .append(i).append(")");
            }
            s.execute("INSERT INTO m VALUES " + values);
            proxy.awaitCaughtUp(Duration.ofSeconds(60));
            assertThat(PG.target().queryValue(db, "SELECT count(*) FROM m")).isEqualTo("31");
            PG.target().execute(db, "DELETE FROM m WHERE v = 5");
            String found = "0";
            for (int i = 0; i < 600 && found.equals("0"); i++) {
                Thread.sleep(100);
                found = PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence WHERE table_name = 'm'"
                        + " AND message LIKE 'verifier:%'");
            }
            assertThat(found).isEqualTo("1");
        }
        assertThat(PG.target().queryValue(db, "SELECT time_column FROM tandem.divergence")).isEqualTo("t");
    }
}
