package dev.tandem.backfill.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.ChunkCatalogShape;
import dev.tandem.testing.PostgresPairExtension;
import java.sql.Connection;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The source's hypertables read on plain PostgreSQL from a stand-in of TimescaleDB's catalog in each shape its
 * {@code _timescaledb_catalog.chunk} has had: {@code hypertable} and {@code dimension} (whose columns read here are the
 * same in every 2.x), the two views as {@code sql/views.sql} defines them, and a chunk in tiered storage of one
 * hypertable where the shape marks such chunks.
 */
class HypertablesIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    @ParameterizedTest
    @EnumSource(ChunkCatalogShape.class)
    void everyHypertableIsReadWithItsTimeDimensionAndWhetherSomeOfItsRowsAreTiered(ChunkCatalogShape shape)
            throws Exception {
        String db = PG.pair().freshDatabase("hypertables");
        PG.source().execute(db, shape.create() + """
                CREATE TABLE _timescaledb_catalog.hypertable (id int PRIMARY KEY, schema_name name, table_name name);
                CREATE TABLE _timescaledb_catalog.dimension (id serial PRIMARY KEY, hypertable_id int,
                    column_name name, partitioning_func_schema name, partitioning_func name);
                CREATE SCHEMA timescaledb_information;
                CREATE VIEW timescaledb_information.hypertables AS
                    SELECT schema_name AS hypertable_schema, table_name AS hypertable_name
                    FROM _timescaledb_catalog.hypertable;
                CREATE VIEW timescaledb_information.dimensions AS
                    SELECT ht.schema_name AS hypertable_schema, ht.table_name AS hypertable_name,
                           rank() OVER (PARTITION BY hypertable_id ORDER BY dim.id) AS dimension_number,
                           dim.column_name
                    FROM _timescaledb_catalog.hypertable ht JOIN _timescaledb_catalog.dimension dim
                      ON dim.hypertable_id = ht.id;
                CREATE TABLE events (t timestamptz NOT NULL, v int);
                CREATE TABLE metrics (t timestamptz NOT NULL, device int NOT NULL);
                CREATE SCHEMA _timescaledb_internal;
                CREATE TABLE _timescaledb_internal._hyper_1_1_chunk ();
                CREATE TABLE _timescaledb_internal._hyper_2_2_chunk ();
                CREATE TABLE _timescaledb_internal.osm_chunk_2 ();
                INSERT INTO _timescaledb_catalog.hypertable VALUES (1, 'public', 'events'), (2, 'public', 'metrics');
                INSERT INTO _timescaledb_catalog.dimension (hypertable_id, column_name) VALUES
                    (1, 't'), (2, 't');
                INSERT INTO _timescaledb_catalog.dimension (hypertable_id, column_name, partitioning_func_schema,
                    partitioning_func) VALUES (2, 'device', '_timescaledb_functions', 'get_partition_hash');
                """ + shape.chunk(1, "_timescaledb_internal", "_hyper_1_1_chunk", false)
                + shape.chunk(2, "_timescaledb_internal", "_hyper_2_2_chunk", false)
                + shape.chunk(2, "_timescaledb_internal", "osm_chunk_2", shape.marksTiered()));
        try (Connection c = PG.source().connect(db)) {
            assertThat(TimescaleCatalog.hypertables(c)).containsExactly(
                    new TimescaleCatalog.Hypertable("public", "events", "t", null, false),
                    new TimescaleCatalog.Hypertable("public", "metrics", "t", null, shape.marksTiered()));
        }
    }
}
