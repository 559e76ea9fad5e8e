package dev.tandem.protocol.state;

/**
 * The user's TimescaleDB hypertables, as the backfill and the proxy read them: from
 * {@code timescaledb_information.dimensions}, not {@code timescaledb_information.hypertables}. Since its primary
 * dimension columns came (2.20), the hypertables view keeps only a hypertable whose first dimension has an
 * {@code interval_length} ({@code sql/views.sql}: {@code AND ht.interval_length IS NOT NULL AND ht.dimension_num = 1}),
 * and a calendar-chunked one (2.25, {@code timescaledb.enable_calendar_chunking}) has its interval in the
 * {@code interval} column instead, {@code interval_length} NULL: it is missing from that view, while the dimensions
 * view shows it, with its calendar {@code time_interval}. The dimensions view lists every hypertable with a dimension:
 * the user's, and the materialization hypertables of continuous aggregates, left out here as the hypertables view
 * does, by the documented {@code timescaledb_information.continuous_aggregates}; the internal compressed hypertables
 * (before 2.29) have no dimensions ({@code src/hypertable.c}). Both views exist in every 2.x.
 */
public final class Hypertables {

    /** A condition, true where the database has the views {@link #PRIMARY_DIMENSIONS} reads (no TimescaleDB: false). */
    public static final String PRESENT = "to_regclass('timescaledb_information.dimensions') IS NOT NULL"
            + " AND to_regclass('timescaledb_information.continuous_aggregates') IS NOT NULL";

    /** One boolean: {@link #PRESENT}. */
    public static final String HAS_CATALOG = "SELECT " + PRESENT;

    /**
     * The user's hypertables with the column of their primary dimension, as a sub-query for a FROM clause (the caller
     * names it), with the columns {@code hypertable_schema name}, {@code hypertable_name name} and
     * {@code column_name name}.
     */
    public static final String PRIMARY_DIMENSIONS = """
            (SELECT d.hypertable_schema, d.hypertable_name, d.column_name
             FROM timescaledb_information.dimensions d
             WHERE d.dimension_number = 1
               AND NOT EXISTS (SELECT 1 FROM timescaledb_information.continuous_aggregates ca
                               WHERE ca.materialization_hypertable_schema = d.hypertable_schema
                                 AND ca.materialization_hypertable_name = d.hypertable_name))""";

    private Hypertables() {
    }
}
