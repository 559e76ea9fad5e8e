package dev.tandem.protocol.frontend;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ClientEncodingsTest {

    @ParameterizedTest
    @CsvSource({
        "LATIN1, e9, é",
        "latin1, e9, é",
        "WIN1252, 80, €",
        "LATIN9, a4, €",
        "WIN1251, e6, ж",
        "KOI8R, d6, ж",
        "SJIS, 82a0, あ",
        "EUC_JP, a4a2, あ",
        "GBK, c4e3, 你",
        "BIG5, a741, 你",
        "UHC, b0a1, 가",
        "UTF8, c3a9, é"})
    void readsWhatTheServerReadsInThatEncoding(String encoding, String hex, String expected) {
        Charset charset = ClientEncodings.charset(encoding).orElseThrow();
        assertThat(new String(java.util.HexFormat.of().parseHex(hex), charset)).isEqualTo(expected);
        assertThat(ClientEncodings.roundTrips(expected, charset)).isTrue();
    }

    @Test
    void sqlAsciiKeepsEveryByteAsItIs() {
        Charset charset = ClientEncodings.charset("SQL_ASCII").orElseThrow();
        byte[] all = new byte[256];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        String text = new String(all, charset);
        assertThat(text.getBytes(charset)).isEqualTo(all);
        assertThat(ClientEncodings.roundTrips(text, charset)).isTrue();
    }

    @Test
    void encodingsWithoutACharsetAndUnknownNamesGiveNone() {
        assertThat(ClientEncodings.charset("MULE_INTERNAL")).isEmpty();
        assertThat(ClientEncodings.charset("SHIFT_JIS_2004")).isEmpty();
        assertThat(ClientEncodings.charset("KLINGON")).isEmpty();
        assertThat(ClientEncodings.charset("UTF8")).contains(StandardCharsets.UTF_8);
    }

    @Test
    void textThatCannotBeWrittenBackAsTheSameBytesDoesNotRoundTrip() {
        Charset latin1 = ClientEncodings.charset("LATIN1").orElseThrow();
        Charset sjis = ClientEncodings.charset("SJIS").orElseThrow();
        // a byte sequence the JVM could not read became U+FFFD: the client's bytes are lost
        assertThat(ClientEncodings.roundTrips(new String(new byte[] {(byte) 0x82}, sjis), sjis)).isFalse();
        assertThat(ClientEncodings.roundTrips("ж", latin1)).isFalse();
        assertThat(ClientEncodings.roundTrips("plain", latin1)).isTrue();
    }
}
