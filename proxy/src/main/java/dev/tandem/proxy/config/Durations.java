package dev.tandem.proxy.config;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as written in {@code tandem.yaml}: a number with a unit ({@code 500ms}, {@code 30s}, {@code 5m},
 * {@code 1h}, {@code 1d}, {@code 1.5s}), several of them run together ({@code 1h30m}), or a bare {@code 0}. A bare
 * non-zero number is refused because seconds and milliseconds are both plausible readings.
 */
public final class Durations {

    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)");
    private static final Pattern WHOLE = Pattern.compile("(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h|d))+");
    private static final Pattern BARE_NUMBER = Pattern.compile("\\d+(?:\\.\\d+)?");
    private static final Map<String, Long> NANOS_PER_UNIT = Map.of(
            "ms", 1_000_000L, "s", 1_000_000_000L, "m", 60_000_000_000L, "h", 3_600_000_000_000L,
            "d", 86_400_000_000_000L);
    private static final String ALLOWED = "a number with ms, s, m, h or d (e.g. 500ms, 30s, 5m, 1h30m)";

    private Durations() {
    }

    /**
     * @throws IllegalArgumentException whose message completes the sentence "'text' ...", e.g. "has no unit"
     */
    public static Duration parse(String text) {
        String trimmed = text.strip();
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException("is empty; expected " + ALLOWED);
        }
        if (trimmed.startsWith("-")) {
            throw new IllegalArgumentException("is negative; expected " + ALLOWED);
        }
        if (BARE_NUMBER.matcher(trimmed).matches()) {
            if (new BigDecimal(trimmed).signum() == 0) {
                return Duration.ZERO;
            }
            throw new IllegalArgumentException("has no unit; expected " + ALLOWED);
        }
        if (!WHOLE.matcher(trimmed).matches()) {
            throw new IllegalArgumentException("is not a duration; expected " + ALLOWED);
        }
        BigDecimal nanos = BigDecimal.ZERO;
        Matcher m = PART.matcher(trimmed);
        while (m.find()) {
            nanos = nanos.add(new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(NANOS_PER_UNIT.get(m.group(2)))));
        }
        if (nanos.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("is too large (at most about 292 years)");
        }
        return Duration.ofNanos(nanos.setScale(0, RoundingMode.DOWN).longValueExact());
    }

    /** The shortest exact spelling in one unit: {@code 30s}, {@code 5m}, {@code 1500ms}, {@code 0}. */
    public static String format(Duration duration) {
        long nanos = duration.toNanos();
        if (nanos == 0) {
            return "0";
        }
        for (String unit : new String[] {"d", "h", "m", "s", "ms"}) {
            long per = NANOS_PER_UNIT.get(unit);
            if (nanos % per == 0) {
                return nanos / per + unit;
            }
        }
        return duration.toString();
    }
}
