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
            s.execute("INSERT INTO plain VALUES (1)");
            proxy.awaitCaughtUp(Duration.ofSeconds(60));
        }
        // INSERT ... SELECT is counted, not mirrored: only the VALUES rows reach the target
        assertThat(PG.target().query(db, "SELECT t, device, v FROM m ORDER BY t"))
                .isEqualTo(PG.source().query(db, "SELECT t, device, v FROM m WHERE device = 2 ORDER BY t")).hasSize(2);
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
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool,
                "--set", "source.user=" + PG.source().user());
             Connection c = proxy.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO " + chunk + " VALUES ('2026-01-01 01:00:00+00', 1, 1.5)");
            c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + chunk + " FROM STDIN",
                    new ByteArrayInputStream("2026-01-01 02:00:00+00\t2\t2.5\n".getBytes(StandardCharsets.UTF_8)));
            proxy.awaitCaughtUp(Duration.ofSeconds(60));
        }
        assertThat(PG.target().query(db, "SELECT t, device, v FROM m ORDER BY t"))
                .isEqualTo(PG.source().query(db, "SELECT t, device, v FROM m ORDER BY t")).hasSize(2);
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM " + chunk)).isEqualTo("0");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence")).isEqualTo("0");
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
