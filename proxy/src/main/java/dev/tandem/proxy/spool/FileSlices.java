package dev.tandem.proxy.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * File writes and reads of heap buffers in pieces of at most {@link #BYTES}.
 *
 * <p>The JDK copies a heap buffer through a temporary direct buffer as large as what is left of it, and keeps that
 * buffer cached in the thread for its whole life (unbounded unless {@code -Djdk.nio.maxCachedBufferSize} is set). A
 * 200 MB record written or read in one call left 200 MB of direct memory held by every thread that ever wrote or read
 * one, counted against {@code -XX:MaxDirectMemorySize}. In pieces, each thread holds at most a piece or two. Records up
 * to a piece are written in one gathering call, as before: the common small commit costs nothing more.
 */
final class FileSlices {

    static final int BYTES = 1024 * 1024;

    private FileSlices() {
    }

    /** Writes all of {@code buffers} at the channel's position; on an exception, positions show what was written. */
    static void write(FileChannel channel, ByteBuffer[] buffers) throws IOException {
        if (remaining(buffers) <= BYTES) {
            while (hasRemaining(buffers)) {
                channel.write(buffers);
            }
            return;
        }
        for (ByteBuffer buffer : buffers) {
            while (buffer.hasRemaining()) {
                int n = Math.min(buffer.remaining(), BYTES);
                int written = channel.write(buffer.slice(buffer.position(), n));
                buffer.position(buffer.position() + written);
            }
        }
    }

    /**
     * Reads {@code target.length} bytes at file offset {@code start} into {@code target}.
     *
     * @return false if the file ended first
     */
    static boolean read(FileChannel channel, long start, byte[] target) throws IOException {
        int done = 0;
        while (done < target.length) {
            int n = channel.read(ByteBuffer.wrap(target, done, Math.min(target.length - done, BYTES)), start + done);
            if (n < 0) {
                return false;
            }
            done += n;
        }
        return true;
    }

    private static long remaining(ByteBuffer[] buffers) {
        long total = 0;
        for (ByteBuffer buffer : buffers) {
            total += buffer.remaining();
        }
        return total;
    }

    private static boolean hasRemaining(ByteBuffer[] buffers) {
        for (ByteBuffer buffer : buffers) {
            if (buffer.hasRemaining()) {
                return true;
            }
        }
        return false;
    }
}
