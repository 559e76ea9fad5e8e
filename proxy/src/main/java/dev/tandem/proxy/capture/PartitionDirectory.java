package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.protocol.state.ChunkCatalog;
import dev.tandem.proxy.config.TargetConfig;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The partitions of each target database, each with the root of its partition tree, and its other tables: an
 * application may write into a partition by its own name, and such a write belongs to the mirrored partitioned table it
 * is part of. The target's schema is a clone of the source's, partitions included, so a partition's name is the same
 * on both. TimescaleDB chunks are not partitions in this sense (they inherit): their names differ between servers.
 */
public final class PartitionDirectory extends CatalogDirectory<PartitionDirectory.Partitions> {

    /**
     * What a target database had at the last look-up: each partition (at any depth) and the root of its tree
     * ({@link #roots}), and every other table, view and foreign table ({@link #others}); a name in neither is newer
     * than the look-up. Not TimescaleDB's chunks, wherever their hypertable put them, nor its own schemas: a large
     * database has hundreds of thousands of chunks, looked up every minute for nothing (a chunk written by its name is
     * decided by its hypertable). Indexed by table name and schema once per look-up: a session whose search_path the
     * proxy cannot follow asks for the tables of a name at each write, and walking every relation then made each
     * write of a database with 5,000 partitions cost O(relations).
     */
    public static final class Partitions {

        private final Map<TableName, TableName> roots;
        private final Set<TableName> others;
        private final Map<String, List<TableName>> byName;
        private final Set<String> schemas;

        public Partitions(Map<TableName, TableName> roots, Set<TableName> others) {
            this.roots = Map.copyOf(roots);
            this.others = Set.copyOf(others);
            Map<String, List<TableName>> named = new HashMap<>();
            Set<String> inSchemas = new HashSet<>();
            for (Set<TableName> tables : List.of(this.others, this.roots.keySet())) {
                for (TableName table : tables) {
                    named.computeIfAbsent(table.name(), n -> new ArrayList<>()).add(table);
                    inSchemas.add(table.schema());
                }
            }
            named.replaceAll((name, tables) -> List.copyOf(tables));
            this.byName = Map.copyOf(named);
            this.schemas = Set.copyOf(inSchemas);
        }

        /** Each partition (at any depth) and the root of its tree. */
        public Map<TableName, TableName> roots() {
            return roots;
        }

        /** Every table, view and foreign table that is not a partition. */
        public Set<TableName> others() {
            return others;
        }

        /** Whether the target database had a table, view or foreign table of that name. */
        public boolean contains(TableName table) {
            return others.contains(table) || roots.containsKey(table);
        }

        /** The tables, views and foreign tables (partitions too) called {@code name}, in any schema. */
        public List<TableName> named(String name) {
            return byName.getOrDefault(name, List.of());
        }

        /** Whether the target database had a table, view or foreign table (a partition too) in {@code schema}. */
        public boolean hasTableIn(String schema) {
            return schemas.contains(schema);
        }

        /** Same relations: the directory counts an answer that differs from the one before as a change. */
        @Override
        public boolean equals(Object o) {
            return o instanceof Partitions p && roots.equals(p.roots) && others.equals(p.others);
        }

        @Override
        public int hashCode() {
            return 31 * roots.hashCode() + others.hashCode();
        }

        @Override
        public String toString() {
            return "Partitions[roots=" + roots + ", others=" + others + "]";
        }
    }

    /** {@code pg_partition_root} came with PostgreSQL 12; before, partitions are not told apart (a README limit). */
    static final String HAS_ROOT_FUNCTION = "SELECT to_regproc('pg_catalog.pg_partition_root') IS NOT NULL";
    private static final String RELATIONS = """
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            %s
            WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm')
              AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp%%'
              AND n.nspname NOT LIKE '\\_timescaledb%%'%s""";
    private static final String ROOTS = """
            LEFT JOIN pg_class r ON c.relispartition AND r.oid = pg_partition_root(c.oid)
            LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace""";

    /**
     * Each table, view and foreign table of the database (schema, name), and the root of its partition tree (schema,
     * name) when it is a partition and {@code withRoots}; without TimescaleDB's own schemas, and without the chunks
     * TimescaleDB placed in others where {@code chunks} is the database's catalog of chunks.
     */
    static String query(boolean withRoots, Optional<ChunkCatalog> chunks) {
        return (withRoots ? "SELECT n.nspname, c.relname, rn.nspname, r.relname "
                : "SELECT n.nspname, c.relname, NULL, NULL ") + relations(withRoots ? ROOTS : "", chunks);
    }

    /**
     * The FROM and WHERE clauses of {@link #query}: the same relations as {@code c} in schema {@code n}, with
     * {@code joins} after those two.
     */
    static String relations(String joins, Optional<ChunkCatalog> chunks) {
        String notAChunk = chunks.map(catalog -> "\n  AND " + catalog.notAChunk("c", "n")).orElse("");
        return RELATIONS.formatted(joins, notAChunk);
    }

    /** Each database's last answer, to tell the tables gone from all of them ({@link #onDropped}). */
    private final Map<String, Partitions> lastAnswers = new ConcurrentHashMap<>();
    private volatile Consumer<Set<TableName>> dropped = tables -> { };

    /** The partitions are null until the first look-up succeeds: a write into one before then is decided later. */
    public PartitionDirectory(TargetConfig target, Duration refresh) {
        super("partitions", CatalogServer.target(target), refresh, null);
    }

    /**
     * Tells {@code listener}, on the thread of the look-up, the tables (views, foreign tables, partitions) a look-up
     * no longer found that no other database's last answer has either: dropped or renamed on the target, so that their
     * series go. Must not wait.
     */
    public void onDropped(Consumer<Set<TableName>> listener) {
        dropped = listener;
    }

    @Override
    void loaded(String database, Partitions value) {
        Partitions before = lastAnswers.put(database, value);
        if (before == null) {
            return;
        }
        Set<TableName> gone = new HashSet<>();
        for (Set<TableName> tables : List.of(before.others(), before.roots().keySet())) {
            for (TableName table : tables) {
                if (!value.contains(table) && lastAnswers.values().stream().noneMatch(p -> p.contains(table))) {
                    gone.add(table);
                }
            }
        }
        if (!gone.isEmpty()) {
            dropped.accept(Set.copyOf(gone));
        }
    }

    @Override
    Partitions load(Connection c) throws SQLException {
        Map<TableName, TableName> roots = new HashMap<>();
        Set<TableName> others = new HashSet<>();
        try (Statement s = c.createStatement()) {
            boolean hasRoots;
            try (ResultSet has = s.executeQuery(HAS_ROOT_FUNCTION)) {
                has.next();
                hasRoots = has.getBoolean(1);
            }
            try (ResultSet rs = s.executeQuery(query(hasRoots, ChunkCatalog.read(c)))) {
                while (rs.next()) {
                    TableName table = new TableName(rs.getString(1), rs.getString(2));
                    if (rs.getString(3) != null) {
                        roots.put(table, new TableName(rs.getString(3), rs.getString(4)));
                    } else {
                        others.add(table);
                    }
                }
            }
        }
        return new Partitions(roots, others);
    }
}
