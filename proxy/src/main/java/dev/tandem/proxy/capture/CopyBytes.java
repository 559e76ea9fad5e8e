package dev.tandem.proxy.capture;

import java.util.Arrays;
import java.util.List;

/**
 * A COPY's data, in the chunks its CopyData messages cut it into (anywhere, a row or a character apart), as one run
 * of bytes: read in order from a cursor (text and CSV rows through {@link CopyFields}, binary values), or at any
 * offset from the first byte.
 */
public final class CopyBytes {

    private final List<byte[]> chunks;
    /** Where each chunk starts; the last entry is the length of the whole. */
    private final long[] starts;
    /** The cursor: settled, so a chunk left has a byte left at the offset. */
    private int chunk;
    private int offset;
    /** The cursor's chunk, null past the last: read once per byte, not looked up in the list. */
    private byte[] bytes;

    public CopyBytes(List<byte[]> chunks) {
        this.chunks = chunks;
        starts = new long[chunks.size() + 1];
        for (int c = 0; c < chunks.size(); c++) {
            starts[c + 1] = starts[c] + chunks.get(c).length;
        }
        settle();
    }

    private void settle() {
        while (chunk < chunks.size() && offset >= chunks.get(chunk).length) {
            offset = 0;
            chunk++;
        }
        bytes = chunk < chunks.size() ? chunks.get(chunk) : null;
    }

    /** The offset of the byte the cursor reads next (the length once all are read). */
    public long position() {
        return starts[chunk] + offset;
    }

    /** Whether {@code n} more bytes are left to read. */
    public boolean has(int n) {
        if (n == 1) {
            return bytes != null;
        }
        int c = chunk;
        long left = -offset;
        while (c < chunks.size() && left < n) {
            left += chunks.get(c++).length;
        }
        return left >= n;
    }

    /** The byte {@link #next} reads; one must be left. */
    public byte peek() {
        return bytes[offset];
    }

    public byte next() {
        if (bytes == null) {
            throw new IllegalStateException("past the end of the COPY data");
        }
        byte b = bytes[offset++];
        if (offset == bytes.length) {
            settle();
        }
        return b;
    }

    public void skip(long n) {
        for (long k = 0; k < n && bytes != null; k++) {
            next();
        }
    }

    /** A network-order 16-bit integer, as binary COPY writes a row's field count. */
    public int int16() {
        return (short) ((next() & 0xff) << 8 | next() & 0xff);
    }

    public int int32() {
        return (next() & 0xff) << 24 | (next() & 0xff) << 16 | (next() & 0xff) << 8 | next() & 0xff;
    }

    public long int64() {
        return (long) int32() << 32 | int32() & 0xffffffffL;
    }

    /** The byte at offset {@code at} (0-255), or -1 outside the data; the cursor stays where it is. */
    public int byteAt(long at) {
        if (at < 0 || at >= starts[chunks.size()]) {
            return -1;
        }
        int c = chunkAt(at);
        return chunks.get(c)[(int) (at - starts[c])] & 0xff;
    }

    /** The offset of the first {@code b} at or after {@code from}, or -1; the cursor stays where it is. */
    public long indexOf(byte b, long from) {
        if (from >= starts[chunks.size()]) {
            return -1;
        }
        for (int c = chunkAt(Math.max(0, from)); c < chunks.size(); c++) {
            byte[] bytes = chunks.get(c);
            for (int k = (int) Math.max(0, from - starts[c]); k < bytes.length; k++) {
                if (bytes[k] == b) {
                    return starts[c] + k;
                }
            }
        }
        return -1;
    }

    /**
     * Keeps the bytes before offset {@code at} in the list of chunks (the chunk holding it shortened, the chunks after
     * it removed); this view is not to be read afterwards.
     */
    public void truncate(long at) {
        int c = chunkAt(at);
        int kept = (int) (at - starts[c]);
        byte[] head = Arrays.copyOf(chunks.get(c), kept);
        chunks.subList(c, chunks.size()).clear();
        if (kept > 0) {
            chunks.add(head);
        }
    }

    /** The chunk holding byte {@code at} (0 <= at < length). */
    private int chunkAt(long at) {
        int lo = 0;
        int hi = chunks.size() - 1;
        while (lo < hi) { // the last chunk starting at or before at: empty chunks are passed over
            int mid = (lo + hi + 1) >>> 1;
            if (starts[mid] <= at) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }
}
