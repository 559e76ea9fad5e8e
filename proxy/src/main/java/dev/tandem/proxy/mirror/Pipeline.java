package dev.tandem.proxy.mirror;

import dev.tandem.protocol.frontend.BoundParameters;
import dev.tandem.protocol.frontend.CopyData;
import dev.tandem.protocol.frontend.CopyDone;
import dev.tandem.protocol.frontend.Execute;
import dev.tandem.protocol.frontend.Parse;
import dev.tandem.protocol.frontend.Sync;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The frames of one target exchange, written into one buffer, and what each Execute in it stands for: every Execute
 * ends in exactly one CommandComplete or in the ErrorResponse that stops the rest, so the n-th CommandComplete of the
 * reply belongs to {@code slots().get(n)}.
 *
 * <p>Text (statement texts, text parameter values) is written in {@link #charset(Charset)}, which must follow the
 * connection's {@code client_encoding} as the statements already added leave it.
 *
 * <p>Ownership: the pipeline owns its buffer until {@link #finish()} hands it over; {@link #discard()} releases it
 * when the exchange is not sent.
 *
 * @param <S> what an Execute stands for (a statement, or a marker for the bookkeeping statements)
 */
final class Pipeline<S> {

    private static final int[] NO_TYPES = new int[0];
    private static final short[] NO_FORMATS = new short[0];
    private static final byte[][] NO_VALUES = new byte[0][];

    private final ByteBuf out;
    private final List<S> slots = new ArrayList<>();
    private Charset charset = StandardCharsets.UTF_8;

    Pipeline(ByteBufAllocator alloc) {
        this.out = alloc.buffer();
    }

    /** The encoding the server reads what is added next in: set after adding a change of {@code client_encoding}. */
    void charset(Charset charset) {
        this.charset = charset;
    }

    /** Parse/Bind/Execute of {@code sql} with text parameters (null = SQL NULL). */
    void execute(S slot, String sql, String... textValues) {
        execute(slot, "", true, sql, textValues);
    }

    /** Like {@link #execute(Object, String, String...)} through a named statement, parsed only if {@code parse}. */
    void execute(S slot, String statement, boolean parse, String sql, String... textValues) {
        byte[][] values = new byte[textValues.length][];
        for (int i = 0; i < values.length; i++) {
            values[i] = textValues[i] == null ? null : textValues[i].getBytes(charset);
        }
        execute(slot, statement, parse, sql, NO_TYPES, NO_FORMATS, values);
    }

    void execute(S slot, String sql, int[] types, short[] formats, byte[][] values) {
        execute(slot, "", true, sql, types, formats, values);
    }

    /**
     * Parse (unless {@code parse} is false: {@code statement} is prepared already), Bind and Execute.
     *
     * @param statement the prepared statement's name, "" for the unnamed one
     */
    void execute(S slot, String statement, boolean parse, String sql, int[] types, short[] formats,
                 byte[][] values) {
        if (parse) {
            List<Integer> typeList = new ArrayList<>(types.length);
            for (int t : types) {
                typeList.add(t);
            }
            new Parse(statement, sql, typeList).encode(out, charset);
        }
        new BoundParameters(formats, values).encodeBind(out, "", statement);
        new Execute("", 0).encode(out);
        slots.add(slot);
    }

    /** {@code COPY ... FROM STDIN} through the extended protocol, then its data and CopyDone. */
    void copy(S slot, String sql, List<byte[]> chunks) {
        execute(slot, sql, NO_TYPES, NO_FORMATS, NO_VALUES);
        for (byte[] chunk : chunks) {
            CopyData data = new CopyData(Unpooled.wrappedBuffer(chunk));
            try {
                data.encode(out);
            } finally {
                data.release();
            }
        }
        CopyDone.INSTANCE.encode(out);
    }

    List<S> slots() {
        return slots;
    }

    /** Ends the exchange with Sync and hands the buffer to the caller, who passes it to {@code exchange}. */
    ByteBuf finish() {
        Sync.INSTANCE.encode(out);
        return out;
    }

    void discard() {
        out.release();
    }
}
