package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.config.TargetConfig;
import dev.tandem.proxy.config.TlsMode;
import dev.tandem.testing.PostgresPairExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The chunk names read from a real target. Plain PostgreSQL has no TimescaleDB: a stand-in for
 * {@code _timescaledb_catalog.hypertable} and {@code .chunk} with the columns read (same names and types) holds what
 * {@code create_hypertable(..., associated_schema_name => 'metrics_chunks', associated_table_prefix => 'metrics')} and
 * {@code create_chunk(..., schema_name => 'archive', table_name => 'jan_2026')} would leave there; the real catalog is
 * exercised by the {@code timescaledb}-tagged tests.
 */
class ChunkNameDirectoryIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static final String CATALOG = """
            CREATE SCHEMA _timescaledb_catalog;
            CREATE TABLE _timescaledb_catalog.hypertable (id serial PRIMARY KEY, schema_name name, table_name name,
                associated_schema_name name, associated_table_prefix name);
            CREATE TABLE _timescaledb_catalog.chunk (id serial PRIMARY KEY, hypertable_id int, schema_name name,
                table_name name, dropped bool NOT NULL DEFAULT false);
            INSERT INTO _timescaledb_catalog.hypertable VALUES
                (1, 'public', 'ev', '_timescaledb_internal', '_hyper_1'),
                (2, 'public', 'metrics', 'metrics_chunks', 'metrics'),
                (3, 'public', 'odd', 'archive', 'odd_1_x');
            INSERT INTO _timescaledb_catalog.chunk (hypertable_id, schema_name, table_name, dropped) VALUES
                (1, '_timescaledb_internal', '_hyper_1_1_chunk', false),
                (2, 'metrics_chunks', 'metrics_2_chunk', false),
                (2, 'archive', 'jan_2026', false),
                (2, 'archive', 'dec_2025', true);
            """;

    private static final List<TableName> ASKED = List.of(
            new TableName("_timescaledb_internal", "_hyper_1_5_chunk"),
            new TableName("metrics_chunks", "metrics_2_chunk"),
            new TableName("metrics_chunks", "metrics_99_chunk"),
            new TableName("archive", "odd_1_x_4_chunk"),
            new TableName("archive", "jan_2026"),
            new TableName("archive", "dec_2025"),
            new TableName("public", "metrics"),
            new TableName("public", "metrics_x_chunk"),
            new TableName("public", "jan_2026"));
    private static final List<Boolean> CHUNKS = List.of(true, true, true, true, true, false, false, false, false);

    private static TargetConfig target() {
        return new TargetConfig("127.0.0.1", PG.target().port(), "postgres", "UNUSED", Optional.empty(),
                TlsMode.DISABLE, Map.of(), Duration.ofSeconds(5), Optional.empty());
    }

    @Test
    void prefixesAndFreelyNamedChunksAreReadFromTheCatalogAndTheApplierAsksTheSameRule() throws Exception {
        String db = PG.pair().freshDatabase("chunknames");
        PG.target().execute(db, CATALOG);
        ChunkNames names;
        try (ChunkNameDirectory dir = new ChunkNameDirectory(target(), Duration.ofMinutes(1))) {
            names = dir.lookUpNow(db);
        }
        // the applier sends it with $1 and $2, as PREPARE takes them
        try (Connection c = PG.target().connect(db); Statement s = c.createStatement()) {
            s.execute("PREPARE is_chunk(text, text) AS " + ChunkNames.IS_CHUNK);
            for (int i = 0; i < ASKED.size(); i++) {
                TableName table = ASKED.get(i);
                assertThat(names.isChunk(table)).as(table.toString()).isEqualTo(CHUNKS.get(i));
                try (ResultSet rs = s.executeQuery("EXECUTE is_chunk('" + table.schema() + "', '" + table.name()
                        + "')")) {
                    rs.next();
                    assertThat(rs.getString(1)).as("asked by the applier: " + table)
                            .isEqualTo(CHUNKS.get(i).toString());
                }
            }
        }
    }

    @Test
    void withoutTimescaleOnlyTheDefaultFormIsAChunkAndATargetThatDoesNotAnswerLeavesThemUnknown() {
        String db = PG.pair().freshDatabase("nochunks");
        try (ChunkNameDirectory dir = new ChunkNameDirectory(target(), Duration.ofMinutes(1))) {
            assertThat(dir.lookUpNow(db)).isEqualTo(ChunkNames.DEFAULT);
        }
        try (ChunkNameDirectory dir = new ChunkNameDirectory(new TargetConfig("127.0.0.1", PG.target().port(),
                "postgres", "UNUSED", Optional.empty(), TlsMode.DISABLE, Map.of("app", "no_such_database"),
                Duration.ofSeconds(5), Optional.empty()), Duration.ofMinutes(1))) {
            assertThat(dir.lookUpNow("app")).isNull();
            assertThat(dir.forSourceDatabase("app").get()).isNull();
        }
    }
}
