package dev.tandem.proxy.mirror;

import dev.tandem.protocol.sql.Identifiers;
import dev.tandem.protocol.sql.ImplicitColumns;
import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.capture.CapturedStatement;
import dev.tandem.proxy.capture.CapturedTransaction;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replays INSERTs and COPYs without a column list into the columns the source filled when the target's table has
 * the same columns in another order: the server fills such a statement's columns by position, so replayed as sent,
 * its values would land in other columns of the target's rows, with no error. The source's order comes from its
 * catalog through the proxy's own source credentials ({@code source.user}); the orders of a table are compared at
 * its first write without a column list on a target connection, and only a table whose orders differ has its
 * statements read again. Such a statement gets the list of the source's columns it filled: an INSERT's VALUES rows
 * fill the first columns (as many as the first row has expressions), a COPY every column that is not generated; an
 * INSERT whose columns cannot be told here (from a query, say) is ledgered rather than replayed into other columns.
 * Tables whose sets of columns differ are left alone: the target refuses what does not fit.
 *
 * <p>Without {@code source.user} the source's order is not known: the first write without a column list into each
 * table is logged, once, as replayed by position. Used on the applier thread only.
 */
final class ColumnOrders {

    private static final Logger LOG = LoggerFactory.getLogger(ColumnOrders.class);
    private static final int MAX_REWRITTEN = 256;

    /** How a table's columns compare; {@link #SAME} unless the target has the source's columns in another order. */
    static final class Order {
        static final Order SAME = new Order(List.of(), List.of());

        private final List<SourceCatalog.Column> source;
        private final List<String> target;
        /** Statement text -> the same with its column list, for the texts that repeat (a driver's statements). */
        private final Map<String, String> rewritten = new HashMap<>();

        Order(List<SourceCatalog.Column> source, List<String> target) {
            this.source = source;
            this.target = target;
        }
    }

    private final SourceCatalog catalog;
    /** Database and table of the tables already logged: each once per run. */
    private final Set<String> logged = new HashSet<>();

    ColumnOrders(SourceCatalog catalog) {
        this.catalog = catalog;
    }

    /** {@code tx} with its statements as they are replayed on {@code target} (the same object if none changes). */
    CapturedTransaction reorder(CapturedTransaction tx, TargetSession target) {
        List<CapturedStatement> statements = null;
        for (int i = 0; i < tx.statements().size(); i++) {
            CapturedStatement s = tx.statements().get(i);
            CapturedStatement replayed = reorder(tx.database(), s, target);
            if (replayed != s && statements == null) {
                statements = new ArrayList<>(tx.statements());
            }
            if (statements != null) {
                statements.set(i, replayed);
            }
        }
        return statements == null ? tx : tx.withStatements(statements);
    }

    private CapturedStatement reorder(String database, CapturedStatement s, TargetSession target) {
        if (s instanceof CapturedStatement.Unreplayable) {
            return s;
        }
        Order order = target.columnOrders().get(s.table());
        if (order == Order.SAME) {
            return s;
        }
        String key = target.database() + "\0" + s.table();
        if (!catalog.available() && logged.contains(key)) {
            target.columnOrders().put(s.table(), Order.SAME); // said already: nothing more to do for it here
            return s;
        }
        String conforming = s.settings().standardConformingStrings();
        ImplicitColumns implicit = ImplicitColumns.find(s.sql(),
                conforming == null ? null : conforming.equalsIgnoreCase("on"));
        if (implicit == null || implicit.kind() == ImplicitColumns.Kind.DEFAULT_VALUES) {
            return s;
        }
        if (!catalog.available()) {
            logged.add(key);
            target.columnOrders().put(s.table(), Order.SAME);
            LOG.warn("mirror: an INSERT or COPY without a column list into {} is replayed in target database {} by"
                    + " position: without source.user the proxy cannot compare the order of its columns there with"
                    + " the source's, so the runbook's column-order check must have passed for it, or its values land"
                    + " in other columns", s.table(), target.database());
            return s;
        }
        if (order == null) {
            order = compare(database, s.table(), target);
            target.columnOrders().put(s.table(), order);
            if (order == Order.SAME) {
                return s;
            }
        }
        if (implicit.kind() == ImplicitColumns.Kind.UNREADABLE) {
            return new CapturedStatement.Unreplayable(s.table(), s.sourceRows(), s.sql(), s.table() + " has its"
                    + " columns in another order in target database " + target.database() + " (" + named(order.target)
                    + ") than on the source (" + sourceNames(order) + "), and the proxy cannot tell which columns this"
                    + " statement without a column list fills, so it is not replayed into other columns", s.searchPath());
        }
        if (implicit.kind() == ImplicitColumns.Kind.VALUES && implicit.values() > order.source.size()) {
            return s; // more values than columns: the target refuses it, as the source would have
        }
        if (logged.add(key)) {
            LOG.warn("mirror: {} has its columns in another order in target database {} ({}) than on the source ({}):"
                    + " INSERTs and COPYs without a column list are replayed there naming the source's columns",
                    s.table(), target.database(), named(order.target), sourceNames(order));
        }
        if (order.rewritten.size() > MAX_REWRITTEN) {
            order.rewritten.clear();
        }
        Order reordered = order;
        String sql = reordered.rewritten.computeIfAbsent(conforming + "\0" + s.sql(),
                k -> withList(s.sql(), implicit, reordered));
        return s.into(s.table(), sql);
    }

    /** {@link Order#SAME} unless both servers have the table with the same columns in other orders. */
    private Order compare(String database, TableName table, TargetSession target) {
        List<SourceCatalog.Column> source = catalog.columns(database, table);
        List<String> targetNames = target.columnNames(table);
        List<String> sourceNames = source.stream().map(SourceCatalog.Column::name).toList();
        if (sourceNames.equals(targetNames) || !Set.copyOf(sourceNames).equals(Set.copyOf(targetNames))
                || sourceNames.size() != targetNames.size()) {
            return Order.SAME;
        }
        return new Order(source, targetNames);
    }

    private static String withList(String sql, ImplicitColumns implicit, Order order) {
        List<String> columns = new ArrayList<>();
        for (SourceCatalog.Column c : order.source) {
            if (implicit.kind() == ImplicitColumns.Kind.VALUES ? columns.size() < implicit.values() : !c.generated()) {
                columns.add(c.name());
            }
        }
        return sql.substring(0, implicit.listAt()) + " (" + named(columns) + ")" + sql.substring(implicit.listAt());
    }

    private static String sourceNames(Order order) {
        return named(order.source.stream().map(SourceCatalog.Column::name).toList());
    }

    private static String named(List<String> columns) {
        return columns.stream().map(Identifiers::quoteIdentifier).collect(Collectors.joining(", "));
    }
}
