package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.config.SourceConfig;
import dev.tandem.proxy.config.TargetConfig;
import dev.tandem.proxy.config.TlsMode;
import dev.tandem.testing.ChunkCatalogShape;
import dev.tandem.testing.PostgresPairExtension;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The look-ups the proxy repeats every minute over all of a database's tables (the target's tables and volatile
 * defaults, the source's tables and column lists) leave TimescaleDB's chunks out wherever they are (a large database
 * has hundreds of thousands), not only those in TimescaleDB's own schemas: here a chunk in the schema
 * {@code create_hypertable(..., associated_schema_name => 'metrics_chunks')} gives them, beside a table of the user's
 * in the same schema. Plain PostgreSQL has no TimescaleDB: a stand-in for {@code _timescaledb_catalog.chunk} in each
 * shape TimescaleDB 2.x gave it lists the chunk, on both servers as a schema clone copies it.
 */
class ChunksLeftOutIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static final TableName CHUNK = new TableName("metrics_chunks", "metrics_2_chunk");
    private static final TableName NOTES = new TableName("metrics_chunks", "notes");

    @ParameterizedTest
    @EnumSource(ChunkCatalogShape.class)
    void theTablesDefaultsAndSourceTablesLeaveOutAChunkInASchemaOfItsOwn(ChunkCatalogShape shape) {
        String db = PG.pair().freshDatabase("chunks_left_out");
        PG.pair().executeOnBoth(db, shape.create() + """
                CREATE SCHEMA metrics_chunks;
                CREATE TABLE metrics_chunks.metrics_2_chunk (t timestamptz NOT NULL DEFAULT now(), v int);
                CREATE TABLE metrics_chunks.notes (id serial, at timestamptz DEFAULT now(), note text);
                """ + shape.chunk(2, "metrics_chunks", "metrics_2_chunk", false));
        TargetConfig target = new TargetConfig("127.0.0.1", PG.target().port(), "postgres", "UNUSED",
                Optional.empty(), TlsMode.DISABLE, Map.of(), Duration.ofSeconds(5), Optional.empty());
        SourceConfig source = new SourceConfig("127.0.0.1", PG.source().port(), TlsMode.DISABLE,
                Optional.of("postgres"), "UNUSED", Optional.empty(), Duration.ofSeconds(5), Optional.empty());
        try (PartitionDirectory partitions = new PartitionDirectory(target, Duration.ofMinutes(1));
             VolatileDefaults defaults = new VolatileDefaults(target, Duration.ofMinutes(1));
             SourceRelations relations = new SourceRelations(source, Duration.ofMinutes(1));
             SourceColumnLists columns = new SourceColumnLists(source, Duration.ofMinutes(1))) {
            PartitionDirectory.Partitions found = partitions.lookUpNow(db);
            assertThat(found).as("the target's tables").isNotNull();
            assertThat(found.others()).contains(NOTES).doesNotContain(CHUNK);
            assertThat(defaults.lookUpNow(db)).as("the target's volatile defaults")
                    .isEqualTo(Map.of(NOTES, Set.of("id", "at")));
            assertThat(relations.lookUpNow(db).tables()).as("the source's tables").contains(NOTES).doesNotContain(CHUNK);
            assertThat(columns.lookUpNow(db)).as("the source's column lists").containsKey(NOTES)
                    .doesNotContainKey(CHUNK);
        }
    }
}
