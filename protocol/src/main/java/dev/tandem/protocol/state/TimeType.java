package dev.tandem.protocol.state;

import dev.tandem.protocol.sql.Identifiers;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The supported types of a time column. Range bounds are kept as a {@code long} <em>position</em>: microseconds since
 * 1970-01-01 00:00 (UTC for {@code timestamptz}, nominal for {@code timestamp} and {@code date}), or the integer value
 * itself. Positions are rendered back as quoted literals cast to the column type, because COPY takes no bind parameters.
 */
public enum TimeType {
    TIMESTAMPTZ("timestamptz"),
    TIMESTAMP("timestamp"),
    DATE("date"),
    SMALLINT("smallint"),
    INTEGER("integer"),
    BIGINT("bigint");

    public static final long MICROS_PER_DAY = 86_400_000_000L;

    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss", Locale.ROOT);

    private final String sqlName;

    TimeType(String sqlName) {
        this.sqlName = sqlName;
    }

    /**
     * @param formatType the type as {@code format_type()} or the TimescaleDB catalog prints it
     * @throws IllegalArgumentException for any other type, naming the supported ones
     */
    public static TimeType of(String formatType) {
        String t = formatType.toLowerCase(Locale.ROOT).replaceAll("\\(\\d+\\)", "").trim();
        switch (t) {
            case "timestamp with time zone", "timestamptz":
                return TIMESTAMPTZ;
            case "timestamp without time zone", "timestamp":
                return TIMESTAMP;
            case "date":
                return DATE;
            case "smallint", "int2":
                return SMALLINT;
            case "integer", "int", "int4":
                return INTEGER;
            case "bigint", "int8":
                return BIGINT;
            default:
                throw new IllegalArgumentException("unsupported time column type " + formatType
                        + " (supported: timestamptz, timestamp, date, smallint, integer, bigint)");
        }
    }

    public String sqlName() {
        return sqlName;
    }

    public boolean isInteger() {
        return this == SMALLINT || this == INTEGER || this == BIGINT;
    }

    /** SQL turning an expression of this type into its position (a bigint). */
    public String positionOf(String expression) {
        return isInteger() ? "(" + expression + ")::bigint"
                : "(extract(epoch from " + expression + ") * 1000000)::bigint";
    }

    /** SQL casting a text expression (e.g. a bind parameter) to this type. */
    public String cast(String textExpression) {
        return "CAST(" + textExpression + " AS " + sqlName + ")";
    }

    /** The position in the column type's ISO text form, e.g. {@code 2026-01-01 00:00:00+00}. */
    public String display(long position) {
        if (isInteger()) {
            return Long.toString(position);
        }
        Instant instant = Instant.ofEpochSecond(Math.floorDiv(position, 1_000_000L),
                Math.floorMod(position, 1_000_000L) * 1000L);
        LocalDateTime time = LocalDateTime.ofInstant(instant, ZoneOffset.UTC);
        if (this == DATE) {
            return time.toLocalDate().toString();
        }
        String text = SECONDS.format(time);
        int micros = (int) Math.floorMod(position, 1_000_000L);
        if (micros != 0) {
            text += String.format(Locale.ROOT, ".%06d", micros).replaceAll("0+$", "");
        }
        return this == TIMESTAMPTZ ? text + "+00" : text;
    }

    /** The position as a quoted literal of the column type, e.g. {@code '2026-01-01 00:00:00+00'::timestamptz}. */
    public String literal(long position) {
        return Identifiers.quoteLiteral(display(position)) + "::" + sqlName;
    }

    /**
     * {@code column >= 'start'::type AND column < 'end'::type}: a half-open range an index on the column serves.
     *
     * @param column the column as SQL, already quoted (and qualified if needed)
     */
    public String rangePredicate(String column, long start, long end) {
        return column + " >= " + literal(start) + " AND " + column + " < " + literal(end);
    }
}
