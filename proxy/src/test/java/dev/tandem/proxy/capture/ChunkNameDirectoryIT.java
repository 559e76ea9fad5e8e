package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.protocol.state.ChunkCatalog;
import dev.tandem.proxy.config.TargetConfig;
import dev.tandem.proxy.config.TlsMode;
import dev.tandem.testing.ChunkCatalogShape;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The chunk names read from a real target. Plain PostgreSQL has no TimescaleDB: a stand-in for
 * {@code _timescaledb_catalog.hypertable} and {@code .chunk} with the columns read (same names and types), the latter
 * in each shape TimescaleDB 2.x gave it, holds what
 * {@code create_hypertable(..., associated_schema_name => 'metrics_chunks', associated_table_prefix => 'metrics')} and
 * {@code create_chunk(..., schema_name => 'archive', table_name => 'jan_2026')} would leave there; the real catalog is
 * exercised by the {@code timescaledb}-tagged tests.
 */
class ChunkNameDirectoryIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static String catalog(ChunkCatalogShape shape) {
        return shape.create() + """
                CREATE TABLE _timescaledb_catalog.hypertable (id serial PRIMARY KEY, schema_name name, table_name name,
                    associated_schema_name name, associated_table_prefix name);
                INSERT INTO _timescaledb_catalog.hypertable VALUES
                    (1, 'public', 'ev', '_timescaledb_internal', '_hyper_1'),
                    (2, 'public', 'metrics', 'metrics_chunks', 'metrics'),
                    (3, 'public', 'odd', 'archive', 'odd_1_x');
                CREATE SCHEMA _timescaledb_internal; CREATE SCHEMA metrics_chunks; CREATE SCHEMA archive;
                CREATE TABLE _timescaledb_internal._hyper_1_1_chunk (); CREATE TABLE metrics_chunks.metrics_2_chunk ();
                CREATE TABLE archive.jan_2026 ();
                """ + shape.chunk(1, "_timescaledb_internal", "_hyper_1_1_chunk", false)
                + shape.chunk(2, "metrics_chunks", "metrics_2_chunk", false)
                + shape.chunk(2, "archive", "jan_2026", false)
                + shape.droppedChunk(2, "archive", "dec_2025");
    }

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

    @ParameterizedTest
    @EnumSource(ChunkCatalogShape.class)
    void prefixesAndFreelyNamedChunksAreReadFromTheCatalogAndTheApplierAsksTheSameRule(ChunkCatalogShape shape)
            throws Exception {
        String db = PG.pair().freshDatabase("chunknames");
        PG.target().execute(db, catalog(shape));
        ChunkNames names;
        try (ChunkNameDirectory dir = new ChunkNameDirectory(target(), Duration.ofMinutes(1))) {
            names = dir.lookUpNow(db);
        }
        // the applier reads the catalog's shape with ChunkCatalog.COLUMNS, then sends the query with $1 and $2, as
        // PREPARE takes them
        try (Connection c = PG.target().connect(db); Statement s = c.createStatement()) {
            s.execute("PREPARE is_chunk(text, text) AS " + ChunkNames.isChunkQuery(ChunkCatalog.read(c).orElseThrow()));
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
