package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.ClassifiedStatement;
import dev.tandem.protocol.sql.SearchPath;
import dev.tandem.protocol.sql.TableName;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * What a table name written in one session's statements means: its {@code search_path} ({@link SearchPathState}) and
 * its temporary tables ({@link TemporaryTables}), both transactional and followed from the statements the source
 * completes, then the mirror's rules ({@link MirroredTables#resolve}).
 */
final class SessionNames {

    /** What PostgreSQL calls the session's temporary schema in a search_path and a qualified name. */
    static final String TEMPORARY_SCHEMA = "pg_temp";

    private final MirroredTables tables;
    private final Supplier<String> user;
    private final SearchPathState searchPath = new SearchPathState();
    private final TemporaryTables temporary = new TemporaryTables();

    /** @param user the session's user, whose schema {@code $user} means in a path; null until known */
    SessionNames(MirroredTables tables, Supplier<String> user) {
        this.tables = tables;
        this.user = user;
    }

    /** The session's start-up {@code search_path} (see {@link SearchPathState#established}). */
    void established(List<String> path) {
        searchPath.established(path);
    }

    List<String> searchPath() {
        return searchPath.effective();
    }

    /** The temporary tables' names now: an unchanging set, replaced when they change. */
    Set<String> temporaryTables() {
        return temporary.current();
    }

    /** Whether names resolve now as they did under {@code path} and {@code temporaryTables}. */
    boolean unchangedSince(List<String> path, Set<String> temporaryTables) {
        return searchPath.effective().equals(path) && temporary.current().equals(temporaryTables);
    }

    /**
     * The table a name means: an unqualified one is the session's temporary table of that name when it has one and
     * the path searches the temporary schema first (it does unless it lists {@code pg_temp} after another schema),
     * else as {@link MirroredTables#resolve} resolves it.
     */
    TableName resolve(TableName name) {
        List<String> path = searchPath.effective();
        if (name.schema() == null && temporary.contains(name.name()) && searchesTemporaryFirst(path)) {
            return new TableName(TEMPORARY_SCHEMA, name.name());
        }
        return tables.resolve(name, path, user.get());
    }

    /** The table an unqualified name that is one of the session's temporary tables would mean without it; else null. */
    TableName hiddenByTemporary(TableName name) {
        if (name.schema() != null || !temporary.contains(name.name()) || !searchesTemporaryFirst(searchPath.effective())) {
            return null;
        }
        return tables.resolve(name, searchPath.effective(), user.get());
    }

    void set(SearchPath change) {
        searchPath.set(change);
    }

    /**
     * CREATE TABLE or SELECT INTO of a temporary table: written TEMP, or into {@code pg_temp}, or unqualified under a
     * path that starts with {@code pg_temp}.
     */
    boolean createsTemporary(ClassifiedStatement s) {
        if (!(s.tableChange() instanceof ClassifiedStatement.TableChange.Create create) || s.table() == null) {
            return false;
        }
        TableName table = s.table();
        return create.temporary() != ClassifiedStatement.Temporary.NO || isTemporarySchema(table.schema())
                || table.schema() == null && createsInTemporarySchema(searchPath.effective());
    }

    /** A completed statement's effect on the session's temporary tables (after its own names were resolved). */
    void completed(ClassifiedStatement s) {
        ClassifiedStatement.TableChange change = s.tableChange();
        if (change == null || s.malformed()) {
            return;
        }
        TableName table = s.table();
        if (change instanceof ClassifiedStatement.TableChange.DiscardTemporary) {
            temporary.discarded();
        } else if (change instanceof ClassifiedStatement.TableChange.Create create) {
            if (createsTemporary(s)) {
                temporary.created(table.name(), create.temporary() == ClassifiedStatement.Temporary.TRANSACTION);
            }
        } else if (change instanceof ClassifiedStatement.TableChange.Drop) {
            for (TableName dropped : s.tables()) {
                if (isTemporary(dropped)) {
                    temporary.dropped(dropped.name());
                }
            }
        } else if (change instanceof ClassifiedStatement.TableChange.Rename rename && isTemporary(table)) {
            temporary.renamed(table.name(), rename.to());
        }
    }

    void savepoint(String name) {
        searchPath.savepoint(name);
        temporary.savepoint(name);
    }

    void release(String name) {
        searchPath.release(name);
        temporary.release(name);
    }

    void rollbackTo(String name) {
        searchPath.rollbackTo(name);
        temporary.rollbackTo(name);
    }

    void transactionEnded(boolean committed) {
        searchPath.transactionEnded(committed);
        temporary.transactionEnded(committed);
    }

    private boolean isTemporary(TableName name) {
        return isTemporarySchema(name.schema()) || TEMPORARY_SCHEMA.equals(resolve(name).schema());
    }

    /**
     * {@code pg_temp}, or the session's temporary schema by its own name, {@code pg_temp_3} say (what
     * {@code pg_my_temp_schema()} and psql's {@code \d} show): a session can only create tables in its own.
     */
    private static boolean isTemporarySchema(String schema) {
        return schema != null && (schema.equals(TEMPORARY_SCHEMA) || schema.matches("pg_temp_[0-9]+"));
    }

    private static boolean searchesTemporaryFirst(List<String> path) {
        for (String schema : path) {
            if (schema.equals(TEMPORARY_SCHEMA)) {
                return true;
            }
            if (!schema.equals("$user") && !schema.equals("pg_catalog")) {
                return false;
            }
        }
        return true;
    }

    /** An unqualified CREATE TABLE goes to the first schema of the path, which may be {@code pg_temp}. */
    private static boolean createsInTemporarySchema(List<String> path) {
        for (String schema : path) {
            if (!schema.equals("$user")) {
                return schema.equals(TEMPORARY_SCHEMA);
            }
        }
        return false;
    }
}
