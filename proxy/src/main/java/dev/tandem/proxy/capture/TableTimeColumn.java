package dev.tandem.proxy.capture;

import dev.tandem.protocol.state.TimeType;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What reading a table's rows' times takes ({@link TimeColumnDirectory}): its time column, that column's type and
 * fractional-second precision, and the table's columns in the order an INSERT without a column list fills them
 * (every column) and a COPY without one reads them (every column but the generated ones): the source's order with
 * {@code source.user} ({@link SourceOrderedTimeColumns}), else the target's.
 *
 * @param precision     the {@code timestamp(p)} precision the server rounds values to; -1 when none (microseconds)
 * @param insertColumns null when the source's order is not known: a statement without a column list is not read
 * @param copyColumns   null when {@code insertColumns} is
 */
public record TableTimeColumn(String name, TimeType type, int precision, List<String> insertColumns,
                              List<String> copyColumns) {

    private static final Pattern PRECISION = Pattern.compile("\\((\\d+)\\)");

    public TableTimeColumn {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        insertColumns = insertColumns == null ? null : List.copyOf(insertColumns);
        copyColumns = copyColumns == null ? null : List.copyOf(copyColumns);
    }

    /** The same time column with the source's column lists; {@code source} null when they are not known. */
    TableTimeColumn inSourceOrder(SourceColumnLists.Lists source) {
        return source == null ? new TableTimeColumn(name, type, precision, null, null)
                : new TableTimeColumn(name, type, precision, source.insert(), source.copy());
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
