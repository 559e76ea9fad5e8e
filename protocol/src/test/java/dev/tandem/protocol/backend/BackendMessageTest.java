package dev.tandem.protocol.backend;

import static dev.tandem.protocol.backend.WireFixtures.ascii;
import static dev.tandem.protocol.backend.WireFixtures.assertDecodes;
import static dev.tandem.protocol.backend.WireFixtures.assertEncodes;
import static dev.tandem.protocol.backend.WireFixtures.assertNoLeakingExceptions;
import static dev.tandem.protocol.backend.WireFixtures.assertRejects;
import static dev.tandem.protocol.backend.WireFixtures.bytes;
import static dev.tandem.protocol.backend.WireFixtures.cstr;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Byte-exact fixtures for every backend message, written from the PostgreSQL "Message Formats" page. */
class BackendMessageTest {

    static Stream<Arguments> fixtures() {
        Map<Character, String> notice = new LinkedHashMap<>();
        notice.put('S', "WARNING");
        notice.put('C', "01000");
        notice.put('M', "hi");
        byte[] longKey = new byte[32];
        Arrays.fill(longKey, (byte) 0xab);
        return Stream.of(
                Arguments.of(AuthenticationOk.INSTANCE, "52 00000008 00000000"),
                Arguments.of(AuthenticationCleartextPassword.INSTANCE, "52 00000008 00000003"),
                Arguments.of(new AuthenticationMD5Password(bytes("01020304")), "52 0000000c 00000005 01020304"),
                Arguments.of(new AuthenticationSASL(List.of("SCRAM-SHA-256")),
                        "52 00000017 0000000a" + cstr("SCRAM-SHA-256") + "00"),
                Arguments.of(new AuthenticationSASL(List.of("SCRAM-SHA-256-PLUS", "SCRAM-SHA-256")),
                        "52 0000002a 0000000a" + cstr("SCRAM-SHA-256-PLUS") + cstr("SCRAM-SHA-256") + "00"),
                Arguments.of(new AuthenticationSASLContinue(bytes(ascii("r=abc"))),
                        "52 0000000d 0000000b" + ascii("r=abc")),
                Arguments.of(new AuthenticationSASLFinal(bytes(ascii("v=xyz"))),
                        "52 0000000d 0000000c" + ascii("v=xyz")),
                Arguments.of(new AuthenticationOther(7, new byte[0]), "52 00000008 00000007"),
                Arguments.of(new AuthenticationOther(8, bytes("cafe")), "52 0000000a 00000008 cafe"),
                Arguments.of(new BackendKeyData(12345, bytes("deadbeef")), "4b 0000000c 00003039 deadbeef"),
                Arguments.of(new BackendKeyData(12345, longKey),
                        "4b 00000028 00003039" + "ab".repeat(32)),
                Arguments.of(new ParameterStatus("TimeZone", "UTC"), "53 00000011" + cstr("TimeZone") + cstr("UTC")),
                Arguments.of(ReadyForQuery.IDLE, "5a 00000005 49"),
                Arguments.of(ReadyForQuery.IN_TRANSACTION, "5a 00000005 54"),
                Arguments.of(ReadyForQuery.FAILED, "5a 00000005 45"),
                Arguments.of(new CommandComplete("INSERT 0 5"), "43 0000000f" + cstr("INSERT 0 5")),
                Arguments.of(ErrorResponse.fatal("08P01", "bad"),
                        "45 0000001f" + "53" + cstr("FATAL") + "56" + cstr("FATAL") + "43" + cstr("08P01")
                                + "4d" + cstr("bad") + "00"),
                Arguments.of(new NoticeResponse(notice),
                        "4e 00000019" + "53" + cstr("WARNING") + "43" + cstr("01000") + "4d" + cstr("hi") + "00"),
                Arguments.of(new CopyInResponse((byte) 0, List.of((short) 0, (short) 0)), "47 0000000b 00 0002 0000 0000"),
                Arguments.of(new CopyOutResponse((byte) 1, List.of((short) 1)), "48 00000009 01 0001 0001"),
                Arguments.of(new CopyBothResponse((byte) 0, List.of()), "57 00000007 00 0000"),
                Arguments.of(new CopyData(Unpooled.wrappedBuffer(bytes(ascii("1\tfoo\n")))),
                        "64 0000000a" + ascii("1\tfoo\n")),
                Arguments.of(CopyDone.INSTANCE, "63 00000004"),
                Arguments.of(ParseComplete.INSTANCE, "31 00000004"),
                Arguments.of(BindComplete.INSTANCE, "32 00000004"),
                Arguments.of(CloseComplete.INSTANCE, "33 00000004"),
                Arguments.of(NoData.INSTANCE, "6e 00000004"),
                Arguments.of(EmptyQueryResponse.INSTANCE, "49 00000004"),
                Arguments.of(PortalSuspended.INSTANCE, "73 00000004"),
                Arguments.of(new ParameterDescription(List.of(23, 25)), "74 0000000e 0002 00000017 00000019"),
                Arguments.of(new RowDescription(List.of(new RowDescription.Field("id", 16384, (short) 1, 23, (short) 4,
                                -1, (short) 0))),
                        "54 0000001b 0001" + cstr("id") + "00004000 0001 00000017 0004 ffffffff 0000"),
                Arguments.of(new DataRow(Arrays.asList(bytes(ascii("42")), null)),
                        "44 00000010 0002 00000002" + ascii("42") + "ffffffff"),
                Arguments.of(new NotificationResponse(1234, "ch", "hi"), "41 0000000e 000004d2" + cstr("ch") + cstr("hi")),
                // PostgreSQL 17's answer to a 3.2 StartupMessage with option _pq_.x
                Arguments.of(new NegotiateProtocolVersion(0x00030000, List.of("_pq_.x")),
                        "76 00000013 00030000 00000001" + cstr("_pq_.x")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void encodesByteExactly(BackendMessage message, String hex) {
        assertEncodes(message::encode, hex);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void decodesTheFixtureAndRoundTrips(BackendMessage message, String hex) {
        assertDecodes(BackendMessage::decode, message::encode, message, hex);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void truncatedOrLyingFramesFailWithIllegalArgument(BackendMessage message, String hex) {
        assertNoLeakingExceptions(BackendMessage::decode, hex, 1);
    }

    @Test
    void malformedInputSaysWhatIsWrong() {
        assertRejects(BackendMessage::decode, "43 0000000f" + ascii("INSERT 0 5"), "truncated frame");
        assertRejects(BackendMessage::decode, "43 00000007" + ascii("BEG"), "command tag is not NUL-terminated");
        assertRejects(BackendMessage::decode, "5a 00000005 58", "none of 'I', 'T', 'E'");
        assertRejects(BackendMessage::decode, "5a 00000006 4900", "1 unexpected trailing bytes");
        assertRejects(BackendMessage::decode, "44 00000006 0001", "DataRow: column count 1 does not fit");
        assertRejects(BackendMessage::decode, "44 0000000a 0001 00000005 41", "column 0 needs 5 bytes");
        assertRejects(BackendMessage::decode, "44 00000006 ffff", "column count 65535 does not fit");
        assertRejects(BackendMessage::decode, "52 00000008 00000005", "MD5 salt needs 4 bytes");
        assertRejects(BackendMessage::decode, "4b 00000008 00003039", "secret key of 0 bytes");
        assertRejects(BackendMessage::decode, "53 00000003", "below the minimum of 4");
        assertRejects(BackendMessage::decode, "7a 00000004", "unknown type byte 0x7a");
        assertRejects(BackendMessage::decode, "", "empty frame");
        assertRejects(AuthenticationOk::decode, "52 00000008 00000003", "AuthenticationOk: frame holds");
        assertRejects(CommandComplete::decode, "5a 00000005 49", "expected type 'C'");
    }

    @Test
    void protocol2ErrorIsTheTypeByteAndOneStringAsPostgreSqlSendsIt() {
        // bytes PostgreSQL 17 sent to a StartupMessage asking for protocol 2.0
        assertEncodes(new ProtocolV2ErrorResponse("unsupported frontend protocol 2.0: server supports 3.0 to 3.0")::encode,
                "45" + ascii("FATAL:  unsupported frontend protocol 2.0: server supports 3.0 to 3.0\n") + "00");
    }

    @Test
    void errorResponseDecodeStillAcceptsNoticeFrames() {
        ByteBuf in = WireFixtures.frame("4e 0000000d" + "53" + cstr("NOTICE") + "00");
        try {
            assertThat(ErrorResponse.decode(in).severity()).isEqualTo("NOTICE");
        } finally {
            in.release();
        }
    }

    @Test
    void copyDataDecodesToARetainedSliceWithoutCopying() {
        ByteBuf in = WireFixtures.frame("64 00000006 610a");
        CopyData data = CopyData.decode(in);
        try {
            assertThat(in.refCnt()).isEqualTo(2);
            in.setByte(8, 'b');
            assertThat(data.data().getByte(0)).isEqualTo((byte) 'b');
        } finally {
            data.release();
            in.release();
        }
        assertThat(in.refCnt()).isZero();
    }

    @Test
    void sensitiveContentStaysOutOfToString() {
        assertThat(new BackendKeyData(1, bytes("deadbeef")).toString()).doesNotContain("de").contains("4-byte key");
        assertThat(new DataRow(List.of(bytes(ascii("secret")))).toString()).doesNotContain("secret");
        assertThat(new AuthenticationSASLContinue(bytes(ascii("r=nonce"))).toString()).doesNotContain("nonce");
        CopyData copy = CopyData.decode(WireFixtures.frame("64 00000006 610a"));
        ReferenceCountUtil.release(copy);
        assertThat(copy.toString()).isEqualTo("CopyData[2 bytes]");
    }
}
