package dev.tandem.proxy.mirror;

import dev.tandem.protocol.sql.Identifiers;
import dev.tandem.protocol.sql.ImplicitColumns;
import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.capture.CapturedStatement;
import dev.tandem.proxy.capture.CapturedTransaction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replays INSERTs and COPYs without a column list into the columns the source filled when the target's table has
 * other columns than the source's, or the same in another order: the server fills such a statement's columns by
 * position, so replayed as sent, its values would land in other columns of the target's rows, with no error (a
 * column dropped on the source before the target, a table cloned in another order), or a COPY would miss a column
 * added on the target first. The source's order comes from its catalog through the proxy's own source credentials
 * ({@code source.user}); the columns of a table are compared at its first write without a column list on a target
 * connection, and again (a schema change on one server, made during the migration, changes them) a minute later,
 * at VALUES rows of a length not written since, and after the target refused a transaction into it (a COPY whose
 * fields do not fit, say).
 * Such a statement gets the list of the source's columns it filled: an INSERT's VALUES rows fill the first columns
 * (as many as the first row has expressions), a COPY every column that is not generated; the target then fills a
 * column only it has with its default, and refuses one it lacks (renamed on the source first, not added there yet),
 * rather than take its values into another column by position: the target may get the change between the
 * comparison and the replay, and a renamed column's neighbours may be in another order there. An INSERT whose
 * columns cannot be told here (from a query, say) is ledgered rather than replayed into other columns, unless the
 * source's columns are the target's first ones.
 *
 * <p>Without {@code source.user} the source's order is not known: the first write without a column list into each
 * table is logged, once, as replayed by position. Used on the applier thread only.
 */
final class ColumnOrders {

    private static final Logger LOG = LoggerFactory.getLogger(ColumnOrders.class);
    private static final int MAX_REWRITTEN = 256;
    /** How long a comparison stands: the proxy's catalogs are read again as often. */
    private static final long RECOMPARE_NANOS = Duration.ofMinutes(1).toNanos();

    /** How a table's columns compare; {@link #same} unless the target has other columns or another order. */
    static final class Order {
        /** Without {@code source.user}: nothing to compare, ever. */
        static final Order SAME = new Order(List.of(), List.of(), 0, false);

        private final List<SourceCatalog.Column> source;
        private final List<String> target;
        private final long comparedAt;
        private final boolean expires;
        /** How many values the VALUES rows written since the comparison had: another count is compared anew. */
        private final Set<Integer> valueCounts = new HashSet<>();
        /**
         * Texts replayed unchanged since the comparison, while the columns are the same: a text written again fills
         * the same columns, so a driver's repeated statements are not read again at every run.
         */
        private final Set<String> unchanged = new HashSet<>();
        /** Statement text -> the same with its column list, for the texts that repeat (a driver's statements). */
        private final Map<String, String> rewritten = new HashMap<>();

        private Order(List<SourceCatalog.Column> source, List<String> target, long comparedAt, boolean expires) {
            this.source = source;
            this.target = target;
            this.comparedAt = comparedAt;
            this.expires = expires;
        }

        /**
         * This comparison standing again from {@code now}, with what was written since: the source's catalog could
         * not be read for a new one.
         */
        Order renewed(long now) {
            Order again = new Order(source, target, now, expires);
            again.valueCounts.addAll(valueCounts);
            again.unchanged.addAll(unchanged);
            again.rewritten.putAll(rewritten);
            return again;
        }

        static Order differing(List<SourceCatalog.Column> source, List<String> target, long comparedAt) {
            return new Order(source, target, comparedAt, true);
        }

        static Order same(long comparedAt) {
            return new Order(List.of(), List.of(), comparedAt, true);
        }

        boolean isSame() {
            return source.isEmpty();
        }

        /**
         * Whether the columns must be compared again before {@code implicit} is replayed: a minute after the last
         * comparison, or for VALUES rows of a length not written since, as an application starts writing a column
         * added or stops writing one dropped once both servers have the change.
         */
        boolean stale(long now, ImplicitColumns implicit) {
            return expired(now)
                    || expires && implicit.kind() == ImplicitColumns.Kind.VALUES
                            && !valueCounts.contains(implicit.values());
        }

        private boolean expired(long now) {
            return expires && now - comparedAt > RECOMPARE_NANOS;
        }

        /** Whether {@code sql} was replayed unchanged since this comparison, which still stands. */
        boolean unchangedSince(String sql, long now) {
            return isSame() && !expired(now) && unchanged.contains(sql);
        }

        void replayedUnchanged(String sql) {
            if (unchanged.size() > MAX_REWRITTEN) {
                unchanged.clear();
            }
            unchanged.add(sql);
        }

        void written(ImplicitColumns implicit) {
            if (implicit.kind() == ImplicitColumns.Kind.VALUES) {
                valueCounts.add(implicit.values());
            }
        }
    }

    private final SourceCatalog catalog;
    /** Database and table of the tables already logged: each once per run. */
    private final Set<String> logged = new HashSet<>();
    /**
     * Target database and table -> the last comparison made on any connection: what a new connection goes by while
     * the source's catalog cannot be read (a reconnect to the target during a source outage).
     */
    private final Map<String, Order> lastCompared = new HashMap<>();

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
        if (order == Order.SAME || order != null && order.unchangedSince(s.sql(), System.nanoTime())) {
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
        long now = System.nanoTime();
        if (order == null || order.stale(now, implicit)) {
            Order earlier = order != null ? order : lastCompared.get(key);
            order = earlier == null ? compare(database, s.table(), target)
                    : compareAgain(database, s, target, earlier, now);
            target.columnOrders().put(s.table(), order);
            lastCompared.put(key, order);
        }
        order.written(implicit);
        if (order.isSame()) {
            order.replayedUnchanged(s.sql());
            return s;
        }
        if (implicit.kind() == ImplicitColumns.Kind.VALUES && implicit.values() > order.source.size()) {
            return s; // more values than columns: the target refuses it, as the source would have
        }
        List<String> filled = filled(implicit, order);
        if (implicit.kind() != ImplicitColumns.Kind.COPY && startsWith(order.target, filled)) {
            return s; // the columns it fills are the target's first ones: by position is the same
        }
        if (implicit.kind() == ImplicitColumns.Kind.UNREADABLE) {
            return new CapturedStatement.Unreplayable(s.table(), s.sourceRows(), s.sql(), s.table() + " has "
                    + difference(order) + " in target database " + target.database() + " (" + named(order.target)
                    + ") than on the source (" + sourceNames(order) + "), and the proxy cannot tell which columns this"
                    + " statement without a column list fills, so it is not replayed into other columns", s.searchPath());
        }
        if (logged.add(key + "\0" + named(order.target) + "\0" + sourceNames(order))) {
            LOG.warn("mirror: {} has {} in target database {} ({}) than on the source ({}): INSERTs and COPYs without"
                    + " a column list are replayed there naming the source's columns", s.table(), difference(order),
                    target.database(), named(order.target), sourceNames(order));
        }
        if (order.rewritten.size() > MAX_REWRITTEN) {
            order.rewritten.clear();
        }
        Order reordered = order;
        String sql = reordered.rewritten.computeIfAbsent(conforming + "\0" + s.sql(),
                k -> withList(s.sql(), implicit, reordered));
        return s.into(s.table(), sql);
    }

    /**
     * {@link #compare}, or the earlier comparison (on this connection or an earlier one) again while the source's
     * catalog cannot be read: the mirror applies what the spool holds while the source is down (or refuses
     * {@code source.user}), and a comparison that merely expired, or a reconnect to the target, must not hold it
     * back; a schema change is made on a running source.
     */
    private Order compareAgain(String database, CapturedStatement s, TargetSession target, Order earlier, long now) {
        try {
            return compare(database, s.table(), target);
        } catch (IllegalStateException e) {
            LOG.warn("mirror: cannot compare the columns of {} in target database {} with the source's again ({});"
                    + " its INSERTs and COPYs without a column list are replayed as the comparison of {} s ago found"
                    + " them, until the source's catalog answers", s.table(), target.database(), e.getMessage(),
                    TimeUnit.NANOSECONDS.toSeconds(now - earlier.comparedAt));
            return earlier.renewed(now);
        }
    }

    /** The same unless both servers have the table, with other columns or the same in other orders. */
    private Order compare(String database, TableName table, TargetSession target) {
        long now = System.nanoTime();
        List<SourceCatalog.Column> source = catalog.columns(database, table);
        List<String> targetNames = target.columnNames(table);
        List<String> sourceNames = source.stream().map(SourceCatalog.Column::name).toList();
        if (sourceNames.isEmpty() || targetNames.isEmpty() || sourceNames.equals(targetNames)) {
            return Order.same(now);
        }
        return Order.differing(source, targetNames, now);
    }

    private static String difference(Order order) {
        return Set.copyOf(order.target).equals(order.source.stream().map(SourceCatalog.Column::name)
                .collect(Collectors.toSet())) ? "its columns in another order" : "other columns";
    }

    /** The source's columns the statement fills: all of them when it cannot be told which. */
    private static List<String> filled(ImplicitColumns implicit, Order order) {
        List<String> columns = new ArrayList<>();
        for (SourceCatalog.Column c : order.source) {
            if (switch (implicit.kind()) {
                case VALUES -> columns.size() < implicit.values();
                case COPY -> !c.generated();
                default -> true;
            }) {
                columns.add(c.name());
            }
        }
        return columns;
    }

    private static boolean startsWith(List<String> list, List<String> prefix) {
        return list.size() >= prefix.size() && list.subList(0, prefix.size()).equals(prefix);
    }

    private static String withList(String sql, ImplicitColumns implicit, Order order) {
        return sql.substring(0, implicit.listAt()) + " (" + named(filled(implicit, order)) + ")"
                + sql.substring(implicit.listAt());
    }

    private static String sourceNames(Order order) {
        return named(order.source.stream().map(SourceCatalog.Column::name).toList());
    }

    private static String named(List<String> columns) {
        return columns.stream().map(Identifiers::quoteIdentifier).collect(Collectors.joining(", "));
    }
}
