package dev.tandem.testing;

/**
 * The shapes {@code _timescaledb_catalog.chunk} has had across TimescaleDB 2.x, with its columns in their order, for
 * tests on plain PostgreSQL of the queries that read it: TimescaleDB's own update scripts ({@code sql/updates/}) made
 * each one from the one before.
 */
public enum ChunkCatalogShape {

    /** Up to 2.7: no {@code osm_chunk}. */
    BEFORE_2_8(false, true, true, """
            id serial PRIMARY KEY, hypertable_id int NOT NULL, schema_name name NOT NULL, table_name name NOT NULL,
            compressed_chunk_id int, dropped bool NOT NULL DEFAULT false, status int NOT NULL DEFAULT 0"""),
    /** 2.8 to 2.25: {@code osm_chunk} added by {@code 2.7.2--2.8.0.sql} ({@code creation_time} by 2.13). */
    FROM_2_8(true, true, true, """
            id serial PRIMARY KEY, hypertable_id int NOT NULL, schema_name name NOT NULL, table_name name NOT NULL,
            compressed_chunk_id int, dropped bool NOT NULL DEFAULT false, status int NOT NULL DEFAULT 0,
            osm_chunk bool NOT NULL DEFAULT false, creation_time timestamptz NOT NULL DEFAULT now()"""),
    /** 2.26 to 2.28: {@code 2.25.2--2.26.0.sql} deleted the rows of dropped chunks and the {@code dropped} column. */
    FROM_2_26(true, false, true, """
            id serial PRIMARY KEY, hypertable_id int NOT NULL, schema_name name NOT NULL, table_name name NOT NULL,
            compressed_chunk_id int, status int NOT NULL DEFAULT 0, osm_chunk bool NOT NULL DEFAULT false,
            creation_time timestamptz NOT NULL DEFAULT now()"""),
    /** 2.29 on: {@code 2.28.3--2.29.0.sql} names each chunk by {@code relid}, no longer by schema and table name. */
    FROM_2_29(true, false, false, """
            id serial PRIMARY KEY, relid regclass NOT NULL UNIQUE, hypertable_id int NOT NULL,
            status int NOT NULL DEFAULT 0, osm_chunk bool NOT NULL DEFAULT false,
            creation_time timestamptz NOT NULL DEFAULT now()""");

    private final boolean marksTiered;
    private final boolean keepsDropped;
    private final boolean byName;
    private final String columns;

    ChunkCatalogShape(boolean marksTiered, boolean keepsDropped, boolean byName, String columns) {
        this.marksTiered = marksTiered;
        this.keepsDropped = keepsDropped;
        this.byName = byName;
        this.columns = columns;
    }

    /** Whether a tiered-storage (OSM) chunk can be recorded. */
    public boolean marksTiered() {
        return marksTiered;
    }

    /** The table, in schema {@code _timescaledb_catalog} (created if missing). */
    public String create() {
        return "CREATE SCHEMA IF NOT EXISTS _timescaledb_catalog; CREATE TABLE _timescaledb_catalog.chunk (" + columns
                + ");";
    }

    /** A chunk of hypertable {@code hypertableId}, table {@code schema.table} (plain names), which must exist. */
    public String chunk(int hypertableId, String schema, String table, boolean tiered) {
        if (tiered && !marksTiered) {
            throw new IllegalArgumentException(this + " marks no chunk as tiered");
        }
        String osm = marksTiered ? ", osm_chunk" : "";
        String osmValue = marksTiered ? ", " + tiered : "";
        if (byName) {
            return "INSERT INTO _timescaledb_catalog.chunk (hypertable_id, schema_name, table_name" + osm + ") VALUES ("
                    + hypertableId + ", '" + schema + "', '" + table + "'" + osmValue + ");";
        }
        return "INSERT INTO _timescaledb_catalog.chunk (hypertable_id, relid" + osm + ") VALUES (" + hypertableId
                + ", '" + schema + "." + table + "'::regclass" + osmValue + ");";
    }

    /**
     * A chunk dropped while a continuous aggregate still summarised it: its table is gone, and its row stays, marked,
     * only before 2.26 (nothing otherwise).
     */
    public String droppedChunk(int hypertableId, String schema, String table) {
        return keepsDropped ? "INSERT INTO _timescaledb_catalog.chunk (hypertable_id, schema_name, table_name, dropped)"
                + " VALUES (" + hypertableId + ", '" + schema + "', '" + table + "', true);" : "";
    }
}
