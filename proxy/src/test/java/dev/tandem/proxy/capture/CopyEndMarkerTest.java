package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.ClassifiedStatement.CopyFormat;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Where a source before PostgreSQL 18 ended the data (what 17.6 loaded from the same bytes, through pgjdbc's
 * CopyManager), whatever CopyData messages the data came in.
 */
class CopyEndMarkerTest {

    private static final CopyLayout CSV = CopyLayout.of(CopyFormat.CSV, "WITH (FORMAT csv)");
    private static final CopyLayout TEXT = CopyLayout.of(CopyFormat.TEXT, "");

    /**
     * The data {@link CopyEndMarker#cut} keeps, the same when the data comes whole, in chunks of 1, 2, 3 and 7 bytes,
     * and with empty chunks between; null when it has no marker.
     */
    private static String kept(String data, CopyLayout layout, String encoding) {
        byte[] bytes = data.getBytes(StandardCharsets.UTF_8);
        List<byte[]> whole = new ArrayList<>(List.of(bytes));
        boolean cut = CopyEndMarker.cut(whole, layout, encoding);
        String kept = cut ? joined(whole) : null;
        if (!cut) {
            assertThat(joined(whole)).as("left whole").isEqualTo(data);
        }
        for (int size : new int[] {1, 2, 3, 7}) {
            List<byte[]> chunks = new ArrayList<>();
            for (int i = 0; i < bytes.length; i += size) {
                chunks.add(Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + size)));
                chunks.add(new byte[0]);
            }
            assertThat(CopyEndMarker.cut(chunks, layout, encoding)).as("cut every %d bytes", size).isEqualTo(cut);
            assertThat(joined(chunks)).as("cut every %d bytes", size).isEqualTo(cut ? kept : data);
        }
        return kept;
    }

    private static String joined(List<byte[]> chunks) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        chunks.forEach(out::writeBytes);
        return out.toString(StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            // a marker line in the middle, at the end, first, and after a header line: 17 loaded the rows before it
            "1,a\\n\\.\\n2,b\\n|1,a\\n",
            "1,a\\n2,b\\n\\.\\n|1,a\\n2,b\\n",
            "\\.\\n1,a\\n|''",
            "a,b\\n1,a\\n\\.\\n2,b\\n|a,b\\n1,a\\n",
            // CRLF and CR line ends
            "1,a\\r\\n\\.\\r\\n2,b\\r\\n|1,a\\r\\n",
            "1,a\\r\\.\\r2,b\\r|1,a\\r",
    })
    void aCsvMarkerLineEndsTheData(String data, String kept) {
        assertThat(kept(unescape(data), CSV, null)).isEqualTo(unescape(kept));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            // inside quotes that span lines: a value (17 loaded 1|"x\n\.\ny" and 2|b)
            "1,\"x\\n\\.\\ny\"\\n2,b\\n",
            // a doubled quote inside quotes does not end them
            "1,\"x\"\"\\n\\.\\n\"\\n2,b\\n",
            // not alone on its line, not at its start, or the last bytes without a line end: values
            "1,a\\n\\.x\\n2,b\\n",
            "1,a\\nx\\.\\n2,b\\n",
            "1,\\.\\n2,b\\n",
            "1,a\\n\\.",
            // a quoted \. is a value
            "a\\n\"\\.\"\\nb\\n",
    })
    void csvDataWithoutAMarkerIsKeptWhole(String data) {
        assertThat(kept(unescape(data), CSV, null)).isNull();
    }

    /** With an ESCAPE other than the quote, an escaped quote inside quotes does not end them; outside, it is data. */
    @Test
    void anEscapedQuoteKeepsTheMarkerInsideTheValue() {
        CopyLayout escaped = CopyLayout.of(CopyFormat.CSV, "WITH (FORMAT csv, ESCAPE '\\')");
        assertThat(kept("1,\"x\\\"\n\\.\n\"\n2,b\n", escaped, null)).isNull();
        // an escaped escape before the closing quote: the quotes end, the line after is a marker
        assertThat(kept("1,\"x\\\\\"\n\\.\n2,b\n", escaped, null)).isEqualTo("1,\"x\\\\\"\n");
        CopyLayout quote = CopyLayout.of(CopyFormat.CSV, "WITH (FORMAT csv, QUOTE '''')");
        assertThat(kept("1,'x\n\\.\n'\n2,b\n", quote, null)).isNull();
        assertThat(kept("1,\"x\n\\.\n\"\n2,b\n", quote, null)).isEqualTo("1,\"x\n");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            // alone on its line, in the middle and at the end, with LF and CRLF
            "1\\ta\\n\\.\\n2\\tb\\n|1\\ta\\n",
            "1\\ta\\n2\\tb\\n\\.\\n|1\\ta\\n2\\tb\\n",
            "1\\ta\\r\\n\\.\\r\\n2\\tb\\r\\n|1\\ta\\r\\n",
            // at the end of a line with data: 17 loaded that line's data as a last row (18 fails the COPY)
            "1\\ta\\.\\n2\\tb\\n|1\\ta",
            "1\\ta\\n2\\tb\\.\\n3\\tc\\n|1\\ta\\n2\\tb",
            // after an escaped line end: 17 loaded "a" and a line end as the last value
            "1\\ta\\\\\\n\\.\\n2\\tb\\n|1\\ta\\\\\\n",
    })
    void aTextMarkerEndsTheData(String data, String kept) {
        assertThat(kept(unescape(data), TEXT, null)).isEqualTo(unescape(kept));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            // an escaped backslash before a period is data, so is a backslash escaping the line end
            "1\\ta\\\\\\\\.\\n2\\tb\\n",
            "1\\t\\\\\\\\\\\\\\\\.\\n",
            "1\\ta\\\\\\n2\\tb\\n",
            "1\\ta\\\\",
    })
    void textDataWithoutAMarkerIsKeptWhole(String data) {
        assertThat(kept(unescape(data), TEXT, null)).isNull();
    }

    /** In SJIS a character's second byte may be a backslash: the source reads it as part of the character. */
    @Test
    void dataInAnEncodingWhoseCharactersHoldBackslashBytesIsKeptWhole() {
        assertThat(kept("1\ta\n\\.\n2\tb\n", TEXT, "SJIS")).isNull();
        assertThat(kept("1\ta\n\\.\n2\tb\n", TEXT, "LATIN1")).isEqualTo("1\ta\n");
    }

    @Test
    void binaryDataAndAnUnknownLayoutAreKeptWhole() {
        assertThat(kept("\\.\n", CopyLayout.of(CopyFormat.BINARY, "WITH (FORMAT binary)"), null)).isNull();
        assertThat(kept("\\.\n", null, null)).isNull();
    }

    @ParameterizedTest
    @CsvSource({"17.6,true", "9.6.24,true", "16.4 (Debian 16.4-1.pgdg120+2),true", "18.1,false", "18beta1,false",
            "19devel,false", "'',false"})
    void serversBefore18EndTheDataAtTheMarker(String version, boolean ends) {
        assertThat(CopyEndMarker.endsDataAtMarker(version)).isEqualTo(ends);
    }

    @Test
    void aServerThatReportedNoVersionIsNotTakenForAnOldOne() {
        assertThat(CopyEndMarker.endsDataAtMarker(null)).isFalse();
    }

    /** {@code \n}, {@code \r}, {@code \t} and {@code \\} as in Java source, so cases read as the bytes they are. */
    private static String unescape(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length() && "nrt\\".indexOf(s.charAt(i + 1)) >= 0) {
                char e = s.charAt(++i);
                out.append(e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : '\\');
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
