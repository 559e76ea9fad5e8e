package dev.tandem.proxy.capture;

import dev.tandem.protocol.state.TimeType;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What reading a table's rows' times takes ({@link TimeColumnDirectory}): its time column, that column's type and
 * fractional-second precision, and the table's columns in the order an INSERT without a column list fills them
 * (every column) and a COPY without one reads them (every column but the generated ones).
 *
 * @param precision the {@code timestamp(p)} precision the server rounds values to; -1 when none (microseconds)
 */
public record TableTimeColumn(String name, TimeType type, int precision, List<String> insertColumns,
                              List<String> copyColumns) {

    private static final Pattern PRECISION = Pattern.compile("\\((\\d+)\\)");

    public TableTimeColumn {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        insertColumns = List.copyOf(insertColumns);
        copyColumns = List.copyOf(copyColumns);
    }

    /**
     * @param formatType the column's type as {@code format_type} prints it ({@code timestamp(3) with time zone})
     * @return null when the type is no time column type
     */
    static TableTimeColumn of(String name, String formatType, List<String> insertColumns, List<String> copyColumns) {
        TimeType type;
        try {
            type = TimeType.of(formatType);
        } catch (IllegalArgumentException e) {
            return null;
        }
        Matcher m = PRECISION.matcher(formatType);
        int precision = m.find() ? Integer.parseInt(m.group(1)) : -1;
        return new TableTimeColumn(name, type, precision, insertColumns, copyColumns);
    }
}
