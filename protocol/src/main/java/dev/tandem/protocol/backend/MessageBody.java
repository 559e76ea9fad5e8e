package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A bounds-checked cursor over the body of one frame, shared by the frontend and backend decoders.
 *
 * <p>It reads with absolute indexes, so the frame's reader index never moves, and it turns every overrun into an
 * {@link IllegalArgumentException} naming the message and the offset: malformed input must never surface as an
 * {@code IndexOutOfBoundsException} from deep inside Netty.
 */
public final class MessageBody {

    private final ByteBuf frame;
    private final String message;
    private final int start;
    private final int end;
    private int index;

    private MessageBody(ByteBuf frame, String message, int start, int bodyStart, int end) {
        this.frame = frame;
        this.message = message;
        this.start = start;
        this.index = bodyStart;
        this.end = end;
    }

    /**
     * Opens a typed frame ({@code type byte, int32 length, body}) after checking its type and that the length field
     * fits in the readable bytes.
     */
    public static MessageBody typed(ByteBuf frame, byte expectedType, String message) {
        int at = frame.readerIndex();
        if (frame.readableBytes() < 5) {
            throw new IllegalArgumentException(message + ": frame of " + frame.readableBytes()
                    + " bytes is shorter than the 5-byte header");
        }
        byte type = frame.getByte(at);
        if (type != expectedType) {
            throw new IllegalArgumentException(message + ": expected type '" + (char) expectedType
                    + "' but the frame has type '" + (char) type + "'");
        }
        return new MessageBody(frame, message, at, at + 5, at + 1 + checkedLength(frame, at + 1, message));
    }

    /** Opens a startup-phase frame ({@code int32 length, body}), which has no type byte. */
    public static MessageBody untyped(ByteBuf frame, String message) {
        int at = frame.readerIndex();
        if (frame.readableBytes() < 4) {
            throw new IllegalArgumentException(message + ": frame of " + frame.readableBytes()
                    + " bytes is shorter than the 4-byte length");
        }
        return new MessageBody(frame, message, at, at + 4, at + checkedLength(frame, at, message));
    }

    /** The type byte of a typed frame, read in place, for a decoder's dispatch ({@code decoder} names it). */
    public static byte typeOf(ByteBuf frame, String decoder) {
        if (!frame.isReadable()) {
            throw new IllegalArgumentException(decoder + ": empty frame");
        }
        return frame.getByte(frame.readerIndex());
    }

    /** The error for a type byte that no message of the decoder's direction has. */
    public static IllegalArgumentException unknownType(byte type, String decoder) {
        return new IllegalArgumentException(decoder + ": unknown type byte 0x" + Integer.toHexString(type & 0xff)
                + " ('" + (char) (type & 0xff) + "')");
    }

    /**
     * Opens a startup-phase request ({@code int32 length, int32 request code, ...}: SSLRequest, GSSENCRequest,
     * CancelRequest) and reads its request code, which must be {@code code}.
     */
    public static MessageBody request(ByteBuf frame, int code, String message) {
        MessageBody body = untyped(frame, message);
        int actual = body.readInt();
        if (actual != code) {
            throw body.malformed("request code " + actual + " is not " + code);
        }
        return body;
    }

    private static int checkedLength(ByteBuf frame, int lengthAt, String message) {
        int length = frame.getInt(lengthAt);
        if (length < 4) {
            throw new IllegalArgumentException(message + ": length field " + length + " is below the minimum of 4");
        }
        int available = frame.writerIndex() - lengthAt;
        if (length > available) {
            throw new IllegalArgumentException(message + ": length field says " + length + " bytes but only "
                    + available + " are present (truncated frame)");
        }
        return length;
    }

    public int remaining() {
        return end - index;
    }

    public byte readByte() {
        require(1, "a byte");
        return frame.getByte(index++);
    }

    public short readShort() {
        require(2, "an int16");
        short v = frame.getShort(index);
        index += 2;
        return v;
    }

    public int readInt() {
        require(4, "an int32");
        int v = frame.getInt(index);
        index += 4;
        return v;
    }

    /** A NUL-terminated UTF-8 string. */
    public String readCString(String what) {
        return readCString(what, StandardCharsets.UTF_8);
    }

    /** A NUL-terminated string in {@code charset} (a client's {@code client_encoding}). */
    public String readCString(String what, Charset charset) {
        int nul = frame.indexOf(index, end, (byte) 0);
        if (nul < 0) {
            throw malformed(what + " is not NUL-terminated");
        }
        String s = frame.toString(index, nul - index, charset);
        index = nul + 1;
        return s;
    }

    public byte[] readBytes(int length, String what) {
        if (length < 0) {
            throw malformed(what + " has negative length " + length);
        }
        require(length, what);
        byte[] bytes = new byte[length];
        frame.getBytes(index, bytes);
        index += length;
        return bytes;
    }

    /** A byte array preceded by its int32 length, where length -1 stands for NULL (returned as null). */
    public byte[] readNullableBytes(String what) {
        int length = readInt();
        if (length == -1) {
            return null;
        }
        return readBytes(length, what);
    }

    public byte[] readRemainingBytes() {
        return readBytes(remaining(), "body");
    }

    /** A retained slice of the rest of the body: the caller owns the new reference. */
    public ByteBuf readRetainedSliceOfRest() {
        ByteBuf slice = frame.retainedSlice(index, end - index);
        index = end;
        return slice;
    }

    /** An int16 count followed by that many int16 values. */
    public List<Short> readShortList(String what) {
        int n = readCount(2, what);
        List<Short> values = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            values.add(readShort());
        }
        return List.copyOf(values);
    }

    /** An int16 count followed by that many int32 values. */
    public List<Integer> readIntList(String what) {
        int n = readCount(4, what);
        List<Integer> values = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            values.add(readInt());
        }
        return List.copyOf(values);
    }

    /**
     * An unsigned int16 count of items that each take at least {@code minItemBytes}; checked against what is left
     * so a forged count cannot make the decoder allocate a huge list.
     */
    public int readCount(int minItemBytes, String what) {
        int n = Short.toUnsignedInt(readShort());
        if ((long) n * minItemBytes > remaining()) {
            throw malformed(what + " count " + n + " does not fit in the " + remaining() + " bytes left");
        }
        return n;
    }

    /** Fails unless the whole body was read: trailing bytes mean the sender and we disagree on the format. */
    public void expectEnd() {
        if (index != end) {
            throw malformed((end - index) + " unexpected trailing bytes");
        }
    }

    public IllegalArgumentException malformed(String reason) {
        return new IllegalArgumentException(message + ": " + reason + " (at offset " + (index - start) + ")");
    }

    private void require(int n, String what) {
        if (end - index < n) {
            throw malformed("truncated: " + what + " needs " + n + " bytes but only " + (end - index) + " remain");
        }
    }
}
