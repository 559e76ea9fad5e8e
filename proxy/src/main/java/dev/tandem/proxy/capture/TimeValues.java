package dev.tandem.proxy.capture;

import dev.tandem.protocol.state.TimeType;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.util.Locale;

/**
 * Reads a table's time-column values into {@link RowTimes} positions, as the server's input (text) and receive
 * (binary) functions of a type read them and its assignment to the column keeps them: a value of the column's own
 * type, or of another integer type into an integer column. A {@code timestamp(p)} column's values are rounded to its
 * precision as the server rounds them. Text is read in ISO form only ({@link TimeText}); a {@code timestamptz}
 * written without an offset in the session's TimeZone ({@code zone}), when that is known and the time is not one a
 * daylight-saving change skips or repeats. Anything else makes the rows' times unknown.
 */
final class TimeValues {

    /** Type OIDs of the built-in types a time column can have, and of {@code unknown}. */
    static final int INT8 = 20;
    static final int INT2 = 21;
    static final int INT4 = 23;
    static final int UNKNOWN = 705;
    static final int DATE = 1082;
    static final int TIMESTAMP = 1114;
    static final int TIMESTAMPTZ = 1184;

    /** Microseconds from the Unix epoch to PostgreSQL's (2000-01-01 UTC), the origin of binary dates and times. */
    private static final long POSTGRES_EPOCH_MICROS = 946_684_800_000_000L;
    private static final long POSTGRES_EPOCH_DAYS = 10_957;

    private final TableTimeColumn column;
    private final ZoneId zone;

    /** @param zone the session's TimeZone, or null when not known */
    TimeValues(TableTimeColumn column, ZoneId zone) {
        this.column = column;
        this.zone = zone;
    }

    TableTimeColumn column() {
        return column;
    }

    /** The time type of a type OID; null for another type. */
    static TimeType ofOid(int oid) {
        return switch (oid) {
            case INT2 -> TimeType.SMALLINT;
            case INT4 -> TimeType.INTEGER;
            case INT8 -> TimeType.BIGINT;
            case DATE -> TimeType.DATE;
            case TIMESTAMP -> TimeType.TIMESTAMP;
            case TIMESTAMPTZ -> TimeType.TIMESTAMPTZ;
            default -> null;
        };
    }

    /**
     * The time type a cast names, as {@link dev.tandem.protocol.sql.InsertRows} writes type names; null for another
     * type, or one with a precision (which rounds).
     */
    static TimeType ofName(String name) {
        return switch (name) {
            case "smallint", "int2" -> TimeType.SMALLINT;
            case "integer", "int", "int4" -> TimeType.INTEGER;
            case "bigint", "int8" -> TimeType.BIGINT;
            case "date" -> TimeType.DATE;
            case "timestamp", "timestamp without time zone" -> TimeType.TIMESTAMP;
            case "timestamptz", "timestamp with time zone" -> TimeType.TIMESTAMPTZ;
            default -> null;
        };
    }

    /** Whether a value of type {@code from} keeps its position when assigned to the column. */
    boolean keeps(TimeType from) {
        return from == column.type() || from.isInteger() && column.type().isInteger();
    }

    /** A value of the column's type in text form. */
    void text(String value, RowTimes into) {
        text(value, column.type(), into);
    }

    /**
     * A value of the column's type in text form, its bytes {@code [0, length)} (ASCII in every client encoding): the
     * forms databases and drivers write are read without making a string, as a COPY of millions of rows needs.
     */
    void text(byte[] b, int length, RowTimes into) {
        if (!fast(b, length, into)) {
            text(new String(b, 0, length, StandardCharsets.ISO_8859_1), column.type(), into);
        }
    }

    /**
     * {@code YYYY-MM-DD[ HH:MM[:SS[.f]]][Z|+HH[:MM[:SS]]]} read straight from the bytes for a date or time column,
     * digits for an integer one; false when the bytes are of another form (read the general way: {@link TimeText}).
     */
    private boolean fast(byte[] b, int length, RowTimes into) {
        int i = 0;
        int end = length;
        while (i < end && b[i] == ' ') {
            i++;
        }
        while (end > i && b[end - 1] == ' ') {
            end--;
        }
        TimeType type = column.type();
        if (type.isInteger()) {
            return false;
        }
        if (end - i < 10 || b[i + 4] != '-' || b[i + 7] != '-') {
            return false;
        }
        int year = digits(b, i, 4);
        int month = digits(b, i + 5, 2);
        int day = digits(b, i + 8, 2);
        if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) {
            return false;
        }
        long micros = epochDay(year, month, day) * TimeType.MICROS_PER_DAY;
        i += 10;
        if (i == end) {
            if (type == TimeType.TIMESTAMPTZ) {
                return false; // midnight in the session's zone: the general way
            }
            into.add(micros);
            return true;
        }
        if (type == TimeType.DATE || end - i < 6 || b[i] != ' ' && b[i] != 'T' || b[i + 3] != ':') {
            return false;
        }
        int hour = digits(b, i + 1, 2);
        int minute = digits(b, i + 4, 2);
        int second = 0;
        long fraction = 0;
        i += 6;
        if (i < end && b[i] == ':') {
            if (end - i < 3) {
                return false;
            }
            second = digits(b, i + 1, 2);
            i += 3;
            if (i < end && b[i] == '.') {
                int start = ++i;
                while (i < end && b[i] >= '0' && b[i] <= '9') {
                    fraction = fraction * 10 + b[i] - '0';
                    i++;
                }
                if (i == start || i - start > 6) {
                    return false;
                }
                for (int k = i - start; k < 6; k++) {
                    fraction *= 10;
                }
            }
        }
        if (hour < 0 || minute < 0 || second < 0 || hour > 24 || minute > 59 || second > 60
                || hour == 24 && (minute > 0 || second > 0 || fraction > 0)) {
            return false;
        }
        micros += (hour * 3600L + minute * 60L + second) * 1_000_000L + fraction;
        int offset;
        if (i == end) {
            if (type == TimeType.TIMESTAMPTZ) {
                return false; // the session's zone: the general way
            }
            offset = 0;
        } else if ((b[i] == 'Z' || b[i] == 'z') && i + 1 == end) {
            offset = 0;
        } else if (b[i] == '+' || b[i] == '-') {
            int sign = b[i] == '-' ? -1 : 1;
            int seconds = 0;
            int part = 0;
            i++;
            while (i < end && part < 3) {
                if (part > 0 && b[i] == ':') {
                    i++;
                }
                if (end - i < 2) {
                    return false;
                }
                int n = digits(b, i, 2);
                if (n < 0) {
                    return false;
                }
                seconds += n * (part == 0 ? 3600 : part == 1 ? 60 : 1);
                i += 2;
                part++;
            }
            if (i != end) {
                return false;
            }
            offset = sign * seconds;
        } else {
            return false;
        }
        // a timestamp without time zone ignores an offset written with it
        into.add(rounded(type == TimeType.TIMESTAMP ? micros : micros - offset * 1_000_000L));
        return true;
    }

    /** {@code count} ASCII digits as a number; -1 when one is not a digit. */
    private static int digits(byte[] b, int at, int count) {
        int n = 0;
        for (int k = at; k < at + count; k++) {
            int d = b[k] - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            n = n * 10 + d;
        }
        return n;
    }

    private static int daysIn(int year, int month) {
        return switch (month) {
            case 2 -> year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28;
            case 4, 6, 9, 11 -> 30;
            default -> 31;
        };
    }

    /** Days from 1970-01-01 to a date of the proleptic Gregorian calendar (H. Hinnant's days_from_civil). */
    private static long epochDay(int year, int month, int day) {
        int y = month <= 2 ? year - 1 : year;
        int era = Math.floorDiv(y, 400);
        int yearOfEra = y - era * 400;
        int dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
        int dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
        return era * 146_097L + dayOfEra - 719_468;
    }

    /** A value of type {@code as} in text form, assigned to the column. */
    void text(String value, TimeType as, RowTimes into) {
        if (!keeps(as)) {
            into.unknown("a value of type " + as.sqlName() + " for a " + column.type().sqlName() + " column");
            return;
        }
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (as.isInteger()) {
            integer(v, as, into);
            return;
        }
        int infinity = TimeText.infinity(v);
        if (infinity != 0) {
            into.infinity();
            return;
        }
        TimeText.Written written = TimeText.written(v);
        if (written == null) {
            into.unknown("a value not in ISO 8601 form");
            return;
        }
        switch (as) {
            case DATE -> {
                if (written.dateOnly()) {
                    into.add(written.wallClockMicros());
                } else {
                    into.unknown("a date written with a time");
                }
            }
            // a timestamp without time zone ignores an offset written with it
            case TIMESTAMP -> into.add(rounded(written.wallClockMicros()));
            default -> {
                if (written.offsetSeconds() == null) {
                    Integer offset = zone == null ? null : TimeText.offsetSeconds(written.wallClockMicros(), zone);
                    if (offset == null) {
                        into.unknown("a timestamptz without an offset in a session whose TimeZone is not known here,"
                                + " or at a daylight-saving change");
                        return;
                    }
                    written = written.at(offset);
                }
                Long instant = written.instantMicros();
                if (instant == null) {
                    into.unknown("a time out of range");
                } else {
                    into.add(rounded(instant));
                }
            }
        }
    }

    private static void integer(String v, TimeType as, RowTimes into) {
        int digits = v.startsWith("-") || v.startsWith("+") ? 1 : 0;
        if (v.length() == digits) {
            into.unknown("an empty integer");
            return;
        }
        for (int i = digits; i < v.length(); i++) {
            if (v.charAt(i) < '0' || v.charAt(i) > '9') {
                into.unknown("an integer not in plain decimal digits"); // 0x1F, 1_000 (PostgreSQL 16), 1.5
                return;
            }
        }
        long value;
        try {
            value = Long.parseLong(v);
        } catch (NumberFormatException e) {
            into.unknown("an integer out of range");
            return;
        }
        if (as == TimeType.SMALLINT && value != (short) value || as == TimeType.INTEGER && value != (int) value) {
            into.unknown("an integer out of its type's range");
            return;
        }
        into.add(value);
    }

    /** A value of the column's type in binary form: its bytes {@code [offset, offset + length)}. */
    void binary(byte[] b, int offset, int length, RowTimes into) {
        binary(b, offset, length, column.type(), into);
    }

    /** A value of type {@code as} in binary form, assigned to the column. */
    void binary(byte[] b, int offset, int length, TimeType as, RowTimes into) {
        if (!keeps(as)) {
            into.unknown("a value of type " + as.sqlName() + " for a " + column.type().sqlName() + " column");
            return;
        }
        int expected = switch (as) {
            case SMALLINT -> 2;
            case INTEGER, DATE -> 4;
            default -> 8;
        };
        if (length != expected) {
            into.unknown("a binary " + as.sqlName() + " of " + length + " bytes");
            return;
        }
        long v = 0;
        for (int i = 0; i < length; i++) {
            v = v << 8 | b[offset + i] & 0xff;
        }
        switch (as) {
            case SMALLINT -> into.add((short) v);
            case INTEGER -> into.add((int) v);
            case BIGINT -> into.add(v);
            case DATE -> {
                int days = (int) v;
                if (days == Integer.MAX_VALUE || days == Integer.MIN_VALUE) {
                    into.infinity();
                } else {
                    into.add((days + POSTGRES_EPOCH_DAYS) * TimeType.MICROS_PER_DAY);
                }
            }
            default -> {
                if (v == Long.MAX_VALUE || v == Long.MIN_VALUE) {
                    into.infinity();
                } else if (v > Long.MAX_VALUE - POSTGRES_EPOCH_MICROS) {
                    into.unknown("a time out of range");
                } else {
                    into.add(rounded(v + POSTGRES_EPOCH_MICROS));
                }
            }
        }
    }

    /**
     * A time (microseconds since 1970) rounded to the column's precision as the server rounds it, half away from zero
     * from its own epoch (AdjustTimestampForTypmod).
     */
    private long rounded(long micros) {
        int precision = column.precision();
        if (precision < 0 || precision >= 6 || column.type() == TimeType.DATE) {
            return micros;
        }
        long scale = 1;
        for (int i = precision; i < 6; i++) {
            scale *= 10;
        }
        long half = scale / 2;
        long t = micros - POSTGRES_EPOCH_MICROS;
        t = t >= 0 ? (t + half) / scale * scale : -(((-t) + half) / scale * scale);
        return t + POSTGRES_EPOCH_MICROS;
    }
}
