package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;

/**
 * CommandComplete ('C'): a statement finished; the tag names the command and, for most DML, the row count
 * ({@code INSERT 0 5}, {@code UPDATE 3}, {@code COPY 100}, {@code SELECT 7}).
 *
 * <p>{@link #rowCount(ByteBuf)} and {@link #isCommand(ByteBuf, String)} read a frame in place without creating a
 * String, for the proxy's per-statement hot path (the way Vert.x parses tags).
 */
public record CommandComplete(String tag) implements BackendMessage {

    public static final byte TYPE = 'C';

    /** The most digits a row count can have without overflowing a long. */
    private static final int MAX_COUNT_DIGITS = 18;

    public static CommandComplete decode(ByteBuf frame) {
        MessageBody body = MessageBody.typed(frame, TYPE, "CommandComplete");
        CommandComplete message = new CommandComplete(body.readCString("command tag"));
        body.expectEnd();
        return message;
    }

    @Override
    public void encode(ByteBuf out) {
        int lengthAt = MessageWriter.begin(out, TYPE);
        MessageWriter.cString(out, tag);
        MessageWriter.end(out, lengthAt);
    }

    /** The row count of this tag, or -1 when it carries none (BEGIN, CREATE TABLE...). */
    public long rowCount() {
        int end = tag.length();
        int i = end;
        while (i > 0 && isDigit(tag.charAt(i - 1))) {
            i--;
        }
        if (i == end || end - i > MAX_COUNT_DIGITS || (i > 0 && tag.charAt(i - 1) != ' ')) {
            return -1;
        }
        return Long.parseLong(tag, i, end, 10);
    }

    /**
     * The row count of a CommandComplete frame, or -1 when its tag carries none; reads in place and allocates nothing.
     *
     * @param frame the whole frame; its indexes are not moved
     */
    public static long rowCount(ByteBuf frame) {
        int start = frame.readerIndex() + 5;
        int end = tagEnd(frame);
        int i = end;
        while (i > start && isDigit(frame.getByte(i - 1))) {
            i--;
        }
        if (i == end || end - i > MAX_COUNT_DIGITS || (i > start && frame.getByte(i - 1) != ' ')) {
            return -1;
        }
        long count = 0;
        for (; i < end; i++) {
            count = count * 10 + (frame.getByte(i) - '0');
        }
        return count;
    }

    /**
     * Whether the frame's tag starts with the given command word ({@code "INSERT"}, {@code "COPY"},
     * {@code "CREATE TABLE"}), followed by a space or the end of the tag. Allocates nothing.
     */
    public static boolean isCommand(ByteBuf frame, String word) {
        int start = frame.readerIndex() + 5;
        int end = tagEnd(frame);
        int n = word.length();
        if (end - start < n) {
            return false;
        }
        for (int k = 0; k < n; k++) {
            if (frame.getByte(start + k) != word.charAt(k)) {
                return false;
            }
        }
        return start + n == end || frame.getByte(start + n) == ' ';
    }

    /** Index of the tag's NUL terminator, after checking that the frame is a well-formed CommandComplete. */
    private static int tagEnd(ByteBuf frame) {
        int at = frame.readerIndex();
        if (frame.readableBytes() < 6 || frame.getByte(at) != TYPE) {
            throw new IllegalArgumentException("CommandComplete: not a CommandComplete frame");
        }
        int length = frame.getInt(at + 1);
        // compared as a distance: at + length overflows for a lying length close to Integer.MAX_VALUE
        if (length < 5 || length >= frame.writerIndex() - at) {
            throw new IllegalArgumentException("CommandComplete: length field " + length
                    + " does not match the " + frame.readableBytes() + "-byte frame");
        }
        int last = at + length;
        int nul = frame.indexOf(at + 5, last + 1, (byte) 0);
        if (nul != last) {
            throw new IllegalArgumentException("CommandComplete: command tag is not NUL-terminated at the frame end");
        }
        return nul;
    }

    private static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }
}
