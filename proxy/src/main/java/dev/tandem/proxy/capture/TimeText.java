package dev.tandem.proxy.capture;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Dates and times written in ISO 8601 form, read as PostgreSQL's date/time input reads them: {@code 2026-01-05},
 * {@code 2026-01-05 10:00}, {@code 2026-01-05T10:00:00.25Z}, {@code 2026-01-05 10:00:00+01}, {@code +05:30},
 * {@code +0530}. The ISO form means the same under every DateStyle. Any other form (a zone name, another field order,
 * more than six fractional digits, which PostgreSQL rounds through a double) is not read here: its reader then
 * knows it does not know, and never guesses.
 */
public final class TimeText {

    /** The tz database's zone names by their lower-case spelling: PostgreSQL reads them in any case. */
    private static final Map<String, String> ZONES = ZoneId.getAvailableZoneIds().stream()
            .collect(Collectors.toUnmodifiableMap(z -> z.toLowerCase(Locale.ROOT), z -> z, (a, b) -> a));

    private TimeText() {
    }

    /**
     * An ISO 8601 time as written: its wall-clock time read as UTC (microseconds since 1970-01-01 00:00), and its
     * zone offset when it has one; {@code dateOnly} for a date without a time (its midnight).
     */
    public record Written(long wallClockMicros, Integer offsetSeconds, boolean dateOnly) {

        /** The point in time, given an offset; null when out of range. */
        public Long instantMicros() {
            try {
                return Math.subtractExact(wallClockMicros, offsetSeconds * 1_000_000L);
            } catch (ArithmeticException e) {
                return null;
            }
        }

        /** This time with {@code offset} (seconds east of UTC) as its offset. */
        public Written at(int offset) {
            return new Written(wallClockMicros, offset, dateOnly);
        }
    }

    /**
     * The zone a PostgreSQL TimeZone setting names, when it is a zone of the tz database ({@code Europe/Paris},
     * {@code UTC}, {@code Etc/GMT+3}), in any case as PostgreSQL reads it ({@code SET TIME ZONE 'asia/tokyo'}); null
     * or set as hours east of UTC ({@code SET TIME ZONE 5}, reported {@code <+05>-05}: {@link NumericTimeZone}); null
     * for anything else, which Java might read otherwise than PostgreSQL (a POSIX-style {@code UTC+3}, which
     * PostgreSQL reads the other way round from Java).
     */
    public static ZoneId zone(String timeZone) {
        String id = timeZone == null ? null : ZONES.get(timeZone.toLowerCase(Locale.ROOT));
        if (id != null) {
            return ZoneId.of(id);
        }
        Integer east = NumericTimeZone.secondsEast(timeZone);
        try {
            return east == null ? null : ZoneOffset.ofTotalSeconds(east);
        } catch (DateTimeException e) {
            return null; // beyond the 18 hours java.time takes
        }
    }

    /**
     * The offset of {@code zone} at a wall-clock time; null when that time is skipped or repeated there (a
     * daylight-saving change), or beyond the years java.time reads.
     */
    public static Integer offsetSeconds(long wallClockMicros, ZoneId zone) {
        try {
            LocalDateTime local = LocalDateTime.ofEpochSecond(Math.floorDiv(wallClockMicros, 1_000_000L), 0,
                    ZoneOffset.UTC);
            List<ZoneOffset> offsets = zone.getRules().getValidOffsets(local);
            return offsets.size() == 1 ? offsets.get(0).getTotalSeconds() : null;
        } catch (DateTimeException e) {
            return null;
        }
    }

    /** Whether {@code v} (lower case, trimmed) is {@code infinity} (1), {@code -infinity} (-1), or neither (0). */
    public static int infinity(String v) {
        if (v.equals("-infinity")) {
            return -1;
        }
        return v.equals("infinity") || v.equals("+infinity") ? 1 : 0;
    }

    /** {@code v} (lower case, trimmed) as an ISO 8601 date with an optional time and offset; null for any other shape. */
    public static Written written(String v) {
        try {
            int i = 0;
            int year = digits(v, i, 4);
            i += 4;
            while (i < v.length() && Character.isDigit(v.charAt(i))) {
                year = Math.addExact(Math.multiplyExact(year, 10), v.charAt(i) - '0'); // years past 9999
                i++;
            }
            if (v.charAt(i) != '-' || v.charAt(i + 3) != '-') {
                return null;
            }
            int month = digits(v, i + 1, 2);
            int day = digits(v, i + 4, 2);
            i += 6;
            long epochDay = LocalDate.of(year, month, day).toEpochDay();
            if (i == v.length()) {
                return new Written(Math.multiplyExact(epochDay, 86_400_000_000L), null, true); // its midnight
            }
            if (v.charAt(i) != ' ' && v.charAt(i) != 't') {
                return null;
            }
            int hour = digits(v, i + 1, 2);
            if (v.charAt(i + 3) != ':') {
                return null;
            }
            int minute = digits(v, i + 4, 2);
            i += 6;
            int second = 0;
            long fraction = 0;
            if (i < v.length() && v.charAt(i) == ':') {
                second = digits(v, i + 1, 2);
                i += 3;
                if (i < v.length() && v.charAt(i) == '.') {
                    i++;
                    int start = i;
                    while (i < v.length() && Character.isDigit(v.charAt(i))) {
                        i++;
                    }
                    if (i == start || i - start > 6) {
                        return null; // more digits are rounded through a double: not to the microsecond here
                    }
                    fraction = Long.parseLong((v.substring(start, i) + "000000").substring(0, 6));
                }
            }
            Integer offsetSeconds;
            if (i == v.length()) {
                offsetSeconds = null; // the session's TimeZone decides
            } else if (v.charAt(i) == 'z' && i + 1 == v.length()) {
                offsetSeconds = 0;
            } else if (v.charAt(i) == '+' || v.charAt(i) == '-') {
                int sign = v.charAt(i) == '-' ? -1 : 1;
                String zone = v.substring(i + 1).replace(":", "");
                if (zone.length() != 2 && zone.length() != 4 && zone.length() != 6
                        || !zone.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    return null;
                }
                int h = Integer.parseInt(zone.substring(0, 2));
                int m = zone.length() >= 4 ? Integer.parseInt(zone.substring(2, 4)) : 0;
                int s = zone.length() == 6 ? Integer.parseInt(zone.substring(4, 6)) : 0;
                offsetSeconds = sign * (h * 3600 + m * 60 + s);
            } else {
                return null; // a zone name, say: not read here
            }
            if (hour > 24 || minute > 59 || second > 60 || hour == 24 && (minute > 0 || second > 0 || fraction > 0)) {
                return null;
            }
            long seconds = epochDay * 86_400 + hour * 3600L + minute * 60L + second;
            return new Written(Math.addExact(Math.multiplyExact(seconds, 1_000_000L), fraction), offsetSeconds, false);
        } catch (RuntimeException e) {
            return null; // not this shape, or not a date
        }
    }

    private static int digits(String v, int at, int count) {
        int n = 0;
        for (int k = at; k < at + count; k++) {
            char c = v.charAt(k);
            if (c < '0' || c > '9') {
                throw new NumberFormatException(v);
            }
            n = n * 10 + (c - '0');
        }
        return n;
    }
}
