package dev.tandem.backfill.plan;

import dev.tandem.protocol.state.TimeType;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The width of the consecutive ranges a plain or partitioned table is cut into: a duration ({@code 1 day}, {@code 6h},
 * {@code PT30M}) for timestamp-like columns, a plain number for integer columns.
 *
 * @param text   as the operator wrote it
 * @param micros the width in microseconds, or 0 when the slice is an integer
 * @param units  the width for integer columns, or 0 when the slice is a duration
 */
public record Slice(String text, long micros, long units) {

    private static final Pattern DURATION = Pattern.compile(
            "(\\d+)\\s*(us|microseconds?|ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hours?|d|days?|w|weeks?)");

    /** @throws IllegalArgumentException with a readable message */
    public static Slice parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.matches("\\d+")) {
            long units = Long.parseLong(t);
            if (units <= 0) {
                throw new IllegalArgumentException("slice must be positive: " + text);
            }
            return new Slice(text, 0, units);
        }
        long micros;
        Matcher m = DURATION.matcher(t);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2);
            long factor;
            if (unit.startsWith("us") || unit.startsWith("micro")) {
                factor = 1;
            } else if (unit.startsWith("ms") || unit.startsWith("milli")) {
                factor = 1_000;
            } else if (unit.startsWith("s")) {
                factor = 1_000_000;
            } else if (unit.startsWith("m")) {
                factor = 60_000_000L;
            } else if (unit.startsWith("h")) {
                factor = 3_600_000_000L;
            } else if (unit.startsWith("d")) {
                factor = TimeType.MICROS_PER_DAY;
            } else {
                factor = 7 * TimeType.MICROS_PER_DAY;
            }
            micros = Math.multiplyExact(n, factor);
        } else {
            try {
                Duration d = Duration.parse(text.trim().toUpperCase(Locale.ROOT));
                micros = d.toNanos() / 1000;
            } catch (DateTimeParseException | ArithmeticException e) {
                throw new IllegalArgumentException("cannot read slice '" + text
                        + "': use a duration such as '1 day', '6h', '30 min', 'PT1H', or an integer for integer time columns");
            }
        }
        if (micros <= 0) {
            throw new IllegalArgumentException("slice must be positive: " + text);
        }
        return new Slice(text, micros, 0);
    }

    /**
     * The width in positions of {@code type}.
     *
     * @throws IllegalArgumentException when the slice does not fit the type (a duration for an integer column, an integer
     *                                  for a timestamp column, less than a day for a date column)
     */
    public long widthFor(TimeType type, String table) {
        if (type.isInteger()) {
            if (units == 0) {
                throw new IllegalArgumentException(table + " has an integer time column: give an integer slice, e.g. "
                        + "--table " + table + ":<column>:86400000 or --slice 86400000");
            }
            return units;
        }
        if (micros == 0) {
            throw new IllegalArgumentException(table + " has a " + type.sqlName()
                    + " time column: give the slice as a duration such as '1 day', not '" + text + "'");
        }
        if (type == TimeType.DATE && micros % TimeType.MICROS_PER_DAY != 0) {
            throw new IllegalArgumentException(table + " has a date time column: the slice must be whole days, not '" + text + "'");
        }
        return micros;
    }

    @Override
    public String toString() {
        return text;
    }
}
