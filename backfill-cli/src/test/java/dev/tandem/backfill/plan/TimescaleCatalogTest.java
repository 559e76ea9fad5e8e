package dev.tandem.backfill.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.state.ChunkCatalog;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TimescaleCatalogTest {

    @Test
    void deletesFromCompressedChunksFromTimescale211On() {
        assertThat(TimescaleCatalog.deletesFromCompressedChunks("2.9.3")).isFalse();
        assertThat(TimescaleCatalog.deletesFromCompressedChunks("2.10.3")).isFalse();
        assertThat(TimescaleCatalog.deletesFromCompressedChunks("2.11.0")).isTrue();
        assertThat(TimescaleCatalog.deletesFromCompressedChunks("2.14.0-dev")).isTrue();
        assertThat(TimescaleCatalog.deletesFromCompressedChunks("2.26.0")).isTrue();
        assertThat(TimescaleCatalog.deletesFromCompressedChunks("3.0.0")).isTrue();
        assertThat(TimescaleCatalog.deletesFromCompressedChunks("1.7.5")).isFalse();
    }

    /**
     * Tiered storage is read from {@code _timescaledb_catalog.chunk.osm_chunk} only where the server's version has the
     * column (2.8+): before, no chunk is tiered, and naming the column failed {@code stage}. Run by HypertablesIT.
     */
    @Test
    void theHypertablesQueryNamesOsmChunkOnlyWhereTheCatalogHasIt() {
        String before28 = TimescaleCatalog.hypertablesQuery(ChunkCatalog.of(
                "id,hypertable_id,schema_name,table_name,compressed_chunk_id,dropped,status").orElseThrow());
        assertThat(before28).doesNotContain("ch.osm_chunk").contains("false AS osm_chunk", "AND c.osm_chunk");
        String from229 = TimescaleCatalog.hypertablesQuery(ChunkCatalog.of(
                "id,relid,hypertable_id,status,osm_chunk,creation_time").orElseThrow());
        assertThat(from229).contains("ch.osm_chunk AS osm_chunk", "ch.relid").doesNotContain("dropped");
    }

    @Test
    void anApacheEditionTargetOfACommunityEditionSourceIsWarnedOf() {
        assertThat(TimescaleCatalog.editionWarning(Optional.of("timescale"), Optional.of("apache")))
                .hasValueSatisfying(w -> assertThat(w).contains("Apache-2 edition", "the source's is timescale",
                        "refresh-caggs", "timescaledb.license = timescale"));
        assertThat(TimescaleCatalog.editionWarning(Optional.empty(), Optional.of("apache"))).isPresent();
        assertThat(TimescaleCatalog.editionWarning(Optional.of("apache"), Optional.of("apache"))).isEmpty();
        assertThat(TimescaleCatalog.editionWarning(Optional.of("timescale"), Optional.of("timescale"))).isEmpty();
        assertThat(TimescaleCatalog.editionWarning(Optional.of("apache"), Optional.of("timescale"))).isEmpty();
        assertThat(TimescaleCatalog.editionWarning(Optional.of("timescale"), Optional.empty())).isEmpty();
    }
}
