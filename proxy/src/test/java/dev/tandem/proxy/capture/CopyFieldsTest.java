package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.ClassifiedStatement.CopyFormat;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Rows and fields of COPY text and CSV data as PostgreSQL splits them, byte for byte, whatever CopyData messages the
 * data came in.
 */
class CopyFieldsTest {

    private static final CopyLayout CSV = CopyLayout.of(CopyFormat.CSV, "WITH (FORMAT csv)");
    private static final CopyLayout TEXT = CopyLayout.of(CopyFormat.TEXT, "");

    /**
     * Each row as its fields joined by {@code |}, a field followed by {@code (q)} when quoted and {@code (e)} when
     * escaped, and {@code <end of data>} for a {@code \.} line; the same whole, in chunks of 1, 2, 3 and 7 bytes, and
     * with empty chunks between.
     */
    private static List<String> rows(String data, CopyLayout layout) {
        byte[] bytes = data.getBytes(StandardCharsets.UTF_8);
        List<String> whole = rows(List.of(bytes), layout);
        for (int size : new int[] {1, 2, 3, 7}) {
            List<byte[]> chunks = new ArrayList<>();
            for (int i = 0; i < bytes.length; i += size) {
                chunks.add(new byte[0]);
                chunks.add(Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + size)));
            }
            assertThat(rows(chunks, layout)).as("cut every %d bytes", size).isEqualTo(whole);
        }
        return whole;
    }

    private static List<String> rows(List<byte[]> data, CopyLayout layout) {
        CopyFields fields = new CopyFields(new CopyBytes(data), layout);
        List<String> rows = new ArrayList<>();
        while (fields.hasRow()) {
            StringBuilder row = new StringBuilder();
            ByteArrayOutputStream field = new ByteArrayOutputStream();
            for (int b = fields.next(); ; b = fields.next()) {
                if (b >= 0) {
                    field.write(b);
                    continue;
                }
                row.append(field.toString(StandardCharsets.UTF_8)).append(fields.quoted() ? "(q)" : "")
                        .append(fields.escaped() ? "(e)" : "");
                field.reset();
                if (b == CopyFields.END_OF_ROW) {
                    break;
                }
                row.append('|');
            }
            rows.add(fields.endOfDataLine() ? "<end of data>" : row.toString());
        }
        return rows;
    }

    @Test
    void csvRowsEndAtEveryKindOfLineEndAndAtTheEndOfTheData() {
        assertThat(rows("1,a\n2,b\r\n3,c\r4,d", CSV)).containsExactly("1|a", "2|b", "3|c", "4|d");
        assertThat(rows("1,a\n\n,\n", CSV)).containsExactly("1|a", "", "|");
        assertThat(rows("", CSV)).isEmpty();
    }

    @Test
    void aQuotedCsvFieldKeepsItsDelimitersLineEndsAndDoubledQuotesAsData() {
        assertThat(rows("1,\"a,b\nc\r\nd\"\n2,\"say \"\"hi\"\"\"\n", CSV))
                .containsExactly("1|a,b\nc\r\nd(q)", "2|say \"hi\"(q)");
        // quotes around part of a field; an empty quoted field is quoted, an empty one is not
        assertThat(rows("a\"b,c\"d,\"\",\n", CSV)).containsExactly("ab,cd(q)|(q)|");
        // a quote left open runs to the end of the data
        assertThat(rows("1,\"a\n2,b\n", CSV)).containsExactly("1|a\n2,b\n(q)");
    }

    @Test
    void aCsvEndOfDataMarkerInsideQuotesIsData() {
        assertThat(rows("1,\"x\n\\.\ny\"\n2,b\n", CSV)).containsExactly("1|x\n\\.\ny(q)", "2|b");
        // in CSV, \. alone is a row of its own (the line PostgreSQL 18 reads as a value)
        assertThat(rows("1,a\n\\.\n", CSV)).containsExactly("1|a", "\\.");
    }

    @Test
    void anEscapeOtherThanTheQuoteEscapesAQuoteOrItselfInsideQuotesOnly() {
        CopyLayout escaped = CopyLayout.of(CopyFormat.CSV, "WITH (FORMAT csv, ESCAPE '\\')");
        assertThat(rows("\"a\\\"b\",\"c\\\\\",\"d\\e\",f\\\"g\"\n", escaped))
                .containsExactly("a\"b(q)|c\\(q)|d\\e(q)|f\\g(q)");
        // with its own escape a doubled quote ends the quotes and opens them again
        assertThat(rows("\"a\"\"b\"\n", escaped)).containsExactly("ab(q)");
    }

    @Test
    void anotherQuoteAndDelimiterSplitLikeTheDefaultOnes() {
        CopyLayout layout = CopyLayout.of(CopyFormat.CSV, "WITH (FORMAT csv, DELIMITER ';', QUOTE '''')");
        assertThat(rows("'a;b''c';\"d\"\n", layout)).containsExactly("a;b'c(q)|\"d\"");
        CopyLayout both = CopyLayout.of(CopyFormat.CSV, "WITH (FORMAT csv, QUOTE '|', ESCAPE '!')");
        assertThat(rows("|a!|b!!|,|c|\n", both)).containsExactly("a|b!(q)|c(q)");
    }

    @Test
    void aTextBackslashMakesTheByteAfterItDataAsItIs() {
        assertThat(rows("1\ta\\tb\t\\N\tN\n2\ta\\\nb\\\\\tc\n", TEXT))
                .containsExactly("1|atb(e)|N(e)|N", "2|a\nb\\(e)|c");
        assertThat(rows("1\t\"a\"\r\n2\tb\\", TEXT)).containsExactly("1|\"a\"", "2|b\\(e)");
    }

    @Test
    void aTextEndOfDataLineIsTheTwoBytesAloneOnTheirLine() {
        assertThat(rows("1\ta\n\\.\n2\tb\n", TEXT)).containsExactly("1|a", "<end of data>", "2|b");
        assertThat(rows("1\ta\r\n\\.\r\n", TEXT)).containsExactly("1|a", "<end of data>");
        assertThat(rows("1\ta\n\\.", TEXT)).containsExactly("1|a", "<end of data>");
        // not alone on its line, or escaped itself
        assertThat(rows("\\.x\nx\\.\n\\\\.\n", TEXT)).containsExactly(".x(e)", "x.(e)", "\\.(e)");
    }

    @Test
    void theQuotesAtALineStartAreThoseOfTheBytesBeforeIt() {
        String data = "1,\"a\n\\.\nb\"\n\\.\n";
        CopyBytes in = new CopyBytes(List.of(data.getBytes(StandardCharsets.UTF_8)));
        CopyFields fields = new CopyFields(in, CSV);
        assertThat(fields.inQuotesAt(0)).isFalse();
        assertThat(fields.inQuotesAt(data.indexOf("\\."))).as("the first \\.").isTrue();
        assertThat(in.position()).isEqualTo(data.indexOf("\\."));
        assertThat(fields.inQuotesAt(data.lastIndexOf("\\."))).as("the second \\.").isFalse();
        assertThat(in.position()).isEqualTo(data.lastIndexOf("\\."));
    }
}
