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
 * <p>COPY data of more than {@link #COPIED_BYTES} is not copied into the pipeline's buffer but sent from the
 * transaction's own arrays, in pieces of at most that size: copying it made the exchange one direct buffer as large
 * as the transaction (and twice that while it grew), which a transaction larger than {@code -XX:MaxDirectMemorySize}
 * could never get. The connection writes the pieces as the socket takes them, so only about one piece at a time is
 * held in a direct buffer.
 *
 * <p>Ownership: the pipeline owns its buffers until {@link #finish()} hands them over; {@link #discard()} releases
 * them when the exchange is not sent. The arrays of large COPY data must not change until the exchange is answered.
 *
 * @param <S> what an Execute stands for (a statement, or a marker for the bookkeeping statements)
 */
final class Pipeline<S> {

    private static final int[] NO_TYPES = new int[0];
    private static final short[] NO_FORMATS = new short[0];
    private static final byte[][] NO_VALUES = new byte[0][];

    /** COPY data up to this size is copied into the buffer; larger data is sent in pieces of up to this size. */
    static final int COPIED_BYTES = 1024 * 1024;

    private final ByteBufAllocator alloc;
    /** The buffers before {@code out}, in order; null until large COPY data is added (nearly always). */
    private List<ByteBuf> before;
    private ByteBuf out;
    private final List<S> slots = new ArrayList<>();
    private Charset charset = StandardCharsets.UTF_8;

    Pipeline(ByteBufAllocator alloc) {
        this.alloc = alloc;
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
        long bytes = 0;
        for (byte[] chunk : chunks) {
            bytes += chunk.length;
        }
        for (byte[] chunk : chunks) {
            if (bytes <= COPIED_BYTES) {
                CopyData data = new CopyData(Unpooled.wrappedBuffer(chunk));
                try {
                    data.encode(out);
                } finally {
                    data.release();
                }
                continue;
            }
            // COPY data is a stream: the server does not care where one CopyData message ends and the next begins
            for (int at = 0; at < chunk.length; at += COPIED_BYTES) {
                int length = Math.min(COPIED_BYTES, chunk.length - at);
                out.writeByte(CopyData.TYPE).writeInt(4 + length);
                append(Unpooled.wrappedBuffer(chunk, at, length));
            }
        }
        CopyDone.INSTANCE.encode(out);
    }

    /** Ends {@code out} with {@code data} after it, and continues in a new buffer. */
    private void append(ByteBuf data) {
        if (before == null) {
            before = new ArrayList<>();
        }
        before.add(out);
        before.add(data);
        out = alloc.buffer();
    }

    List<S> slots() {
        return slots;
    }

    /** Ends the exchange with Sync and hands the buffers to the caller, who passes them to {@code exchange}. */
    List<ByteBuf> finish() {
        Sync.INSTANCE.encode(out);
        if (before == null) {
            return List.of(out);
        }
        before.add(out);
        return before;
    }

    void discard() {
        if (before != null) {
            before.forEach(ByteBuf::release);
        }
        out.release();
    }
}
