package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.ClassifiedStatement;
import dev.tandem.protocol.sql.TableName;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * What a table name written in one session's statements means: its {@code search_path} ({@link SearchPathState}),
 * its temporary tables ({@link TemporaryTables}), its current user, which {@code $user} in the path means
 * ({@link CurrentUserState}), and the relation DDL of its open transaction ({@link RelationChanges}), all transactional
 * and followed from the statements the source completes, then the mirror's rules ({@link MirroredTables#resolve}).
 * While the path or the user is not known, or DDL left a name to a table the proxy cannot tell, an unqualified name
 * that either decides is resolved to a table it may mean, for the write to be ledgered there and in each other
 * mirrored table of that name ({@link #unreplayable}).
 * A transaction's DDL is handed to the mirror's tables as it commits ({@link MirroredTables#committed}), which lay it
 * over the catalog until a look-up has it.
 *
 * <p>DDL the proxy does not see (inside a function or {@code DO} block, or sent to the source some other way) is not
 * followed, nor DDL on views, materialized views and foreign tables: the catalog's next look-up shows it.
 */
final class SessionNames implements TransactionScoped {

    /** What PostgreSQL calls the session's temporary schema in a search_path and a qualified name. */
    static final String TEMPORARY_SCHEMA = "pg_temp";

    private static final String USER_SCHEMA = "$user";
    /** Where a write whose table cannot be told ({@link #unreplayable}) is ledgered, for a person reading the ledger. */
    static final String EACH_TABLE_OF_THE_NAME = "the rows may be in any mirrored table of that name, and each has"
            + " an entry like this one, one of several (tandem-backfill repair re-copies each entry's time range, the"
            + " tables the rows did not go to unchanged by it)";
    /**
     * The settings a SET or RESET of which may change what a name means, as the classifier folds their names:
     * {@code SET SCHEMA} is the path, {@code SET ROLE} and {@code SET SESSION AUTHORIZATION} change {@code $user}.
     */
    private static final Set<String> NAME_SETTINGS = Set.of(SearchPathState.NAME, "role", "session_authorization",
            "all");
    /** Where DDL that a write's ledger entry blames ran. */
    private static final String ALONG = " (in its transaction, or in one committed just before it)";

    private final MirroredTables tables;
    private final CurrentUserState user;
    private final SearchPathState searchPath = new SearchPathState();
    private final TemporaryTables temporary = new TemporaryTables();
    private final RelationChanges relations = new RelationChanges();
    /** The last {@link #replayPath}: made from {@code spelledFrom} for {@code spelledFor}. */
    private List<String> spelledFrom;
    private String spelledFor;
    private List<String> spelled;
    /** The last {@link #scope}, made again only once one of its parts changed. */
    private NameScope scope;

    /**
     * @param login       the session's login user, whose schema {@code $user} means in a path until a SET ROLE; null
     *                    when not known
     * @param startupRole the {@code role} the session's StartupMessage sets, as written there, or null
     */
    SessionNames(MirroredTables tables, String login, String startupRole) {
        this.tables = tables;
        this.user = new CurrentUserState(login, startupRole);
    }

    /** The session's start-up {@code search_path} (see {@link SearchPathState#established}). */
    void established(List<String> path) {
        searchPath.established(path);
    }

    /** The server reported the session's {@code search_path} (see {@link SearchPathState#reported}). */
    void reported(List<String> path) {
        searchPath.reported(path);
    }

    /**
     * A ReadyForQuery, before the transaction that ends at it is ended (see {@link SearchPathState#ready}).
     *
     * @return the search_path the capture had followed when the server reported another one, else null
     */
    SearchPathState.Path ready(char status, boolean commits) {
        return searchPath.ready(status, commits);
    }

    /** How many ReadyForQuery checked the search_path against the server's report ({@link SearchPathState#checks}). */
    long pathChecks() {
        return searchPath.checks();
    }

    /** Whether the server reports the search_path (see {@link SearchPathState#reportedByServer}). */
    boolean pathReported() {
        return searchPath.reportedByServer();
    }

    /** The session's {@code search_path}: when it is not known, with the schemas of the last one known. */
    SearchPathState.Path searchPath() {
        return searchPath.current();
    }

    /** The temporary tables' names now: an unchanging set, replaced when they change. */
    Set<String> temporaryTables() {
        return temporary.current();
    }

    /** The session's current user, which {@code $user} means; null when the capture cannot know it. */
    String currentUser() {
        return user.current();
    }

    /**
     * Why a write of the name {@code name} (as written) cannot be replayed: it is unqualified and the path is not known
     * ({@link SearchPathState}), or it may mean a table of the {@code $user} schema and the current user is not known
     * ({@link CurrentUserState}); null when it can.
     */
    String unreplayable(TableName name) {
        if (name.schema() != null) {
            return null;
        }
        SearchPathState.Path path = searchPath.current();
        if (!path.known()) {
            return searchPath.unknownReason();
        }
        List<String> schemas = path.schemas();
        if (user.current() == null
                && (schemas.isEmpty() ? MirroredTables.DEFAULT_PATH : schemas).contains(USER_SCHEMA)) {
            return user.unknownReason();
        }
        return tables.uncertainty(name.name(), relations.current());
    }

    /** What unqualified names resolve by now; the same instance while none of its parts changed. */
    NameScope scope() {
        SearchPathState.Path path = searchPath.current();
        Set<String> temporaryTables = temporary.current();
        String currentUser = user.current();
        RelationOverlay ddl = relations.current();
        if (scope == null || scope.searchPath() != path || scope.temporaryTables() != temporaryTables
                || !Objects.equals(scope.currentUser(), currentUser) || scope.relations() != ddl) {
            scope = new NameScope(path, temporaryTables, currentUser, ddl);
        }
        return scope;
    }

    /** Whether names resolve now as they did in {@code then}; false for null (not known). */
    boolean unchangedSince(NameScope then) {
        NameScope now = scope();
        return now == then || now.equals(then);
    }

    /**
     * The {@code search_path} to replay a statement completing now under: the session's, with {@code $user} written
     * as the current user's name when that is not the login user (the applier reads {@code $user} as the login
     * user's), the default path spelt out for it. The same list as long as neither changes.
     */
    List<String> replayPath() {
        List<String> path = searchPath.current().schemas();
        String current = user.current();
        if (current == null || current.equals(user.login())) {
            return path;
        }
        if (path != spelledFrom || !current.equals(spelledFor)) {
            List<String> spelt = new ArrayList<>();
            for (String schema : path.isEmpty() ? MirroredTables.DEFAULT_PATH : path) {
                spelt.add(schema.equals(USER_SCHEMA) ? current : schema);
            }
            spelledFrom = path;
            spelledFor = current;
            spelled = List.copyOf(spelt);
        }
        return spelled;
    }

    /**
     * The table a name means: an unqualified one is the session's temporary table of that name when it has one and
     * the path searches the temporary schema first (it does unless it lists {@code pg_temp} after another schema),
     * else as {@link MirroredTables#resolve} resolves it. While the path is not known, under the last one known, or,
     * when that means no mirrored table, a mirrored table of that name in another schema if the catalog has one: the
     * write may have gone there, and is ledgered rather than lost.
     */
    TableName resolve(TableName name) {
        SearchPathState.Path path = searchPath.current();
        if (name.schema() == null && temporary.contains(name.name()) && searchesTemporaryFirst(path.schemas())) {
            return new TableName(TEMPORARY_SCHEMA, name.name());
        }
        TableName resolved = tables.resolve(name, path.schemas(), user.current(), relations.current());
        if (path.known() || name.schema() != null || tables.isMirrored(resolved)) {
            return resolved;
        }
        TableName elsewhere = tables.mirroredNamed(name.name());
        return elsewhere != null ? elsewhere : resolved;
    }

    /** The table an unqualified name that is one of the session's temporary tables would mean without it; else null. */
    TableName hiddenByTemporary(TableName name) {
        List<String> path = searchPath.current().schemas();
        if (name.schema() != null || !temporary.contains(name.name()) || !searchesTemporaryFirst(path)) {
            return null;
        }
        return tables.resolve(name, path, user.current(), relations.current());
    }

    /**
     * Whether {@code table} (resolved) exists as far as the proxy knows: in the catalog names resolve by, with the
     * relation DDL through the proxy laid over it.
     */
    boolean known(TableName table) {
        return tables.inCatalog(table, relations.current());
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
                || table.schema() == null && createsInTemporarySchema(searchPath.current().schemas());
    }

    /**
     * Whether completing {@code s} of {@code sql} may change what an unqualified table name means ({@link #completed},
     * and the end of a transaction): relation DDL and temporary tables, a SET or RESET of the path, the role or the
     * session authorization (or RESET ALL, or a setting whose name the classifier could not read), a
     * {@code set_config} call, a {@code DO} block or a {@code CALL} (either may run DDL or set the path or the role
     * inside), and a ROLLBACK or PREPARE TRANSACTION, which take back the transaction's DDL and SETs. A SET of any
     * other setting ({@code statement_timeout}, say, which applications send before their writes) leaves names as
     * they are, and writes behind it resolve as they are read. Asked of every statement a client sends, so it reads
     * the classification, and of a statement classified as no other kind the first word of its text, nothing more.
     */
    static boolean mayChange(ClassifiedStatement s, String sql) {
        if (s.tableChange() != null || s.callsSetConfig() || s.kind() == ClassifiedStatement.Kind.CALL) {
            return true;
        }
        if (s.kind() == ClassifiedStatement.Kind.SET) {
            return s.name() == null || NAME_SETTINGS.contains(s.name());
        }
        if (s.kind() == ClassifiedStatement.Kind.OTHER) {
            return SettingCalls.startsWithDo(sql, s.start(), s.end());
        }
        ClassifiedStatement.TxCommand tx = s.txCommand();
        return tx == ClassifiedStatement.TxCommand.ROLLBACK || tx == ClassifiedStatement.TxCommand.ROLLBACK_AND_CHAIN
                || tx == ClassifiedStatement.TxCommand.ROLLBACK_TO_SAVEPOINT
                || tx == ClassifiedStatement.TxCommand.PREPARE_TRANSACTION;
    }

    /**
     * A completed statement {@code s} of {@code sql}: its effect on the session's search_path, current user and
     * temporary tables (after its own names were resolved).
     */
    void completed(ClassifiedStatement s, String sql) {
        searchPath.completed(s, sql);
        user.completed(s, sql);
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
            } else {
                relations.changed(created(relations.current(), table, create.ifNotExists()));
            }
        } else if (change instanceof ClassifiedStatement.TableChange.Drop) {
            RelationOverlay now = relations.current();
            for (TableName dropped : s.tables()) {
                if (isTemporary(dropped)) {
                    temporary.dropped(dropped.name());
                } else {
                    now = moved(now, dropped, null, "DROP TABLE");
                }
            }
            relations.changed(now);
        } else if (change instanceof ClassifiedStatement.TableChange.Rename rename) {
            if (isTemporary(table)) {
                temporary.renamed(table.name(), rename.to());
            } else {
                relations.changed(moved(relations.current(), table, t -> new TableName(t.schema(), rename.to()),
                        "ALTER TABLE ... RENAME TO " + rename.to()));
            }
        } else if (change instanceof ClassifiedStatement.TableChange.SetSchema setSchema && !isTemporary(table)) {
            relations.changed(moved(relations.current(), table, t -> new TableName(setSchema.schema(), t.name()),
                    "ALTER TABLE ... SET SCHEMA " + setSchema.schema()));
        } else if (change instanceof ClassifiedStatement.TableChange.CreateSchema schema) {
            relations.changed(relations.current().schemaCreated(schema.name()));
        } else if (change instanceof ClassifiedStatement.TableChange.DropSchema schemas) {
            RelationOverlay now = relations.current();
            for (String schema : schemas.names()) {
                now = now.schemaDropped(schema);
            }
            relations.changed(now);
        } else if (change instanceof ClassifiedStatement.TableChange.Unknown) {
            relations.changed(relations.current().uncertain(RelationOverlay.unplaced("DDL that may create, drop,"
                    + " rename or move tables whose names it does not show (" + firstWords(s.text(sql)) + ") ran"
                    + " through the proxy before this write" + ALONG)));
        }
    }

    /**
     * {@code now} after a CREATE TABLE of {@code table} (not temporary) that the source completed: unqualified, in
     * the first schema of the path that exists, where the proxy can tell which that is and the table was not there
     * already (it was only when written {@code IF NOT EXISTS}, which then did nothing).
     */
    private RelationOverlay created(RelationOverlay now, TableName table, boolean ifNotExists) {
        if (table.schema() != null) {
            return now.created(table);
        }
        List<String> path = searchPath.current().schemas();
        if (tables.uncertainty(table.name(), now) == null) {
            TableName placed = tables.creationTarget(table.name(), path, user.current(), now);
            if (placed != null && (ifNotExists || !tables.inCatalog(placed, now))) {
                return now.created(placed);
            }
        }
        return now.uncertain(table.name(), RelationOverlay.unplaced("CREATE TABLE " + table.name()
                + " without a schema ran through the proxy before this write" + ALONG + ", and it cannot tell in"
                + " which schema of the session's search_path (" + SearchPathState.shown(path) + ") the source"
                + " created it: it does not know whether the schemas the path lists first exist (one created where"
                + " the proxy cannot see it, inside a function or DO block, say)"));
    }

    /**
     * {@code now} after DDL {@code what} that the source completed on the existing table {@code name} (as written):
     * gone from where it was, and at {@code to} of that place when {@code to} is not null. When the proxy cannot tell
     * which table an unqualified name meant, which tables of that name and of the new one come first cannot be told.
     */
    private RelationOverlay moved(RelationOverlay now, TableName name, UnaryOperator<TableName> to, String what) {
        TableName from = name.schema() == null && tables.uncertainty(name.name(), now) != null ? null
                : tables.existing(name, searchPath.current().schemas(), user.current(), now);
        if (from != null) {
            RelationOverlay gone = now.dropped(from);
            return to == null ? gone : gone.created(to.apply(from));
        }
        String reason = RelationOverlay.unplaced(what + " on " + name.name() + " ran through the proxy before"
                + " this write" + ALONG + ", and it cannot tell which table of that name along the session's"
                + " search_path it was: the proxy's catalog had none, or DDL before it left that name to a table the proxy cannot"
                + " tell");
        RelationOverlay uncertain = now.uncertain(name.name(), reason);
        return to == null ? uncertain : uncertain.uncertain(to.apply(name).name(), reason);
    }

    /** The first words of a statement, enough to say which DDL it is in a ledger entry. */
    private static String firstWords(String text) {
        String[] words = text.trim().split("\\s+", 4);
        return String.join(" ", Arrays.copyOf(words, Math.min(3, words.length)));
    }

    @Override
    public void savepoint(String name) {
        searchPath.savepoint(name);
        temporary.savepoint(name);
        relations.savepoint(name);
        user.savepoint(name);
    }

    @Override
    public void release(String name) {
        searchPath.release(name);
        temporary.release(name);
        relations.release(name);
        user.release(name);
    }

    @Override
    public void rollbackTo(String name) {
        searchPath.rollbackTo(name);
        temporary.rollbackTo(name);
        relations.rollbackTo(name);
        user.rollbackTo(name);
    }

    @Override
    public void transactionEnded(boolean committed) {
        RelationOverlay ddl = relations.current();
        searchPath.transactionEnded(committed);
        temporary.transactionEnded(committed);
        relations.transactionEnded(committed);
        if (committed && !ddl.isEmpty()) {
            tables.committed(ddl);
        }
        user.transactionEnded(committed);
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

    /**
     * PostgreSQL searches the temporary schema first unless the path lists {@code pg_temp}, and then where it is
     * listed: a path that does not name it ({@code public}, or the {@code "$user", public} PostgreSQL 18 reports at
     * start-up) searches it first.
     */
    private static boolean searchesTemporaryFirst(List<String> path) {
        int listed = path.indexOf(TEMPORARY_SCHEMA);
        for (String schema : path.subList(0, Math.max(listed, 0))) {
            if (!schema.equals(USER_SCHEMA) && !schema.equals("pg_catalog")) {
                return false;
            }
        }
        return true;
    }

    /** An unqualified CREATE TABLE goes to the first schema of the path, which may be {@code pg_temp}. */
    private static boolean createsInTemporarySchema(List<String> path) {
        for (String schema : path) {
            if (!schema.equals(USER_SCHEMA)) {
                return schema.equals(TEMPORARY_SCHEMA);
            }
        }
        return false;
    }
}
