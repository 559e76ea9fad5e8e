package dev.tandem.backfill.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.ChunkCatalogShape;
import dev.tandem.testing.HypertableCatalog;
import dev.tandem.testing.PostgresPairExtension;
import java.sql.Connection;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The source's hypertables read on plain PostgreSQL from a stand-in of TimescaleDB's catalog ({@link HypertableCatalog},
 * the views as 2.25's {@code sql/views.sql} defines them) in each shape its {@code _timescaledb_catalog.chunk} has had,
 * with a chunk in tiered storage of one hypertable where the shape marks such chunks.
 */
class HypertablesIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    /**
     * A calendar-chunked hypertable ({@code timescaledb.enable_calendar_chunking}, 2.25) has no
     * {@code interval_length}, and the {@code hypertables} view leaves it out: it is found all the same, its chunks'
     * own ranges being what the plan reads. A continuous aggregate's materialization hypertable and an internal
     * compressed hypertable are not the user's.
     */
    @ParameterizedTest
    @EnumSource(ChunkCatalogShape.class)
    void everyHypertableIsReadWithItsTimeDimensionAndWhetherSomeOfItsRowsAreTiered(ChunkCatalogShape shape)
            throws Exception {
        String db = PG.pair().freshDatabase("hypertables");
        PG.source().execute(db, shape.create() + HypertableCatalog.CREATE + """
                CREATE TABLE events (t timestamptz NOT NULL, v int);
                CREATE TABLE metrics (t timestamptz NOT NULL, device int NOT NULL);
                CREATE TABLE monthly (ts timestamptz NOT NULL, v int);
                CREATE SCHEMA _timescaledb_internal;
                CREATE TABLE _timescaledb_internal._hyper_1_1_chunk ();
                CREATE TABLE _timescaledb_internal._hyper_2_2_chunk ();
                CREATE TABLE _timescaledb_internal._hyper_3_3_chunk ();
                CREATE TABLE _timescaledb_internal.osm_chunk_2 ();
                CREATE TABLE _timescaledb_internal._materialized_hypertable_4 (bucket timestamptz, n bigint);
                CREATE TABLE _timescaledb_internal._compressed_hypertable_5 ();
                """ + HypertableCatalog.hypertable(1, "public", "events", "t")
                + HypertableCatalog.hypertable(2, "public", "metrics", "t")
                + HypertableCatalog.spaceDimension(2, "device")
                + HypertableCatalog.calendarHypertable(3, "public", "monthly", "ts")
                + HypertableCatalog.continuousAggregate(4, 1, "events_daily", "bucket")
                + HypertableCatalog.compressedHypertable(5)
                + shape.chunk(1, "_timescaledb_internal", "_hyper_1_1_chunk", false)
                + shape.chunk(2, "_timescaledb_internal", "_hyper_2_2_chunk", false)
                + shape.chunk(3, "_timescaledb_internal", "_hyper_3_3_chunk", false)
                + shape.chunk(2, "_timescaledb_internal", "osm_chunk_2", shape.marksTiered()));
        try (Connection c = PG.source().connect(db)) {
            assertThat(TimescaleCatalog.hypertables(c)).containsExactly(
                    new TimescaleCatalog.Hypertable("public", "events", "t", null, false),
                    new TimescaleCatalog.Hypertable("public", "metrics", "t", null, shape.marksTiered()),
                    new TimescaleCatalog.Hypertable("public", "monthly", "ts", null, false));
        }
    }
}
