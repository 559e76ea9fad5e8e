package dev.tandem.backfill.plan;

import dev.tandem.backfill.connect.Side;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Compares a table's columns on source and target by name and type (order may differ: COPY names its columns), down to
 * what each user-defined type is made of, and says exactly what differs.
 */
public final class ColumnComparison {

    private ColumnComparison() {
    }

    /**
     * One table's comparison.
     *
     * @param differences one readable line each; empty when the columns match
     * @param otherOrder  both sides' column orders, when the columns match but not their order; empty otherwise. The
     *                    backfill's COPY names its columns, but a proxy without {@code source.user} replays an INSERT
     *                    or COPY without a column list by position, so on such a table it put values into other
     *                    columns
     */
    public record Result(List<String> differences, Optional<String> otherOrder) {
    }

    /** Reads the table's columns on both sides once and compares them. */
    public static Result compare(Connection source, Connection target, String schema, String table)
            throws SQLException {
        List<Column> sourceColumns = Side.SOURCE.call(() -> TableLayout.columns(source, schema, table));
        List<Column> targetColumns = Side.TARGET.call(() -> TableLayout.columns(target, schema, table));
        List<String> differences = differences(source, target, schema, table, sourceColumns, targetColumns);
        if (!differences.isEmpty()) {
            return new Result(differences, Optional.empty());
        }
        List<String> onSource = names(sourceColumns);
        List<String> onTarget = names(targetColumns);
        return new Result(differences, onSource.equals(onTarget) ? Optional.empty()
                : Optional.of("source: " + String.join(", ", onSource) + "; target: " + String.join(", ", onTarget)));
    }

    private static List<String> differences(Connection source, Connection target, String schema, String table,
                                            List<Column> sourceColumns, List<Column> targetColumns)
            throws SQLException {
        List<String> differences = new ArrayList<>();
        if (sourceColumns.isEmpty()) {
            differences.add("table does not exist on the source");
            return differences;
        }
        if (targetColumns.isEmpty()) {
            differences.add("table does not exist on the target (clone the schema first, e.g. pg_dump --schema-only)");
            return differences;
        }
        Map<String, Map<String, String>> sourceTypes = Side.SOURCE.call(() -> TypeDefinitions.of(source, schema, table));
        Map<String, Map<String, String>> targetTypes = Side.TARGET.call(() -> TypeDefinitions.of(target, schema, table));
        Map<String, Column> onTarget = new LinkedHashMap<>();
        targetColumns.forEach(c -> onTarget.put(c.name(), c));
        for (Column s : sourceColumns) {
            Column t = onTarget.remove(s.name());
            if (t == null) {
                differences.add("column " + s.name() + " (" + s.type() + ") is missing on the target");
            } else if (!s.type().equals(t.type())) {
                differences.add("column " + s.name() + ": source type " + s.type() + ", target type " + t.type());
            } else if (s.generated() != t.generated()) {
                differences.add("column " + s.name() + " is generated on " + (s.generated() ? "the source" : "the target")
                        + " only");
            } else {
                typeDifferences(s.name(), sourceTypes.get(s.name()), targetTypes.get(s.name()), differences);
            }
        }
        for (Column t : onTarget.values()) {
            differences.add("column " + t.name() + " (" + t.type() + ") exists only on the target");
        }
        return differences;
    }

    private static List<String> names(List<Column> columns) {
        return columns.stream().map(Column::name).toList();
    }

    /**
     * Types of the same name but another definition, each named with its two definitions. A type reachable on one side
     * only is reached through one that differs, which is reported already.
     */
    private static void typeDifferences(String column, Map<String, String> source, Map<String, String> target,
                                        List<String> differences) {
        for (Map.Entry<String, String> type : source.entrySet()) {
            String onTarget = target.get(type.getKey());
            if (onTarget != null && !type.getValue().equals(onTarget)) {
                differences.add("column " + column + ": type " + type.getKey() + " is " + type.getValue() + " on the source, "
                        + onTarget + " on the target");
            }
        }
    }
}
