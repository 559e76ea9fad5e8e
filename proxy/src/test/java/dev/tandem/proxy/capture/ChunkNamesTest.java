package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.TableName;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ChunkNamesTest {

    private static TableName t(String schema, String name) {
        return new TableName(schema, name);
    }

    @Test
    void theDefaultFormIsAChunkNameInAnySchemaWithoutTheCatalog() {
        assertThat(ChunkNames.DEFAULT.isChunk(t("_timescaledb_internal", "_hyper_1_2_chunk"))).isTrue();
        assertThat(ChunkNames.DEFAULT.isChunk(t("custom", "_dist_hyper_12_345_chunk"))).isTrue();
        assertThat(ChunkNames.DEFAULT.isChunk(t("public", "_hyper_1_chunk"))).isFalse();
        assertThat(ChunkNames.DEFAULT.isChunk(t("_timescaledb_internal", "compress_hyper_2_3_chunk"))).isFalse();
        assertThat(ChunkNames.DEFAULT.isChunk(t("metrics_chunks", "metrics_7_chunk"))).isFalse();
    }

    /** create_hypertable(..., associated_schema_name => 'metrics_chunks', associated_table_prefix => 'metrics'). */
    @Test
    void aHypertablesOwnPrefixFollowedByAChunkIdIsAChunkName() {
        ChunkNames names = new ChunkNames(Set.of("_hyper_1", "metrics", "Odd_Prefix_2"), Set.of());
        assertThat(names.isChunk(t("metrics_chunks", "metrics_7_chunk"))).isTrue();
        assertThat(names.isChunk(t("metrics_chunks", "Odd_Prefix_2_12_chunk"))).isTrue();
        assertThat(names.isChunk(t("_timescaledb_internal", "_hyper_9_3_chunk"))).as("the default form").isTrue();
        assertThat(names.isChunk(t("public", "metrics"))).isFalse();
        assertThat(names.isChunk(t("public", "metrics_chunk"))).isFalse();
        assertThat(names.isChunk(t("public", "metrics__chunk"))).isFalse();
        assertThat(names.isChunk(t("public", "metrics_x7_chunk"))).isFalse();
        assertThat(names.isChunk(t("public", "other_7_chunk"))).isFalse();
        assertThat(names.isChunk(t("public", "_7_chunk"))).isFalse();
        assertThat(names.isChunk(t("public", "metrics_7_chunks"))).isFalse();
    }

    @Test
    void aChunkNamedFreelyIsKnownByItsSchemaAndName() {
        ChunkNames names = new ChunkNames(Set.of(), Set.of(t("archive", "jan_2026")));
        assertThat(names.isChunk(t("archive", "jan_2026"))).isTrue();
        assertThat(names.isChunk(t("public", "jan_2026"))).isFalse();
    }
}
