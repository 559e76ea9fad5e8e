package dev.tandem.proxy.spool;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.tandem.proxy.spool.RecordScanner.Outcome;

/**
 * Brings the spool directory back to a consistent state when the spool is opened.
 *
 * <p>Only the newest segment can end in a half-written record: every older one was forced to disk when it was sealed
 * (except under {@link FsyncPolicy#NEVER}). So recovery checks the headers of all segments, reads every record of the
 * newest one, and cuts it after the last valid record. An invalid record is a torn tail only if no valid record follows
 * it; otherwise the damage is in the middle and opening fails with {@link SpoolCorruptedException} instead of dropping
 * good records. Older segments' records are checked by the readers as they go.
 */
final class TailRecovery {

    private static final Logger LOG = LoggerFactory.getLogger(TailRecovery.class);

    /**
     * @param segments     the segments to keep, oldest first, all sealed except {@code resume}
     * @param nextSequence the sequence number of the next record to append
     * @param resume       the newest segment if it holds no record (appends continue in it), else {@code null}
     * @param tornTail     what was cut off, or {@code null}
     */
    record Result(List<Segment> segments, long nextSequence, Segment resume, TornTail tornTail) {
    }

    private TailRecovery() {
    }

    static Result recover(SpoolDirectory directory, boolean durable) throws IOException {
        List<Segment> segments = new ArrayList<>(directory.listSegments());
        TornTail tornTail = null;
        while (!segments.isEmpty()) {
            Segment newest = segments.get(segments.size() - 1);
            try (RecordScanner scanner = new RecordScanner(newest.file())) {
                String headerProblem = scanner.segmentHeaderProblem(newest.firstSequence(), newest.size());
                if (headerProblem == null) {
                    break;
                }
                if (newest.size() > RecordFormat.SEGMENT_HEADER_BYTES) {
                    throw new SpoolCorruptedException(newest.file(), 0, headerProblem);
                }
                // Creating the segment was interrupted before its header was complete: it never held a record.
                tornTail = new TornTail(newest.file(), 0, newest.size(), headerProblem);
            }
            directory.delete(newest);
            segments.remove(segments.size() - 1);
        }
        for (Segment older : segments.subList(0, Math.max(0, segments.size() - 1))) {
            try (RecordScanner scanner = new RecordScanner(older.file())) {
                String problem = scanner.segmentHeaderProblem(older.firstSequence(), older.size());
                if (problem != null) {
                    throw new SpoolCorruptedException(older.file(), 0, problem);
                }
            }
        }
        if (segments.isEmpty()) {
            logTorn(tornTail);
            return new Result(List.of(), 1, null, tornTail);
        }
        Segment newest = segments.get(segments.size() - 1);
        long nextSequence = newest.firstSequence();
        long end = RecordFormat.SEGMENT_HEADER_BYTES;
        try (RecordScanner scanner = new RecordScanner(newest.file())) {
            while (end < newest.size()) {
                Outcome outcome = scanner.read(end, newest.size());
                String problem = outcome.valid() && outcome.header().sequence() != nextSequence
                        ? "record has sequence " + outcome.header().sequence() + " where " + nextSequence
                        + " was expected"
                        : outcome.problem();
                if (problem != null) {
                    if (scanner.validRecordAfter(end, newest.size())) {
                        throw new SpoolCorruptedException(newest.file(), end, problem);
                    }
                    tornTail = new TornTail(newest.file(), end, newest.size() - end, problem);
                    break;
                }
                end += outcome.bytes();
                nextSequence++;
            }
        }
        if (end < newest.size()) {
            try (FileChannel channel = FileChannel.open(newest.file(), StandardOpenOption.WRITE)) {
                channel.truncate(end);
                if (durable) {
                    channel.force(true);
                }
            }
        } else if (durable) {
            // After a process crash the tail may sit only in the page cache; readers will treat it as durable.
            try (FileChannel channel = FileChannel.open(newest.file(), StandardOpenOption.WRITE)) {
                channel.force(false);
            }
        }
        logTorn(tornTail);
        boolean empty = end == RecordFormat.SEGMENT_HEADER_BYTES;
        Segment last = new Segment(newest.firstSequence(), newest.file(), end, !empty);
        segments.set(segments.size() - 1, last);
        return new Result(List.copyOf(segments), nextSequence, empty ? last : null, tornTail);
    }

    private static void logTorn(TornTail torn) {
        if (torn != null) {
            // a clean stop leaves no mark in the directory, so a file cut short after one looks the same as a crash
            LOG.warn("spool recovery cut {} bytes off {} at offset {}: {}. After a crash of the proxy or its host this"
                    + " is the record that was being written then; if the proxy had stopped cleanly, the file was cut"
                    + " short or damaged since, and the transaction the record held is not on the target: repair the"
                    + " time range of its rows with the backfill CLI", torn.droppedBytes(), torn.file(), torn.offset(),
                    torn.reason());
        }
    }
}
