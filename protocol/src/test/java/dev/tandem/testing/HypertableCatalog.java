package dev.tandem.testing;

/**
 * A stand-in, for plain PostgreSQL, of the part of TimescaleDB's catalog that says which tables are hypertables:
 * {@code _timescaledb_catalog.hypertable}, {@code .dimension} (with the calendar {@code interval} column of 2.25, next
 * to {@code interval_length}) and {@code .continuous_agg}, and the views {@code timescaledb_information.hypertables},
 * {@code .dimensions} and {@code .continuous_aggregates} with the joins and filters {@code sql/views.sql} gave them in
 * 2.25, the columns Tandem does not read left out. Its {@code hypertables} view leaves out a hypertable whose primary
 * dimension has no {@code interval_length} (the filter came with its primary-dimension columns, 2.20), which is every
 * calendar-chunked one, while {@code dimensions} shows it with its calendar {@code time_interval}; the internal
 * compressed hypertables (compression state 2) have no dimensions ({@code src/hypertable.c}, "compressed hypertable
 * has no dimensions").
 */
public final class HypertableCatalog {

    /** TimescaleDB's view of the continuous aggregates, as the catalog stand-ins of the tests make it. */
    public static final String CONTINUOUS_AGGREGATES = """
            CREATE VIEW timescaledb_information.continuous_aggregates AS
            SELECT ht.schema_name AS hypertable_schema, ht.table_name AS hypertable_name,
                   ca.user_view_schema AS view_schema, ca.user_view_name AS view_name,
                   mat.schema_name AS materialization_hypertable_schema,
                   mat.table_name AS materialization_hypertable_name
            FROM _timescaledb_catalog.continuous_agg ca
            JOIN _timescaledb_catalog.hypertable ht ON ht.id = ca.raw_hypertable_id
            JOIN _timescaledb_catalog.hypertable mat ON mat.id = ca.mat_hypertable_id;
            """;

    /** The tables and views, in a database without them (the schemas may exist). */
    public static final String CREATE = """
            CREATE SCHEMA IF NOT EXISTS _timescaledb_catalog;
            CREATE TABLE _timescaledb_catalog.hypertable (id int PRIMARY KEY, schema_name name NOT NULL,
                table_name name NOT NULL, associated_table_prefix name NOT NULL,
                compression_state smallint NOT NULL DEFAULT 0);
            CREATE TABLE _timescaledb_catalog.dimension (id serial PRIMARY KEY, hypertable_id int NOT NULL,
                column_name name NOT NULL, column_type regtype NOT NULL, num_slices smallint,
                partitioning_func_schema name, partitioning_func name, "interval" interval, interval_length bigint);
            CREATE TABLE _timescaledb_catalog.continuous_agg (mat_hypertable_id int PRIMARY KEY,
                raw_hypertable_id int NOT NULL, user_view_schema name NOT NULL, user_view_name name NOT NULL);
            CREATE SCHEMA IF NOT EXISTS timescaledb_information;
            CREATE VIEW timescaledb_information.hypertables AS
            WITH hypertable_info AS (
                SELECT hypertable_id, schema_name, table_name, compression_state, column_name, column_type,
                       interval_length, row_number() OVER (PARTITION BY hypertable_id ORDER BY di.id) AS dimension_num
                FROM _timescaledb_catalog.hypertable ht
                JOIN _timescaledb_catalog.dimension di ON ht.id = di.hypertable_id)
            SELECT ht.schema_name AS hypertable_schema, ht.table_name AS hypertable_name,
                   ht.column_name AS primary_dimension, ht.column_type AS primary_dimension_type
            FROM hypertable_info ht
            JOIN pg_tables t ON ht.table_name = t.tablename AND ht.schema_name = t.schemaname
            LEFT JOIN _timescaledb_catalog.continuous_agg ca ON ca.mat_hypertable_id = ht.hypertable_id
            WHERE ht.compression_state != 2 AND ca.mat_hypertable_id IS NULL AND ht.interval_length IS NOT NULL
              AND ht.dimension_num = 1;
            CREATE VIEW timescaledb_information.dimensions AS
            SELECT ht.schema_name AS hypertable_schema, ht.table_name AS hypertable_name,
                   rank() OVER (PARTITION BY hypertable_id ORDER BY dim.id) AS dimension_number,
                   dim.column_name, dim.column_type,
                   CASE WHEN dim.interval_length IS NULL AND dim."interval" IS NULL THEN 'Space' ELSE 'Time' END
                       AS dimension_type,
                   CASE WHEN dim.column_type = ANY (ARRAY['timestamp', 'timestamptz', 'date']::regtype[]) THEN
                       coalesce(dim."interval", dim.interval_length * interval '1 microsecond') END AS time_interval,
                   CASE WHEN dim.interval_length IS NOT NULL
                         AND NOT dim.column_type = ANY (ARRAY['timestamp', 'timestamptz', 'date']::regtype[])
                       THEN dim.interval_length END AS integer_interval,
                   dim.num_slices AS num_partitions
            FROM _timescaledb_catalog.hypertable ht, _timescaledb_catalog.dimension dim
            WHERE dim.hypertable_id = ht.id;
            """ + CONTINUOUS_AGGREGATES + """
            GRANT USAGE ON SCHEMA _timescaledb_catalog, timescaledb_information TO PUBLIC;
            GRANT SELECT ON ALL TABLES IN SCHEMA _timescaledb_catalog, timescaledb_information TO PUBLIC;
            """;

    private HypertableCatalog() {
    }

    /**
     * Hypertable {@code id}, table {@code schema.table} (plain names), chunked by a fixed interval of 7 days on the
     * {@code timestamptz} column {@code column}.
     */
    public static String hypertable(int id, String schema, String table, String column) {
        return row(id, schema, table) + "INSERT INTO _timescaledb_catalog.dimension (hypertable_id, column_name,"
                + " column_type, interval_length) VALUES (" + id + ", '" + column + "', 'timestamptz', 604800000000);";
    }

    /**
     * Hypertable {@code id} chunked by calendar months on the {@code timestamptz} column {@code column}
     * ({@code timescaledb.enable_calendar_chunking}, 2.25+): {@code interval} set, {@code interval_length} NULL.
     */
    public static String calendarHypertable(int id, String schema, String table, String column) {
        return row(id, schema, table) + "INSERT INTO _timescaledb_catalog.dimension (hypertable_id, column_name,"
                + " column_type, \"interval\") VALUES (" + id + ", '" + column + "', 'timestamptz', '1 month');";
    }

    /** A second, hash-partitioned (space) dimension of hypertable {@code id} on the integer column {@code column}. */
    public static String spaceDimension(int id, String column) {
        return "INSERT INTO _timescaledb_catalog.dimension (hypertable_id, column_name, column_type, num_slices,"
                + " partitioning_func_schema, partitioning_func) VALUES (" + id + ", '" + column + "', 'int4', 4,"
                + " '_timescaledb_functions', 'get_partition_hash');";
    }

    /**
     * Continuous aggregate {@code public.view} on hypertable {@code rawId}, materialized in hypertable {@code matId}
     * ({@code _timescaledb_internal._materialized_hypertable_<matId>}, which must exist), bucketed on {@code bucket}.
     */
    public static String continuousAggregate(int matId, int rawId, String view, String bucket) {
        return hypertable(matId, "_timescaledb_internal", "_materialized_hypertable_" + matId, bucket)
                + "INSERT INTO _timescaledb_catalog.continuous_agg VALUES (" + matId + ", " + rawId + ", 'public', '"
                + view + "');";
    }

    /** The internal compressed hypertable {@code id} of a hypertable with compression (before 2.29): no dimensions. */
    public static String compressedHypertable(int id) {
        return "INSERT INTO _timescaledb_catalog.hypertable VALUES (" + id + ", '_timescaledb_internal',"
                + " '_compressed_hypertable_" + id + "', '_hyper_" + id + "', 2);";
    }

    private static String row(int id, String schema, String table) {
        return "INSERT INTO _timescaledb_catalog.hypertable (id, schema_name, table_name, associated_table_prefix)"
                + " VALUES (" + id + ", '" + schema + "', '" + table + "', '_hyper_" + id + "');";
    }
}
