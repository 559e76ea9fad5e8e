package dev.tandem.protocol.state;

/**
 * TimescaleDB shows the rows of compressed chunks through their hypertable only while
 * {@code timescaledb.enable_transparent_decompression} is on, its default, which any role or database may change
 * (PGC_USERSET). With it off, a copy or a checksum over a hypertable leaves those rows out on that side, silently, and
 * a comparison of both sides over the same range can still agree.
 */
public final class CompressedRows {

    /**
     * Turns it on for the session where the server has TimescaleDB (a name TimescaleDB does not define is refused
     * under its reserved prefix, so it is set only where it exists). Run once per session.
     */
    public static final String VISIBLE = "SELECT set_config(name, 'on', false)"
            + " FROM (VALUES ('timescaledb.enable_transparent_decompression')) AS settings(name)"
            + " WHERE current_setting(name, true) IS NOT NULL";

    private CompressedRows() {
    }
}
