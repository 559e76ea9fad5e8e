package dev.tandem.proxy.config;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte sizes as written in {@code tandem.yaml}: a plain number of bytes ({@code 1000}) or a number with a binary unit
 * ({@code 64KiB}, {@code 512MiB}, {@code 1.5GiB}, {@code 10GiB}, {@code 1TiB}). Decimal units ({@code GB}) are refused
 * rather than guessed: 10GB and 10GiB differ by 7%, which matters for a disk cap.
 */
public final class Sizes {

    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([A-Za-z]*)");
    private static final Map<String, Long> UNITS = Map.of(
            "", 1L, "b", 1L, "kib", 1L << 10, "mib", 1L << 20, "gib", 1L << 30, "tib", 1L << 40);
    private static final Map<String, String> DECIMAL_UNITS = Map.of(
            "k", "KiB", "kb", "KiB", "m", "MiB", "mb", "MiB", "g", "GiB", "gb", "GiB", "t", "TiB", "tb", "TiB");
    private static final String[] FORMAT_UNITS = {"TiB", "GiB", "MiB", "KiB"};
    private static final String ALLOWED = "a number of bytes, optionally with B, KiB, MiB, GiB or TiB (e.g. 512MiB)";

    private Sizes() {
    }

    /**
     * @return the size in bytes
     * @throws IllegalArgumentException whose message completes the sentence "'text' ...", e.g. "is negative"
     */
    public static long parse(String text) {
        String trimmed = text.strip();
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException("is empty; expected " + ALLOWED);
        }
        if (trimmed.startsWith("-")) {
            throw new IllegalArgumentException("is negative; expected " + ALLOWED);
        }
        Matcher m = SIZE.matcher(trimmed);
        if (!m.matches()) {
            throw new IllegalArgumentException("is not a size; expected " + ALLOWED);
        }
        String unit = m.group(2).toLowerCase(Locale.ROOT);
        Long multiplier = UNITS.get(unit);
        if (multiplier == null) {
            String binary = DECIMAL_UNITS.get(unit);
            if (binary != null) {
                throw new IllegalArgumentException("uses unit '" + m.group(2) + "'; sizes use binary units, write "
                        + m.group(1) + binary);
            }
            throw new IllegalArgumentException("has unknown unit '" + m.group(2) + "'; expected " + ALLOWED);
        }
        BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(multiplier));
        if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("is too large (at most " + Long.MAX_VALUE + " bytes)");
        }
        if (bytes.stripTrailingZeros().scale() > 0) {
            throw new IllegalArgumentException("is not a whole number of bytes");
        }
        return bytes.longValueExact();
    }

    /** The shortest exact spelling: {@code 10GiB}, {@code 1536KiB}, {@code 1000}. */
    public static String format(long bytes) {
        for (int i = 0; i < FORMAT_UNITS.length; i++) {
            long unit = 1L << (10 * (FORMAT_UNITS.length - i));
            if (bytes != 0 && bytes % unit == 0) {
                return bytes / unit + FORMAT_UNITS[i];
            }
        }
        return Long.toString(bytes);
    }
}
