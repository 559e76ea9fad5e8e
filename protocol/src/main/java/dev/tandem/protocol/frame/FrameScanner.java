package dev.tandem.protocol.frame;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.function.Consumer;

/**
 * Walks a typed PostgreSQL message stream (everything after the startup phase, in either direction) and hands on
 * the bytes unchanged, in as few pieces as possible.
 *
 * <p>Why not split into one buffer per message: a relay gains nothing from that. The scanner reads only each frame's
 * five header bytes, checks the length, and forwards the whole run of bytes it has walked over as <em>one</em> retained
 * slice of the buffer it was given — zero copies, one write per socket read. Frames the {@link FrameObserver} wants
 * whole are held until complete; all other frames stream, so a 1 GiB DataRow or CopyData never sits in memory.
 *
 * <pre>
 *           header complete, observer streams it           body bytes arrive
 *   BOUNDARY ---------------------------------------> IN_BODY (remaining > 0) ---+
 *      ^  |                                                                      |
 *      |  +-- header incomplete, or frame wanted whole but incomplete:           |
 *      |      keep the bytes as pending, wait for more                           |
 *      +-------------------------------------------------------------------------+
 *      |                           remaining == 0
 *      |  observer.onFrame returns false
 *      +------------------------------------> HELD: the frame and all after it wait in pending
 *      <---------- resume() -----------------'      until resume(); the held frame is not shown again
 * </pre>
 *
 * <p>Not thread-safe: one scanner per direction of one connection, used on its event loop.
 */
public final class FrameScanner {

    private static final int HEADER = 5;

    private final String peerName;
    private final long maxFrameBytes;
    private final FrameObserver observer;
    private final ByteBufAllocator alloc;

    /** Bytes of the current streamed frame still to come; 0 at a frame boundary. */
    private long remaining;
    /** An incomplete header, or an incomplete frame the observer wants whole; owned by this scanner. */
    private ByteBuf pending;
    /** Length (type byte included) of the frame the observer held back, at the start of {@link #pending}; 0 if none. */
    private long held;

    /**
     * @param peerName      who sends this stream ("client", "source"), for error messages
     * @param maxFrameBytes largest accepted frame length (the protocol length: body plus four)
     */
    public FrameScanner(String peerName, long maxFrameBytes, FrameObserver observer, ByteBufAllocator alloc) {
        this.peerName = peerName;
        this.maxFrameBytes = maxFrameBytes;
        this.observer = observer;
        this.alloc = alloc;
    }

    /**
     * Scans {@code in} and passes every byte that belongs to frames already checked to {@code forward}.
     *
     * @param in      ownership passes to the scanner
     * @param forward receives retained buffers and owns them (typically writes them to the peer channel)
     * @throws ProtocolViolationException on an invalid or oversized length; everything before the bad frame has been
     *                                    forwarded, nothing after it
     */
    public void feed(ByteBuf in, Consumer<ByteBuf> forward) {
        ByteBuf buf = in;
        boolean owned = pending != null;
        if (owned) {
            buf = pending;
            pending = null;
            try {
                append(buf, in);
            } catch (RuntimeException | OutOfMemoryError e) {
                pending = buf; // still the scanner's: released with it
                throw e;
            } finally {
                in.release();
            }
        }
        if (held > 0) {
            pending = buf;
            return;
        }
        int start = buf.readerIndex();
        try {
            scan(buf);
        } finally {
            int end = buf.readerIndex();
            if (end > start) {
                forward.accept(buf.retainedSlice(start, end - start));
            }
            keepRest(buf, end > start, owned);
        }
    }

    /**
     * Appends a read to the pending bytes. Appending (not re-merging) and growing the buffer geometrically keep a large
     * frame that arrives in many reads linear to assemble: Netty grows a buffer past 4 MiB by 4 MiB steps, copying all
     * it holds at each, which for a frame of a few hundred megabytes blocks the event loop, and every session on it, for
     * seconds. The growth stops at the end of the frame being assembled, so memory follows the bytes received.
     */
    private static void append(ByteBuf buf, ByteBuf in) {
        int incoming = in.readableBytes();
        if (buf.writableBytes() < incoming) {
            long grow = buf.readableBytes();
            if (buf.readableBytes() >= HEADER) {
                grow = Math.min(grow, 1L + buf.getInt(buf.readerIndex() + 1) - buf.readableBytes());
            }
            buf.ensureWritable((int) Math.max(incoming, grow));
        }
        buf.writeBytes(in);
    }

    /**
     * Keeps unscanned bytes for the next read; releases {@code buf} unless it is kept itself.
     *
     * @param owned {@code buf} is this scanner's own pending buffer (not a socket read), so it may be grown in place
     */
    private void keepRest(ByteBuf buf, boolean forwardedSome, boolean owned) {
        if (!buf.isReadable()) {
            buf.release();
        } else if (owned && !forwardedSome) {
            pending = buf;
        } else {
            // A slice of buf went to the peer, so its memory cannot be reused: copy the (usually small) rest.
            pending = alloc.buffer(Math.max(buf.readableBytes(), 256));
            pending.writeBytes(buf);
            buf.release();
        }
    }

    private void scan(ByteBuf buf) {
        while (buf.isReadable()) {
            if (remaining > 0) {
                int n = (int) Math.min(remaining, buf.readableBytes());
                buf.skipBytes(n);
                remaining -= n;
                continue;
            }
            if (buf.readableBytes() < HEADER) {
                return;
            }
            int at = buf.readerIndex();
            byte type = buf.getByte(at);
            int length = buf.getInt(at + 1);
            if (length < 4) {
                throw new ProtocolViolationException("invalid message length " + length + " from the " + peerName
                        + " (message type '" + printable(type) + "')");
            }
            if (length > maxFrameBytes) {
                throw new ProtocolViolationException("message of " + length + " bytes from the " + peerName
                        + " (type '" + printable(type) + "') exceeds the limit of " + maxFrameBytes
                        + " bytes (limits.max-frame-bytes)");
            }
            long total = 1L + length;
            if (observer.needsWholeFrame(type)) {
                if (buf.readableBytes() < total) {
                    observer.beforeHolding(type, length);
                    return;
                }
                ByteBuf frame = buf.slice(at, (int) total);
                if (!observer.onFrame(type, frame)) {
                    held = total;
                    return;
                }
                buf.skipBytes((int) total);
            } else {
                observer.onFrameStart(type, length);
                int n = (int) Math.min(total, buf.readableBytes());
                buf.skipBytes(n);
                remaining = total - n;
            }
        }
    }

    /** Bytes received but not forwarded yet: a partial frame, or a held frame and whatever came after it. */
    public int pendingBytes() {
        return pending == null ? 0 : pending.readableBytes();
    }

    /** The observer held a frame back: nothing is forwarded until {@link #resume}. */
    public boolean isHeld() {
        return held > 0;
    }

    /**
     * Lets the held frame and everything after it go on: the held frame is forwarded without being shown to the
     * observer again, the rest is scanned as usual (and may be held again).
     *
     * @param forward as for {@link #feed}
     */
    public void resume(Consumer<ByteBuf> forward) {
        if (held == 0) {
            return;
        }
        ByteBuf buf = pending;
        pending = null;
        int start = buf.readerIndex();
        buf.skipBytes((int) held);
        held = 0;
        try {
            scan(buf);
        } finally {
            int end = buf.readerIndex();
            forward.accept(buf.retainedSlice(start, end - start));
            keepRest(buf, true, true);
        }
    }

    /** True between frames: the point where a proxy may inject a message of its own without corrupting the stream. */
    public boolean atFrameBoundary() {
        // Pending bytes were never forwarded, so only a streamed frame in flight leaves the peer mid-message.
        return remaining == 0;
    }

    /** Frees held bytes; call when the connection closes. */
    public void release() {
        if (pending != null) {
            pending.release();
            pending = null;
        }
        held = 0;
    }

    private static String printable(byte type) {
        return type >= 32 && type < 127 ? String.valueOf((char) type) : String.format("0x%02x", type & 0xff);
    }
}
