package dev.tandem.protocol.frontend;

import static dev.tandem.protocol.backend.WireFixtures.ascii;
import static dev.tandem.protocol.backend.WireFixtures.assertDecodes;
import static dev.tandem.protocol.backend.WireFixtures.assertEncodes;
import static dev.tandem.protocol.backend.WireFixtures.assertNoLeakingExceptions;
import static dev.tandem.protocol.backend.WireFixtures.assertRejects;
import static dev.tandem.protocol.backend.WireFixtures.bytes;
import static dev.tandem.protocol.backend.WireFixtures.cstr;
import static dev.tandem.protocol.backend.WireFixtures.frame;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.Charset;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Byte-exact fixtures for every frontend message, written from the PostgreSQL "Message Formats" page. */
class FrontendMessageTest {

    static Stream<Arguments> typedFixtures() {
        return Stream.of(
                Arguments.of(new Query("SELECT 1"), "51 0000000d" + cstr("SELECT 1")),
                Arguments.of(new Parse("s1", "SELECT $1", List.of(23)),
                        "50 00000017" + cstr("s1") + cstr("SELECT $1") + "0001 00000017"),
                Arguments.of(new Parse("", "BEGIN", List.of()), "50 0000000d 00" + cstr("BEGIN") + "0000"),
                Arguments.of(new Bind("", "s1", List.of((short) 1), Arrays.asList(bytes("00000001"), null),
                                List.of((short) 0)),
                        "42 0000001e 00" + cstr("s1") + "0001 0001 0002 00000004 00000001 ffffffff 0001 0000"),
                Arguments.of(new Bind("p", "", List.of(), List.of(new byte[0]), List.of()),
                        "42 00000011" + cstr("p") + "00 0000 0001 00000000 0000"),
                Arguments.of(new Execute("", 0), "45 00000009 00 00000000"),
                Arguments.of(new Execute("p", 100), "45 0000000a" + cstr("p") + "00000064"),
                Arguments.of(new Describe(StatementOrPortal.STATEMENT, "s1"), "44 00000008 53" + cstr("s1")),
                Arguments.of(new Close(StatementOrPortal.PORTAL, ""), "43 00000006 50 00"),
                Arguments.of(Sync.INSTANCE, "53 00000004"),
                Arguments.of(Flush.INSTANCE, "48 00000004"),
                Arguments.of(Terminate.INSTANCE, "58 00000004"),
                Arguments.of(CopyDone.INSTANCE, "63 00000004"),
                Arguments.of(new CopyData(Unpooled.wrappedBuffer(bytes("610a"))), "64 00000006 610a"),
                Arguments.of(new CopyFail("bad"), "66 00000008" + cstr("bad")),
                Arguments.of(PasswordMessage.cleartext("secret"), "70 0000000b" + cstr("secret")),
                Arguments.of(PasswordMessage.md5("postgres", "secret", bytes("01020304")),
                        "70 00000028" + cstr("md5bb41a296aab6baccb36ff243a562abff")),
                Arguments.of(PasswordMessage.saslInitialResponse("SCRAM-SHA-256", bytes(ascii("n,,n=,r=abc"))),
                        "70 00000021" + cstr("SCRAM-SHA-256") + "0000000b" + ascii("n,,n=,r=abc")),
                Arguments.of(PasswordMessage.saslInitialResponse("X", null), "70 0000000a" + cstr("X") + "ffffffff"),
                Arguments.of(PasswordMessage.saslResponse(bytes(ascii("c=biws"))), "70 0000000a" + ascii("c=biws")));
    }

    static Stream<Arguments> startupFixtures() {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("user", "postgres");
        params.put("database", "db");
        byte[] longKey = new byte[32];
        Arrays.fill(longKey, (byte) 0x5a);
        return Stream.of(
                Arguments.of(new StartupMessage(StartupMessage.V3_0, params),
                        "00000023 00030000" + cstr("user") + cstr("postgres") + cstr("database") + cstr("db") + "00"),
                Arguments.of(new StartupMessage(StartupMessage.V3_2, Map.of("user", "u")),
                        "00000010 00030002" + cstr("user") + cstr("u") + "00"),
                Arguments.of(SSLRequest.INSTANCE, "00000008 04d2162f"),
                Arguments.of(GSSENCRequest.INSTANCE, "00000008 04d21630"),
                Arguments.of(new CancelRequest(1234, bytes("01020304")), "00000010 04d2162e 000004d2 01020304"),
                Arguments.of(new CancelRequest(1234, longKey), "0000002c 04d2162e 000004d2" + "5a".repeat(32)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("typedFixtures")
    void typedMessagesEncodeByteExactly(FrontendMessage message, String hex) {
        assertEncodes(message::encode, hex);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("typedFixtures")
    void typedMessagesDecodeAndRoundTrip(FrontendMessage message, String hex) {
        assertDecodes(FrontendMessage::decode, message::encode, message, hex);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("typedFixtures")
    void truncatedOrLyingTypedFramesFailWithIllegalArgument(FrontendMessage message, String hex) {
        assertNoLeakingExceptions(FrontendMessage::decode, hex, 1);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("startupFixtures")
    void startupMessagesEncodeByteExactly(FrontendMessage message, String hex) {
        assertEncodes(message::encode, hex);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("startupFixtures")
    void startupMessagesDecodeAndRoundTrip(FrontendMessage message, String hex) {
        assertDecodes(FrontendMessage::decodeStartup, message::encode, message, hex);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("startupFixtures")
    void truncatedOrLyingStartupFramesFailWithIllegalArgument(FrontendMessage message, String hex) {
        assertNoLeakingExceptions(FrontendMessage::decodeStartup, hex, 0);
    }

    @Test
    void malformedInputSaysWhatIsWrong() {
        Function<io.netty.buffer.ByteBuf, FrontendMessage> decode = FrontendMessage::decode;
        assertRejects(decode, "51 00000005 41", "Query: query string is not NUL-terminated");
        assertRejects(decode, "51 0000000d" + ascii("SELECT 1"), "truncated frame");
        assertRejects(decode, "45 00000006 00 00", "Execute: truncated: an int32 needs 4 bytes but only 1 remain");
        assertRejects(decode, "44 00000006 58 00", "kind byte 0x58 is neither 'S' nor 'P'");
        assertRejects(decode, "42 0000000c 00 00 0000 0001 0000", "Bind: parameter count 1 does not fit");
        assertRejects(decode, "42 00000010 00 00 0000 0001 00000005 00 0000", "parameter 1 needs 5 bytes");
        assertRejects(decode, "50 00000008 00 00 0002", "parameter type count 2 does not fit");
        assertRejects(decode, "53 00000005 00", "Sync: 1 unexpected trailing bytes");
        assertRejects(decode, "46 00000004", "unknown type byte 0x46");
        Function<io.netty.buffer.ByteBuf, FrontendMessage> startup = FrontendMessage::decodeStartup;
        assertRejects(startup, "00000009 00020000 00", "unsupported protocol version 2.0");
        assertRejects(startup, "0000000c 00030000" + ascii("user"), "parameter name is not NUL-terminated");
        assertRejects(startup, "0000000c 04d2162e 000004d2", "secret key of 0 bytes");
        assertRejects(startup, "0000000c 04d2162f 00000000", "SSLRequest: 4 unexpected trailing bytes");
        assertRejects(startup, "000004", "shorter than the 8-byte minimum");
    }

    @Test
    void nothingSensitiveReachesToString() {
        Bind bind = new Bind("", "s", List.of(), List.of(bytes(ascii("hunter2"))), List.of());
        assertThat(bind.toString()).doesNotContain("hunter2").contains("1 parameters");
        assertThat(PasswordMessage.cleartext("hunter2").toString()).doesNotContain("hunter2");
        assertThat(new CancelRequest(1, bytes("cafebabe")).toString()).doesNotContain("ca");
    }

    @Test
    void bindKeepsParameterBytesExactlyAndTellsNullFromEmpty() {
        Bind bind = new Bind("", "", List.of((short) 1), Arrays.asList(null, new byte[0], bytes("00ff")),
                List.of());
        assertThat(bind.parameters()).containsExactly(null, new byte[0], bytes("00ff"));
        assertThat(bind).isNotEqualTo(new Bind("", "", List.of((short) 1),
                Arrays.asList(new byte[0], new byte[0], bytes("00ff")), List.of()));
    }

    @Test
    void aBindsNamesAndParameterCountAreReadWithoutItsValues() {
        ByteBuf bind = frame("42 0000001e 00" + cstr("s1") + "0001 0001 0002 00000004 00000001 ffffffff 0001 0000");
        int start = bind.readerIndex();
        try {
            assertThat(Bind.peekNames(bind)).containsExactly("", "s1");
            assertThat(Bind.peekParameterCount(bind)).isEqualTo(2);
            assertThat(bind.readerIndex()).as("the frame is not consumed").isEqualTo(start);
        } finally {
            bind.release();
        }
    }

    @Test
    void queryAndParseTextIsReadAndWrittenInTheSessionsClientEncoding() {
        Charset latin1 = ClientEncodings.charset("LATIN1").orElseThrow();
        // 'é' is e9 in LATIN1; read as UTF-8 the byte is not a character at all
        ByteBuf query = frame("51 0000000b" + ascii("'caf") + "e9 27 00");
        try {
            assertThat(Query.decode(query, latin1).sql()).isEqualTo("'café'");
            assertThat(Query.decode(query).sql()).isEqualTo("'caf\uFFFD'");
        } finally {
            query.release();
        }
        String parse = "50 0000000f 00" + ascii("'na") + "ef" + ascii("ve'") + "00 0000";
        Parse naive = new Parse("", "'naïve'", List.of());
        assertDecodes(f -> Parse.decode(f, latin1), out -> naive.encode(out, latin1), naive, parse);
        assertEncodes(naive::encode, "50 00000010 00" + ascii("'na") + "c3af" + ascii("ve'") + "00 0000");
    }
}
