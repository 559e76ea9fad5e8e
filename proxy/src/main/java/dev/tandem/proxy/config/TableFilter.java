package dev.tandem.proxy.config;

import dev.tandem.protocol.sql.TableName;
import java.util.ArrayList;
import java.util.List;

/**
 * Which tables are mirrored. A table is mirrored when it is included and not excluded: included means it matches an
 * {@code include} pattern, or, when {@code include} is empty, that it is a TimescaleDB hypertable. {@code exclude}
 * always wins, so {@code include: [public.*]} with {@code exclude: [public.audit_*]} mirrors every table of
 * {@code public} except the audit ones.
 */
public record TableFilter(List<TablePattern> include, List<TablePattern> exclude) {

    public TableFilter {
        include = List.copyOf(include);
        exclude = List.copyOf(exclude);
    }

    /** Mirrors all hypertables. */
    public static TableFilter allHypertables() {
        return new TableFilter(List.of(), List.of());
    }

    /** Whether hypertables are the default set, that is no include pattern is configured. */
    public boolean includesHypertables() {
        return include.isEmpty();
    }

    /**
     * @param schema     the table's schema as stored in the catalog
     * @param table      the table's name as stored in the catalog
     * @param hypertable whether the table is a TimescaleDB hypertable (only looked at when no include pattern is set)
     */
    public boolean mirrors(String schema, String table, boolean hypertable) {
        boolean included = include.isEmpty() ? hypertable : anyMatches(include, schema, table);
        return included && !anyMatches(exclude, schema, table);
    }

    /** The tables the include patterns without wildcards name, each the one table its pattern matches. */
    public List<TableName> namedTables() {
        List<TableName> named = new ArrayList<>();
        for (TablePattern pattern : include) {
            if (pattern.literalTable() != null) {
                named.add(new TableName(pattern.literalSchema(), pattern.literalTable()));
            }
        }
        return named;
    }

    /** Whether an {@code exclude} pattern names the table: then nothing includes it, not even its partitioned table. */
    public boolean excludes(String schema, String table) {
        return anyMatches(exclude, schema, table);
    }

    /**
     * Whether a partition is mirrored: it is itself, or the root of its partition tree is and no {@code exclude}
     * pattern names the partition (with include patterns only: hypertables are not partitioned this way).
     *
     * @param root the root of the partition's tree
     */
    public boolean mirrorsPartition(String schema, String table, String rootSchema, String rootTable) {
        return !include.isEmpty() && (mirrors(schema, table, false)
                || (mirrors(rootSchema, rootTable, false) && !excludes(schema, table)));
    }

    private static boolean anyMatches(List<TablePattern> patterns, String schema, String table) {
        for (TablePattern pattern : patterns) {
            if (pattern.matches(schema, table)) {
                return true;
            }
        }
        return false;
    }
}
