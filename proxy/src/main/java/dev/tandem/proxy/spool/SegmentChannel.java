package dev.tandem.proxy.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.Lock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open file of the segment being written, which a thread interrupt cannot take away from the writer.
 *
 * <p>A {@link FileChannel} closes itself for everyone when a thread is interrupted inside one of its operations, or
 * enters one with its interrupt status set ({@link ClosedByInterruptException}). The writer's channel is used by many
 * threads: sessions' event loops append, the mirror's thread writes the appends that waited for space when it
 * acknowledges and starts a segment when the target is ahead of the spool, the flusher and the interval timer force
 * it, and an application or test may run appends on threads it interrupts ({@code shutdownNow()},
 * {@code Future.cancel(true)}, a timeout). Without this, one interrupt anywhere failed the writer, and every
 * transaction after it was ledgered as not mirrored until the proxy restarted.
 *
 * <p>So each operation clears the caller's interrupt status for its I/O and sets it again before returning (the caller
 * still sees its interrupt). An interrupt that comes during the I/O, on this thread or another one, still closes the
 * channel: then the file is opened again, under the writer's lock, where the segment's size is exact; whatever an
 * interrupted write left past it is cut off, and the operation is repeated. Only {@link #close} closes it for good.
 * On the normal path this adds no system call and no lock.
 */
final class SegmentChannel implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SegmentChannel.class);

    /** One file operation, repeated on the reopened channel when an interrupt closed the one it ran on. */
    @FunctionalInterface
    interface Operation {
        void run(FileChannel channel) throws IOException;
    }

    /** How a file is forced to disk: {@link #DISK} but in tests that make it fail as a failing disk does. */
    @FunctionalInterface
    interface Fsync {
        Fsync DISK = FileChannel::force;

        void force(FileChannel channel, boolean metaData) throws IOException;
    }

    /** An I/O step on a file of its own, repeated from the start when an interrupt closed that file. */
    @FunctionalInterface
    interface Step<T> {
        T call() throws IOException;
    }

    private final Segment segment;
    private final Lock writerLock;
    private final Fsync fsync;
    private volatile FileChannel channel;
    private volatile boolean closed;

    /**
     * @param channel    the segment's file, open for writing and positioned at its end
     * @param writerLock the lock under which the writer changes the segment's size
     */
    SegmentChannel(Segment segment, FileChannel channel, Lock writerLock, Fsync fsync) {
        this.segment = segment;
        this.channel = channel;
        this.writerLock = writerLock;
        this.fsync = fsync;
    }

    Segment segment() {
        return segment;
    }

    /** Writes all of {@code buffers} at the end of the segment (writer lock held). */
    void write(ByteBuffer[] buffers) throws IOException {
        for (ByteBuffer buffer : buffers) {
            buffer.mark();
        }
        boolean interrupted = Thread.interrupted();
        try {
            while (true) {
                FileChannel current = channel;
                try {
                    FileSlices.write(current, buffers);
                    return;
                } catch (ClosedChannelException e) {
                    interrupted |= Thread.interrupted();
                    interrupted |= reopen(current, e);
                    for (ByteBuffer buffer : buffers) {
                        buffer.reset();
                    }
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Forces the file's content (and with {@code metaData} its metadata) to disk; any thread. */
    void force(boolean metaData) throws IOException {
        run(c -> fsync.force(c, metaData));
    }

    /** Cuts the file to {@code size} and continues writing there (writer lock held). */
    void cut(long size) throws IOException {
        run(c -> {
            c.truncate(size);
            c.position(size);
        });
    }

    /** Runs {@code operation}, on a reopened channel again if an interrupt closed the one it ran on. */
    void run(Operation operation) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            while (true) {
                FileChannel current = channel;
                try {
                    operation.run(current);
                    return;
                } catch (ClosedChannelException e) {
                    interrupted |= Thread.interrupted();
                    interrupted |= reopen(current, e);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Replaces {@code failed}, unless another thread did already or the channel was closed on purpose (then
     * {@code cause} is thrown).
     *
     * @return whether this thread was interrupted meanwhile (its status is cleared; the caller sets it again)
     */
    private boolean reopen(FileChannel failed, ClosedChannelException cause) throws IOException {
        boolean interrupted = false;
        writerLock.lock();
        try {
            if (closed) {
                throw cause;
            }
            if (channel != failed) {
                return false;
            }
            while (true) {
                FileChannel reopened = FileChannel.open(segment.file(), StandardOpenOption.WRITE,
                        StandardOpenOption.READ);
                try {
                    reopened.truncate(segment.size());
                    reopened.position(segment.size());
                    channel = reopened;
                    LOG.warn("spool file {} was closed by a thread interrupt; opened it again at offset {}",
                            segment.file(), segment.size());
                    return interrupted;
                } catch (ClosedByInterruptException e) {
                    interrupted |= Thread.interrupted();
                } catch (IOException e) {
                    reopened.close();
                    e.addSuppressed(cause);
                    throw e;
                }
            }
        } finally {
            writerLock.unlock();
        }
    }

    /**
     * Runs {@code step}, which opens and closes files of its own, without letting an interrupt fail it: the caller's
     * interrupt status is cleared for it and set again afterwards, and a step an interrupt cut short is run again.
     */
    static <T> T withoutInterrupts(Step<T> step) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            while (true) {
                try {
                    return step.call();
                } catch (ClosedByInterruptException e) {
                    interrupted = true;
                    Thread.interrupted();
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Closes the file for good: operations that run into it fail with {@link ClosedChannelException}. */
    @Override
    public void close() throws IOException {
        closed = true;
        channel.close();
    }
}
