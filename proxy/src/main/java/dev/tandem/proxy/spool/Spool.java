package dev.tandem.proxy.spool;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.tandem.proxy.spool.RecordFormat.RecordHeader;

/**
 * The durable spool of the async mirror: an append-only log of committed source transactions in segment files.
 *
 * <p>Sessions append through {@link #writer()}; mirror workers read with {@link #openReader}, apply each record on the
 * target and store {@link SpoolRecord#next()} there in the same transaction, then {@link #acknowledge} it. The spool
 * deletes a segment only when it is complete and every record in it was acknowledged. After a restart the mirror
 * acknowledges and reads from the position stored on the target: each record is applied exactly once.
 *
 * <p>Thread-safe: any number of appending threads, any number of readers, acknowledgements from any thread.
 */
public final class Spool implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Spool.class);

    private final SpoolSettings settings;
    private final SpoolDirectory directory;
    private final SegmentCatalog catalog;
    /** Times a reader found records missing; see {@link SpoolStats#gaps()}. */
    private final LongAdder gaps = new LongAdder();
    /** The losses readers found, each told once however many readers come to it (a parked database's reader too). */
    private final Set<Long> losses = ConcurrentHashMap.newKeySet();
    private volatile Consumer<SpoolLoss> lossListener = loss -> { };
    private final TornTail tornTail;
    /**
     * Records the last clean stop left that recovery found gone, or null: no reader comes across them (the sequence
     * numbers go on from the last record kept), so the first reader opened tells the listener.
     */
    private final SpoolLoss lostSinceStop;
    private final SequenceJumps jumps;
    private final SpoolWriter writer;
    private final SpoolEpochs epochs;
    private final Object acknowledgements = new Object();
    private SpoolPosition acknowledged = SpoolPosition.ORIGIN;
    /** What {@link #presumeApplied} was told, for {@link #stats()} only (guarded by {@code acknowledgements}). */
    private SpoolPosition presumedApplied = SpoolPosition.ORIGIN;

    private Spool(SpoolSettings settings, SpoolDirectory directory, SegmentCatalog catalog, TailRecovery.Result recovered)
            throws IOException {
        this.settings = settings;
        this.directory = directory;
        this.catalog = catalog;
        this.tornTail = recovered.tornTail();
        this.lostSinceStop = recovered.lost();
        if (lostSinceStop != null) {
            gaps.increment();
        }
        recovered.segments().forEach(catalog::add);
        this.jumps = SequenceJumps.open(directory, recovered.segments());
        this.writer = new SpoolWriter(settings, directory, catalog, jumps, recovered.nextSequence(),
                recovered.resume(), this::deleteAcknowledgedSegments);
        try {
            List<Segment> segments = catalog.snapshot();
            SpoolPosition oldest = segments.isEmpty() ? SpoolPosition.ORIGIN
                    : new SpoolPosition(segments.get(0).firstSequence(), 0);
            this.epochs = SpoolEpochs.open(directory, oldest, writer.writtenEnd(), holdsRecords(recovered));
        } catch (IOException | RuntimeException e) {
            writer.close();
            throw e;
        }
    }

    /**
     * Opens the spool in {@code settings.dir()}, creating it if needed, and recovers it: a record torn by a crash at
     * the end of the newest segment is cut off ({@link #tornTail()}); appends continue after the last valid record.
     * Which proxy instance the directory belongs to is neither checked nor recorded: the proxy opens its spool with
     * {@link #open(SpoolSettings, String)}.
     *
     * @throws SpoolCorruptedException when a segment is damaged anywhere but at its end
     * @throws SpoolException          when the directory is in use by another proxy process or cannot be used
     */
    public static Spool open(SpoolSettings settings) {
        return open(settings, Optional.empty());
    }

    /**
     * Opens the spool as {@link #open(SpoolSettings)} does, for the proxy instance {@code instanceId}: a directory that
     * another instance wrote and that still holds records is refused, because the target keys what it applied by
     * instance id and would apply those records again ({@link SpoolOwner}).
     *
     * @throws SpoolOwnerMismatchException when another instance's records are in the directory
     */
    public static Spool open(SpoolSettings settings, String instanceId) {
        return open(settings, Optional.of(instanceId));
    }

    private static Spool open(SpoolSettings settings, Optional<String> instanceId) {
        SpoolDirectory directory;
        Path dir = settings.dir().toAbsolutePath();
        try {
            directory = SpoolDirectory.open(dir);
        } catch (IOException e) {
            throw new SpoolException("cannot open spool directory " + dir + ": " + FileErrors.describe(e, dir), e);
        }
        try {
            boolean durable = settings.durable();
            CleanStop lastStop = CleanStop.read(directory.path()).orElse(null);
            TailRecovery.Result recovered = TailRecovery.recover(directory, durable, lastStop);
            if (instanceId.isPresent()) {
                // before the writer starts a segment and before anything reads or acknowledges a record
                SpoolOwner.claim(directory, instanceId.get(), holdsRecords(recovered));
            }
            // kept until the open succeeds, so a failed one leaves the next the same finding
            CleanStop.clear(directory, durable);
            Spool spool = new Spool(settings, directory, new SegmentCatalog(), recovered);
            if (lastStop == null && recovered.nextSequence() > 1) {
                // the on-call after a kill -9 or an OOM kill wants it said, not inferred from the missing stop lines
                LOG.warn("spool {} opened: {} segments, next sequence {}; the last run on it did not stop cleanly"
                        + " (killed, or its host stopped): the mirror applies what it spooled and had not applied,"
                        + " each transaction once", directory.path(), spool.catalog.count(), recovered.nextSequence());
            } else {
                LOG.info("spool {} opened: {} segments, next sequence {}", directory.path(), spool.catalog.count(),
                        recovered.nextSequence());
            }
            return spool;
        } catch (IOException e) {
            release(directory, e);
            throw new SpoolException("cannot open spool in " + dir + ": " + FileErrors.describe(e, dir), e);
        } catch (RuntimeException e) {
            release(directory, e);
            throw e;
        }
    }

    private static void release(SpoolDirectory directory, Exception failure) {
        try {
            directory.close();
        } catch (IOException suppressed) {
            failure.addSuppressed(suppressed);
        }
    }

    private static boolean holdsRecords(TailRecovery.Result recovered) {
        return recovered.segments().stream().anyMatch(s -> s.size() > RecordFormat.SEGMENT_HEADER_BYTES);
    }

    /**
     * The bytes of spooled records the segments in {@code dir} hold, without opening the spool (so without its lock):
     * for a proxy that does not mirror to say what it leaves there. 0 when the directory does not exist.
     *
     * @throws IOException when the directory cannot be listed or a segment's size read
     */
    public static long heldBytes(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        long held = 0;
        try (var files = Files.list(dir)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                if (Segment.isFileName(file.getFileName().toString())) {
                    held += Math.max(0, Files.size(file) - RecordFormat.SEGMENT_HEADER_BYTES);
                }
            }
        }
        return held;
    }

    public SpoolSettings settings() {
        return settings;
    }

    public SpoolWriter writer() {
        return writer;
    }

    /**
     * Whether the record at {@code position} is one the target applied, given what the target stored with the last
     * record it applied: that record's epoch ({@code appliedEpoch}, null when stored by a proxy that kept none) and
     * the position after it ({@code appliedBefore}). See {@link SpoolEpochs}.
     */
    public boolean applied(SpoolPosition position, Long appliedEpoch, SpoolPosition appliedBefore) {
        return epochs.applied(position, appliedEpoch, appliedBefore);
    }

    /**
     * Whether {@code epoch} (null: stored by a proxy that kept no epochs) is one of this directory's. An epoch whose
     * records were all deleted is forgotten at the next open, so a target database that received nothing since then
     * stores one this directory no longer knows.
     */
    public boolean knowsEpoch(Long epoch) {
        return epochs.knows(epoch);
    }

    /** The epoch of the record at {@code position}, stored on the target with the progress ({@link SpoolEpochs}). */
    public long epochOf(SpoolPosition position) {
        return epochs.of(position);
    }

    /** The epoch this open of the directory started: every record it holds from an earlier open is of an earlier one. */
    public long currentEpoch() {
        return epochs.current();
    }

    /**
     * Whether the record at {@code position} was appended in an epoch before {@code epoch}; false when {@code epoch}
     * is not this directory's (forgotten once every record before it was deleted).
     */
    public boolean ofEarlierEpoch(SpoolPosition position, long epoch) {
        return epochs.earlier(position, epoch);
    }

    /**
     * Replaces a small file beside the segments, private to the proxy like them, without waiting for the disk: for
     * notes whose newest version may be lost in a host crash (the mirror's {@code applied.json}).
     *
     * @throws IOException whose message says which file and what went wrong
     */
    public void replaceNote(String name, byte[] content) throws IOException {
        try {
            directory.replaceFile(name, content, false);
        } catch (IOException e) {
            throw described("cannot write", directory.path().resolve(name), e);
        }
    }

    /**
     * Replaces a small file beside the segments as {@link #replaceNote} does, and waits for the disk: for notes whose
     * loss in a host crash could have records applied where they must not be.
     *
     * @throws IOException whose message says which file and what went wrong
     */
    public void replaceNoteDurably(String name, byte[] content) throws IOException {
        try {
            directory.replaceFile(name, content, true);
        } catch (IOException e) {
            throw described("cannot write", directory.path().resolve(name), e);
        }
    }

    /**
     * Keeps {@code content} as {@code folder/name} in the spool directory, private like the segments.
     *
     * @throws IOException whose message says which file and what went wrong
     */
    public Path setAside(String folder, String name, byte[] content) throws IOException {
        try {
            return directory.setAside(folder, name, content);
        } catch (IOException e) {
            throw described("cannot write", directory.path().resolve(folder).resolve(name), e);
        }
    }

    /**
     * The content of a file written by {@link #replaceNote}, or empty when there is none.
     *
     * @throws IOException whose message says which file and what went wrong
     */
    public Optional<byte[]> readNote(String name) throws IOException {
        Path file = directory.path().resolve(name);
        try {
            return Optional.of(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw described("cannot read", file, e);
        }
    }

    private static IOException described(String action, Path file, IOException e) {
        return new IOException(action + " " + file + ": " + FileErrors.describe(e, file), e);
    }

    /** What recovery cut off when the spool was opened, if anything. */
    public Optional<TornTail> tornTail() {
        return Optional.ofNullable(tornTail);
    }

    /**
     * Sequence number of the oldest record the spool holds, or of the next one to be appended when it holds none (a
     * drained spool after a clean close): every record before it was acknowledged, and its segment deleted.
     */
    public long oldestSequence() {
        Segment oldest = catalog.oldest();
        return oldest == null ? writer.nextSequence() : oldest.firstSequence();
    }

    /**
     * A reader starting with the record at {@code from}: {@link SpoolPosition#ORIGIN} for the oldest record on disk,
     * or the position the target stored with the last applied transaction. A position below the oldest segment starts
     * at the oldest record (everything before it was acknowledged and deleted).
     */
    public SpoolReader openReader(SpoolPosition from) {
        if (from.isAfter(writer.writtenEnd())) {
            writer.advancePast(from);
        }
        if (lostSinceStop != null) {
            lost(lostSinceStop);
        }
        return new SpoolReader(catalog, from, gaps, this::lost, jumps);
    }

    /**
     * Hands {@code each} the records the spool holds now, oldest first, before the mirror reads them: records found
     * missing are left for the mirror's reader to tell ({@link #onRecordsLost}), which tells each loss once.
     */
    public void forEachHeld(Consumer<SpoolRecord> each) {
        try (SpoolReader reader = new SpoolReader(catalog, SpoolPosition.ORIGIN, new LongAdder(), loss -> false, jumps)) {
            for (SpoolRecord record = reader.poll(); record != null; record = reader.poll()) {
                each.accept(record);
            }
        }
    }

    /**
     * Tells {@code listener} of records a reader finds missing from now on, once each, on the reading thread: their
     * tables are gone with them, and the target's divergence ledger must still say they may be missing. Records the
     * last clean stop left that were gone at the open are told when the first reader is opened. Set it before then.
     */
    public void onRecordsLost(Consumer<SpoolLoss> listener) {
        this.lossListener = listener;
    }

    /** Whether {@code loss} is told for the first time: the listener hears each once. */
    private boolean lost(SpoolLoss loss) {
        if (!losses.add(loss.firstSequence())) {
            return false;
        }
        lossListener.accept(loss);
        return true;
    }

    /**
     * Records every record before {@code upTo} as applied on the target (pass {@link SpoolRecord#next()} of the last
     * applied record) and deletes the segments that hold only such records, which may let blocked appends proceed.
     * Positions at or before an earlier acknowledgement change nothing.
     */
    public void acknowledge(SpoolPosition upTo) {
        if (upTo.isAfter(writer.writtenEnd())) {
            writer.advancePast(upTo);
        }
        synchronized (acknowledgements) {
            if (!upTo.isAfter(acknowledged)) {
                return;
            }
            acknowledged = upTo;
            deleteAcknowledgedSegments();
        }
        writer.spaceFreed(upTo);
    }

    /**
     * Has {@link #stats()} count as applied the records an earlier run on this directory saw applied: those before
     * {@code appliedBefore} of epoch {@code appliedEpoch} and of earlier epochs, as {@link #applied} takes them. Restarted
     * while the target cannot be reached, the mirror's lag then leaves them out instead of counting every record still on
     * disk. Nothing is acknowledged, so nothing is deleted: what is applied is the target's to say, and that earlier run's
     * note may be ahead of the target (restored from a backup since); {@link #withdrawPresumption} takes it back.
     */
    public void presumeApplied(long appliedEpoch, SpoolPosition appliedBefore) {
        SpoolPosition end = epochs.appliedEnd(appliedEpoch, appliedBefore);
        synchronized (acknowledgements) {
            presumedApplied = end;
        }
    }

    /**
     * The position before which every record is one {@link #applied} takes for applied given {@code appliedEpoch} and
     * {@code appliedBefore}, and after which none is; {@link SpoolPosition#ORIGIN} when the epoch is not this
     * directory's. Equal to {@code appliedBefore} when no later epoch took positions below it.
     */
    public SpoolPosition appliedEnd(long appliedEpoch, SpoolPosition appliedBefore) {
        return epochs.appliedEnd(appliedEpoch, appliedBefore);
    }

    /** {@link #stats()} counts every record not {@link #acknowledge}d again. */
    public void withdrawPresumption() {
        synchronized (acknowledgements) {
            presumedApplied = SpoolPosition.ORIGIN;
        }
    }

    /**
     * At a close with every record applied, the directory keeps no record: an empty segment where appends continue (so
     * sequence numbers go on), the others deleted. A drained spool then holds nothing that could be applied twice,
     * and may be taken over by another instance id ({@link SpoolOwner}). The empty segment is made durable before
     * anything is deleted, so a crash in between leaves applied records, which the target's progress skips.
     */
    private void leaveNothingAppliedBehind() throws IOException {
        Segment current = writer.currentSegment();
        synchronized (acknowledgements) {
            if (acknowledged.compareTo(writer.writtenEnd()) < 0) {
                long pending = stats().pendingRecords();
                if (pending > 0) {
                    // said at the stop: a proxy stopped during a target outage otherwise ends in silence, and the
                    // operator does not learn that this directory and its instance-id must be kept for the next start
                    LOG.warn("spool {} closed holding {} transaction(s) the target has not confirmed as applied: they"
                            + " stay in this directory, and a proxy started on it with the same instance-id applies"
                            + " them", directory.path(), pending);
                }
                return;
            }
            if (current.size() <= RecordFormat.SEGMENT_HEADER_BYTES && catalog.count() == 1) {
                return;
            }
        }
        long next = writer.nextSequence();
        if (current.size() > RecordFormat.SEGMENT_HEADER_BYTES) {
            // a close on an interrupted thread (a shutdown) must not fail for it
            SegmentChannel.withoutInterrupts(() -> directory.createSegment(next, AppendClock.SYSTEM.millis(), true))
                    .close();
        }
        for (Segment segment : catalog.snapshot()) {
            if (segment.firstSequence() != next) {
                directory.delete(segment);
            }
        }
        SegmentChannel.withoutInterrupts(() -> {
            directory.forceDirectory();
            return null;
        });
        LOG.info("spool {} closed with every record applied: it holds none now", directory.path());
    }

    /**
     * Leaves the {@link CleanStop} mark, once the segments are as the next open will find them: a close whose writer
     * failed leaves none, since what it left in the newest segment is not known to be whole.
     */
    private void markCleanStop() {
        try {
            List<Segment> segments = directory.listSegments();
            if (segments.isEmpty()) {
                return;
            }
            Segment newest = segments.get(segments.size() - 1);
            SegmentChannel.withoutInterrupts(() -> {
                CleanStop.write(directory, newest, writer.nextSequence(), settings.durable());
                return null;
            });
        } catch (IOException e) {
            // the records are whole on disk whatever becomes of the mark: only what the next start can say is less
            LOG.warn("could not leave the clean-stop mark in spool directory {}: {}; the next start takes a newest"
                    + " segment it finds cut short for a record torn by a crash", directory.path(),
                    FileErrors.describe(e, directory.path().resolve(CleanStop.FILE)));
        }
    }

    /** Deletes sealed segments entirely before the acknowledged position, oldest first. */
    private void deleteAcknowledgedSegments() {
        synchronized (acknowledgements) {
            for (Segment segment : catalog.snapshot()) {
                boolean applied = segment.firstSequence() < acknowledged.segment()
                        || (segment.firstSequence() == acknowledged.segment() && acknowledged.offset() >= segment.size());
                if (!segment.sealed() || !applied) {
                    break;
                }
                try {
                    directory.delete(segment);
                } catch (IOException e) {
                    LOG.warn("could not delete applied spool segment {}; will retry on the next acknowledgement",
                            segment.file(), e);
                    break;
                }
                catalog.remove(segment);
            }
        }
    }

    public SpoolStats stats() {
        int blocked = writer.blockedAppends();
        synchronized (acknowledgements) {
            long nextSequence = writer.nextSequence();
            SpoolBacklog pending = backlogFrom(SpoolPosition.ORIGIN);
            return new SpoolStats(catalog.totalBytes(), catalog.count(), jumps.skippedBefore(nextSequence) - 1,
                    pending.records(), pending.bytes(), pending.oldestAppend(), writer.shedRecords(), blocked,
                    writer.fsyncs(), gaps.sum());
        }
    }

    /**
     * The records from {@code from} on that are neither acknowledged nor presumed applied ({@link #presumeApplied}):
     * how far behind a reader at {@code from} is, other readers' records after it included. The mirror's lag of one
     * target database.
     */
    public SpoolBacklog backlog(SpoolPosition from) {
        synchronized (acknowledgements) {
            return backlogFrom(from);
        }
    }

    /** {@link #backlog} with the lock held. */
    private SpoolBacklog backlogFrom(SpoolPosition from) {
        long nextSequence = writer.nextSequence();
        SpoolPosition written = writer.writtenEnd();
        SpoolPosition pending = firstPending(from);
        long pendingRecords = 0;
        long pendingBytes = 0;
        Optional<Instant> oldest = Optional.empty();
        if (pending != null && written.isAfter(pending)) {
            RecordHeader header = headerAt(pending);
            if (header != null) {
                // not the numbers skipped when the target was ahead of the spool: no record carries them
                pendingRecords = nextSequence - header.sequence()
                        - jumps.skippedBetween(header.sequence(), nextSequence);
                oldest = Optional.of(Instant.ofEpochMilli(header.appendMillis()));
            }
            for (Segment segment : catalog.snapshot()) {
                if (segment.firstSequence() == pending.segment()) {
                    pendingBytes += segment.size() - pending.offset();
                } else if (segment.firstSequence() > pending.segment()) {
                    pendingBytes += segment.size() - RecordFormat.SEGMENT_HEADER_BYTES;
                }
            }
        }
        return new SpoolBacklog(pendingRecords, pendingBytes, oldest);
    }

    /**
     * Position of the oldest record at or after {@code from} neither acknowledged nor presumed applied, or
     * {@code null} if there is none (lock held).
     */
    private SpoolPosition firstPending(SpoolPosition from) {
        SpoolPosition p = SpoolPosition.max(from, SpoolPosition.max(acknowledged, presumedApplied));
        Segment segment = catalog.atOrAfter(p.segment());
        while (segment != null) {
            if (segment.firstSequence() > p.segment() || p.offset() < RecordFormat.SEGMENT_HEADER_BYTES) {
                p = segment.start();
            }
            if (p.offset() < segment.size()) {
                return p;
            }
            if (!segment.sealed()) {
                return null;
            }
            segment = catalog.after(segment.firstSequence());
        }
        return null;
    }

    private RecordHeader headerAt(SpoolPosition position) {
        Segment segment = catalog.get(position.segment());
        if (segment == null) {
            return null;
        }
        try (RecordScanner scanner = new RecordScanner(segment.file())) {
            return scanner.readHeader(position.offset(), segment.size());
        } catch (IOException e) {
            LOG.warn("could not read spool record header at {} in {}", position, segment.file(), e);
            return null;
        }
    }

    /** Stops appends (waiting ones fail), makes written records durable and releases the directory. */
    @Override
    public void close() {
        try {
            boolean clean = writer.close();
            leaveNothingAppliedBehind();
            if (clean) {
                markCleanStop();
            }
        } catch (IOException e) {
            throw new SpoolException("could not close spool in " + directory.path() + ": "
                    + FileErrors.describe(e, directory.path()), e);
        } finally {
            catalog.close();
            try {
                directory.close();
            } catch (IOException e) {
                LOG.warn("could not release the spool directory lock in {}", directory.path(), e);
            }
        }
    }
}
