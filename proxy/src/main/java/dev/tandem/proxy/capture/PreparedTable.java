package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;

/**
 * The table a prepared statement's unqualified name means as its executions run, resolved again only when what it
 * depends on changed since: the session's search_path, temporary tables or current user (PostgreSQL then parses the
 * statement again, as a new Parse would), or the catalog names resolve by (the source's with {@code source.user},
 * else the target's) as the proxy last looked it up (a table created in a schema the path lists earlier, say), or the
 * relation DDL through the proxy laid over it ({@link RelationOverlay}). A number compare per execution, nothing more,
 * while none changed.
 *
 * <p>A change of the catalog alone, or DDL on another table, leaves the source's statement as it was planned:
 * PostgreSQL keeps the table it resolved until something invalidates the plan (DDL on that table, an ANALYZE of it,
 * autovacuum's too), which the proxy does not see. So when a named statement's table, found in the catalog, is still there and another one now
 * comes first along the path, which of the two the source writes cannot be told: its executions are not replayed
 * ({@link #ambiguous}). An unnamed statement is parsed for the executions right behind it: the newer look-up is the
 * better account of the catalog the source parsed it against. A name the catalog did not have (the proxy guessed it,
 * see {@link MirroredTables#resolve}) takes the new answer.
 */
final class PreparedTable {

    /** The table the name was last resolved to, mirrored or not. */
    private TableName name;
    /** {@link #name} when it is mirrored (or perhaps), else null; while {@link #ambiguous}, the one to ledger. */
    private TableName table;
    /** {@link #name} was found in the catalog, not guessed. */
    private boolean fromCatalog;
    private String ambiguous;
    private NameScope scope;
    private long catalog;

    /**
     * A name resolved at Parse to {@code name} (mirrored: {@code table}, else null), under the session's state now
     * and catalog version {@code catalog}, read before it was resolved.
     */
    PreparedTable(SessionNames names, MirroredTables tables, TableName name, TableName table, long catalog) {
        this.name = name;
        this.table = table;
        this.fromCatalog = names.known(name);
        remember(names, catalog);
    }

    /**
     * The mirrored table an execution of the statement writes now, null when none; while {@link #ambiguous}, the one
     * its rows are ledgered for.
     *
     * @param written the name as the statement writes it (unqualified)
     * @param named   a named statement, which the source keeps planned across executions
     */
    TableName resolve(SessionNames names, MirroredTables tables, TableName written, boolean named) {
        boolean unchanged = names.unchangedSince(scope);
        long version = tables.catalogVersion();
        if (unchanged && version == catalog) {
            return table;
        }
        // the session's own DDL, like the catalog's changes, leaves the statement as the source planned it
        boolean sameSettings = unchanged || names.scope().sameSettings(scope);
        TableName resolved = names.resolve(written);
        boolean mirrored = tables.mirroring(resolved) != MirroredTables.Mirroring.NOT_MIRRORED;
        if (sameSettings && named && fromCatalog && !resolved.equals(name) && names.known(name)) {
            ambiguous = "a statement prepared while " + name + " was the first table of its name along the session's"
                    + " search_path ran after the catalog, or DDL through the proxy, showed " + resolved + " before"
                    + " it: the source"
                    + " writes " + name + " until something makes it plan the statement again (DDL on that table,"
                    + " an ANALYZE of it, autovacuum's too), then " + resolved + ", and the proxy cannot tell which it"
                    + " wrote, so it does not replay the write: compare both tables with tandem-backfill verify, and"
                    + " have the application prepare its statements again (a new connection, DEALLOCATE, DISCARD ALL)";
            table = table != null ? table : mirrored ? resolved : null;
        } else {
            name = resolved;
            table = mirrored ? resolved : null;
            fromCatalog = names.known(resolved);
            ambiguous = null;
        }
        remember(names, version);
        return table;
    }

    /** Why the executions are not replayed: which table the source writes cannot be told; null when it can. */
    String ambiguous() {
        return ambiguous;
    }

    private void remember(SessionNames names, long version) {
        scope = names.scope();
        catalog = version;
    }
}
