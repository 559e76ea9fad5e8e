package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;
import java.util.regex.Pattern;

/**
 * Tells a TimescaleDB chunk by its name. An application that writes into a chunk by name
 * ({@code INSERT INTO _timescaledb_internal._hyper_1_2_chunk ...}) writes rows of the chunk's hypertable, but the
 * target's chunks of that hypertable have other names (ids are drawn per server), so such a write can only be
 * mirrored into the hypertable, which the source's catalog names.
 *
 * <p>TimescaleDB names chunks {@code _hyper_<hypertable id>_<chunk id>_chunk} ({@code _dist_hyper_...} for
 * distributed hypertables) in the hypertable's associated schema, {@code _timescaledb_internal} unless
 * {@code create_hypertable} was given another; the name alone decides, whatever the schema.
 */
public final class TimescaleChunks {

    private static final Pattern CHUNK_NAME = Pattern.compile("_(dist_)?hyper_\\d+_\\d+_chunk");

    private TimescaleChunks() {
    }

    /** @param table resolved (schema not null) */
    public static boolean isChunkName(TableName table) {
        return CHUNK_NAME.matcher(table.name()).matches();
    }
}
