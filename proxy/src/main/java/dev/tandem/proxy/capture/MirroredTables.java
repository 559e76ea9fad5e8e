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
         * The target's catalog decides and has not been read yet (the proxy just started, or the target has not
         * answered since it first saw the database), or not since the table was created: hypertables are the default
         * set, or the table may be a partition of a mirrored partitioned table. Captured, and decided once the
         * catalog is known. Also a TimescaleDB chunk written by its own name: the applier asks the source's catalog for
         * its hypertable.
         */
        UNCONFIRMED
    }

    private final TableFilter filter;
    private final Supplier<Set<TableName>> hypertables;
    private final Supplier<PartitionDirectory.Partitions> partitions;

    /**
     * Without partitions: with include patterns, the patterns alone decide.
     *
     * @param hypertables the target's hypertables, kept fresh by the caller; null until first known. Used when the
     *                    filter includes them
     */
    public MirroredTables(TableFilter filter, Supplier<Set<TableName>> hypertables) {
        this(filter, hypertables, null);
    }

    /**
     * @param partitions the target's partitions, each with the root of its partition tree, and its other tables,
     *                   kept fresh by the caller; null until first known. Used with include patterns: a partition of a
     *                   mirrored partitioned table is mirrored too, when written by its own name; null: the
     *                   include patterns alone decide
     */
    public MirroredTables(TableFilter filter, Supplier<Set<TableName>> hypertables,
                          Supplier<PartitionDirectory.Partitions> partitions) {
        this.filter = filter;
        this.hypertables = hypertables;
        this.partitions = partitions;
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
        if (table.schema().startsWith("pg_temp")) {
            return Mirroring.NOT_MIRRORED; // a session's temporary table: the target has no such table
        }
        if (!filter.includesHypertables()) {
            if (filter.mirrors(table.schema(), table.name(), false)) {
                return Mirroring.MIRRORED;
            }
            if (filter.excludes(table.schema(), table.name())) {
                return Mirroring.NOT_MIRRORED;
            }
            if (TimescaleChunks.isChunkName(table)) {
                return Mirroring.UNCONFIRMED; // its hypertable decides, which the applier asks the source for
            }
            if (partitions == null) {
                return Mirroring.NOT_MIRRORED;
            }
            PartitionDirectory.Partitions known = partitions.get();
            TableName root = known == null ? null : known.roots().get(table);
            if (root != null) {
                return filter.mirrorsPartition(table.schema(), table.name(), root.schema(), root.name())
                        ? Mirroring.MIRRORED : Mirroring.NOT_MIRRORED;
            }
            // not known, or newer than the last look-up (a partition created since): the target's catalog decides
            return known != null && known.others().contains(table) ? Mirroring.NOT_MIRRORED : Mirroring.UNCONFIRMED;
        }
        if (!filter.mirrors(table.schema(), table.name(), true)) {
            return Mirroring.NOT_MIRRORED; // excluded whatever the target says
        }
        if (TimescaleChunks.isChunkName(table)) {
            return Mirroring.UNCONFIRMED; // its hypertable decides, which the applier asks the source for
        }
        Set<TableName> known = hypertables.get();
        if (known == null) {
            return Mirroring.UNCONFIRMED;
        }
        return known.contains(table) ? Mirroring.MIRRORED : Mirroring.NOT_MIRRORED;
    }

    /** Mirrored for sure (not only perhaps): what counting writes the mirror does not replay goes by. */
    public boolean isMirrored(TableName table) {
        return mirroring(table) == Mirroring.MIRRORED;
    }
}
