package dev.tandem.proxy.config;

import dev.tandem.proxy.spool.FsyncPolicy;
import dev.tandem.proxy.spool.OnFull;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The on-disk queue of committed transactions waiting for the target in {@code async} mode.
 *
 * @param maxBytes      cap on the spool's total size; reaching it triggers {@code onFull}
 * @param segmentBytes  size at which the spool starts a new segment file (consumed segments are deleted whole)
 * @param fsyncInterval how often appends are flushed to disk under {@link FsyncPolicy#INTERVAL}, which is also the
 *                      window of acknowledged commits a crash of the proxy host can lose
 */
public record SpoolConfig(Path dir, long maxBytes, long segmentBytes, FsyncPolicy fsync, Duration fsyncInterval,
                          OnFull onFull) {
}
