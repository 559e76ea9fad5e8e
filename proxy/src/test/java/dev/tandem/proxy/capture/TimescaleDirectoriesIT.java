package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.config.Secret;
import dev.tandem.proxy.config.SourceConfig;
import dev.tandem.proxy.config.TargetConfig;
import dev.tandem.proxy.config.TlsMode;
import dev.tandem.testing.PostgresPairExtension;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The proxy's catalog look-ups on real TimescaleDB, whose catalog of chunks has the shape of its version: a hypertable
 * with its own chunk schema and prefix, whose chunks the look-ups repeated every minute leave out and whose prefix the
 * chunk names know. The stand-ins of each shape on plain PostgreSQL are {@code ChunksLeftOutIT} and
 * {@code ChunkNameDirectoryIT}; this runs where a Docker engine is available.
 */
@Tag("timescaledb")
class TimescaleDirectoriesIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.timescaledb();

    @Test
    void chunksInTheirHypertablesOwnSchemaAreLeftOutAndKnownByTheirPrefix() {
        String db = PG.pair().freshDatabase("ts_directories");
        PG.pair().executeOnBoth(db, "CREATE EXTENSION IF NOT EXISTS timescaledb; CREATE SCHEMA metrics_chunks;"
                + " CREATE TABLE metrics (t timestamptz NOT NULL DEFAULT now(), v int);"
                + " SELECT create_hypertable('metrics', 't', chunk_time_interval => interval '1 day',"
                + " associated_schema_name => 'metrics_chunks', associated_table_prefix => 'metrics');"
                + " INSERT INTO metrics VALUES ('2026-01-01 00:00:00+00', 1), ('2026-01-02 00:00:00+00', 2);"
                + " CREATE TABLE metrics_chunks.notes (at timestamptz DEFAULT now())");
        TableName chunk = new TableName("metrics_chunks",
                PG.target().queryValue(db, "SELECT min(c::text) FROM show_chunks('metrics') c").split("\\.")[1]);
        TableName metrics = new TableName("public", "metrics");
        TableName notes = new TableName("metrics_chunks", "notes");
        TargetConfig target = new TargetConfig(PG.target().host(), PG.target().port(), PG.target().user(),
                "UNUSED", Optional.of(Secret.of(PG.target().password())), TlsMode.DISABLE, Map.of(),
                Duration.ofSeconds(5), Optional.empty());
        SourceConfig source = new SourceConfig(PG.source().host(), PG.source().port(), TlsMode.DISABLE,
                Optional.of(PG.source().user()), "UNUSED", Optional.of(Secret.of(PG.source().password())),
                Duration.ofSeconds(5), Optional.empty());
        try (PartitionDirectory partitions = new PartitionDirectory(target, Duration.ofMinutes(1));
             VolatileDefaults defaults = new VolatileDefaults(target, Duration.ofMinutes(1));
             SourceRelations relations = new SourceRelations(source, Duration.ofMinutes(1));
             ChunkNameDirectory names = new ChunkNameDirectory(target, Duration.ofMinutes(1))) {
            assertThat(chunk.name()).startsWith("metrics_").endsWith("_chunk");
            assertThat(partitions.lookUpNow(db).others()).contains(metrics, notes).doesNotContain(chunk);
            assertThat(defaults.lookUpNow(db)).containsKeys(metrics, notes).doesNotContainKey(chunk);
            assertThat(relations.lookUpNow(db).tables()).contains(metrics, notes).doesNotContain(chunk);
            assertThat(names.lookUpNow(db).isChunk(chunk)).isTrue();
        }
    }
}
