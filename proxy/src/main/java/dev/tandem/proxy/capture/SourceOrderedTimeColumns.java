package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Each table's time column as {@link RowTimesReading} reads rows by it: the target's ({@link TimeColumnDirectory}),
 * with the columns of an INSERT or COPY without a column list in the source's order ({@link SourceColumnLists}), the
 * order the application wrote its values in. By the target's order a table whose columns are in another order there
 * would have another column's values read as its times, and {@code repair} re-copy the wrong window. Without
 * {@code source.user} the target's order stands (the runbook's column-order check covers it). Where the source's
 * order is not known (its first look-up pending or failing, a table it has not read), only statements with a column
 * list are read. Both answers are only read, never waited for; the two are merged once per new answer of either.
 */
public final class SourceOrderedTimeColumns implements Function<String, Map<TableName, TableTimeColumn>> {

    /** Why a statement without a column list has no range while the source's order is not known. */
    static final String ORDER_UNKNOWN = "a statement without a column list, and the source's order of the table's"
            + " columns is not known (its catalog not read yet, or without the table)";

    /** The answers one merged map was made of, compared by identity: each look-up answers with a new map. */
    private record Merged(Map<TableName, TableTimeColumn> target, Map<TableName, SourceColumnLists.Lists> source,
                          Map<TableName, TableTimeColumn> columns) {
    }

    private final TimeColumnDirectory target;
    /** Null without {@code source.user}. */
    private final SourceColumnLists source;
    private final Map<String, Merged> merged = new ConcurrentHashMap<>();

    /** @param source null without {@code source.user}: the target's order stands */
    public SourceOrderedTimeColumns(TimeColumnDirectory target, SourceColumnLists source) {
        this.target = target;
        this.source = source;
    }

    /** The time columns of source database {@code database}'s tables; null while the target's are not known. */
    @Override
    public Map<TableName, TableTimeColumn> apply(String database) {
        Map<TableName, TableTimeColumn> columns = target.forSourceDatabase(database).get();
        if (source == null) {
            return columns;
        }
        // asked for either way: the first look-up of each starts here if nothing asked before
        Map<TableName, SourceColumnLists.Lists> orders = source.forSourceDatabase(database).get();
        if (columns == null) {
            return null;
        }
        Merged last = merged.get(database);
        if (last != null && last.target == columns && last.source == orders) {
            return last.columns;
        }
        Map<TableName, TableTimeColumn> ordered = new HashMap<>(columns.size() * 2);
        columns.forEach((table, column) -> ordered.put(table,
                column.inSourceOrder(orders == null ? null : orders.get(table))));
        Map<TableName, TableTimeColumn> answer = Map.copyOf(ordered);
        merged.put(database, new Merged(columns, orders, answer));
        return answer;
    }
}
