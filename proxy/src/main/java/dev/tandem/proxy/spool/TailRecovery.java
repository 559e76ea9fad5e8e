package dev.tandem.proxy.spool;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
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
 *
 * <p>The last run's {@link CleanStop} mark tells the two ways a newest segment ends cut short apart: without one, the
 * process or host stopped while a record was being written; with one, the stop left complete records that are gone now.
 */
final class TailRecovery {

    private static final Logger LOG = LoggerFactory.getLogger(TailRecovery.class);

    /**
     * @param segments     the segments to keep, oldest first, all sealed except {@code resume}
     * @param nextSequence the sequence number of the next record to append
     * @param resume       the newest segment if it holds no record (appends continue in it), else {@code null}
     * @param tornTail     what was cut off, or {@code null}
     * @param lost         records the last clean stop left complete that are gone now, or {@code null}
     */
    record Result(List<Segment> segments, long nextSequence, Segment resume, TornTail tornTail, SpoolLoss lost) {
    }

    private TailRecovery() {
    }

    /** @param stop what the last run's clean stop left, or {@code null} when it left nothing */
    static Result recover(SpoolDirectory directory, boolean durable, CleanStop stop) throws IOException {
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
            SpoolLoss lost = stop == null ? null : lostSince(stop, stop.segment(), null);
            report(directory, stop, tornTail, lost, -1);
            return new Result(List.of(), 1, null, tornTail, lost);
        }
        Segment newest = segments.get(segments.size() - 1);
        long nextSequence = newest.firstSequence();
        long end = RecordFormat.SEGMENT_HEADER_BYTES;
        Instant lastAppend = null;
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
                lastAppend = Instant.ofEpochMilli(outcome.header().appendMillis());
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
        SpoolLoss lost = stop == null ? null : lostSince(stop, nextSequence, lastAppend);
        report(directory, stop, tornTail, lost, stop != null && newest.firstSequence() == stop.segment() ? end : -1);
        boolean empty = end == RecordFormat.SEGMENT_HEADER_BYTES;
        Segment last = new Segment(newest.firstSequence(), newest.file(), end, !empty);
        segments.set(segments.size() - 1, last);
        return new Result(List.copyOf(segments), nextSequence, empty ? last : null, tornTail, lost);
    }

    /**
     * The records {@code stop} left that recovery did not keep: those from {@code kept} on, the first sequence number
     * after the last record kept (the first of the stop's newest segment when none of its segments is left, since the
     * ones before may have been deleted once applied). Null when nothing is missing.
     */
    private static SpoolLoss lostSince(CleanStop stop, long kept, Instant lastAppend) {
        return kept < stop.nextSequence() ? new SpoolLoss(kept, stop.nextSequence() - 1, lastAppend, stop.stoppedAt())
                : null;
    }

    /**
     * Says what recovery found: records lost since a clean stop, or a record torn by a stop that was not clean. A clean
     * stop whose files are as it left them is not worth a word.
     *
     * @param end where the stop's newest segment ends now, or -1 when recovery kept none of it
     */
    private static void report(SpoolDirectory directory, CleanStop stop, TornTail torn, SpoolLoss lost, long end) {
        if (lost != null) {
            Path file = directory.path().resolve(Segment.fileName(stop.segment()));
            String now = end < 0 ? "is gone or was cut before its first record"
                    : "ends at offset " + end + (torn == null ? "" : " (recovery cut " + torn.droppedBytes()
                    + " damaged bytes off there: " + torn.reason() + ")");
            LOG.error("spool records {} to {} ({} transaction(s)) were lost after the proxy stopped cleanly at {}: the"
                    + " stop left {} {} bytes long with every record complete on disk, and it now {}, so the file was"
                    + " cut short, damaged or deleted since. Unless the target applied them before the stop, their"
                    + " transactions are not on the target: repair the time range of the rows they wrote ({}before {})"
                    + " with the backfill CLI", lost.firstSequence(), lost.lastSequence(), lost.records(),
                    stop.stoppedAt(), file, stop.size(), now,
                    lost.after() == null ? "" : "appended after " + lost.after() + " and ", stop.stoppedAt());
        } else if (torn != null) {
            LOG.warn("spool recovery cut {} bytes off {} at offset {}: {}. The proxy did not stop cleanly after it wrote"
                    + " there (no clean-stop mark covers that record), so this is the record that was being written"
                    + " when the proxy process or its host stopped: under fsync: always its commit had not been confirmed to the client; under"
                    + " interval or never it is within the loss window of mirror.spool.fsync, which a host crash may"
                    + " also have cost records before it", torn.droppedBytes(), torn.file(), torn.offset(),
                    torn.reason());
        }
    }
}
