package dev.tandem.protocol.state;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The SQL built for each shape TimescaleDB 2.x gave {@code _timescaledb_catalog.chunk}; run by ChunkCatalogIT. */
class ChunkCatalogTest {

    private static final String BEFORE_2_8 = "id,hypertable_id,schema_name,table_name,compressed_chunk_id,dropped,status";
    private static final String FROM_2_26 = "id,hypertable_id,schema_name,table_name,compressed_chunk_id,status,"
            + "osm_chunk,creation_time";
    private static final String FROM_2_29 = "id,relid,hypertable_id,status,osm_chunk,creation_time";

    @Test
    void withoutTheCatalogThereIsNoShape() {
        assertThat(ChunkCatalog.of(null)).isEmpty();
    }

    @Test
    void aColumnIsNamedOnlyWhereTheVersionHasIt() {
        String old = ChunkCatalog.of(BEFORE_2_8).orElseThrow().chunks();
        assertThat(old).doesNotContain("osm_chunk AS").contains("false AS osm_chunk", "WHERE NOT ch.dropped",
                "ch.schema_name, ch.table_name");
        String without = ChunkCatalog.of(FROM_2_26).orElseThrow().chunks();
        assertThat(without).contains("ch.osm_chunk AS osm_chunk", "ch.schema_name, ch.table_name")
                .doesNotContain("dropped", "relid");
        String byRelid = ChunkCatalog.of(FROM_2_29).orElseThrow().chunks();
        assertThat(byRelid).contains("ch.osm_chunk AS osm_chunk", "r.oid = ch.relid", "n.nspname AS schema_name")
                .doesNotContain("dropped", "ch.schema_name", "ch.table_name");
    }

    @Test
    void aRelationIsLookedUpByNameOrByOidAsTheVersionNamesChunks() {
        assertThat(ChunkCatalog.of(BEFORE_2_8).orElseThrow().notAChunk("c", "n")).isEqualTo("NOT EXISTS (SELECT 1"
                + " FROM _timescaledb_catalog.chunk ch WHERE ch.schema_name = n.nspname AND ch.table_name = c.relname"
                + " AND NOT ch.dropped)");
        assertThat(ChunkCatalog.of(FROM_2_26).orElseThrow().notAChunk("c", "n")).isEqualTo("NOT EXISTS (SELECT 1"
                + " FROM _timescaledb_catalog.chunk ch WHERE ch.schema_name = n.nspname AND ch.table_name = c.relname)");
        assertThat(ChunkCatalog.of(FROM_2_29).orElseThrow().notAChunk("rel", "ns")).isEqualTo("NOT EXISTS (SELECT 1"
                + " FROM _timescaledb_catalog.chunk ch WHERE ch.relid = rel.oid)");
    }
}
