package dev.tandem.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.backend.Authentication;
import dev.tandem.protocol.backend.AuthenticationCleartextPassword;
import dev.tandem.protocol.backend.AuthenticationMD5Password;
import dev.tandem.protocol.backend.AuthenticationOk;
import dev.tandem.protocol.backend.AuthenticationOther;
import dev.tandem.protocol.backend.AuthenticationSASL;
import dev.tandem.protocol.backend.AuthenticationSASLContinue;
import dev.tandem.protocol.backend.AuthenticationSASLFinal;
import dev.tandem.protocol.backend.BackendKeyData;
import dev.tandem.protocol.backend.BackendMessage;
import dev.tandem.protocol.backend.BindComplete;
import dev.tandem.protocol.backend.CloseComplete;
import dev.tandem.protocol.backend.CommandComplete;
import dev.tandem.protocol.backend.CopyBothResponse;
import dev.tandem.protocol.backend.CopyInResponse;
import dev.tandem.protocol.backend.CopyOutResponse;
import dev.tandem.protocol.backend.DataRow;
import dev.tandem.protocol.backend.EmptyQueryResponse;
import dev.tandem.protocol.backend.ErrorResponse;
import dev.tandem.protocol.backend.NegotiateProtocolVersion;
import dev.tandem.protocol.backend.NoData;
import dev.tandem.protocol.backend.NoticeResponse;
import dev.tandem.protocol.backend.NotificationResponse;
import dev.tandem.protocol.backend.ParameterDescription;
import dev.tandem.protocol.backend.ParameterStatus;
import dev.tandem.protocol.backend.ParseComplete;
import dev.tandem.protocol.backend.PortalSuspended;
import dev.tandem.protocol.backend.ReadyForQuery;
import dev.tandem.protocol.backend.RowDescription;
import dev.tandem.protocol.frontend.Bind;
import dev.tandem.protocol.frontend.BoundParameters;
import dev.tandem.protocol.frontend.CancelRequest;
import dev.tandem.protocol.frontend.Close;
import dev.tandem.protocol.frontend.CopyDone;
import dev.tandem.protocol.frontend.CopyFail;
import dev.tandem.protocol.frontend.Describe;
import dev.tandem.protocol.frontend.Execute;
import dev.tandem.protocol.frontend.Flush;
import dev.tandem.protocol.frontend.FrontendMessage;
import dev.tandem.protocol.frontend.GSSENCRequest;
import dev.tandem.protocol.frontend.Parse;
import dev.tandem.protocol.frontend.PasswordMessage;
import dev.tandem.protocol.frontend.Query;
import dev.tandem.protocol.frontend.SSLRequest;
import dev.tandem.protocol.frontend.StartupMessage;
import dev.tandem.protocol.frontend.StatementOrPortal;
import dev.tandem.protocol.frontend.Sync;
import dev.tandem.protocol.frontend.Terminate;
import dev.tandem.testing.NettyLeaks;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Random bytes, and valid frames bit-flipped, truncated, spliced and given lying lengths and counts, fed to every
 * frontend and backend message decoder: each must decode or fail with the decoders' own
 * {@link IllegalArgumentException} (thrown by Tandem code, naming the message), never with an index, size or null
 * error from deep inside, never moving the frame's indexes, never keeping a reference. What decodes must encode back
 * to a frame that decodes to the same message.
 *
 * <p>Run with {@code -Dfuzz.seed=N} to replay a failure (the seed is in every failure message), with
 * {@code -Dfuzz.cases=N} for a longer search than the few seconds CI spends.
 */
@ExtendWith(NettyLeaks.class)
class DecoderFuzzTest {

    private static final int CASES = Integer.getInteger("fuzz.cases", 3_000);

    private static final Charset[] CHARSETS = {StandardCharsets.UTF_8, StandardCharsets.ISO_8859_1,
        Charset.forName("windows-31j"), Charset.forName("GB18030"), Charset.forName("EUC-JP")};

    private static final Map<String, Function<ByteBuf, ?>> TYPED_FRONTEND = new LinkedHashMap<>();
    private static final Map<String, Function<ByteBuf, ?>> STARTUP = new LinkedHashMap<>();
    private static final Map<String, Function<ByteBuf, ?>> BACKEND = new LinkedHashMap<>();

    static {
        TYPED_FRONTEND.put("FrontendMessage.decode", FrontendMessage::decode);
        TYPED_FRONTEND.put("Bind.peekNames", Bind::peekNames);
        TYPED_FRONTEND.put("Bind.peekParameterCount", Bind::peekParameterCount);
        TYPED_FRONTEND.put("BoundParameters.decode", BoundParameters::decode);
        TYPED_FRONTEND.put("Execute.decode", Execute::decode);
        TYPED_FRONTEND.put("Close.decode", Close::decode);
        TYPED_FRONTEND.put("Describe.decode", Describe::decode);
        TYPED_FRONTEND.put("PasswordMessage.decode", PasswordMessage::decode);
        for (Charset charset : CHARSETS) {
            TYPED_FRONTEND.put("Query.decode/" + charset, f -> Query.decode(f, charset));
            TYPED_FRONTEND.put("Parse.decode/" + charset, f -> Parse.decode(f, charset));
        }
        STARTUP.put("FrontendMessage.decodeStartup", FrontendMessage::decodeStartup);
        STARTUP.put("StartupMessage.decode", StartupMessage::decode);
        STARTUP.put("CancelRequest.decode", CancelRequest::decode);
        STARTUP.put("SSLRequest.decode", SSLRequest::decode);
        STARTUP.put("GSSENCRequest.decode", GSSENCRequest::decode);
        BACKEND.put("BackendMessage.decode", BackendMessage::decode);
        BACKEND.put("ErrorResponse.decode", ErrorResponse::decode);
        BACKEND.put("CommandComplete.rowCount", CommandComplete::rowCount);
        BACKEND.put("CommandComplete.isCommand", f -> CommandComplete.isCommand(f, "INSERT"));
        for (Class<? extends Authentication> kind : List.of(AuthenticationOk.class,
                AuthenticationCleartextPassword.class, AuthenticationMD5Password.class, AuthenticationSASL.class,
                AuthenticationSASLContinue.class, AuthenticationSASLFinal.class, AuthenticationOther.class)) {
            BACKEND.put("Authentication.decode/" + kind.getSimpleName(), f -> Authentication.decode(f, kind));
        }
    }

    private static final List<byte[]> TYPED_FRONTEND_SEEDS = new ArrayList<>();
    private static final List<byte[]> STARTUP_SEEDS = new ArrayList<>();
    private static final List<byte[]> BACKEND_SEEDS = new ArrayList<>();

    static {
        for (FrontendMessage m : List.of(new Query("INSERT INTO metrics VALUES (1); SELECT 'é'"),
                new Parse("s1", "INSERT INTO metrics VALUES ($1, $2)", List.of(23, 25)),
                new Parse("", "BEGIN", List.of()),
                new Bind("p", "s1", List.of((short) 1, (short) 0),
                        Arrays.asList(new byte[] {0, 0, 0, 7}, null, "text".getBytes()), List.of((short) 1)),
                new Bind("", "", List.of(), List.of(), List.of()),
                new Execute("p", 100), new Execute("", 0), new Describe(StatementOrPortal.STATEMENT, "s1"),
                new Describe(StatementOrPortal.PORTAL, ""), new Close(StatementOrPortal.PORTAL, "p"),
                new Close(StatementOrPortal.STATEMENT, ""), Sync.INSTANCE, Flush.INSTANCE, Terminate.INSTANCE,
                CopyDone.INSTANCE, new CopyFail("client gave up"),
                PasswordMessage.saslInitialResponse("SCRAM-SHA-256", "n,,n=,r=abc".getBytes()),
                PasswordMessage.cleartext("secret"))) {
            TYPED_FRONTEND_SEEDS.add(encode(m::encode));
        }
        TYPED_FRONTEND_SEEDS.add(encode(out -> out.writeByte('d').writeInt(4 + 6).writeBytes("1\tab\n\0".getBytes())));
        Map<String, String> params = new LinkedHashMap<>();
        params.put("user", "postgres");
        params.put("database", "db");
        params.put("options", "-c search_path=a,b");
        for (FrontendMessage m : List.of(new StartupMessage(StartupMessage.V3_0, params),
                new StartupMessage(StartupMessage.V3_2, Map.of("user", "u")), SSLRequest.INSTANCE,
                GSSENCRequest.INSTANCE, new CancelRequest(1234, new byte[] {1, 2, 3, 4}),
                new CancelRequest(99, new byte[32]))) {
            STARTUP_SEEDS.add(encode(m::encode));
        }
        Map<Character, String> fields = new LinkedHashMap<>();
        fields.put('S', "ERROR");
        fields.put('C', "23505");
        fields.put('M', "duplicate key");
        fields.put('D', "Key (v)=(1) already exists.");
        for (BackendMessage m : List.of(AuthenticationOk.INSTANCE, AuthenticationCleartextPassword.INSTANCE,
                new AuthenticationMD5Password(new byte[] {1, 2, 3, 4}),
                new AuthenticationSASL(List.of("SCRAM-SHA-256-PLUS", "SCRAM-SHA-256")),
                new AuthenticationSASLContinue("r=abc,s=def,i=4096".getBytes()),
                new AuthenticationSASLFinal("v=xyz".getBytes()), new AuthenticationOther(7, new byte[] {9}),
                new BackendKeyData(42, new byte[] {1, 2, 3, 4}), BindComplete.INSTANCE, CloseComplete.INSTANCE,
                new CommandComplete("INSERT 0 15"), new CommandComplete("BEGIN"),
                new CopyInResponse((byte) 1, List.of((short) 1, (short) 1)),
                new CopyOutResponse((byte) 0, List.of((short) 0)), new CopyBothResponse((byte) 0, List.of()),
                new DataRow(Arrays.asList("1".getBytes(), null, new byte[0])), EmptyQueryResponse.INSTANCE,
                new ErrorResponse(fields), new NoticeResponse(fields),
                new NegotiateProtocolVersion(0x30000, List.of("_pq_.x")), NoData.INSTANCE,
                new NotificationResponse(7, "chan", "payload"), new ParameterDescription(List.of(23, 25)),
                new ParameterStatus("client_encoding", "UTF8"), ParseComplete.INSTANCE, PortalSuspended.INSTANCE,
                ReadyForQuery.IDLE, ReadyForQuery.FAILED,
                new RowDescription(List.of(new RowDescription.Field("v", 16384, (short) 1, 23, (short) 4, -1,
                        (short) 0), new RowDescription.Field("", 0, (short) 0, 25, (short) -1, -1, (short) 1))))) {
            BACKEND_SEEDS.add(encode(m::encode));
        }
        BACKEND_SEEDS.add(encode(out -> out.writeByte('d').writeInt(4 + 3).writeBytes(new byte[] {'a', '\n', 0})));
    }

    private static byte[] encode(java.util.function.Consumer<ByteBuf> encoder) {
        ByteBuf out = Unpooled.buffer();
        encoder.accept(out);
        byte[] bytes = ByteBufUtil.getBytes(out);
        out.release();
        return bytes;
    }


    @Test
    void typedFrontendFrames() {
        fuzz("typed frontend", TYPED_FRONTEND_SEEDS, TYPED_FRONTEND, 1);
    }

    @Test
    void startupPackets() {
        fuzz("startup", STARTUP_SEEDS, STARTUP, 0);
    }

    @Test
    void backendFrames() {
        fuzz("backend", BACKEND_SEEDS, BACKEND, 1);
    }

    /** @param lengthAt where the length word is: 1 after a type byte, 0 in a startup packet */
    private static void fuzz(String what, List<byte[]> seeds, Map<String, Function<ByteBuf, ?>> decoders,
                             int lengthAt) {
        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        Random random = new Random(seed);
        int decoded = 0;
        for (int n = 0; n < CASES; n++) {
            byte[] input = mutate(random, seeds, lengthAt);
            for (Map.Entry<String, Function<ByteBuf, ?>> decoder : decoders.entrySet()) {
                int k = n;
                Supplier<String> context = () -> String.format("%s case %d, seed %d (replay with -Dfuzz.seed=%d),"
                        + " %s of %s", what, k, seed, seed, decoder.getKey(), ByteBufUtil.hexDump(input));
                if (decodeOnce(random, decoder.getValue(), input, lengthAt, context)) {
                    decoded++;
                }
            }
        }
        // the mutations must leave enough frames valid for the round trip to be exercised, and break the rest
        assertThat(decoded).as("%s: decoded of %d attempts", what, CASES * decoders.size())
                .isBetween(CASES / 20, CASES * decoders.size() / 2);
    }

    /**
     * Decodes {@code input} placed among junk bytes; true when it decoded. Checks by hand, not with AssertJ: a
     * description per call would cost more than the decoding.
     */
    private static boolean decodeOnce(Random random, Function<ByteBuf, ?> decoder, byte[] input, int lengthAt,
                                      Supplier<String> context) {
        int before = random.nextInt(4);
        int after = random.nextInt(3) == 0 ? random.nextInt(8) : 0;
        int end = before + input.length + after;
        // pooled buffers are tracked by the leak detector; heap ones are cheaper
        ByteBuf frame = random.nextInt(16) == 0 ? PooledByteBufAllocator.DEFAULT.buffer(end) : Unpooled.buffer(end);
        frame.writeZero(before).writeBytes(input).writeZero(after);
        frame.readerIndex(before);
        Object result = null;
        try {
            result = decoder.apply(frame);
        } catch (IllegalArgumentException e) {
            check(e.getStackTrace()[0].getClassName().startsWith("dev.tandem.protocol."), e, context);
            check(e.getMessage() != null && !e.getMessage().isBlank(), e, context);
        } catch (RuntimeException | Error e) {
            throw new AssertionError(context.get(), e);
        }
        try {
            check(frame.readerIndex() == before && frame.writerIndex() == end, "indexes moved", context);
            if (result instanceof FrontendMessage m) {
                assertRoundTrip(m, lengthAt == 0 ? FrontendMessage::decodeStartup : FrontendMessage::decode,
                        m::encode, context);
            } else if (result instanceof BackendMessage m) {
                assertRoundTrip(m, BackendMessage::decode, m::encode, context);
            }
        } finally {
            ReferenceCountUtil.release(result);
            check(frame.refCnt() == 1, "references left on the frame: " + frame.refCnt(), context);
            frame.release();
        }
        return result != null;
    }

    private static void check(boolean ok, Object problem, Supplier<String> context) {
        if (!ok) {
            throw new AssertionError(problem + ": " + context.get(), problem instanceof Throwable t ? t : null);
        }
    }

    private static void assertRoundTrip(Object message, Function<ByteBuf, ?> decoder,
                                        java.util.function.Consumer<ByteBuf> encoder, Supplier<String> context) {
        ByteBuf again = Unpooled.buffer();
        Object redecoded = null;
        try {
            encoder.accept(again);
            redecoded = decoder.apply(again);
            check(message.equals(redecoded), "re-decoded as " + redecoded + ", not " + message, context);
        } catch (RuntimeException e) {
            throw new AssertionError("round trip of " + message + ": " + context.get(), e);
        } finally {
            ReferenceCountUtil.release(redecoded);
            again.release();
        }
    }

    /** One to three mutations of a seed frame, or plain random bytes. */
    static byte[] mutate(Random random, List<byte[]> seeds, int lengthAt) {
        byte[] b = seeds.get(random.nextInt(seeds.size())).clone();
        if (random.nextInt(20) == 0) {
            b = new byte[random.nextInt(40)];
            random.nextBytes(b);
            if (b.length > lengthAt + 4 && random.nextBoolean()) {
                ByteBuffer.wrap(b).putInt(lengthAt, b.length - lengthAt);
            }
            return b;
        }
        int mutations = 1 + random.nextInt(3);
        for (int m = 0; m < mutations; m++) {
            b = switch (random.nextInt(7)) {
                case 0 -> flipBits(random, b);
                case 1 -> truncate(random, b, lengthAt);
                case 2 -> lieAboutLength(random, b, lengthAt);
                case 3 -> overwrite(random, b);
                case 4 -> insertOrDelete(random, b, lengthAt);
                case 5 -> splice(random, b, seeds.get(random.nextInt(seeds.size())));
                default -> changeType(random, b, lengthAt);
            };
        }
        return b;
    }

    private static byte[] flipBits(Random random, byte[] b) {
        if (b.length == 0) {
            return b;
        }
        for (int i = 1 + random.nextInt(3); i > 0; i--) {
            int at = random.nextInt(b.length);
            b[at] ^= (byte) (1 << random.nextInt(8));
        }
        return b;
    }

    private static byte[] truncate(Random random, byte[] b, int lengthAt) {
        byte[] cut = Arrays.copyOf(b, random.nextInt(b.length + 1));
        if (random.nextBoolean()) {
            fixLength(cut, lengthAt);
        }
        return cut;
    }

    private static final int[] LENGTHS = {-1, 0, 1, 3, 4, 5, 7, 8, 255, 65_535, 10_001, 1 << 30, Integer.MAX_VALUE,
        Integer.MAX_VALUE - 3, Integer.MIN_VALUE};

    private static byte[] lieAboutLength(Random random, byte[] b, int lengthAt) {
        if (b.length < lengthAt + 4) {
            return b;
        }
        ByteBuffer buf = ByteBuffer.wrap(b);
        int real = b.length - lengthAt;
        int lie = switch (random.nextInt(3)) {
            case 0 -> LENGTHS[random.nextInt(LENGTHS.length)];
            case 1 -> real + random.nextInt(9) - 4;
            default -> random.nextInt();
        };
        buf.putInt(lengthAt, lie);
        return b;
    }

    /** Overwrites two or four bytes (a count, an inner length, a code) with an edge value. */
    private static byte[] overwrite(Random random, byte[] b) {
        int width = random.nextBoolean() ? 2 : 4;
        if (b.length < width) {
            return b;
        }
        int at = random.nextInt(b.length - width + 1);
        ByteBuffer buf = ByteBuffer.wrap(b);
        if (width == 2) {
            short[] edges = {0, 1, -1, Short.MAX_VALUE, Short.MIN_VALUE, (short) random.nextInt()};
            buf.putShort(at, edges[random.nextInt(edges.length)]);
        } else {
            buf.putInt(at, random.nextBoolean() ? LENGTHS[random.nextInt(LENGTHS.length)] : random.nextInt());
        }
        return b;
    }

    private static byte[] insertOrDelete(Random random, byte[] b, int lengthAt) {
        int at = random.nextInt(b.length + 1);
        byte[] out;
        if (random.nextBoolean() || b.length == 0) {
            byte[] extra = new byte[1 + random.nextInt(6)];
            if (random.nextBoolean()) {
                random.nextBytes(extra);
            }
            out = new byte[b.length + extra.length];
            System.arraycopy(b, 0, out, 0, at);
            System.arraycopy(extra, 0, out, at, extra.length);
            System.arraycopy(b, at, out, at + extra.length, b.length - at);
        } else {
            int n = Math.min(b.length - at, 1 + random.nextInt(6));
            out = new byte[b.length - n];
            System.arraycopy(b, 0, out, 0, at);
            System.arraycopy(b, at + n, out, at, b.length - at - n);
        }
        if (random.nextBoolean()) {
            fixLength(out, lengthAt);
        }
        return out;
    }

    private static byte[] splice(Random random, byte[] a, byte[] b) {
        int head = random.nextInt(a.length + 1);
        int tail = random.nextInt(b.length + 1);
        byte[] out = Arrays.copyOf(a, head + b.length - tail);
        System.arraycopy(b, tail, out, head, b.length - tail);
        return out;
    }

    private static final byte[] TYPES = "RKSZCEN12GHdDcIVvnAtTs3WQPBEHXpfF".getBytes(StandardCharsets.US_ASCII);

    private static byte[] changeType(Random random, byte[] b, int lengthAt) {
        if (lengthAt == 0 || b.length == 0) {
            return flipBits(random, b);
        }
        b[0] = random.nextInt(4) == 0 ? (byte) random.nextInt() : TYPES[random.nextInt(TYPES.length)];
        return b;
    }

    private static void fixLength(byte[] b, int lengthAt) {
        if (b.length >= lengthAt + 4) {
            ByteBuffer.wrap(b).putInt(lengthAt, b.length - lengthAt);
        }
    }
}
