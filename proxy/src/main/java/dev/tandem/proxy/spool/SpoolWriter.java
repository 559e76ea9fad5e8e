package dev.tandem.proxy.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends records to the newest segment; safe for any number of appending threads.
 *
 * <p>Appends never block the calling thread (no fsync, no waiting for space happens on it): each returns a
 * {@link CompletableFuture} of the record's position that completes once the record is durable per the fsync policy,
 * or fails with {@link SpoolFullException} (not written, record the gap) or {@link SpoolException} (I/O failure).
 * Futures complete on the spool's flusher thread ({@link FsyncPolicy#ALWAYS}), the appending thread (the other
 * policies) or the thread whose acknowledgement freed space ({@link OnFull#BLOCK}): hop to your own executor (e.g.
 * {@code whenCompleteAsync(..., channel.eventLoop())}) before doing real work in a callback. Completing or cancelling
 * a returned future yourself does not withdraw the record; bound the wait with {@link #append(byte[], Duration)}.
 * An interrupt of the appending thread does not disturb the spool ({@link SegmentChannel}), and the thread keeps it.
 *
 * <p>Records keep the order in which appends were called: once one append waits for space, later ones queue behind
 * it, so one session's transactions are never reordered.
 *
 * <p>Group commit ({@code ALWAYS}): the appending thread writes the record (one gathering write under the lock) and
 * queues its future; the single flusher thread takes everything queued, forces the file once and completes the whole
 * batch, while the next batch accumulates behind that fsync.
 *
 * <p>Lifecycle:
 * <pre>
 *   OPEN ──(write/fsync cannot be undone or retried)──▶ FAILED
 *    │                                                    │
 *    └────────────────(close)────────▶ CLOSED ◀──(close)──┘
 * </pre>
 * After a failed fsync the writer stays failed: the kernel may have dropped the dirty pages, so retrying could
 * report data durable that is not (the PostgreSQL "fsyncgate" lesson). Reopen the spool to recover. Under
 * {@code ALWAYS}, the records written but not yet reported durable are then cut off the file (see
 * {@link #settle}), so that a record whose append failed is never applied after all.
 */
public final class SpoolWriter {

    private static final Logger LOG = LoggerFactory.getLogger(SpoolWriter.class);

    private enum State { OPEN, FAILED, CLOSED }

    /** A written record waiting for the flusher's fsync; {@code appendedAt} in epoch milliseconds. */
    private record Unsynced(SpoolPosition position, CompletableFuture<SpoolPosition> result, long appendedAt) {
    }

    /**
     * The next segment file could not be created (disk full, no file descriptor left): nothing changed, the segment
     * being written stays open, so a later append can try again once the cause is gone.
     */
    private static final class SegmentNotStarted extends IOException {

        private static final long serialVersionUID = 1L;

        SegmentNotStarted(Path file, IOException cause) {
            super("could not start spool segment " + file + ": " + FileErrors.describe(cause, file), cause);
        }

        SpoolException notWritten(byte[] payload) {
            return new SpoolException(getMessage() + "; the record of " + payload.length + " bytes was not written",
                    getCause());
        }
    }

    /** An append waiting for space (block mode). */
    private static final class BlockedAppend {
        final byte[] payload;
        final CRC32C crc;
        final CompletableFuture<SpoolPosition> result = new CompletableFuture<>();
        final long appendedAt = AppendClock.SYSTEM.millis();
        ScheduledFuture<?> timeout;

        BlockedAppend(byte[] payload, CRC32C crc) {
            this.payload = payload;
            this.crc = crc;
        }
    }

    private final SpoolSettings settings;
    private final SpoolDirectory directory;
    private final SegmentCatalog catalog;
    private final SequenceJumps jumps;
    private final Runnable onSegmentSealed;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition flushWanted = lock.newCondition();
    private final ByteBuffer header = ByteBuffer.allocate(RecordFormat.RECORD_HEADER_BYTES);
    private final ByteBuffer[] gather = new ByteBuffer[2];
    private final ArrayDeque<BlockedAppend> blocked = new ArrayDeque<>();
    /**
     * {@link System#nanoTime} when the appends began to wait for space, 0 while none waits: the applications' commits
     * stall meanwhile, which the log says once at the start and once at the end (guarded by {@link #lock}).
     */
    private long blockedSince;
    /** Appends written after waiting for space since {@link #blockedSince}. */
    private long blockedWritten;
    private final LongAdder shed = new LongAdder();
    private final LongAdder fsyncs = new LongAdder();
    private final Thread flusher;
    private final ScheduledThreadPoolExecutor timer;
    private final SegmentChannel.Fsync fsync;
    private List<Unsynced> unsynced = new ArrayList<>();
    /** The batch the flusher is forcing right now; empty when none (lock held). */
    private List<Unsynced> flushing = List.of();
    /** When the oldest record of the batch the flusher is forcing was appended; MAX_VALUE when none is. */
    private volatile long syncing = Long.MAX_VALUE;
    /** Every record before it is on disk: an fsync that covered it succeeded (lock held; kept under ALWAYS). */
    private SpoolPosition durableEnd;
    private State state = State.OPEN;
    private Throwable failure;
    private volatile Segment current;
    private SegmentChannel channel;
    private volatile long nextSequence;
    /** Every record before it was applied on the target, as of the last {@link #spaceFreed} (lock held). */
    private SpoolPosition applied = SpoolPosition.ORIGIN;

    /**
     * @param resume the newest segment if it holds no record yet (appends continue in it), else {@code null} and a new
     *               segment starting at {@code nextSequence} is created
     */
    SpoolWriter(SpoolSettings settings, SpoolDirectory directory, SegmentCatalog catalog, SequenceJumps jumps,
                long nextSequence, Segment resume, Runnable onSegmentSealed) throws IOException {
        this(settings, directory, catalog, jumps, nextSequence, resume, onSegmentSealed, SegmentChannel.Fsync.DISK);
    }

    /** @param fsync how segment files are forced to disk; tests make it fail as a failing disk does */
    SpoolWriter(SpoolSettings settings, SpoolDirectory directory, SegmentCatalog catalog, SequenceJumps jumps,
                long nextSequence, Segment resume, Runnable onSegmentSealed, SegmentChannel.Fsync fsync)
            throws IOException {
        this.settings = settings;
        this.fsync = fsync;
        this.directory = directory;
        this.catalog = catalog;
        this.jumps = jumps;
        this.onSegmentSealed = onSegmentSealed;
        this.nextSequence = nextSequence;
        if (resume != null) {
            current = resume;
            FileChannel file = FileChannel.open(resume.file(), StandardOpenOption.WRITE, StandardOpenOption.READ);
            file.position(resume.size());
            channel = new SegmentChannel(resume, file, lock, fsync);
        } else {
            startSegment(createSegment());
        }
        // recovery forced what it kept, and a new segment's header is forced when it is created
        durableEnd = current.end();
        catalog.publish(current.end());
        if (settings.fsync() == FsyncPolicy.ALWAYS) {
            flusher = new Thread(this::flushLoop, "tandem-spool-flusher");
            flusher.setDaemon(true);
            flusher.start();
        } else {
            flusher = null;
        }
        if (settings.fsync() == FsyncPolicy.INTERVAL || settings.onFull() == OnFull.BLOCK) {
            timer = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "tandem-spool-timer");
                t.setDaemon(true);
                return t;
            });
            // a blocked commit's timeout is cancelled once it is written: kept queued until it would have run, each
            // would hold the commit's payload for max-wait
            timer.setRemoveOnCancelPolicy(true);
            if (settings.fsync() == FsyncPolicy.INTERVAL) {
                long nanos = settings.fsyncInterval().toNanos();
                timer.scheduleWithFixedDelay(this::forceOnInterval, nanos, nanos, TimeUnit.NANOSECONDS);
            }
        } else {
            timer = null;
        }
    }

    /**
     * When the oldest append readers cannot see yet was made (epoch milliseconds): written but waiting for its fsync
     * ({@link FsyncPolicy#ALWAYS}), or waiting for space ({@link OnFull#BLOCK}); {@link Long#MAX_VALUE} when there is
     * none. Its transaction committed on the source, so the mirror must not call itself caught up past it.
     */
    public long oldestInvisibleAppend() {
        lock.lock();
        try {
            long oldest = syncing;
            if (!unsynced.isEmpty()) {
                oldest = Math.min(oldest, unsynced.get(0).appendedAt());
            }
            BlockedAppend waiting = blocked.peek();
            return waiting == null ? oldest : Math.min(oldest, waiting.appendedAt);
        } finally {
            lock.unlock();
        }
    }

    /** Appends a record; in block mode waits for space as long as it takes. See the class comment. */
    public CompletableFuture<SpoolPosition> append(byte[] payload) {
        return append(payload, null);
    }

    /**
     * Appends a record; in block mode waits at most {@code maxWait} for space, then fails with
     * {@link SpoolFullException} and the record is guaranteed not to be written.
     *
     * @param payload the record's bytes; the spool keeps a reference until the future completes, so do not modify it
     * @param maxWait longest wait for space, {@code null} for no limit; ignored in shed mode
     */
    public CompletableFuture<SpoolPosition> append(byte[] payload, Duration maxWait) {
        Objects.requireNonNull(payload, "payload");
        if (payload.length > settings.maxPayloadBytes()) {
            shed.increment();
            return CompletableFuture.failedFuture(new SpoolRecordTooLargeException("a record of " + payload.length
                    + " bytes can never fit in the spool: with mirror.spool.max-bytes " + settings.maxBytes()
                    + " and mirror.spool.segment-bytes " + settings.segmentBytes() + " the largest record is "
                    + settings.maxPayloadBytes() + " bytes"));
        }
        CRC32C crc = RecordFormat.payloadCrc(payload);
        lock.lock();
        try {
            if (state != State.OPEN) {
                return CompletableFuture.failedFuture(notOpen());
            }
            long bytes = recordBytes(payload);
            if (blocked.isEmpty() && makeRoom(bytes)) {
                CompletableFuture<SpoolPosition> durable =
                        settings.fsync() == FsyncPolicy.ALWAYS ? new CompletableFuture<>() : null;
                SpoolPosition position = write(payload, crc, durable);
                return durable != null ? durable : CompletableFuture.completedFuture(position);
            }
            if (settings.onFull() == OnFull.SHED) {
                shed.increment();
                return CompletableFuture.failedFuture(new SpoolFullException("spool is full (" + catalog.totalBytes()
                        + " of max-bytes " + settings.maxBytes() + "): record of " + payload.length
                        + " bytes shed"));
            }
            BlockedAppend waiting = new BlockedAppend(payload, crc);
            if (blockedSince == 0) {
                blockedSince = System.nanoTime();
                blockedWritten = 0;
                LOG.warn("spool full ({} of mirror.spool.max-bytes {} bytes on disk): with on-full: block the"
                        + " applications' commits wait until the mirror has applied enough for space to be freed (the"
                        + " target is down or slow, or a target database is parked: see /status); nothing is lost."
                        + " tandem_spool_blocked_commits counts the commits waiting", catalog.totalBytes(),
                        settings.maxBytes());
            }
            blocked.add(waiting);
            if (maxWait != null) {
                waiting.timeout = timer.schedule(() -> expire(waiting, maxWait), maxWait.toNanos(),
                        TimeUnit.NANOSECONDS);
            }
            return waiting.result;
        } catch (SpoolException e) {
            return CompletableFuture.failedFuture(e);
        } catch (SegmentNotStarted e) {
            return CompletableFuture.failedFuture(e.notWritten(payload));
        } catch (IOException e) {
            return CompletableFuture.failedFuture(failWith(e));
        } finally {
            lock.unlock();
        }
    }

    /** Sequence number the next record gets. */
    long nextSequence() {
        return nextSequence;
    }

    long shedRecords() {
        return shed.sum();
    }

    long fsyncs() {
        return fsyncs.sum();
    }

    int blockedAppends() {
        lock.lock();
        try {
            return blocked.size();
        } finally {
            lock.unlock();
        }
    }

    /** End of the last written record (records past the visible end may still wait for their fsync). */
    SpoolPosition writtenEnd() {
        return current.end();
    }

    Segment currentSegment() {
        return current;
    }

    /**
     * Records up to {@code acknowledged} were applied and the segments holding only such records deleted: write the
     * waiting appends that fit now, in order.
     */
    void spaceFreed(SpoolPosition acknowledged) {
        List<Runnable> completions = new ArrayList<>();
        lock.lock();
        try {
            applied = SpoolPosition.max(applied, acknowledged);
            while (state == State.OPEN && !blocked.isEmpty()) {
                BlockedAppend next = blocked.peek();
                SpoolException notWritten = null;
                try {
                    if (!makeRoom(recordBytes(next.payload))) {
                        break;
                    }
                } catch (SegmentNotStarted e) {
                    notWritten = e.notWritten(next.payload);
                }
                blocked.poll();
                blockedWritten++;
                if (next.timeout != null) {
                    next.timeout.cancel(false);
                }
                if (notWritten != null) {
                    SpoolException error = notWritten;
                    completions.add(() -> next.result.completeExceptionally(error));
                    continue;
                }
                try {
                    boolean always = settings.fsync() == FsyncPolicy.ALWAYS;
                    SpoolPosition position = write(next.payload, next.crc, always ? next.result : null);
                    if (!always) {
                        completions.add(() -> next.result.complete(position));
                    }
                } catch (SpoolException e) {
                    completions.add(() -> next.result.completeExceptionally(e));
                }
            }
            unblocked();
        } catch (IOException e) {
            failWith(e);
        } finally {
            lock.unlock();
        }
        completions.forEach(Runnable::run);
    }

    /** Ends the log's account of a wait for space once no append waits any more; called holding {@link #lock}. */
    private void unblocked() {
        if (blockedSince != 0 && blocked.isEmpty()) {
            LOG.info("spool has room again: {} commit(s) that waited for space are written, after {} ms",
                    blockedWritten, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - blockedSince));
            blockedSince = 0;
        }
    }

    /**
     * Makes every record appended from now on come after {@code position}: the target applied records up to it that
     * the spool no longer holds (lost in a host crash under {@code interval}/{@code never}), so new records must not
     * reuse those positions or the mirror would skip them. The sequence numbers this skips are recorded in
     * {@link SequenceJumps}: no record carries them, and none is missing.
     */
    void advancePast(SpoolPosition position) {
        lock.lock();
        try {
            if (state != State.OPEN || current.firstSequence() > position.segment()) {
                return;
            }
            LOG.warn("the mirror applied records up to spool position {} but the spool ends at {}: records were lost"
                    + " from the spool (fsync {}); new records start in a new segment after that position", position,
                    current.end(), settings.fsync().name().toLowerCase(Locale.ROOT));
            long next = Math.max(nextSequence, position.segment() + 1);
            if (next > nextSequence) {
                try {
                    jumps.record(nextSequence, next);
                } catch (IOException e) {
                    LOG.warn("could not note in {} that spool sequence numbers {} to {} are skipped ({}): after a"
                            + " restart they count as pending records, and the mirror reports them missing",
                            SequenceJumps.FILE, nextSequence, next - 1, FileErrors.describe(e, null));
                }
                nextSequence = next;
            }
            roll();
        } catch (IOException e) {
            throw failWith(e);
        } finally {
            lock.unlock();
        }
    }

    private static long recordBytes(byte[] payload) {
        return RecordFormat.RECORD_HEADER_BYTES + (long) payload.length;
    }

    private boolean needsRoll(long bytes) {
        long size = current.size();
        return size > RecordFormat.SEGMENT_HEADER_BYTES && size + bytes > settings.segmentBytes();
    }

    /**
     * Whether a record of {@code bytes} fits now (lock held). If the segment being written is itself fully applied but
     * the record still does not fit beside it (records larger than a segment), it is sealed so that it is deleted too;
     * no acknowledgement may ever come to do it, since nothing else is left to apply. The new segment's 32-byte
     * header may exceed the cap for that moment.
     */
    private boolean makeRoom(long bytes) throws IOException {
        if (fits(bytes)) {
            return true;
        }
        boolean currentApplied = current.size() > RecordFormat.SEGMENT_HEADER_BYTES
                && applied.compareTo(current.end()) >= 0;
        if (!currentApplied) {
            return false;
        }
        roll();
        return fits(bytes);
    }

    private boolean fits(long bytes) {
        long extra = needsRoll(bytes) ? RecordFormat.SEGMENT_HEADER_BYTES : 0;
        return catalog.totalBytes() + bytes + extra <= settings.maxBytes();
    }

    /**
     * Writes one record (lock held). Under {@code ALWAYS} queues {@code durable} for the flusher; otherwise publishes
     * the record to readers at once.
     */
    private SpoolPosition write(byte[] payload, CRC32C crc, CompletableFuture<SpoolPosition> durable) {
        long bytes = recordBytes(payload);
        if (needsRoll(bytes)) {
            try {
                roll();
            } catch (SegmentNotStarted e) {
                throw e.notWritten(payload);
            } catch (IOException e) {
                throw failWith(e);
            }
        }
        long sequence = nextSequence;
        long offset = current.size();
        header.clear();
        RecordFormat.writeRecordHeader(header, payload.length, sequence, AppendClock.SYSTEM.millis(), crc);
        header.flip();
        gather[0] = header;
        gather[1] = ByteBuffer.wrap(payload);
        try {
            channel.write(gather);
        } catch (IOException e) {
            throw undoWrite(offset, e);
        } finally {
            gather[1] = null;
        }
        nextSequence = sequence + 1;
        current.grow(bytes);
        catalog.grew(bytes);
        SpoolPosition position = new SpoolPosition(current.firstSequence(), offset);
        if (durable != null) {
            unsynced.add(new Unsynced(position, durable, AppendClock.SYSTEM.millis()));
            if (unsynced.size() == 1) {
                flushWanted.signal();
            }
        } else {
            catalog.publish(current.end());
        }
        return position;
    }

    /** A write failed part-way (e.g. disk full): cut the partial record off so the segment stays valid. */
    private SpoolException undoWrite(long offset, IOException cause) {
        try {
            channel.cut(offset);
            return new SpoolException("could not write a record to spool file " + current.file() + ": "
                    + FileErrors.describe(cause, current.file()), cause);
        } catch (IOException e) {
            cause.addSuppressed(e);
            return failWith(cause);
        }
    }

    /**
     * Seals the current segment (forced to disk unless fsync is never) and starts the next one (lock held). The next
     * file is created before the current one is sealed, so that failing to create it leaves the writer as it was.
     *
     * @throws SegmentNotStarted when the next segment file cannot be created
     * @throws IOException       when the current segment cannot be forced or closed: the writer must fail
     */
    private void roll() throws IOException {
        if (settings.durable()) {
            channel.force(false);
            fsyncs.increment();
            durableEnd = current.end();
        }
        FileChannel next;
        try {
            next = SegmentChannel.withoutInterrupts(this::createSegment);
        } catch (IOException e) {
            throw new SegmentNotStarted(directory.path().resolve(Segment.fileName(nextSequence)), e);
        }
        current.seal();
        catalog.publish(current.end());
        SegmentChannel sealed = channel;
        startSegment(next);
        sealed.close();
        onSegmentSealed.run();
    }

    private FileChannel createSegment() throws IOException {
        return directory.createSegment(nextSequence, AppendClock.SYSTEM.millis(), settings.durable());
    }

    /**
     * Makes the segment just created for {@code nextSequence} the one appends go to; {@code created} is positioned
     * after its header.
     */
    private void startSegment(FileChannel created) {
        long first = nextSequence;
        Segment segment = new Segment(first, directory.path().resolve(Segment.fileName(first)),
                RecordFormat.SEGMENT_HEADER_BYTES, false);
        channel = new SegmentChannel(segment, created, lock, fsync);
        catalog.add(segment);
        current = segment;
    }

    private void flushLoop() {
        while (true) {
            List<Unsynced> batch;
            SpoolPosition end;
            SegmentChannel target;
            lock.lock();
            try {
                while (unsynced.isEmpty() && state == State.OPEN) {
                    flushWanted.awaitUninterruptibly();
                }
                if (unsynced.isEmpty()) {
                    return;
                }
                batch = unsynced;
                unsynced = new ArrayList<>();
                flushing = batch;
                syncing = batch.get(0).appendedAt();
                end = current.end();
                target = channel;
            } finally {
                lock.unlock();
            }
            IOException failed = null;
            try {
                target.force(false);
                fsyncs.increment();
            } catch (ClosedChannelException e) {
                if (!target.segment().sealed()) {
                    failed = e;
                }
                // else a roll sealed the segment and forced it before closing the channel: the batch is on disk.
            } catch (IOException e) {
                failed = e;
            }
            lock.lock();
            try {
                if (flushing != batch) {
                    continue; // the writer failed meanwhile, and settled this batch with the others
                }
                if (failed != null) {
                    failWith(failed);
                    continue;
                }
                flushing = List.of();
                durableEnd = SpoolPosition.max(durableEnd, end);
            } finally {
                lock.unlock();
            }
            catalog.publish(end);
            // only once readers can see the batch: until then it holds back the mirror's caught-up time
            syncing = Long.MAX_VALUE;
            for (Unsynced u : batch) {
                u.result().complete(u.position());
            }
        }
    }

    private void forceOnInterval() {
        SegmentChannel target;
        lock.lock();
        try {
            if (state != State.OPEN) {
                return;
            }
            target = channel;
        } finally {
            lock.unlock();
        }
        try {
            target.force(false);
            fsyncs.increment();
        } catch (ClosedChannelException e) {
            // A roll closed it, after forcing it.
        } catch (IOException e) {
            lock.lock();
            try {
                failWith(e);
            } finally {
                lock.unlock();
            }
        }
    }

    private void expire(BlockedAppend waiting, Duration maxWait) {
        boolean expired;
        lock.lock();
        try {
            expired = blocked.remove(waiting);
            if (expired) {
                shed.increment();
                unblocked();
            }
        } finally {
            lock.unlock();
        }
        if (expired) {
            waiting.result.completeExceptionally(new SpoolFullException("spool stayed full (max-bytes "
                    + settings.maxBytes() + ") for " + maxWait.toMillis() + " ms: record of " + waiting.payload.length
                    + " bytes not written"));
        }
    }

    /** The one place the lifecycle state changes (lock held). */
    private void transition(State to, Throwable cause) {
        boolean allowed = switch (state) {
            case OPEN -> to == State.FAILED || to == State.CLOSED;
            case FAILED -> to == State.CLOSED;
            case CLOSED -> false;
        };
        if (!allowed) {
            throw new IllegalStateException("spool writer cannot go from " + state + " to " + to);
        }
        state = to;
        if (cause != null) {
            failure = cause;
        }
    }

    /** Enters FAILED (lock held) and fails everything still waiting; returns the error for the current caller. */
    private SpoolException failWith(IOException cause) {
        SpoolException error = new SpoolException("spool writer failed on " + current.file() + ": "
                + FileErrors.describe(cause, current.file()) + "; no further appends are accepted until the spool is"
                + " reopened", cause);
        if (state == State.OPEN) {
            LOG.error("spool writer failed on {}", current.file(), cause);
            transition(State.FAILED, error);
        }
        // also when closing: the flusher's last batches are settled here if their fsync fails
        failWaiting(error, cause);
        return error;
    }

    /** Fails the appends waiting for space and settles the written ones not yet durable (lock held). */
    private void failWaiting(SpoolException error, IOException cause) {
        List<Runnable> completions = new ArrayList<>();
        blocked.forEach(b -> {
            if (b.timeout != null) {
                b.timeout.cancel(false);
            }
            completions.add(() -> b.result.completeExceptionally(error));
        });
        blocked.clear();
        List<Unsynced> written = new ArrayList<>(flushing);
        written.addAll(unsynced);
        flushing = List.of();
        unsynced = new ArrayList<>();
        syncing = Long.MAX_VALUE;
        if (!written.isEmpty()) {
            completions.addAll(settle(written, cause));
        }
        // Completed on a fresh thread: callbacks must not run under this lock.
        if (!completions.isEmpty()) {
            CompletableFuture.runAsync(() -> completions.forEach(Runnable::run));
        }
    }

    /**
     * Decides what becomes of records written but not yet reported durable when the writer fails ({@code ALWAYS},
     * lock held); returns how to complete their appends.
     *
     * <p>Records an fsync covered (a roll forced their segment) are durable: their appends succeed. The others are
     * cut off the file. Failing their appends but leaving them in the file was the worst of both: the capture
     * records a failed append in the divergence ledger as a transaction that is not mirrored, yet the reader of the
     * reopened spool (the page cache still holds the records, and the disk may too) applied it anyway. The ledger
     * lied, and a repair of its range done before the restart ended in duplicate rows. Cut off, the records are gone
     * and the ledger tells the truth; the client was never told they were durable. Should the cut fail too, the
     * appends' error says that the records may still be applied, and how to prevent it.
     */
    private List<Runnable> settle(List<Unsynced> written, IOException cause) {
        SpoolPosition keep = durableEnd.segment() == current.firstSequence() ? durableEnd : current.start();
        List<Unsynced> kept = written.stream().filter(u -> u.position().compareTo(keep) < 0).toList();
        List<Unsynced> cut = written.stream().filter(u -> u.position().compareTo(keep) >= 0).toList();
        List<Runnable> completions = new ArrayList<>();
        if (!kept.isEmpty()) {
            SpoolPosition visible = durableEnd;
            completions.add(() -> catalog.publish(visible));
            kept.forEach(u -> completions.add(() -> u.result().complete(u.position())));
        }
        if (cut.isEmpty()) {
            return completions;
        }
        Path file = current.file();
        long size = current.size();
        String failure = "the spool writer failed on " + file + " before the record was on disk ("
                + FileErrors.describe(cause, file) + ")";
        String fate;
        try {
            channel.cut(keep.offset());
            channel.force(true);
            catalog.grew(keep.offset() - size);
            current.cutTo(keep.offset());
            nextSequence -= cut.size();
            fate = failure + "; it was removed from the spool again and will not be applied, so the transaction is not"
                    + " mirrored";
            LOG.error("{} record(s) written to {} after its last successful fsync were removed from it again (bytes {}"
                    + " to {}): their transactions are not mirrored and are recorded in the divergence ledger",
                    cut.size(), file, keep.offset(), size);
        } catch (IOException e) {
            fate = failure + ", and removing the record from the file failed too (" + FileErrors.describe(e, file)
                    + "): it may still be applied on the target after a restart. To make sure it is not, truncate "
                    + file + " to " + keep.offset() + " bytes before the proxy starts again";
            LOG.error("{} record(s) written to {} after its last successful fsync could not be removed from it again"
                    + " ({}): they may still be applied on the target after a restart although their transactions are"
                    + " recorded as not mirrored. Truncate {} to {} bytes before the proxy starts again", cut.size(),
                    file, FileErrors.describe(e, file), file, keep.offset());
        }
        SpoolException error = new SpoolException(fate, cause);
        cut.forEach(u -> completions.add(() -> u.result().completeExceptionally(error)));
        return completions;
    }

    private SpoolException notOpen() {
        if (state == State.FAILED) {
            return new SpoolException(failure.getMessage(), failure);
        }
        return new SpoolException("spool is closed");
    }

    /**
     * Stops accepting appends, fails the ones waiting for space, waits for the flusher to make everything written
     * durable, and closes the file.
     *
     * @return whether the writer was open until now, so every record it wrote is whole in the file (forced there unless
     *         fsync is never); false after a failure, or when it was closed before
     */
    boolean close() throws IOException {
        State before;
        lock.lock();
        try {
            before = state;
            if (state == State.CLOSED) {
                return false;
            }
            List<BlockedAppend> waiting = new ArrayList<>(blocked);
            blocked.clear();
            transition(State.CLOSED, null);
            flushWanted.signalAll();
            SpoolException closed = new SpoolException("spool closed before the record could be written");
            waiting.forEach(b -> {
                if (b.timeout != null) {
                    b.timeout.cancel(false);
                }
            });
            CompletableFuture.runAsync(() -> waiting.forEach(b -> b.result.completeExceptionally(closed)));
        } finally {
            lock.unlock();
        }
        if (flusher != null) {
            joinUninterruptibly(flusher);
        }
        if (timer != null) {
            // Not shutdownNow(): a force in flight finishes rather than starting over on a reopened file.
            timer.shutdown();
            try {
                timer.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        lock.lock();
        try {
            if (before == State.OPEN && settings.durable()) {
                channel.force(false);
            }
        } finally {
            channel.close();
            lock.unlock();
        }
        return before == State.OPEN;
    }

    private static void joinUninterruptibly(Thread thread) {
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Tasks queued on the timer (bounded waits for space, and the interval fsync): for tests. */
    int timeoutsQueued() {
        return timer == null ? 0 : timer.getQueue().size();
    }
}
