package dev.tandem.proxy.spool;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.tandem.proxy.spool.RecordScanner.Outcome;

/**
 * Reads records in append order from a start position, checking each one's CRC and sequence number. One reader
 * belongs to one thread; open several for several consumers. A record becomes visible right after its write, or under
 * {@link FsyncPolicy#ALWAYS} only after its fsync, so the target never applies a record the spool could still lose.
 * A reader must not lag behind {@link Spool#acknowledge}: acknowledged segments are deleted.
 *
 * <p>A record that fails its checks throws {@link SpoolCorruptedException} naming the file and offset; the reader does
 * not skip it, so no transaction silently disappears from the mirror.
 */
public final class SpoolReader implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SpoolReader.class);

    private final SegmentCatalog catalog;
    private SpoolPosition position;
    private final LongAdder gaps;
    private final Predicate<SpoolLoss> losses;
    private final SequenceJumps jumps;
    private Segment segment;
    private RecordScanner scanner;
    /** Sequence the next record must carry; -1 while unknown (the reader started in the middle of a segment). */
    private long expectedSequence = -1;
    /** When the last record returned was appended; -1 before the first. */
    private long lastAppendMillis = -1;
    /** End of the visible bytes of {@code segment}, as of the last {@link #atVisibleRecord()}. */
    private long limit;

    /**
     * @param gaps   counted up each time records are found missing, each loss of known sequence numbers once
     * @param losses told of records found missing whose sequence numbers are known; true the first time it is told
     *               of them, when this reader logs and counts them (another reader, a parked database's, comes to the
     *               same records again)
     * @param jumps  sequence numbers skipped on purpose, which are not missing
     */
    SpoolReader(SegmentCatalog catalog, SpoolPosition from, LongAdder gaps, Predicate<SpoolLoss> losses,
                SequenceJumps jumps) {
        this.catalog = catalog;
        this.position = from;
        this.gaps = gaps;
        this.losses = losses;
        this.jumps = jumps;
    }

    /** Where the next record will be read: the {@link SpoolRecord#next()} of the last record returned. */
    public SpoolPosition position() {
        return position;
    }

    /** The next record if one is visible, else {@code null} at once. */
    public SpoolRecord poll() {
        try {
            return atVisibleRecord() ? readRecord() : null;
        } catch (IOException e) {
            throw readFailed(e);
        }
    }

    /**
     * The next record, waiting up to {@code timeout} for one to be appended.
     *
     * @return the record, or {@code null} if none came in time or the spool closed
     */
    public SpoolRecord next(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            SpoolRecord record = poll();
            if (record != null) {
                return record;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0 || catalog.closed() || !catalog.awaitBeyond(position, left)) {
                return null;
            }
        }
    }

    /**
     * Completes when a record after {@link #position()} may be available (or the spool closed); then call
     * {@link #poll()}. For consumers that must not block a thread, such as a mirror worker on an event loop. The
     * future completes on the appending or flushing thread.
     */
    public CompletableFuture<Void> whenAvailable() {
        try {
            if (atVisibleRecord()) {
                return CompletableFuture.completedFuture(null);
            }
        } catch (IOException e) {
            throw readFailed(e);
        }
        return catalog.whenBeyond(position);
    }

    /**
     * Moves {@code position} over segment boundaries to where the next record starts and tells whether that record is
     * visible; sets {@code limit} to the end of the visible bytes of the segment.
     */
    private boolean atVisibleRecord() throws IOException {
        while (true) {
            SpoolPosition visible = catalog.visibleEnd();
            // locate() may move the position forward (onto a segment start), so visibility is checked again after it.
            if (!visible.isAfter(position) || !locate() || !visible.isAfter(position)) {
                return false;
            }
            boolean sealed = position.segment() < visible.segment();
            limit = sealed ? segment.size() : visible.offset();
            if (position.offset() < limit) {
                return true;
            }
            if (!nextSegment(limit)) {
                return false;
            }
        }
    }

    private SpoolException readFailed(IOException e) {
        Path file = segment == null ? null : segment.file();
        return new SpoolException("could not read spool file " + (file == null ? "" : file) + ": "
                + FileErrors.describe(e, file), e);
    }

    /** Points {@code segment}/{@code scanner} at the segment of {@code position}; false if there is none yet. */
    private boolean locate() throws IOException {
        if (segment != null && segment.firstSequence() == position.segment()) {
            return true;
        }
        Segment found = catalog.get(position.segment());
        if (found == null) {
            found = catalog.atOrAfter(position.segment());
            if (found == null) {
                return false;
            }
            Segment oldest = catalog.oldest();
            if (found != oldest) {
                gaps.increment();
                LOG.warn("spool segment {} is missing; continuing with {} (the missing records were lost from the"
                        + " spool or deleted)", Segment.fileName(position.segment()), found.file());
            }
            position = found.start();
        } else if (position.offset() < RecordFormat.SEGMENT_HEADER_BYTES) {
            position = found.start();
        }
        open(found);
        return true;
    }

    /**
     * Switches to {@code next} once its file opened with a valid header; when it does not, the reader stays where it
     * was, so reading again meets the same problem instead of reading past it.
     */
    private void open(Segment next) throws IOException {
        RecordScanner opened;
        try {
            opened = new RecordScanner(next.file());
        } catch (NoSuchFileException e) {
            throw new SpoolException("spool file " + next.file() + " was deleted or moved while the proxy was running:"
                    + " its records, from sequence " + next.firstSequence() + " on, cannot be replayed. Restart the"
                    + " proxy to continue without them, then repair the affected time range on the target with the"
                    + " backfill CLI", e);
        }
        try {
            String problem = opened.segmentHeaderProblem(next.firstSequence(), next.size());
            if (problem != null) {
                throw new SpoolCorruptedException(next.file(), 0, problem);
            }
        } catch (IOException | RuntimeException e) {
            try {
                opened.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        closeScanner();
        segment = next;
        scanner = opened;
        expectedSequence = position.equals(next.start()) ? next.firstSequence() : -1;
    }

    /** The reader reached the end of a sealed segment: continue with the following one. */
    private boolean nextSegment(long end) throws IOException {
        if (position.offset() > end) {
            gaps.increment();
            LOG.warn("spool position {} is past the end of {} ({} bytes): records there were lost from the spool"
                    + " after they were read; continuing with the next segment", position, segment.file(), end);
        }
        Segment next = catalog.after(segment.firstSequence());
        if (next == null) {
            return false;
        }
        // the numbers the spool skipped on purpose before the next segment are not missing, only those before them
        long missingEnd = jumps.skippedBefore(next.firstSequence());
        long missingFrom = expectedSequence;
        Path before = segment.file();
        position = next.start();
        open(next);
        if (missingFrom >= 0 && missingEnd > missingFrom) {
            // Not an error that stops the mirror: records lost in a host crash after the target applied them leave
            // the same gap, and stopping would not bring the others back.
            // The records are gone, and with them which tables and rows they held: when they were appended is what
            // is left to say which time range to repair.
            Instant after = lastAppendMillis < 0 ? null : Instant.ofEpochMilli(lastAppendMillis);
            Instant createdNext = Instant.ofEpochMilli(scanner.segmentCreatedMillis());
            SpoolLoss loss = new SpoolLoss(missingFrom, missingEnd - 1, after, createdNext);
            if (!losses.test(loss)) {
                LOG.debug("spool records {} to {} are missing, as found before", missingFrom, missingEnd - 1);
                return true;
            }
            gaps.increment();
            LOG.warn("spool records {} to {} are missing: {} ends before them and {} starts after them (a segment file"
                    + " was deleted or cut short, or the records were lost from the spool). They were appended{} and"
                    + " before {}. Unless the target applied them before they were lost, they are not on the target:"
                    + " repair the time range of the rows those transactions wrote with the backfill CLI", missingFrom,
                    missingEnd - 1, before, next.file(), after == null ? "" : " after " + after, createdNext);
        }
        return true;
    }

    private SpoolRecord readRecord() throws IOException {
        Outcome outcome = scanner.read(position.offset(), limit);
        if (!outcome.valid()) {
            throw new SpoolCorruptedException(segment.file(), position.offset(), outcome.problem());
        }
        long sequence = outcome.header().sequence();
        if (expectedSequence >= 0 && sequence != expectedSequence) {
            throw new SpoolCorruptedException(segment.file(), position.offset(), "record has sequence " + sequence
                    + " where " + expectedSequence + " was expected");
        }
        SpoolPosition next = new SpoolPosition(position.segment(), position.offset() + outcome.bytes());
        SpoolRecord record = new SpoolRecord(sequence, position, next,
                Instant.ofEpochMilli(outcome.header().appendMillis()), outcome.payload());
        position = next;
        expectedSequence = sequence + 1;
        lastAppendMillis = outcome.header().appendMillis();
        return record;
    }

    private void closeScanner() throws IOException {
        if (scanner != null) {
            scanner.close();
            scanner = null;
        }
    }

    @Override
    public void close() {
        try {
            closeScanner();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
