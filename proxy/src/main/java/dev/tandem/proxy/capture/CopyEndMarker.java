package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.ClassifiedStatement.CopyFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code \.} end-of-data marker of COPY FROM STDIN text and CSV data, which PostgreSQL 18 reads otherwise than the
 * versions before it (measured through the protocol on 17.6 and 18.1):
 * <ul>
 * <li>CSV: before 18, {@code \.} alone on a line, outside quotes, ends the data, and the rows after it are ignored;
 * 18 reads it as a row of one field, which a table of more columns rejects, so a CSV file that ends with the old
 * marker fails on 18 as a whole.</li>
 * <li>text: before 18, a backslash that is not itself escaped followed by a period ends the data (the bytes before it
 * on its line are a last row) or fails the COPY; 18 takes it only alone on its line and fails the COPY otherwise.</li>
 * </ul>
 * The capture keeps of a COPY from a source before 18 only the data the source read ({@link #cut}), so that a target
 * of any version loads the rows the source loaded. A source that failed the COPY had nothing mirrored, so the first
 * marker found is the one the source ended the data at.
 *
 * <p>Cheap on the capture's path: a search for backslash bytes; in CSV the quotes are followed only up to a backslash
 * that starts a line and is followed by {@code .} and a line end, which data seldom has.
 */
final class CopyEndMarker {

    /**
     * Client encodings a character of which may hold the byte of a backslash (PostgreSQL's client-only ones, which the
     * server reads character by character): their data is left whole.
     */
    private static final Set<String> EMBEDDING_ASCII = Set.of("SJIS", "BIG5", "GBK", "UHC", "GB18030");
    private static final int FIRST_READING_AS_VALUE = 18;
    private static final byte BACKSLASH = '\\';

    private CopyEndMarker() {
    }

    /** Whether a server of this {@code server_version} ends text and CSV data at the marker; false when not known. */
    static boolean endsDataAtMarker(String serverVersion) {
        if (serverVersion == null) {
            return false;
        }
        int end = 0;
        while (end < serverVersion.length() && end < 4 && Character.isDigit(serverVersion.charAt(end))) {
            end++;
        }
        return end > 0 && Integer.parseInt(serverVersion.substring(0, end)) < FIRST_READING_AS_VALUE;
    }

    /**
     * Cuts a COPY's data, as a source before PostgreSQL 18 read it, before its end-of-data marker: {@code data} is
     * changed in place (the chunk with the marker shortened, the chunks after it removed). Returns whether it had one.
     * Binary data, a layout not known (null) and an encoding whose characters may hold a backslash byte are left whole.
     */
    static boolean cut(List<byte[]> data, CopyLayout layout, String clientEncoding) {
        if (layout == null || layout.format() == CopyFormat.BINARY
                || clientEncoding != null && EMBEDDING_ASCII.contains(clientEncoding.toUpperCase(Locale.ROOT))) {
            return false;
        }
        CopyBytes in = new CopyBytes(data);
        long at = layout.format() == CopyFormat.CSV ? csvMarker(in, layout) : textMarker(in);
        if (at < 0) {
            return false;
        }
        in.truncate(at);
        return true;
    }

    /** Every backslash escapes the byte after it, a backslash too; one before a period is the marker. */
    private static long textMarker(CopyBytes in) {
        for (long i = in.indexOf(BACKSLASH, 0); i >= 0; i = in.indexOf(BACKSLASH, i + 2)) {
            if (in.byteAt(i + 1) == '.') {
                return i;
            }
        }
        return -1;
    }

    /**
     * {@code \.} and a line end, at the start of a line outside quotes ({@link CopyFields} follows them; before 18, an
     * escape counts only inside quotes, and only when it differs from the quote, as there).
     */
    private static long csvMarker(CopyBytes in, CopyLayout layout) {
        CopyFields quotes = null; // made once a line looks like the marker: most data has none
        for (long i = in.indexOf(BACKSLASH, 0); i >= 0; i = in.indexOf(BACKSLASH, i + 1)) {
            int before = in.byteAt(i - 1);
            int after = in.byteAt(i + 2);
            if ((i == 0 || before == '\n' || before == '\r') && in.byteAt(i + 1) == '.'
                    && (after == '\n' || after == '\r')) {
                quotes = quotes == null ? new CopyFields(in, layout) : quotes;
                if (!quotes.inQuotesAt(i)) {
                    return i;
                }
            }
        }
        return -1;
    }
}
