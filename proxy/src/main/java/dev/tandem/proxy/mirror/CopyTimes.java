package dev.tandem.proxy.mirror;

import dev.tandem.protocol.sql.ClassifiedStatement.CopyFormat;
import dev.tandem.proxy.capture.CopyBytes;
import dev.tandem.proxy.capture.CopyFields;
import dev.tandem.proxy.capture.CopyLayout;
import dev.tandem.proxy.capture.TimeText;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.util.List;
import java.util.Locale;

/**
 * Counts the late rows of a mirrored COPY: those whose {@code timestamptz} time column is before the dual-write mark.
 * An INSERT's are counted by the target ({@link LateRows}); a COPY cannot return its rows, so its data is read here,
 * in the format and with the options the COPY statement gave ({@link CopyLayout}: text, CSV, binary; delimiter, NULL
 * string, header, quote, escape). A time written without a zone offset is read in the session's TimeZone, as the
 * source reported it, when that is a time zone of the tz database (the one both PostgreSQL and Java use; outside a
 * daylight-saving change, which makes some wall-clock times ambiguous); otherwise (a spool record that does not know
 * it, a POSIX-style zone such as {@code UTC+3}, which PostgreSQL reads the other way round from Java) it counts only
 * when it is late whatever the zone (more than {@link #WIDEST_OFFSET_MICROS} before the mark). A value this class
 * cannot read as a point in time (another
 * DateStyle's order, a special value other than {@code infinity}) is not counted, and neither is a COPY whose options
 * it does not understand: the count is a lower bound, never a guess.
 */
final class CopyTimes {

    /** Microseconds from the Unix epoch to PostgreSQL's (2000-01-01 UTC), for binary timestamptz values. */
    private static final long POSTGRES_EPOCH_MICROS = 946_684_800_000_000L;
    private static final byte[] BINARY_SIGNATURE = "PGCOPY\n\377\r\n\0".getBytes(StandardCharsets.ISO_8859_1);
    /**
     * The furthest a session's TimeZone can put a local time from UTC: PostgreSQL accepts offsets up to 15:59:59
     * (historical local mean times reach about 15:13), so 16 hours bound every zone.
     */
    static final long WIDEST_OFFSET_MICROS = 16L * 3600 * 1_000_000;

    private CopyTimes() {
    }

    /**
     * What the COPY's data holds: {@code rows} rows, of which {@code late} have their time field before the mark. The
     * source may have written fewer rows (a {@code WHERE} clause, {@code ON_ERROR ignore}): see {@link #surelyLate}.
     */
    record Count(long late, long rows) {

        /**
         * Of the late rows, how many the source surely wrote, when it wrote {@code written} of the data's rows (its
         * CommandComplete count; negative when not known): the rows it left out may all have been late ones.
         */
        long surelyLate(long written) {
            return written < 0 || written >= rows ? late : Math.max(0, late - (rows - written));
        }
    }

    /**
     * How many rows of the COPY's data have field {@code index} (0-based) earlier than {@code markMicros} (Unix epoch
     * microseconds), and how many rows it has.
     *
     * @param zone the session's TimeZone ({@link TimeText#zone}), or null when not known
     */
    static Count late(List<byte[]> data, CopyLayout layout, int index, long markMicros, ZoneId zone) {
        CopyBytes in = new CopyBytes(data);
        return switch (layout.format()) {
            case BINARY -> lateBinary(in, index, markMicros);
            case CSV, TEXT -> lateText(in, layout, index, markMicros, zone);
        };
    }

    private static Count lateBinary(CopyBytes in, int index, long markMicros) {
        for (byte b : BINARY_SIGNATURE) {
            if (in.next() != b) {
                return new Count(0, 0);
            }
        }
        in.skip(4); // flags
        in.skip(in.int32()); // header extension
        long late = 0;
        long rows = 0;
        while (in.has(2)) {
            int fields = in.int16();
            if (fields < 0) {
                break; // the trailer
            }
            rows++;
            for (int f = 0; f < fields; f++) {
                int length = in.int32();
                if (length < 0) {
                    continue; // NULL
                }
                if (f == index && length == 8) {
                    long value = in.int64();
                    // PostgreSQL's -infinity is Long.MIN_VALUE, before any mark
                    if (value == Long.MIN_VALUE || value != Long.MAX_VALUE && value + POSTGRES_EPOCH_MICROS < markMicros) {
                        late++;
                    }
                } else {
                    in.skip(length);
                }
            }
        }
        return new Count(late, rows);
    }

    private static Count lateText(CopyBytes in, CopyLayout layout, int index, long markMicros, ZoneId zone) {
        boolean csv = layout.format() == CopyFormat.CSV;
        boolean skipHeader = layout.header();
        long late = 0;
        long rows = 0;
        CopyFields fields = new CopyFields(in, layout);
        ByteArrayOutputStream field = new ByteArrayOutputStream();
        while (fields.hasRow()) {
            // one row: the wanted field's bytes, and whether it was quoted (CSV) or escaped (text)
            int f = 0;
            boolean quoted = false;
            boolean escaped = false;
            field.reset();
            for (int b = fields.next(); ; b = fields.next()) {
                if (b >= 0) {
                    if (f == index) {
                        field.write(b);
                    }
                    continue;
                }
                if (f == index) {
                    quoted = fields.quoted();
                    escaped = fields.escaped();
                }
                if (b == CopyFields.END_OF_ROW) {
                    break;
                }
                f++;
            }
            if (skipHeader) {
                skipHeader = false;
                continue;
            }
            if (!csv && fields.endOfDataLine()) {
                break;
            }
            rows++;
            if (f < index) {
                continue;
            }
            String value = field.toString(StandardCharsets.UTF_8);
            boolean isNull = csv ? !quoted && value.equals(layout.nullString())
                    : !escaped && value.equals(layout.nullString()) || escaped && layout.nullString().equals("\\N")
                            && value.equals("N");
            if (!isNull && late(value.trim(), markMicros, zone)) {
                late++;
            }
        }
        return new Count(late, rows);
    }

    /**
     * Whether a text timestamptz is before {@code markMicros} for sure: one in ISO 8601 form with a zone offset
     * ({@code 2026-01-05 10:00:00.25+01}, {@code ...T...Z}, {@code +05:30}, {@code +0530}) when it is; one without (or a date alone, its midnight), a wall-clock time of {@code zone}, when it is there
     * (and not in a daylight-saving change), else when it is even if the zone were the furthest east.
     */
    static boolean late(String value, long markMicros, ZoneId zone) {
        String v = value.toLowerCase(Locale.ROOT);
        Long special = special(v);
        if (special != null) {
            return special < markMicros;
        }
        TimeText.Written written = TimeText.written(v);
        if (written == null) {
            return false;
        }
        if (written.offsetSeconds() == null) {
            Integer offset = zone == null ? null : TimeText.offsetSeconds(written.wallClockMicros(), zone);
            if (offset == null) {
                return written.wallClockMicros() < markMicros - WIDEST_OFFSET_MICROS;
            }
            written = written.at(offset);
        }
        Long instant = written.instantMicros();
        return instant != null && instant < markMicros;
    }

    /** {@code v} (lower case) when it is a value before or after every time: infinity, or a date BC; else null. */
    private static Long special(String v) {
        int infinity = TimeText.infinity(v);
        if (infinity != 0) {
            return infinity < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        if (v.endsWith(" bc")) {
            return Long.MIN_VALUE; // before the Christian era: before any mark
        }
        return null;
    }
}
