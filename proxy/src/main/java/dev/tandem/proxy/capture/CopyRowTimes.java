package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.ClassifiedStatement;
import dev.tandem.protocol.sql.ClassifiedStatement.CopyFormat;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads the time field of every row of a {@code COPY ... FROM STDIN}'s data into {@link RowTimes} as the data streams
 * past, chunk by chunk, cut anywhere (a row, a quote or an escape apart), in constant space: the data is never kept.
 * Rows and fields are split as {@link CopyFields} splits them (text, CSV; {@link CopyLayout}'s delimiter, NULL string,
 * header, quote and escape), binary rows by their field lengths. A text row of {@code \.} alone ends the data (rows
 * read past where a source before PostgreSQL 18 stopped can only widen the range, or make it unknown). The time field
 * of a row must be written plainly: NULL, a text field with a backslash escape, a binary field of another length, a
 * row without that field, an option that changes how a field reads (FORCE_NULL, FORCE_NOT_NULL, DEFAULT, ENCODING),
 * or a client encoding whose characters may hold ASCII bytes, make the rows' times unknown.
 */
final class CopyRowTimes {

    /** Client encodings whose multi-byte characters may hold bytes that read as ASCII delimiters or quotes. */
    private static final Set<String> ASCII_UNSAFE = Set.of("sjis", "shift_jis_2004", "big5", "gbk", "uhc", "gb18030",
            "johab");
    /** Option words that change what a field's bytes mean. */
    private static final Set<String> UNFOLLOWED = Set.of("force", "force_null", "force_not_null", "force_quote",
            "default", "encoding");
    private static final byte[] SIGNATURE = "PGCOPY\n\377\r\n\0".getBytes(StandardCharsets.ISO_8859_1);
    /** Longer time fields are no value this reader reads. */
    private static final int MAX_FIELD = 64;

    private final RowTimes times = new RowTimes();
    private final TimeValues values;
    private final int index;
    private final CopyLayout layout;
    private final boolean binary;
    private final boolean csv;
    private boolean done;

    // text and CSV: where the reader is in the current row
    private int field;
    private boolean inQuotes;
    private boolean quoted;
    private boolean escaped;
    private boolean pendingCr;
    private boolean pendingBackslash;
    private boolean pendingQuote;
    private boolean pendingEscape;
    private long rowBytes;
    private boolean startsWithMarker;
    private boolean headerLeft;
    private final byte[] value = new byte[MAX_FIELD];
    /** The layout's NULL string as the data writes it. */
    private final byte[] nullString;
    private int valueLength;
    private boolean valueTooLong;

    // binary: what the next bytes are, and how many are still to come
    private enum Part { SIGNATURE, FLAGS, EXTENSION_LENGTH, EXTENSION, FIELD_COUNT, FIELD_LENGTH, FIELD, TRAILER }
    private Part part = Part.SIGNATURE;
    private long left = SIGNATURE.length;
    private long number;
    private int fields;

    private CopyRowTimes(TimeValues values, int index, CopyLayout layout) {
        this.values = values;
        this.index = index;
        this.layout = layout;
        this.binary = layout != null && layout.format() == CopyFormat.BINARY;
        this.csv = layout != null && layout.format() == CopyFormat.CSV;
        this.headerLeft = layout != null && layout.header() && !binary;
        this.nullString = layout == null ? new byte[0] : layout.nullString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A reader of {@code copy}'s data for the rows of {@code table}; one that knows from the start that it cannot tell
     * (the time column not among the COPY's, options it does not follow) reads nothing.
     *
     * @param encoding the session's client_encoding, null for UTF8
     */
    static CopyRowTimes of(ClassifiedStatement copy, TimeValues values, String encoding) {
        TableTimeColumn table = values.column();
        List<String> columns = copy.columns().isEmpty() ? table.copyColumns() : copy.columns();
        int index = columns == null ? -1 : columns.indexOf(table.name());
        CopyLayout layout = copy.copyFormat() == null ? null : CopyLayout.of(copy.copyFormat(), copy.copyOptions());
        CopyRowTimes reader = new CopyRowTimes(values, index, layout);
        if (columns == null) {
            reader.stop(SourceOrderedTimeColumns.ORDER_UNKNOWN);
        } else if (index < 0) {
            reader.stop("the COPY does not write the time column, whose default the server computes");
        } else if (layout == null || !followed(copy.copyOptions())) {
            reader.stop("COPY options the proxy does not follow");
        } else if (encoding != null && ASCII_UNSAFE.contains(encoding.toLowerCase(Locale.ROOT))) {
            reader.stop("the client_encoding " + encoding + ", whose characters may hold ASCII bytes");
        }
        return reader;
    }

    private static boolean followed(String options) {
        if (options == null) {
            return true;
        }
        for (String word : options.toLowerCase(Locale.ROOT).split("[^a-z_]+")) {
            if (UNFOLLOWED.contains(word)) {
                return false;
            }
        }
        return true;
    }

    private void stop(String why) {
        times.unknown(why);
        done = true;
    }

    /** The next bytes of the data. */
    void feed(byte[] chunk) {
        feed(chunk, 0, chunk.length);
    }

    void feed(byte[] chunk, int from, int to) {
        if (done) {
            return;
        }
        if (binary) {
            binary(chunk, from, to);
            return;
        }
        byte delimiter = layout.delimiter();
        byte special = csv ? layout.quote() : (byte) '\\';
        int i = from;
        while (i < to && !done) {
            if (inQuotes || pendingCr || pendingBackslash || pendingQuote || pendingEscape) {
                text(chunk[i++]);
                continue;
            }
            // plain bytes of a field up to what ends it or needs a closer look: most of the data
            int start = i;
            while (i < to) {
                byte b = chunk[i];
                if (b == delimiter || b == '\n' || b == '\r' || b == special) {
                    break;
                }
                i++;
            }
            if (i > start) {
                rowBytes += i - start;
                if (field == index) {
                    int n = Math.min(i - start, MAX_FIELD - valueLength);
                    System.arraycopy(chunk, start, value, valueLength, n);
                    valueLength += n;
                    valueTooLong |= n < i - start;
                }
            }
            if (i < to) {
                text(chunk[i++]);
            }
        }
    }

    /** The end of the data: what its rows' times are. */
    RowTimes finish() {
        if (!done) {
            if (binary) {
                if (part != Part.TRAILER && part != Part.FIELD_COUNT || part == Part.FIELD_COUNT && left != 2) {
                    times.unknown("binary COPY data that ends amid a row");
                }
            } else {
                if (pendingQuote) {
                    pendingQuote = false;
                    inQuotes = false;
                } else if (pendingEscape) {
                    pendingEscape = false;
                    fieldByte(layout.escape());
                } else if (pendingBackslash) {
                    pendingBackslash = false;
                    escaped = true;
                    fieldByte('\\');
                }
                if (rowBytes > 0) {
                    endRow();
                }
            }
            done = true;
        }
        return times;
    }

    // ---- text and CSV ------------------------------------------------------------------------------------------

    private void text(byte b) {
        if (pendingCr) {
            pendingCr = false;
            if (b == '\n') {
                return; // CRLF: one line end
            }
        }
        if (pendingBackslash) {
            pendingBackslash = false;
            escaped = true;
            startsWithMarker |= b == '.' && rowBytes == 1;
            rowBytes++;
            fieldByte(b);
            return;
        }
        if (pendingQuote) {
            pendingQuote = false;
            rowBytes++;
            if (b == layout.quote()) {
                fieldByte(b); // a quote written twice inside quotes
                return;
            }
            inQuotes = false; // the closing quote; this byte is read as outside quotes
            rowBytes--;
        } else if (pendingEscape) {
            pendingEscape = false;
            rowBytes++;
            if (b == layout.quote() || b == layout.escape()) {
                fieldByte(b);
                return;
            }
            fieldByte(layout.escape()); // an escape before anything else is data
            rowBytes--;
        }
        rowBytes++;
        if (!inQuotes && (b == '\n' || b == '\r')) {
            rowBytes--;
            pendingCr = b == '\r';
            endRow();
            return;
        }
        if (inQuotes) {
            if (b == layout.escape() && layout.escape() != layout.quote()) {
                pendingEscape = true;
                rowBytes--;
            } else if (b == layout.quote()) {
                if (layout.escape() == layout.quote()) {
                    pendingQuote = true;
                    rowBytes--;
                } else {
                    inQuotes = false;
                }
            } else {
                fieldByte(b);
            }
        } else if (b == layout.delimiter()) {
            endField();
        } else if (csv && b == layout.quote()) {
            inQuotes = true;
            quoted = true;
        } else if (!csv && b == '\\') {
            pendingBackslash = true;
        } else {
            fieldByte(b);
        }
    }

    private void fieldByte(int b) {
        if (field != index) {
            return;
        }
        if (valueLength == MAX_FIELD) {
            valueTooLong = true;
        } else {
            value[valueLength++] = (byte) b;
        }
    }

    private void endField() {
        if (field == index) {
            readField();
        }
        field++;
        quoted = false;
        escaped = false;
    }

    private void endRow() {
        boolean marker = !csv && startsWithMarker && rowBytes == 2;
        int fieldsRead = field + 1;
        if (field == index && !marker) {
            readField();
        }
        field = 0;
        quoted = false;
        escaped = false;
        rowBytes = 0;
        startsWithMarker = false;
        if (headerLeft) {
            headerLeft = false;
            return;
        }
        if (marker) {
            done = true; // the end-of-data line: the source reads no row after it
            return;
        }
        if (fieldsRead <= index) {
            times.unknown("a row without the time field");
        }
    }

    private void readField() {
        if (headerLeft) {
            valueLength = 0; // the header's names
            valueTooLong = false;
            return;
        }
        boolean isNull = csv ? !quoted && isNullString() : !escaped && isNullString()
                || escaped && layout.nullString().equals("\\N") && valueLength == 1 && value[0] == 'N';
        if (isNull) {
            times.unknown("a NULL time, which no range reaches");
        } else if (escaped) {
            times.unknown("a time field with a backslash escape");
        } else if (valueTooLong) {
            times.unknown("a time field longer than " + MAX_FIELD + " bytes");
        } else {
            values.text(value, valueLength, times);
        }
        valueLength = 0;
        valueTooLong = false;
    }

    private boolean isNullString() {
        if (valueTooLong || valueLength != nullString.length) {
            return false;
        }
        for (int i = 0; i < valueLength; i++) {
            if (value[i] != nullString[i]) {
                return false;
            }
        }
        return true;
    }

    // ---- binary ------------------------------------------------------------------------------------------------

    private void binary(byte[] chunk, int from, int to) {
        int i = from;
        while (i < to && !done) {
            switch (part) {
                case SIGNATURE -> {
                    if (chunk[i] != SIGNATURE[SIGNATURE.length - (int) left]) {
                        stop("binary COPY data without its signature");
                        return;
                    }
                    i++;
                    if (--left == 0) {
                        next(Part.FLAGS, 4);
                    }
                }
                case FLAGS, EXTENSION_LENGTH, FIELD_COUNT, FIELD_LENGTH -> {
                    number = number << 8 | chunk[i++] & 0xff;
                    if (--left == 0) {
                        integer();
                    }
                }
                case EXTENSION, FIELD -> {
                    int n = (int) Math.min(left, to - i);
                    if (part == Part.FIELD && field == index) {
                        if (valueLength + n > 8) {
                            valueTooLong = true;
                        } else {
                            System.arraycopy(chunk, i, value, valueLength, n);
                            valueLength += n;
                        }
                    }
                    i += n;
                    left -= n;
                    if (left == 0) {
                        if (part == Part.FIELD) {
                            endBinaryField();
                        } else {
                            next(Part.FIELD_COUNT, 2);
                        }
                    }
                }
                case TRAILER -> done = true; // nothing after the trailer is read
            }
        }
    }

    private void next(Part p, long bytes) {
        part = p;
        left = bytes;
        number = 0;
    }

    /** A header word, a row's field count or a field's length, complete in {@link #number}. */
    private void integer() {
        switch (part) {
            case FLAGS -> {
                if (number != 0) {
                    stop("binary COPY data with header flags (OIDs)");
                    return;
                }
                next(Part.EXTENSION_LENGTH, 4);
            }
            case EXTENSION_LENGTH -> {
                long length = (int) number;
                if (length < 0) {
                    stop("binary COPY data with a malformed header");
                } else if (length == 0) {
                    next(Part.FIELD_COUNT, 2);
                } else {
                    next(Part.EXTENSION, length);
                }
            }
            case FIELD_COUNT -> {
                int count = (short) number;
                if (count == -1) {
                    next(Part.TRAILER, 0);
                    return;
                }
                if (count <= index) {
                    times.unknown("a row without the time field");
                }
                fields = count;
                field = 0;
                startField();
            }
            default -> { // FIELD_LENGTH
                int length = (int) number;
                if (length < 0) {
                    if (field == index) {
                        times.unknown("a NULL time, which no range reaches");
                    }
                    field++;
                    startField();
                } else if (length == 0) {
                    next(Part.FIELD, 0);
                    endBinaryField();
                } else {
                    next(Part.FIELD, length);
                }
            }
        }
    }

    /** The next field of the row, or the next row. */
    private void startField() {
        valueLength = 0;
        valueTooLong = false;
        if (field < fields) {
            next(Part.FIELD_LENGTH, 4);
        } else {
            next(Part.FIELD_COUNT, 2);
        }
    }

    private void endBinaryField() {
        if (field == index) {
            if (valueTooLong) {
                times.unknown("a binary time field of more than 8 bytes");
            } else {
                values.binary(value, 0, valueLength, times);
            }
        }
        field++;
        startField();
    }
}
