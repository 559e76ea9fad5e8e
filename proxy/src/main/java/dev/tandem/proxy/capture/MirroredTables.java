package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.config.TableFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Which tables the mirror copies, and how an unqualified name in a statement resolves to one.
 *
 * <p>Resolution follows the session's {@code search_path} as PostgreSQL does: the first schema of the path that has a
 * table of that name in the source's catalog ({@link SourceRelations}, when {@code source.user} is configured and it
 * has the name in one of the path's schemas), else in the target's (a clone of the source's as of the schema copy), {@code $user} being the schema named after
 * the session's current user and {@code "$user", public} the default path. The catalog is the last look-up's
 * ({@link PartitionDirectory}, every table, view and foreign table); when it is not known yet, or has the name in none
 * of the path's schemas (a table created since), the first schema whose table of that name the mirror copies is taken
 * ({@code $user}'s only when an include pattern names that table without a wildcard: a wildcard says nothing of whether
 * the user's schema exists), else the first schema other than {@code $user}: the statement is captured rather than
 * lost, and the target, which
 * replays it under the same path, resolves it to the same table as the source did.
 *
 * <p>Relation DDL through the proxy that the catalog does not show yet is laid over it ({@link RelationOverlay}): the
 * session's own open transaction's, given with each question, over what transactions committed before the source's
 * catalog was looked up again ({@link SourceRelations#recent}, with {@code source.user} only: without, the target's
 * catalog stands for the source's from the commit on).
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

    /** PostgreSQL's default {@code search_path}. */
    static final List<String> DEFAULT_PATH = List.of("$user", "public");
    private static final String USER_SCHEMA = "$user";

    private final TableFilter filter;
    private final Supplier<Set<TableName>> hypertables;
    private final Supplier<PartitionDirectory.Partitions> partitions;
    private final Supplier<ChunkNames> chunkNames;
    private final LongSupplier catalogVersion;
    /** The tables include patterns without wildcards name: mirrored whatever the target's catalog says. */
    private final Set<TableName> named;
    /** The source's relations, null until known or without {@code source.user}; null: not looked up at all. */
    private final Supplier<SourceRelations.Relations> sourceRelations;
    /** What relation DDL committed through the proxy did that the source's last look-up may not have. */
    private final Supplier<RelationOverlay> recent;
    /** Told a transaction's relation DDL as it commits. */
    private final Consumer<RelationOverlay> committed;
    /** Told when DDL through the proxy committed: the source's tables may have changed. */
    private final Runnable relationsChanged;

    /**
     * Without partitions: with include patterns, the patterns alone decide.
     *
     * @param hypertables the target's hypertables, kept fresh by the caller; null until first known. Used when the
     *                    filter includes them
     */
    public MirroredTables(TableFilter filter, Supplier<Set<TableName>> hypertables) {
        this(filter, hypertables, null, () -> 0);
    }

    /** With partitions whose answers never change (or whose changes do not matter to the caller). */
    public MirroredTables(TableFilter filter, Supplier<Set<TableName>> hypertables,
                          Supplier<PartitionDirectory.Partitions> partitions) {
        this(filter, hypertables, partitions, () -> 0);
    }

    /**
     * @param partitions the target's partitions, each with the root of its partition tree, and its other tables,
     *                   kept fresh by the caller; null until first known. Resolves unqualified names; with include
     *                   patterns also decides partitions: a partition of a mirrored partitioned table is mirrored too,
     *                   when written by its own name; null: the include patterns alone decide, and names resolve
     *                   without a catalog
     * @param catalogVersion a number that moves whenever {@code hypertables} or {@code partitions} answer
     *                       something else; read for every execution of a prepared statement, so it must be cheap
     */
    public MirroredTables(TableFilter filter, Supplier<Set<TableName>> hypertables,
                          Supplier<PartitionDirectory.Partitions> partitions, LongSupplier catalogVersion) {
        this(filter, hypertables, partitions, () -> ChunkNames.DEFAULT, catalogVersion);
    }

    /**
     * @param chunkNames how the target's TimescaleDB chunks are named, kept fresh by the caller (its changes move
     *                   {@code catalogVersion} too); null until first known: a table not mirrored by the other rules
     *                   is then left to the target's catalog, as it may be a chunk named by a prefix of its own
     */
    public MirroredTables(TableFilter filter, Supplier<Set<TableName>> hypertables,
                          Supplier<PartitionDirectory.Partitions> partitions, Supplier<ChunkNames> chunkNames,
                          LongSupplier catalogVersion) {
        this(filter, hypertables, partitions, chunkNames, catalogVersion, null, () -> RelationOverlay.NONE,
                changes -> { }, () -> { });
    }

    private MirroredTables(TableFilter filter, Supplier<Set<TableName>> hypertables,
                           Supplier<PartitionDirectory.Partitions> partitions, Supplier<ChunkNames> chunkNames,
                           LongSupplier catalogVersion, Supplier<SourceRelations.Relations> sourceRelations,
                           Supplier<RelationOverlay> recent, Consumer<RelationOverlay> committed,
                           Runnable relationsChanged) {
        this.filter = filter;
        this.hypertables = hypertables;
        this.partitions = partitions;
        this.chunkNames = chunkNames;
        this.catalogVersion = catalogVersion;
        this.sourceRelations = sourceRelations;
        this.recent = recent;
        this.committed = committed;
        this.relationsChanged = relationsChanged;
        this.named = Set.copyOf(filter.namedTables());
    }

    /**
     * These tables resolving unqualified names by the source's catalog first.
     *
     * @param sourceRelations  the source's relations, kept fresh by the caller; null until first known. The caller's
     *                         catalog version must move when they change
     * @param recent           what relation DDL committed through the proxy did that {@code sourceRelations} may not
     *                         show yet; the caller's catalog version must move when it changes
     * @param committed        told, on the session's event loop, the relation DDL of a transaction that committed;
     *                         must not wait
     * @param relationsChanged told, on the session's event loop, when DDL through the proxy committed; must not wait
     */
    public MirroredTables withSourceTables(Supplier<SourceRelations.Relations> sourceRelations,
                                           Supplier<RelationOverlay> recent, Consumer<RelationOverlay> committed,
                                           Runnable relationsChanged) {
        return new MirroredTables(filter, hypertables, partitions, chunkNames, catalogVersion, sourceRelations,
                recent, committed, relationsChanged);
    }

    /** DDL through the proxy committed: the source's catalog may have changed. */
    void relationsChanged() {
        relationsChanged.run();
    }

    /** A transaction committed relation DDL through the proxy, which did {@code changes}. */
    void committed(RelationOverlay changes) {
        committed.accept(changes);
    }

    /**
     * A number that moves whenever the target's catalog as {@link #resolve} and {@link #mirroring} read it changes:
     * what was decided under another number may be decided otherwise now.
     */
    public long catalogVersion() {
        return catalogVersion.getAsLong();
    }

    /**
     * Whether the catalog names resolve by had {@code table} (resolved) at its last look-up: the source's when known,
     * else the target's; with the DDL of the session's open transaction ({@code session}) and the recent commits'
     * laid over it.
     */
    boolean inCatalog(TableName table, RelationOverlay session) {
        Boolean overlaid = overlaid(table, session, recent.get());
        if (overlaid != null) {
            return overlaid;
        }
        Set<TableName> onSource = sourceTables();
        if (onSource != null) {
            return onSource.contains(table);
        }
        PartitionDirectory.Partitions known = partitions == null ? null : partitions.get();
        return known != null && known.contains(table);
    }

    /**
     * The table an unqualified name means under {@code searchPath} (empty: the default path) for a session of
     * {@code user} (null when not known: {@code $user} is then passed over); a qualified name as it is.
     */
    public TableName resolve(TableName table, List<String> searchPath, String user) {
        return resolve(table, searchPath, user, RelationOverlay.NONE);
    }

    /**
     * {@link #resolve(TableName, List, String)} with the DDL of the session's open transaction ({@code session}) and
     * the recent commits' laid over the catalog: a table they created comes first where its schema does, one they
     * dropped is passed over.
     */
    TableName resolve(TableName table, List<String> searchPath, String user, RelationOverlay session) {
        if (table.schema() != null) {
            return table;
        }
        List<String> path = searchPath.isEmpty() ? DEFAULT_PATH : searchPath;
        RelationOverlay recentNow = recent.get();
        boolean overlaid = !session.isEmpty() || !recentNow.isEmpty();
        Set<TableName> onSource = sourceTables();
        if (onSource != null) {
            TableName found = firstIn(onSource::contains, table.name(), path, user, overlaid, session, recentNow);
            if (found != null) {
                return found;
            }
            // in none of the path's schemas at the look-up: created since, or the statement fails on the source
        }
        PartitionDirectory.Partitions known = partitions == null ? null : partitions.get();
        if (known != null || overlaid) {
            TableName found = firstIn(t -> known != null && known.contains(t), table.name(), path, user, overlaid,
                    session, recentNow);
            if (found != null) {
                return found;
            }
        }
        TableName firstListed = null;
        for (String schema : path) {
            String s = schema(schema, user);
            if (s == null) {
                continue;
            }
            TableName candidate = new TableName(s, table.name());
            if (overlaid && Boolean.FALSE.equals(overlaid(candidate, session, recentNow))) {
                continue; // dropped through the proxy
            }
            // a wildcard says nothing of whether the user's schema exists, which the default path always names first
            if (mirroring(candidate) == Mirroring.MIRRORED && (!schema.equals(USER_SCHEMA)
                    || filter.includesHypertables() || filter.namedTables().contains(candidate))) {
                return candidate;
            }
            if (firstListed == null && !schema.equals(USER_SCHEMA)) {
                firstListed = candidate;
            }
        }
        return firstListed != null ? firstListed : new TableName("public", table.name());
    }

    /**
     * The first table named {@code name} along {@code path} that exists: by the DDL laid over the catalog where it
     * says ({@code overlaid}), else by {@code catalog}; null when none does.
     */
    private static TableName firstIn(Predicate<TableName> catalog, String name, List<String> path,
                                     String user, boolean overlaid, RelationOverlay session, RelationOverlay recent) {
        for (String schema : path) {
            String s = schema(schema, user);
            if (s == null) {
                continue;
            }
            TableName candidate = new TableName(s, name);
            Boolean exists = overlaid ? overlaid(candidate, session, recent) : null;
            if (exists != null ? exists : catalog.test(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /**
     * The table an unqualified {@code name} means for DDL that names an existing table (DROP, RENAME, SET SCHEMA):
     * the first along the path that the catalog, with the DDL laid over it, has; null when it has none. A qualified
     * name as it is.
     */
    TableName existing(TableName name, List<String> searchPath, String user, RelationOverlay session) {
        if (name.schema() != null) {
            return name;
        }
        RelationOverlay recentNow = recent.get();
        Set<TableName> onSource = sourceTables();
        PartitionDirectory.Partitions known = partitions == null ? null : partitions.get();
        return firstIn(onSource != null ? onSource::contains : t -> known != null && known.contains(t), name.name(),
                searchPath.isEmpty() ? DEFAULT_PATH : searchPath, user, true, session, recentNow);
    }

    /**
     * Where an unqualified CREATE TABLE of {@code name} that the source completed put its table: PostgreSQL creates it
     * in the first schema of the path that exists. Null when the proxy cannot tell: it does not know whether a schema
     * the path lists before that one exists (without the source's catalog, of a schema it knows no table in), or the
     * path starts with {@code $user} and the current user is not known, or with {@code pg_catalog}.
     */
    TableName creationTarget(String name, List<String> searchPath, String user, RelationOverlay session) {
        RelationOverlay recentNow = recent.get();
        SourceRelations.Relations source = sourceRelations == null ? null : sourceRelations.get();
        PartitionDirectory.Partitions known = partitions == null ? null : partitions.get();
        for (String entry : searchPath.isEmpty() ? DEFAULT_PATH : searchPath) {
            String s = schema(entry, user);
            if (s == null) {
                return null;
            }
            Boolean exists = session.schema(s);
            if (exists == null) {
                exists = recentNow.schema(s);
            }
            if (exists == null && source != null) {
                exists = source.schemas().contains(s);
            }
            if (exists == null && known != null && known.hasTableIn(s)) {
                exists = true;
            }
            if (exists == null) {
                return null;
            }
            if (exists) {
                return new TableName(s, name);
            }
        }
        return null; // no schema to create in: the source did not complete it as the proxy believes
    }

    /**
     * Why the table an unqualified {@code name} means cannot be told after DDL through the proxy (the session's own,
     * {@code session}, or one committed before the catalog's look-up had it); null when it can.
     */
    String uncertainty(String name, RelationOverlay session) {
        String reason = session.isEmpty() ? null : session.uncertainty(name);
        if (reason != null) {
            return reason;
        }
        RelationOverlay recentNow = recent.get();
        return recentNow.isEmpty() ? null : recentNow.uncertainty(name);
    }

    /** Whether DDL through the proxy left {@code table}: the session's first, then the recent commits'; null: neither. */
    private static Boolean overlaid(TableName table, RelationOverlay session, RelationOverlay recent) {
        Boolean exists = session.table(table);
        return exists != null ? exists : recent.table(table);
    }

    private Set<TableName> sourceTables() {
        SourceRelations.Relations source = sourceRelations == null ? null : sourceRelations.get();
        return source == null ? null : source.tables();
    }

    /**
     * Whether the target, replaying an unqualified name under the same path, would find another table than
     * {@code resolved}, which the source's catalog resolved it to: the target's catalog has a table of that name in a
     * schema the path lists before (dropped on the source since the schema copy, or made on the target only). Never
     * without the source's catalog: names were resolved by the target's.
     */
    boolean targetFindsAnother(TableName resolved, List<String> searchPath, String user) {
        if (sourceTables() == null) {
            return false;
        }
        PartitionDirectory.Partitions known = partitions == null ? null : partitions.get();
        if (known == null) {
            return false;
        }
        for (String schema : searchPath.isEmpty() ? DEFAULT_PATH : searchPath) {
            String s = schema(schema, user);
            if (s == null) {
                continue;
            }
            if (s.equals(resolved.schema())) {
                return false;
            }
            if (known.contains(new TableName(s, resolved.name()))) {
                return true;
            }
        }
        return false;
    }

    /**
     * A mirrored table named {@code name} in any schema (the first by schema name when there are several), or null:
     * what an unqualified name may mean when the session's path is not known. From the last look-up of the target's
     * catalog, by name; before the first one, from the include patterns that name one table.
     */
    TableName mirroredNamed(String name) {
        TableName first = null;
        for (TableName table : mirroredAllNamed(name)) {
            if (first == null || table.schema().compareTo(first.schema()) < 0) {
                first = table;
            }
        }
        return first;
    }

    /** Every mirrored table named {@code name}, in any schema, as {@link #mirroredNamed} finds them. */
    List<TableName> mirroredAllNamed(String name) {
        PartitionDirectory.Partitions known = partitions == null ? null : partitions.get();
        List<TableName> candidates = new ArrayList<>();
        if (known != null) {
            candidates.addAll(known.named(name));
        } else {
            candidates.addAll(filter.namedTables());
        }
        List<TableName> named = new ArrayList<>();
        for (TableName table : candidates) {
            if (table.name().equals(name) && mirroring(table) == Mirroring.MIRRORED) {
                named.add(table);
            }
        }
        return named;
    }

    /** The schema a path entry searches for tables, or null: none ({@code pg_catalog}, temporary, unknown user). */
    static String schema(String entry, String user) {
        if (entry.equals(USER_SCHEMA)) {
            return user;
        }
        return entry.equals("pg_catalog") || entry.startsWith("pg_temp") ? null : entry;
    }

    /** @param table resolved (schema not null) */
    public Mirroring mirroring(TableName table) {
        if (table.schema().startsWith("pg_temp")) {
            return Mirroring.NOT_MIRRORED; // a session's temporary table: the target has no such table
        }
        if (!filter.includesHypertables()) {
            if (filter.mirrors(table.schema(), table.name(), false)) {
                // A wildcard says nothing of whether the target has the table: one its catalog does not have (created
                // since, on the source only, or a temporary table the proxy could not see) is decided when replayed,
                // as a partition is, not refused there and ledgered. A table a pattern names is mirrored regardless.
                PartitionDirectory.Partitions known = partitions == null ? null : partitions.get();
                return partitions == null || named.contains(table) || known != null && known.contains(table)
                        ? Mirroring.MIRRORED : Mirroring.UNCONFIRMED;
            }
            if (filter.excludes(table.schema(), table.name())) {
                return Mirroring.NOT_MIRRORED;
            }
            if (isChunk(table)) {
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
            // not known, or newer than the last look-up (a partition created since), or perhaps a chunk named by
            // a prefix of its own while the chunk names are not known yet: the target's catalog decides
            return known != null && known.others().contains(table) && chunkNames.get() != null
                    ? Mirroring.NOT_MIRRORED : Mirroring.UNCONFIRMED;
        }
        if (!filter.mirrors(table.schema(), table.name(), true)) {
            return Mirroring.NOT_MIRRORED; // excluded whatever the target says
        }
        if (isChunk(table)) {
            return Mirroring.UNCONFIRMED; // its hypertable decides, which the applier asks the source for
        }
        Set<TableName> known = hypertables.get();
        if (known == null || chunkNames.get() == null && !known.contains(table)) {
            return Mirroring.UNCONFIRMED; // perhaps a chunk named by a prefix of its own: the target's catalog decides
        }
        return known.contains(table) ? Mirroring.MIRRORED : Mirroring.NOT_MIRRORED;
    }

    /**
     * The table whose rows {@code table} (resolved) holds: the root of its partition tree when the target's catalog
     * has it as a partition, else itself. A write naming a partition writes rows of its root, as one naming the root
     * does.
     */
    public TableName rowsOf(TableName table) {
        PartitionDirectory.Partitions known = partitions == null ? null : partitions.get();
        TableName root = known == null ? null : known.roots().get(table);
        return root == null ? table : root;
    }

    /**
     * Whether {@code table} (resolved) is named as a TimescaleDB chunk ({@link ChunkNames}); by the default form alone
     * while the target's chunk names are not known.
     */
    public boolean isChunk(TableName table) {
        ChunkNames names = chunkNames.get();
        return (names == null ? ChunkNames.DEFAULT : names).isChunk(table);
    }

    /** Mirrored for sure (not only perhaps): what counting writes the mirror does not replay goes by. */
    public boolean isMirrored(TableName table) {
        return mirroring(table) == Mirroring.MIRRORED;
    }
}
