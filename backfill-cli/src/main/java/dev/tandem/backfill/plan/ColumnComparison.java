package dev.tandem.backfill.plan;

import dev.tandem.backfill.connect.Side;
import dev.tandem.protocol.sql.Identifiers;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Compares a table's columns on source and target by name and type (order may differ: COPY names its columns), down to
 * what each user-defined type is made of, and by what the target does with the values the copy and the mirror give it
 * (NOT NULL, generated, identity), and says exactly what differs. A column the target fills itself (one the source
 * lacks, or one generated on the source only, which COPY leaves out) is a warning, unless the target can fill it with
 * nothing but NULL and refuses NULL.
 */
public final class ColumnComparison {

    private ColumnComparison() {
    }

    /**
     * One table's comparison.
     *
     * @param differences one readable line each, naming the column; empty when nothing stops the copy
     * @param warnings    one line each, naming schema.table.column, for what the copy and the mirror tolerate but
     *                    the operator should know: the target fills a column itself, or may refuse some rows
     * @param otherOrder  both sides' column orders, when the columns match but not their order; empty otherwise. The
     *                    backfill's COPY names its columns, but a proxy without {@code source.user} replays an INSERT
     *                    or COPY without a column list by position, so on such a table it put values into other
     *                    columns. Columns the target has after the source's do not count: an INSERT's values by
     *                    position leave them to their defaults, and a COPY's fail (see the warning of each)
     */
    public record Result(List<String> differences, List<String> warnings, Optional<String> otherOrder) {
    }

    /** Reads the table's columns on both sides once and compares them. */
    public static Result compare(Connection source, Connection target, String schema, String table)
            throws SQLException {
        List<Column> sourceColumns = Side.SOURCE.call(() -> TableLayout.columns(source, schema, table));
        List<Column> targetColumns = Side.TARGET.call(() -> TableLayout.columns(target, schema, table));
        List<String> differences = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        compare(source, target, schema, table, sourceColumns, targetColumns, differences, warnings);
        if (!differences.isEmpty()) {
            return new Result(differences, warnings, Optional.empty());
        }
        List<String> onSource = names(sourceColumns);
        List<String> onTarget = names(targetColumns);
        boolean sameOrder = onTarget.subList(0, Math.min(onSource.size(), onTarget.size())).equals(onSource);
        return new Result(differences, warnings, sameOrder ? Optional.empty()
                : Optional.of("source: " + String.join(", ", onSource) + "; target: " + String.join(", ", onTarget)));
    }

    private static void compare(Connection source, Connection target, String schema, String table,
                                List<Column> sourceColumns, List<Column> targetColumns, List<String> differences,
                                List<String> warnings) throws SQLException {
        if (sourceColumns.isEmpty()) {
            differences.add("table does not exist on the source");
            return;
        }
        if (targetColumns.isEmpty()) {
            differences.add("table does not exist on the target (clone the schema first, e.g. pg_dump --schema-only)");
            return;
        }
        Map<String, Map<String, String>> sourceTypes = Side.SOURCE.call(() -> TypeDefinitions.of(source, schema, table));
        Map<String, Map<String, String>> targetTypes = Side.TARGET.call(() -> TypeDefinitions.of(target, schema, table));
        Map<String, Column> onTarget = new LinkedHashMap<>();
        targetColumns.forEach(c -> onTarget.put(c.name(), c));
        String quotedTable = Identifiers.quoteQualified(schema, table);
        for (Column s : sourceColumns) {
            Column t = onTarget.remove(s.name());
            String qualified = schema + "." + table + "." + s.name();
            String alter = "ALTER TABLE " + quotedTable + " ALTER COLUMN " + Identifiers.quoteIdentifier(s.name());
            if (t == null) {
                differences.add("column " + s.name() + " (" + s.type() + ") is missing on the target");
            } else if (!s.type().equals(t.type())) {
                differences.add("column " + s.name() + ": source type " + s.type() + ", target type " + t.type());
            } else if (!s.generated() && t.generated()) {
                differences.add("column " + s.name() + " is generated on the target only: COPY cannot write into it"
                        + " (428C9), nor can a mirrored INSERT that gives it a value: drop its expression on the"
                        + " target (" + alter + " DROP EXPRESSION), or make it generated on the source too");
            } else if (s.generated() && !t.generated()) {
                filledByTarget(t, qualified, "is generated on the source only", alter, differences, warnings);
            } else {
                typeDifferences(s.name(), sourceTypes.get(s.name()), targetTypes.get(s.name()), differences);
                if (!s.generated()) {
                    valueDifferences(s, t, qualified, alter, warnings);
                }
            }
        }
        for (Column t : onTarget.values()) {
            filledByTarget(t, schema + "." + table + "." + t.name(), "(" + t.type() + ") exists only on the target",
                    "ALTER TABLE " + quotedTable + " ALTER COLUMN " + Identifiers.quoteIdentifier(t.name()),
                    differences, warnings);
        }
    }

    /**
     * A target column that neither the copy nor the mirror writes: fine when the target can fill it, refused when
     * it would fill it with a NULL it refuses, since then every row would fail (23502).
     */
    private static void filledByTarget(Column t, String qualified, String what, String alter, List<String> differences,
                                       List<String> warnings) {
        String fill;
        if (t.generated()) {
            fill = "computes it (generated)";
        } else if (t.identity() != Column.Identity.NONE) {
            fill = "fills it from its identity sequence";
        } else if (t.defaultExpression() != null) {
            fill = "fills it with its default " + t.defaultExpression();
        } else if (t.nullable()) {
            fill = "fills it with NULL";
        } else {
            differences.add("column " + t.name() + " " + what + ", NOT NULL without a default: every copied row would"
                    + " be refused there (23502, not-null violation), and so would every mirrored INSERT: give it a"
                    + " default on the target (" + alter + " SET DEFAULT ...) or drop its NOT NULL (" + alter
                    + " DROP NOT NULL)");
            return;
        }
        warnings.add(qualified + " " + what + ": the backfill and the mirror leave it out, so the target " + fill
                + " in every row they write" + (t.generated() ? ""
                : " (a proxy without source.user replays a COPY without a column list as sent, which the target"
                + " refuses for the missing field: give the proxy source.user)"));
    }

    /**
     * What the target does with a value the source accepted. Rows with NULL are not counted: that reads the whole
     * table on the source, and stage should stay quick on large ones.
     */
    private static void valueDifferences(Column s, Column t, String qualified, String alter, List<String> warnings) {
        if (s.nullable() && !t.nullable()) {
            warnings.add(qualified + " is NOT NULL on the target but nullable on the source: a row with NULL in "
                    + s.name() + " is refused on the target (23502), failing its copy task, and a mirrored one is"
                    + " ledgered; stage does not count such rows (that reads the whole table): look for them on the"
                    + " source, or drop the target's constraint (" + alter + " DROP NOT NULL)");
        }
        boolean sourceFills = s.defaultExpression() != null || s.identity() != Column.Identity.NONE;
        if (sourceFills && t.defaultExpression() == null && t.identity() == Column.Identity.NONE) {
            String sourceFill = s.defaultExpression() != null ? "its default " + s.defaultExpression()
                    : "its identity sequence";
            warnings.add(qualified + " is filled by the source from " + sourceFill + " but has no default on the"
                    + " target: a mirrored INSERT that leaves " + s.name() + " out " + (t.nullable()
                    ? "writes NULL into it on the target" : "is refused on the target (23502) and ledgered")
                    + ": give it a default on the target too (" + alter + " SET DEFAULT ..., or ADD GENERATED BY"
                    + " DEFAULT AS IDENTITY)");
        }
        if (t.identity() == Column.Identity.ALWAYS && s.identity() != Column.Identity.ALWAYS) {
            warnings.add(qualified + " is GENERATED ALWAYS AS IDENTITY on the target only: the backfill's COPY writes"
                    + " the source's values, but the target refuses a mirrored INSERT that gives " + s.name()
                    + " a value (428C9) and it is ledgered: make it " + (s.identity() == Column.Identity.NONE
                    ? "" : "GENERATED ALWAYS on the source too, or ") + "GENERATED BY DEFAULT on the target ("
                    + alter + " SET GENERATED BY DEFAULT)");
        }
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
