package dev.tandem.protocol.state;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.Set;

/**
 * TimescaleDB's table of chunks, {@code _timescaledb_catalog.chunk}, in the shape the connected server's version gave
 * it: the backfill and the proxy read it for what no documented view shows (a tiered-storage chunk, the names of the
 * chunks themselves), and its columns changed within 2.x. {@code osm_chunk} came with 2.8.0
 * ({@code sql/updates/2.7.2--2.8.0.sql}); {@code dropped} went with 2.26.0, which deletes the rows of dropped chunks
 * instead ({@code 2.25.2--2.26.0.sql}); 2.29.0 replaced {@code schema_name} and {@code table_name} by
 * {@code relid regclass} ({@code 2.28.3--2.29.0.sql}). A query naming a column its server lacks fails, so the columns
 * are read first ({@link #COLUMNS}) and each query is built for them.
 */
public final class ChunkCatalog {

    /**
     * One row: the catalog's column names, comma-separated; NULL where the database has no such table (no TimescaleDB).
     * Every role may read {@code pg_attribute}.
     */
    public static final String COLUMNS = "SELECT string_agg(attname::text, ',') FROM pg_catalog.pg_attribute"
            + " WHERE attrelid = to_regclass('_timescaledb_catalog.chunk') AND attnum > 0 AND NOT attisdropped";

    /** Each chunk is named by the oid of its table (2.29+), not by schema and table name. */
    private final boolean byRelid;
    /** Dropped chunks keep a row, marked {@code dropped} (before 2.26): their tables are gone. */
    private final boolean keepsDropped;
    /** Tiered-storage (OSM) chunks are marked {@code osm_chunk} (2.8+). */
    private final boolean marksTiered;

    private ChunkCatalog(boolean byRelid, boolean keepsDropped, boolean marksTiered) {
        this.byRelid = byRelid;
        this.keepsDropped = keepsDropped;
        this.marksTiered = marksTiered;
    }

    /** @param columns the answer of {@link #COLUMNS}; null: the database has no TimescaleDB catalog */
    public static Optional<ChunkCatalog> of(String columns) {
        if (columns == null) {
            return Optional.empty();
        }
        Set<String> names = Set.of(columns.split(","));
        return Optional.of(new ChunkCatalog(names.contains("relid"), names.contains("dropped"),
                names.contains("osm_chunk")));
    }

    /** Reads the shape from the connected database; empty where it has no TimescaleDB catalog. */
    public static Optional<ChunkCatalog> read(Connection connection) throws SQLException {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(COLUMNS)) {
            rs.next();
            return of(rs.getString(1));
        }
    }

    /**
     * The chunks whose tables exist, as a sub-query for a FROM clause (the caller names it) with the columns
     * {@code hypertable_id int}, {@code schema_name name}, {@code table_name name} and {@code osm_chunk bool} (false
     * where the version does not mark tiered-storage chunks).
     */
    public String chunks() {
        String tiered = marksTiered ? "ch.osm_chunk" : "false";
        String live = keepsDropped ? " WHERE NOT ch.dropped" : "";
        if (byRelid) {
            return "(SELECT ch.hypertable_id, n.nspname AS schema_name, r.relname AS table_name, " + tiered
                    + " AS osm_chunk FROM _timescaledb_catalog.chunk ch JOIN pg_catalog.pg_class r ON r.oid = ch.relid"
                    + " JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace" + live + ")";
        }
        return "(SELECT ch.hypertable_id, ch.schema_name, ch.table_name, " + tiered + " AS osm_chunk"
                + " FROM _timescaledb_catalog.chunk ch" + live + ")";
    }

    /**
     * A condition, true when the relation of the {@code pg_class} row {@code pgClass}, in the {@code pg_namespace} row
     * {@code pgNamespace}, is no chunk; it looks each one up by the catalog's unique index.
     */
    public String notAChunk(String pgClass, String pgNamespace) {
        if (byRelid) {
            return "NOT EXISTS (SELECT 1 FROM _timescaledb_catalog.chunk ch WHERE ch.relid = " + pgClass + ".oid)";
        }
        return "NOT EXISTS (SELECT 1 FROM _timescaledb_catalog.chunk ch WHERE ch.schema_name = " + pgNamespace
                + ".nspname AND ch.table_name = " + pgClass + ".relname" + (keepsDropped ? " AND NOT ch.dropped" : "")
                + ")";
    }
}
