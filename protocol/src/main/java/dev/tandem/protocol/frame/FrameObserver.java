package dev.tandem.protocol.frame;

import io.netty.buffer.ByteBuf;

/**
 * Sees the frames a {@link FrameScanner} passes through, without owning any bytes.
 *
 * <p>For each frame the scanner first asks {@link #needsWholeFrame(byte)}. Frames the observer must parse (say
 * ReadyForQuery, or a Query the mirror captures) are held back until complete and shown whole to
 * {@link #onFrame(byte, ByteBuf)}; all others stream through, possibly split across reads, and are only announced by
 * {@link #onFrameStart(byte, int)}. Both callbacks run on the channel's event loop and must not block.
 *
 * <p>An observer may hold a whole frame back (say a ReadyForQuery that must wait until the target committed) by
 * returning false from {@link #onFrame}; the scanner then forwards nothing more until it is resumed.
 */
public interface FrameObserver {

    /** Observes nothing; frames are still checked for valid lengths. */
    FrameObserver NONE = new FrameObserver() {
    };

    default boolean needsWholeFrame(byte type) {
        return false;
    }

    /**
     * Called before the scanner starts holding back a frame {@link #needsWholeFrame} asked for, with its protocol
     * length: the bytes held cost memory until the frame is complete, frames streamed through cost none.
     *
     * @throws ProtocolViolationException to refuse holding that much
     */
    default void beforeHolding(byte type, int length) {
    }

    /**
     * A complete frame: type byte, length and body, readable from its reader index.
     *
     * @param frame borrowed: valid only during the call and not to be released; {@code retainedSlice()} or copy it
     *              to keep it
     * @return true to let the frame go on now, false to hold it (and all after it) until the scanner is resumed
     */
    default boolean onFrame(byte type, ByteBuf frame) {
        return true;
    }

    /** A frame that streams through; {@code length} is the protocol length (body plus the four length bytes). */
    default void onFrameStart(byte type, int length) {
    }
}
