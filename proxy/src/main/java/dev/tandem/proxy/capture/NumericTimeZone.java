package dev.tandem.proxy.capture;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A TimeZone set as a number of hours east of UTC ({@code SET TIME ZONE -7}, {@code '+05'}, {@code '5.5'}, and
 * {@code INTERVAL '+05:00' HOUR TO MINUTE}), which the server reports under a name of its own making
 * ({@code <-07>+07}, {@code <+05>-05}, {@code <+05:30>-05:30}): a SET followed within its request keeps the client's
 * spelling, so without this the two would look like two settings. PostgreSQL's {@code check_timezone} reads a value
 * as hours when {@code strtod} takes all of it, and {@code pg_tzset_offset} names it.
 */
final class NumericTimeZone {

    /** What C's {@code strtod} reads whole, leading white space allowed (not {@code inf}, {@code nan} or hex). */
    private static final Pattern HOURS = Pattern.compile("\\s*[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
    private static final Pattern REPORTED =
            Pattern.compile("<([+-])(\\d\\d)(?::(\\d\\d)(?::(\\d\\d))?)?>[+-]\\d\\d(:\\d\\d){0,2}");

    private NumericTimeZone() {
    }

    /**
     * Seconds east of UTC of a TimeZone value in either spelling, or null when it is not one of them (a zone name, a
     * POSIX rule such as {@code UTC+5} or {@code +05:30}, which the server keeps as written).
     */
    static Integer secondsEast(String setting) {
        if (setting == null) {
            return null;
        }
        Matcher reported = REPORTED.matcher(setting);
        if (reported.matches()) {
            int seconds = Integer.parseInt(reported.group(2)) * 3600
                    + (reported.group(3) == null ? 0 : Integer.parseInt(reported.group(3)) * 60)
                    + (reported.group(4) == null ? 0 : Integer.parseInt(reported.group(4)));
            return reported.group(1).equals("-") ? -seconds : seconds;
        }
        if (!HOURS.matcher(setting).matches()) {
            return null;
        }
        double hours = Double.parseDouble(setting.strip());
        // C's conversion of -hours * 3600 to long: towards zero
        double west = -hours * 3600;
        if (Double.isInfinite(west) || Math.abs(west) > Integer.MAX_VALUE) {
            return null;
        }
        return (int) -(long) west;
    }

    /** Whether two TimeZone values name one offset or zone: the same spelling but for case, or one number of hours. */
    static boolean same(String a, String b) {
        if (a == null || b == null) {
            return a == b;
        }
        if (a.equalsIgnoreCase(b)) {
            return true;
        }
        Integer x = secondsEast(a);
        return x != null && x.equals(secondsEast(b));
    }
}
