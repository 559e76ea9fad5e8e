package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Frame-writing helpers shared by the frontend and backend encoders: a length placeholder written up front and
 * patched at the end, so a message is encoded in one pass straight into a shared buffer.
 */
public final class MessageWriter {

    private MessageWriter() {
    }

    /** Writes the type byte and a length placeholder; returns the placeholder's index for {@link #end}. */
    public static int begin(ByteBuf out, byte type) {
        out.writeByte(type);
        return beginUntyped(out);
    }

    /** Writes a length placeholder for a startup-phase message, which has no type byte. */
    public static int beginUntyped(ByteBuf out) {
        int lengthAt = out.writerIndex();
        out.writeInt(0);
        return lengthAt;
    }

    /** Patches the length (which counts itself but not the type byte). */
    public static void end(ByteBuf out, int lengthAt) {
        out.setInt(lengthAt, out.writerIndex() - lengthAt);
    }

    /** A whole bodiless frame: type byte and length 4. */
    public static void empty(ByteBuf out, byte type) {
        out.writeByte(type);
        out.writeInt(4);
    }

    public static void cString(ByteBuf out, String s) {
        cString(out, s, StandardCharsets.UTF_8);
    }

    /** {@code s} in {@code charset} (a client's {@code client_encoding}), then NUL. */
    public static void cString(ByteBuf out, String s, Charset charset) {
        out.writeCharSequence(s, charset);
        out.writeByte(0);
    }

    /** int32 length then the bytes, or -1 for null. */
    public static void nullableBytes(ByteBuf out, byte[] bytes) {
        if (bytes == null) {
            out.writeInt(-1);
        } else {
            out.writeInt(bytes.length);
            out.writeBytes(bytes);
        }
    }

    public static void shortList(ByteBuf out, List<Short> values) {
        out.writeShort(values.size());
        for (short v : values) {
            out.writeShort(v);
        }
    }

    public static void intList(ByteBuf out, List<Integer> values) {
        out.writeShort(values.size());
        for (int v : values) {
            out.writeInt(v);
        }
    }
}
