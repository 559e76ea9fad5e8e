package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What relation DDL through the proxy did that the catalog names resolve by ({@link SourceRelations}, else the
 * target's) may not show yet: tables and schemas that exist or are gone since, and names whose table the DDL left
 * somewhere the proxy cannot tell. Laid over the catalog when an unqualified name is resolved: an open transaction's
 * own DDL ({@link RelationChanges}) over what transactions committed before the catalog's last look-up had it
 * ({@link RecentRelationChanges}). Immutable: every change makes another one, so a reader may keep it, and one that is
 * the same instance changed nothing.
 */
public final class RelationOverlay {

    /** Nothing changed. */
    public static final RelationOverlay NONE = new RelationOverlay(Map.of(), Map.of(), Set.of(), Map.of(), null);

    /** Table -> whether it exists now. */
    private final Map<TableName, Boolean> tables;
    /** Schema -> whether it exists now. */
    private final Map<String, Boolean> schemas;
    /** Schemas dropped: none of the catalog's tables in them exists, only those {@link #tables} says do. */
    private final Set<String> emptied;
    /** Unqualified name -> why the proxy cannot tell which table of that name the DDL left first. */
    private final Map<String, String> uncertainNames;
    /** Why the proxy cannot tell which table any name means (DDL whose tables it cannot read); null when it can. */
    private final String uncertain;

    /**
     * Why a write whose name {@code what} left to a table the proxy cannot tell is ledgered rather than replayed, for a
     * person reading the ledger.
     *
     * @param what what the DDL did, as a clause that the proxy cannot tell which table of a name comes first
     */
    static String unplaced(String what) {
        return what + ", so it does not replay the write into a guessed table: " + SessionNames.EACH_TABLE_OF_THE_NAME
                + ". Such writes"
                + " are mirrored again once the proxy's look-up of the source's catalog, asked for at the DDL's commit,"
                + " has the change; to avoid this, schema-qualify the table names in the DDL";
    }

    private RelationOverlay(Map<TableName, Boolean> tables, Map<String, Boolean> schemas, Set<String> emptied,
                            Map<String, String> uncertainNames, String uncertain) {
        this.tables = tables;
        this.schemas = schemas;
        this.emptied = emptied;
        this.uncertainNames = uncertainNames;
        this.uncertain = uncertain;
    }

    boolean isEmpty() {
        return this == NONE || tables.isEmpty() && schemas.isEmpty() && emptied.isEmpty() && uncertainNames.isEmpty()
                && uncertain == null;
    }

    /** Whether {@code table} (schema not null) exists now; null when the DDL did not touch it: the catalog says. */
    Boolean table(TableName table) {
        Boolean known = tables.get(table);
        if (known != null) {
            return known;
        }
        return emptied.contains(table.schema()) ? Boolean.FALSE : null;
    }

    /** Whether {@code schema} exists now; null when the DDL did not touch it. */
    Boolean schema(String schema) {
        return schemas.get(schema);
    }

    /** Why the table an unqualified {@code name} means cannot be told; null when it can. */
    String uncertainty(String name) {
        String reason = uncertainNames.get(name);
        return reason != null ? reason : uncertain;
    }

    RelationOverlay created(TableName table) {
        return withTable(table, true);
    }

    RelationOverlay dropped(TableName table) {
        return withTable(table, false);
    }

    RelationOverlay schemaCreated(String schema) {
        Map<String, Boolean> s = new HashMap<>(schemas);
        s.put(schema, true);
        return new RelationOverlay(tables, Map.copyOf(s), emptied, uncertainNames, uncertain);
    }

    /** The schema and every table in it are gone (DROP SCHEMA ... CASCADE). */
    RelationOverlay schemaDropped(String schema) {
        Map<TableName, Boolean> t = new HashMap<>(tables);
        t.keySet().removeIf(table -> table.schema().equals(schema));
        Map<String, Boolean> s = new HashMap<>(schemas);
        s.put(schema, false);
        Set<String> e = new HashSet<>(emptied);
        e.add(schema);
        return new RelationOverlay(Map.copyOf(t), Map.copyOf(s), Set.copyOf(e), uncertainNames, uncertain);
    }

    /** Which table of the unqualified {@code name} comes first cannot be told, for {@code reason}. */
    RelationOverlay uncertain(String name, String reason) {
        if (reason.equals(uncertainNames.get(name))) {
            return this;
        }
        Map<String, String> u = new HashMap<>(uncertainNames);
        u.put(name, reason);
        return new RelationOverlay(tables, schemas, emptied, Map.copyOf(u), uncertain);
    }

    /** Which table any unqualified name means cannot be told, for {@code reason}. */
    RelationOverlay uncertain(String reason) {
        return new RelationOverlay(tables, schemas, emptied, uncertainNames, reason);
    }

    /** These changes made after {@code earlier}'s: where both say something, these. */
    RelationOverlay over(RelationOverlay earlier) {
        if (earlier.isEmpty()) {
            return this;
        }
        if (isEmpty()) {
            return earlier;
        }
        Map<TableName, Boolean> t = new HashMap<>(earlier.tables);
        t.keySet().removeIf(table -> emptied.contains(table.schema()));
        t.putAll(tables);
        Map<String, Boolean> s = new HashMap<>(earlier.schemas);
        s.putAll(schemas);
        Set<String> e = new HashSet<>(earlier.emptied);
        e.addAll(emptied);
        Map<String, String> u = new HashMap<>(earlier.uncertainNames);
        u.putAll(uncertainNames);
        return new RelationOverlay(Map.copyOf(t), Map.copyOf(s), Set.copyOf(e), Map.copyOf(u),
                uncertain != null ? uncertain : earlier.uncertain);
    }

    private RelationOverlay withTable(TableName table, boolean exists) {
        if (Boolean.valueOf(exists).equals(tables.get(table))) {
            return this;
        }
        Map<TableName, Boolean> t = new HashMap<>(tables);
        t.put(table, exists);
        return new RelationOverlay(Map.copyOf(t), schemas, emptied, uncertainNames, uncertain);
    }

    @Override
    public String toString() {
        return "RelationOverlay[tables=" + tables + ", schemas=" + schemas + ", emptied=" + emptied + ", uncertain="
                + uncertainNames.keySet() + (uncertain == null ? "" : ", all") + "]";
    }
}
