package dev.tandem.protocol.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.ChunkCatalogShape;
import dev.tandem.testing.PostgresPairExtension;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The built SQL run on plain PostgreSQL against a stand-in of each shape of {@code _timescaledb_catalog.chunk}: a
 * chunk in a schema of its own, a tiered one where the shape marks them, and one dropped where the shape keeps its
 * row (here a table of its name was created since, which is no chunk).
 */
class ChunkCatalogIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    @ParameterizedTest
    @EnumSource(ChunkCatalogShape.class)
    void theChunksWhoseTablesExistAreReadAndToldFromOtherTables(ChunkCatalogShape shape) throws Exception {
        String db = PG.pair().freshDatabase("chunk_catalog");
        PG.target().execute(db, shape.create() + "CREATE SCHEMA metrics_chunks;"
                + " CREATE TABLE metrics_chunks.metrics_1_chunk (v int); CREATE TABLE metrics_chunks.notes (v int);"
                + " CREATE TABLE metrics_chunks.osm (v int);"
                + shape.chunk(1, "metrics_chunks", "metrics_1_chunk", false)
                + shape.chunk(1, "metrics_chunks", "osm", shape.marksTiered())
                + shape.droppedChunk(1, "metrics_chunks", "notes"));
        ChunkCatalog catalog;
        try (Connection c = PG.target().connect(db)) {
            catalog = ChunkCatalog.read(c).orElseThrow();
        }
        assertThat(PG.target().query(db, "SELECT hypertable_id, schema_name, table_name, osm_chunk FROM "
                + catalog.chunks() + " c ORDER BY table_name")).containsExactly(
                        List.of("1", "metrics_chunks", "metrics_1_chunk", "f"),
                        List.of("1", "metrics_chunks", "osm", shape.marksTiered() ? "t" : "f"));
        assertThat(PG.target().query(db, "SELECT c.relname FROM pg_class c JOIN pg_namespace n"
                + " ON n.oid = c.relnamespace WHERE n.nspname = 'metrics_chunks' AND c.relkind = 'r' AND "
                + catalog.notAChunk("c", "n"))).containsExactly(List.of("notes"));
    }

    @Test
    void aDatabaseWithoutTimescaleHasNoShape() throws Exception {
        String db = PG.pair().freshDatabase("no_chunk_catalog");
        try (Connection c = PG.target().connect(db)) {
            assertThat(ChunkCatalog.read(c)).isEmpty();
        }
    }
}
