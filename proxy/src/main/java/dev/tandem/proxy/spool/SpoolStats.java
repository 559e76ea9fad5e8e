package dev.tandem.proxy.spool;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A snapshot of the spool for metrics and {@code /status}.
 *
 * @param bytesOnDisk        bytes of all segment files
 * @param segments           number of segment files
 * @param lastSequence       sequence number of the newest record (0 before the first); numbers the spool skipped
 *                           when the target was ahead of it ({@link SequenceJumps}) are not records
 * @param pendingRecords     records appended but neither acknowledged nor presumed applied
 *                           ({@link Spool#presumeApplied}): mirror lag in records, as held in the spool
 * @param pendingBytes       bytes of those records, headers included (mirror lag in bytes)
 * @param oldestPendingAppend when the oldest of those records was appended (mirror lag in seconds); empty when
 *                           nothing is pending
 * @param shedRecords        appends rejected because the spool was full (shed mode, or a bounded wait that ran out)
 *                           since the spool was opened
 * @param blockedAppends     appends waiting for space right now (block mode)
 * @param fsyncs             times the spool forced a segment file to disk since it was opened; under
 *                           {@link FsyncPolicy#ALWAYS}, records appended per fsync show how well group commit batches
 * @param gaps               times a reader found records missing from the spool (a segment file deleted or cut
 *                           short, or records lost in a host crash) since it was opened
 */
public record SpoolStats(long bytesOnDisk, int segments, long lastSequence, long pendingRecords, long pendingBytes,
                         Optional<Instant> oldestPendingAppend, long shedRecords, int blockedAppends,
                         long fsyncs, long gaps) {

    /** The mirror's lag in time: how long the oldest pending record has waited; zero when nothing is pending. */
    public Duration lag(Instant now) {
        return oldestPendingAppend.map(oldest -> Duration.between(oldest, now)).filter(d -> !d.isNegative())
                .orElse(Duration.ZERO);
    }
}
