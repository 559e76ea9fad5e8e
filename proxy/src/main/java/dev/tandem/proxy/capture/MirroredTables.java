package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.config.TableFilter;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Which tables the mirror copies, and how an unqualified name in a statement resolves to one.
 *
 * <p>Resolution follows the session's {@code search_path} without asking the catalog: the first schema of the path
 * that is neither {@code $user}, {@code pg_catalog} nor {@code pg_temp}, {@code public} by default. The README states
 * this limit: a table name that exists in several schemas of a custom path resolves to the first listed one.
 */
public final class MirroredTables {

    /** Whether the mirror copies a table. */
    public enum Mirroring {
        MIRRORED,
        NOT_MIRRORED,
        /**
         * Hypertables are the default set and the target's list of them is not known yet (the proxy just started, or
         * the target has not answered since it first saw the database): captured, and decided once the list is known.
         */
        UNCONFIRMED
    }

    private final TableFilter filter;
    private final Supplier<Set<TableName>> hypertables;

    /**
     * @param hypertables the target's hypertables, kept fresh by the caller; null until first known. Used when the
     *                    filter includes them
     */
    public MirroredTables(TableFilter filter, Supplier<Set<TableName>> hypertables) {
        this.filter = filter;
        this.hypertables = hypertables;
    }

    public TableName resolve(TableName table, List<String> searchPath) {
        if (table.schema() != null) {
            return table;
        }
        for (String schema : searchPath) {
            if (!schema.equals("$user") && !schema.equals("pg_catalog") && !schema.startsWith("pg_temp")) {
                return new TableName(schema, table.name());
            }
        }
        return new TableName("public", table.name());
    }

    /** @param table resolved (schema not null) */
    public Mirroring mirroring(TableName table) {
        if (!filter.includesHypertables()) {
            return filter.mirrors(table.schema(), table.name(), false) ? Mirroring.MIRRORED : Mirroring.NOT_MIRRORED;
        }
        if (!filter.mirrors(table.schema(), table.name(), true)) {
            return Mirroring.NOT_MIRRORED; // excluded whatever the target says
        }
        Set<TableName> known = hypertables.get();
        if (known == null) {
            return Mirroring.UNCONFIRMED;
        }
        return known.contains(table) ? Mirroring.MIRRORED : Mirroring.NOT_MIRRORED;
    }

    /** Whether the target's catalog decides (hypertables are the default set), so an answer may change. */
    public boolean decidedByTarget() {
        return filter.includesHypertables();
    }

    /** Mirrored for sure (not only perhaps): what counting writes the mirror does not replay goes by. */
    public boolean isMirrored(TableName table) {
        return mirroring(table) == Mirroring.MIRRORED;
    }
}
