package dev.tandem.proxy.capture;

import dev.tandem.proxy.config.TargetConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;

/**
 * How the TimescaleDB chunks of each target database are named ({@link ChunkNames}): looked up on first use per
 * database and refreshed in the background, so a hypertable created with its own chunk prefix is known within a
 * refresh; relay threads only read the last answer, null until the first look-up succeeds.
 */
public final class ChunkNameDirectory extends CatalogDirectory<ChunkNames> {

    public ChunkNameDirectory(TargetConfig target, Duration refresh) {
        super("chunk names", CatalogServer.target(target), refresh, null);
    }

    @Override
    ChunkNames load(Connection c) throws SQLException {
        return ChunkNames.load(c);
    }
}
