package dev.tandem.proxy.spool;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of one spool ({@code mirror.spool.*}). The constructor checks them and names the configuration key in every
 * message.
 *
 * @param dir           directory of the segment files; created with permissions 0700 if missing
 * @param maxBytes      cap on the bytes of all segment files together; at least twice {@code segmentBytes}, because a
 *                      segment can be deleted only once it is complete and fully acknowledged
 * @param segmentBytes  size at which a segment is closed and the next one started
 * @param fsync         when records are forced to disk
 * @param fsyncInterval how often {@link FsyncPolicy#INTERVAL} forces the file; ignored by the other policies
 * @param onFull        what an append does when the cap is reached
 */
public record SpoolSettings(Path dir, long maxBytes, long segmentBytes, FsyncPolicy fsync, Duration fsyncInterval,
                            OnFull onFull) {

    public static final long DEFAULT_MAX_BYTES = 10L << 30;
    public static final long DEFAULT_SEGMENT_BYTES = 64L << 20;
    public static final Duration DEFAULT_FSYNC_INTERVAL = Duration.ofSeconds(1);
    /** Small enough for tests that roll segments often, large enough to hold a segment header and a record header. */
    public static final long MIN_SEGMENT_BYTES = 1024;
    /** A segment offset must stay far from overflow and a whole segment must be addressable by one file channel. */
    public static final long MAX_SEGMENT_BYTES = 1L << 40;

    public SpoolSettings {
        Objects.requireNonNull(dir, "mirror.spool.dir must be set");
        Objects.requireNonNull(fsync, "mirror.spool.fsync must be set (always, interval or never)");
        Objects.requireNonNull(onFull, "mirror.spool.on-full must be set (block or shed)");
        if (segmentBytes < MIN_SEGMENT_BYTES || segmentBytes > MAX_SEGMENT_BYTES) {
            throw new IllegalArgumentException("spool segment size must be between " + MIN_SEGMENT_BYTES + " and "
                    + MAX_SEGMENT_BYTES + " bytes; got " + segmentBytes);
        }
        if (maxBytes / 2 < segmentBytes) {
            throw new IllegalArgumentException("mirror.spool.max-bytes (" + maxBytes + " bytes) must be at least twice"
                    + " the segment size (" + segmentBytes + " bytes): a segment is deleted only once it is complete"
                    + " and fully applied, so the next one needs room beside it");
        }
        if (fsync == FsyncPolicy.INTERVAL) {
            Objects.requireNonNull(fsyncInterval, "mirror.spool.fsync-interval must be set when fsync is interval");
            if (fsyncInterval.toMillis() < 1 || fsyncInterval.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException("mirror.spool.fsync-interval must be between 1 ms and 1 h; got "
                        + fsyncInterval);
            }
        }
    }

    /** The documented defaults: 10 GiB cap, 64 MiB segments, fsync every second, block when full. */
    public static SpoolSettings defaults(Path dir) {
        return new SpoolSettings(dir, DEFAULT_MAX_BYTES, DEFAULT_SEGMENT_BYTES, FsyncPolicy.INTERVAL,
                DEFAULT_FSYNC_INTERVAL, OnFull.BLOCK);
    }

    public SpoolSettings withMaxBytes(long value) {
        return new SpoolSettings(dir, value, segmentBytes, fsync, fsyncInterval, onFull);
    }

    public SpoolSettings withSegmentBytes(long value) {
        return new SpoolSettings(dir, maxBytes, value, fsync, fsyncInterval, onFull);
    }

    public SpoolSettings withFsync(FsyncPolicy value) {
        return new SpoolSettings(dir, maxBytes, segmentBytes, value, fsyncInterval, onFull);
    }

    public SpoolSettings withFsyncInterval(Duration value) {
        return new SpoolSettings(dir, maxBytes, segmentBytes, fsync, value, onFull);
    }

    public SpoolSettings withOnFull(OnFull value) {
        return new SpoolSettings(dir, maxBytes, segmentBytes, fsync, fsyncInterval, value);
    }

    /**
     * Whether files, their directory entries and the marks beside them are forced to disk at all; under
     * {@link FsyncPolicy#NEVER} the operating system decides, as documented for that policy's loss window.
     */
    public boolean durable() {
        return fsync != FsyncPolicy.NEVER;
    }

    /**
     * The largest payload an append accepts: a record must fit beside one full segment that cannot be deleted yet (the
     * one being written) plus the new segment's header, or it could never be written.
     */
    public long maxPayloadBytes() {
        long room = maxBytes - segmentBytes - 2L * RecordFormat.SEGMENT_HEADER_BYTES - RecordFormat.RECORD_HEADER_BYTES;
        return Math.min(room, Integer.MAX_VALUE - 64);
    }
}
