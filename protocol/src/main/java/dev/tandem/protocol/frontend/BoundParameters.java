package dev.tandem.protocol.frontend;

import dev.tandem.protocol.backend.MessageBody;
import dev.tandem.protocol.backend.MessageWriter;
import io.netty.buffer.ByteBuf;

/**
 * The parameter formats and values of a Bind frame, read straight into arrays: what a capture keeps of each mirrored
 * Bind, without the names, the result formats, the boxed lists and the defensive copies of {@link Bind}. The arrays
 * belong to this object; callers must not change them. A null value is SQL NULL.
 */
public record BoundParameters(short[] formats, byte[][] values) {

    /** Reads a whole Bind frame (type byte included); fails like {@link Bind#decode} on a malformed one. */
    public static BoundParameters decode(ByteBuf frame) {
        MessageBody body = MessageBody.typed(frame, Bind.TYPE, "Bind");
        body.readCString("portal name");
        body.readCString("statement name");
        short[] formats = new short[body.readCount(2, "parameter format")];
        for (int i = 0; i < formats.length; i++) {
            formats[i] = body.readShort();
        }
        byte[][] values = new byte[body.readCount(4, "parameter")][];
        for (int i = 0; i < values.length; i++) {
            values[i] = body.readNullableBytes("parameter " + (i + 1));
        }
        int results = body.readCount(2, "result format");
        for (int i = 0; i < results; i++) {
            body.readShort();
        }
        body.expectEnd();
        return new BoundParameters(formats, values);
    }

    /**
     * Writes a Bind frame of these parameters for {@code portal} from {@code statement}, asking for no result formats
     * (all text). The values are written as they are: no copy is made on the way.
     */
    public void encodeBind(ByteBuf out, String portal, String statement) {
        int lengthAt = MessageWriter.begin(out, Bind.TYPE);
        MessageWriter.cString(out, portal);
        MessageWriter.cString(out, statement);
        out.writeShort(formats.length);
        for (short f : formats) {
            out.writeShort(f);
        }
        out.writeShort(values.length);
        for (byte[] v : values) {
            MessageWriter.nullableBytes(out, v);
        }
        out.writeShort(0);
        MessageWriter.end(out, lengthAt);
    }

    /** The format of parameter {@code i}: none listed = text, one = for all, else one each (text past the list). */
    public short format(int i) {
        return formats.length == 0 ? 0 : formats.length == 1 ? formats[0] : i < formats.length ? formats[i] : 0;
    }

    /** Bytes of all values. */
    public long valueBytes() {
        long n = 0;
        for (byte[] v : values) {
            n += v == null ? 0 : v.length;
        }
        return n;
    }

    @Override
    public String toString() {
        // values are application data: never in logs
        return "BoundParameters[formats=" + formats.length + ", values=" + values.length + "]";
    }
}
