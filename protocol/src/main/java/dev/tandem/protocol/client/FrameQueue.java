package dev.tandem.protocol.client;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The frames of a connection's exchanges, written as the socket takes them: while the channel is writable, then
 * again when it becomes writable. An exchange sent in many pieces (a large COPY, whose data is wrapped heap arrays)
 * so holds about one piece at a time in the direct buffers the transport copies heap buffers into, instead of all of
 * them at once. An exchange that fits under the write buffer's high water mark is written and flushed at once, as
 * before.
 *
 * <p>Confined to the channel's event loop. Ownership: frames passed to {@link #send} belong to the queue until
 * written; {@link #discard} releases those not written yet.
 */
final class FrameQueue {

    private final ArrayDeque<ByteBuf> unwritten = new ArrayDeque<>();

    void send(Channel channel, List<ByteBuf> frames) {
        for (ByteBuf frame : frames) {
            unwritten.add(frame);
        }
        resume(channel);
    }

    /** Writes what is queued while the channel is writable, and flushes it. */
    void resume(Channel channel) {
        boolean wrote = false;
        ByteBuf frame;
        while (channel.isWritable() && (frame = unwritten.poll()) != null) {
            channel.write(frame, channel.voidPromise());
            wrote = true;
        }
        if (wrote) {
            channel.flush();
        }
    }

    /** The connection is gone: releases the frames not written. */
    void discard() {
        for (ByteBuf frame; (frame = unwritten.poll()) != null; ) {
            frame.release();
        }
    }
}
