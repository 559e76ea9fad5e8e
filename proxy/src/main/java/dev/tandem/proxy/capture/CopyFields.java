package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.ClassifiedStatement.CopyFormat;

/**
 * COPY text or CSV data read row by row, field by field, as PostgreSQL splits it ({@link CopyLayout}): a row ends at a
 * line end (LF, CR or CRLF) outside quotes, or at the end of the data; fields are split at the delimiter outside
 * quotes. In CSV, a field may be quoted, in whole or in part: a line end or delimiter inside quotes is data, and so is
 * a quote inside them written twice or, with an ESCAPE other than the QUOTE, after the escape (as is an escaped
 * escape). In text, a backslash makes the byte after it data, given as it is ({@code \t} gives {@code t}, not a tab:
 * enough to tell {@code \N} and the {@code \.} end-of-data line, and the values read here have no escapes).
 *
 * <p>One byte at a time, without allocating: {@link #next} gives a field's bytes, then {@link #END_OF_FIELD} or
 * {@link #END_OF_ROW}.
 */
public final class CopyFields {

    /** What {@link #next} gives at a delimiter. */
    public static final int END_OF_FIELD = -1;
    /** What {@link #next} gives at a line end, or at the end of the data. */
    public static final int END_OF_ROW = -2;

    private final CopyBytes in;
    private final boolean csv;
    private final byte delimiter;
    private final byte quote;
    private final byte escape;
    private boolean inQuotes;
    /** The field read last had quotes (CSV) or backslashes (text). */
    private boolean quoted;
    private boolean escaped;
    /** The field read last has ended, or its row too: what the next byte starts. */
    private boolean fieldEnded;
    private boolean rowEnded;
    /** Where the row read last starts, and whether it starts with an escaped period. */
    private long rowStart;
    private boolean startsWithMarker;
    private boolean endOfDataLine;

    /** @param layout text or CSV */
    public CopyFields(CopyBytes in, CopyLayout layout) {
        this.in = in;
        this.csv = layout.format() == CopyFormat.CSV;
        this.delimiter = layout.delimiter();
        this.quote = layout.quote();
        this.escape = layout.escape();
        this.rowStart = in.position();
    }

    /** At the start of a row: whether the data has one more. */
    public boolean hasRow() {
        return in.has(1);
    }

    /**
     * The next byte of the field being read (0-255), {@link #END_OF_FIELD} at its end and {@link #END_OF_ROW} at the
     * end of its row, or of the data.
     */
    public int next() {
        if (fieldEnded) {
            fieldEnded = false;
            quoted = false;
            escaped = false;
            if (rowEnded) {
                rowEnded = false;
                rowStart = in.position();
                startsWithMarker = false;
            }
        }
        while (in.has(1)) {
            byte b = in.next();
            if (!inQuotes && (b == '\n' || b == '\r')) {
                long end = in.position() - 1;
                if (b == '\r' && in.has(1) && in.peek() == '\n') {
                    in.next();
                }
                return endRow(end);
            }
            if (inQuotes) {
                if (b == escape && escape != quote && in.has(1) && (in.peek() == quote || in.peek() == escape)) {
                    b = in.next();
                } else if (b == quote) {
                    if (escape == quote && in.has(1) && in.peek() == quote) {
                        in.next();
                    } else {
                        inQuotes = false;
                        continue;
                    }
                }
            } else if (b == delimiter) {
                fieldEnded = true;
                return END_OF_FIELD;
            } else if (csv && b == quote) {
                inQuotes = true;
                quoted = true;
                continue;
            } else if (!csv && b == '\\') {
                escaped = true;
                if (in.has(1)) {
                    b = in.next();
                    startsWithMarker |= b == '.' && in.position() - 2 == rowStart;
                }
            }
            return b & 0xff;
        }
        return endRow(in.position());
    }

    private int endRow(long end) {
        endOfDataLine = startsWithMarker && end - rowStart == 2;
        fieldEnded = true;
        rowEnded = true;
        return END_OF_ROW;
    }

    /** Whether the field read last (up to its end) had a quote, opening quotes (CSV). */
    public boolean quoted() {
        return quoted;
    }

    /** Whether the field read last (up to its end) had a backslash (text). */
    public boolean escaped() {
        return escaped;
    }

    /**
     * After {@link #END_OF_ROW}, in text: whether the row was the two bytes {@code \.} alone, the line PostgreSQL 18
     * ends the data at (one before 18 ends it at other places too: {@link CopyEndMarker}).
     */
    public boolean endOfDataLine() {
        return endOfDataLine;
    }

    /**
     * Reads on up to offset {@code at}, the start of a line, following the quotes: whether a line starting there is
     * inside quotes. Offsets on from the last one asked.
     */
    public boolean inQuotesAt(long at) {
        while (in.position() < at && in.has(1)) {
            next();
        }
        return inQuotes;
    }
}
