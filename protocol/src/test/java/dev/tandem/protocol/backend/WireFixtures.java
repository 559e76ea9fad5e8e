package dev.tandem.protocol.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Helpers for byte-exact message tests: fixtures are written as hex straight from the "Message Formats" page, and a
 * mismatch prints Netty's pretty hex dumps of the expected and actual frames side by side.
 */
public final class WireFixtures {

    private WireFixtures() {
    }

    /** The hex of a string's UTF-8 bytes. */
    public static String ascii(String s) {
        return ByteBufUtil.hexDump(s.getBytes(StandardCharsets.UTF_8));
    }

    /** The hex of a NUL-terminated string. */
    public static String cstr(String s) {
        return ascii(s) + "00";
    }

    public static byte[] bytes(String hex) {
        return ByteBufUtil.decodeHexDump(hex.replace(" ", ""));
    }

    /** A frame over the fixture's bytes, placed after a few junk bytes so a non-zero reader index is exercised. */
    public static ByteBuf frame(String hex) {
        byte[] body = bytes(hex);
        ByteBuf buf = Unpooled.buffer(body.length + 3);
        buf.writeBytes(new byte[] {9, 9, 9});
        buf.writeBytes(body);
        buf.readerIndex(3);
        return buf;
    }

    /** Encodes with {@code encoder} into a fresh buffer and compares byte for byte with the fixture. */
    public static void assertEncodes(Consumer<ByteBuf> encoder, String expectedHex) {
        ByteBuf actual = Unpooled.buffer();
        ByteBuf expected = Unpooled.wrappedBuffer(bytes(expectedHex));
        try {
            encoder.accept(actual);
            assertThat(ByteBufUtil.prettyHexDump(actual))
                    .as("encoded frame (hex dump)")
                    .isEqualTo(ByteBufUtil.prettyHexDump(expected));
        } finally {
            actual.release();
            expected.release();
        }
    }

    /**
     * Decodes the fixture, checks the result equals {@code expected} and that the frame's indexes did not move,
     * then encodes the result again and checks it gives the fixture back.
     */
    public static <T> void assertDecodes(Function<ByteBuf, T> decoder, Consumer<ByteBuf> encoder, T expected,
                                         String hex) {
        ByteBuf in = frame(hex);
        Object decoded = null;
        try {
            decoded = decoder.apply(in);
            assertThat(decoded).isEqualTo(expected);
            assertThat(in.readerIndex()).as("reader index").isEqualTo(3);
            assertThat(in.readableBytes()).as("readable bytes").isEqualTo(bytes(hex).length);
        } finally {
            ReferenceCountUtil.release(decoded);
            in.release();
        }
        assertEncodes(encoder, hex);
    }

    /** Decoding must fail with an IllegalArgumentException whose message contains {@code reason}. */
    public static void assertRejects(Function<ByteBuf, ?> decoder, String hex, String reason) {
        ByteBuf in = frame(hex);
        try {
            Throwable thrown = catchThrowable(() -> ReferenceCountUtil.release(decoder.apply(in)));
            assertThat(thrown).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(reason);
        } finally {
            in.release();
        }
    }

    /**
     * Every strict prefix of a valid frame, and every smaller value of its length field, must either decode or fail
     * with IllegalArgumentException: never an IndexOutOfBoundsException or anything else leaking out.
     */
    public static void assertNoLeakingExceptions(Function<ByteBuf, ?> decoder, String hex, int lengthAt) {
        byte[] full = bytes(hex);
        for (int n = 0; n < full.length; n++) {
            ByteBuf prefix = Unpooled.wrappedBuffer(full, 0, n);
            try {
                Throwable thrown = catchThrowable(() -> ReferenceCountUtil.release(decoder.apply(prefix)));
                assertThat(thrown).as("prefix of %d bytes", n).isInstanceOf(IllegalArgumentException.class);
            } finally {
                prefix.release();
            }
        }
        int length = Unpooled.wrappedBuffer(full).getInt(lengthAt);
        for (int fake = -1; fake < length; fake++) {
            ByteBuf lying = Unpooled.copiedBuffer(full);
            lying.setInt(lengthAt, fake);
            try {
                Throwable thrown = catchThrowable(() -> ReferenceCountUtil.release(decoder.apply(lying)));
                if (thrown != null) {
                    assertThat(thrown).as("length field %d", fake).isInstanceOf(IllegalArgumentException.class);
                }
            } finally {
                lying.release();
            }
        }
    }
}
