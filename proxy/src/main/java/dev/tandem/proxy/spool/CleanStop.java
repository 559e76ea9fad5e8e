package dev.tandem.proxy.spool;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mark a clean stop leaves in the spool directory, file {@value #FILE}: the newest segment as the stop left it
 * (its first sequence number and its size) and the sequence number that came next.
 *
 * <p>Without it, a newest segment found cut short at the next open could be a record torn by a crash (never confirmed
 * under {@code fsync: always}) or complete records cut off after the proxy stopped (lost, and owed to the ledger), and
 * recovery could say neither. The mark is written only by a close whose writer had not failed, after the segment was
 * forced, and removed by the next open before its writer starts, so the append path never touches it. A mark older
 * than the files (one whose removal a host crash undid, or left before a version that keeps none ran) names a next
 * sequence number the records kept have reached: it finds nothing lost, and a torn record is taken for a crash's.
 *
 * @param segment      the first sequence number of the newest segment at the stop
 * @param size         that segment's size in bytes at the stop
 * @param nextSequence the sequence number the next record would have taken
 * @param stoppedAt    when the stop wrote the mark
 */
record CleanStop(long segment, long size, long nextSequence, Instant stoppedAt) {

    static final String FILE = "clean-stop";

    private static final Logger LOG = LoggerFactory.getLogger(CleanStop.class);

    /** Marks the directory as cleanly stopped with {@code newest} as its newest segment. */
    static void write(SpoolDirectory directory, Segment newest, long nextSequence, boolean durable)
            throws IOException {
        String line = newest.firstSequence() + " " + newest.size() + " " + nextSequence + " "
                + AppendClock.SYSTEM.millis() + "\n"; // bounds the append times of the records it vouches for
        directory.replaceFile(FILE, line.getBytes(StandardCharsets.UTF_8), durable);
    }

    /** The mark the last stop left, empty when it left none or one that cannot be read. */
    static Optional<CleanStop> read(Path dir) throws IOException {
        String content;
        try {
            content = Files.readString(dir.resolve(FILE), StandardCharsets.UTF_8).strip();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        String[] fields = content.split(" ");
        try {
            if (fields.length == 4) {
                return Optional.of(new CleanStop(Long.parseLong(fields[0]), Long.parseLong(fields[1]),
                        Long.parseLong(fields[2]), Instant.ofEpochMilli(Long.parseLong(fields[3]))));
            }
        } catch (NumberFormatException e) {
            // said below, as a mark of the wrong shape is
        }
        LOG.warn("spool directory {}: {} should hold the clean-stop mark the proxy writes when it stops, but holds"
                + " '{}'; it is ignored, so a segment found cut short is taken for a crash's torn record", dir, FILE,
                content);
        return Optional.empty();
    }

    /** Removes the mark before anything is appended: from then on, only the next clean stop may say there was one. */
    static void clear(SpoolDirectory directory, boolean durable) throws IOException {
        if (Files.deleteIfExists(directory.path().resolve(FILE)) && durable) {
            directory.forceDirectory();
        }
    }
}
