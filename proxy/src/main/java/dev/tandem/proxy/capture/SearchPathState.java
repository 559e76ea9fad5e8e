package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.ClassifiedStatement;
import dev.tandem.protocol.sql.ClassifiedStatement.Kind;
import dev.tandem.protocol.sql.SearchPath;
import dev.tandem.protocol.sql.TokenBuffer;
import dev.tandem.protocol.sql.TokenKind;
import java.util.List;
import java.util.Set;

/**
 * The session's {@code search_path} as the server keeps it (an empty list is the server's default, when the session
 * did not say), with the rules PostgreSQL keeps every setting by ({@link SettingLayers}: the session's value, the one
 * a SET gave in the open transaction and the one a SET LOCAL gave in it; savepoints, commit and rollback), followed
 * from the statements the source completes (a statement that fails changes nothing). {@code ?} is a path the capture
 * cannot know: an unqualified name is not resolved on a guess then ({@link SessionNames#unreplayable}).
 *
 * <pre>
 *   start-up (the StartupMessage's,   session = startup = that value; nothing pending, no savepoints
 *   or the server's report before
 *   the first ReadyForQuery)
 *   SET [SESSION] x                   pending = x, local = none
 *     RESET, SET ... TO DEFAULT,        with x = startup
 *     RESET ALL, DISCARD ALL
 *   SET LOCAL x                       local = x
 *   set_config(...) with is_local     local = ?
 *     true written as a constant
 *   any other set_config(...), a DO   pending = local = ?
 *     block that names it or SET
 *     SCHEMA, a SET it cannot read
 *   SAVEPOINT, RELEASE, ROLLBACK TO,  as SettingLayers keeps them
 *   commit, rollback
 *   ROLLBACK TO s, s not known here   pending = local = ? when the transaction changed the path (s may hold
 *                                     another value), else nothing changes
 *   ReadyForQuery, the path ?, on a   the last value reported: the session's outside a transaction; local = it
 *     server that reports it          in one (pending stays ?: a commit may keep it or not)
 * </pre>
 *
 * Outside an explicit transaction each statement (or multi-statement query, or extended-protocol batch) is its own
 * implicit transaction, so a SET in a query string that then fails is undone as well. A SET, RESET or DISCARD ALL
 * that replaces every unknown layer makes the path certain again (a session-level one for good once its transaction
 * commits).
 *
 * <p>RESET returns to the session's start-up value, not to the server's default: a pgjdbc session with
 * {@code currentSchema=s2} that resets still means {@code s2}.
 *
 * <p>Servers from PostgreSQL 18 report the path (ParameterStatus) just before each ReadyForQuery at which it differs
 * from the value they reported last, so at a ReadyForQuery the path in force is the one reported last: a path the
 * capture could not follow is known again from there on, though not for the statements of the same request after the
 * change. Older servers do not report it: the path stays unknown until a SET, RESET or DISCARD ALL.
 *
 * <p>Not seen: a function or procedure that sets the path inside (other than through a set_config call written in
 * the statement's own text), and a role's or database's default ({@code ALTER ROLE ... SET search_path}) before
 * PostgreSQL 18, which reports it at start-up.
 */
final class SearchPathState {

    static final String NAME = "search_path";
    private static final Set<String> NAMES = Set.of(NAME);
    /** A DO block is read through only when its text has one of these. */
    private static final Set<String> DO_WORDS = Set.of(NAME, "schema", "set_config");

    /**
     * A layer's value: the schemas, or when {@code unknownBecause} is not null, a path the capture cannot know, with
     * the schemas of the one in force when it became unknown (the last the capture knew).
     */
    record Path(List<String> schemas, String unknownBecause) {

        boolean known() {
            return unknownBecause == null;
        }
    }

    /** What RESET returns to. */
    private Path startup = new Path(List.of(), null);
    private SettingLayers<Path> setting = new SettingLayers<>(startup);
    /** The value the server reported last after start-up (PostgreSQL 18 and later); null when none, or unreadable. */
    private List<String> reported;

    /**
     * What the session starts with (from the StartupMessage, or the server's report at start-up): the session's value
     * and the one RESET returns to, nothing pending.
     */
    void established(List<String> value) {
        startup = new Path(List.copyOf(value), null);
        setting = new SettingLayers<>(startup);
    }

    /** The path in force; when it is not known, with the schemas of the last one known. */
    Path current() {
        return setting.current();
    }

    /** Why {@link #current} is not known, for a person reading the ledger. */
    String unknownReason() {
        return "the session's search_path, which decides which table an unqualified name means, is not known to the"
                + " proxy (" + current().unknownBecause() + "), and it does not replay a write into a guessed table:"
                + " this entry names the table of that name under the last search_path the proxy knew, or another"
                + " mirrored one, and the rows may be in another table of the same name; compare the tables of that"
                + " name with tandem-backfill verify. The session's unqualified writes are mirrored again once it sets"
                + " the path with SET search_path (or RESET it, or DISCARD ALL); to avoid this, schema-qualify the"
                + " table names, or use SET search_path instead of set_config or a DO block";
    }

    /** Statement {@code s} of {@code sql} completed on the source. */
    void completed(ClassifiedStatement s, String sql) {
        if (s.searchPath() != null) {
            SearchPath change = s.searchPath();
            setting.set(change.isDefault() ? startup : new Path(change.schemas(), null), change.local());
        } else if (s.kind() == Kind.SET && NAME.equals(s.name())) {
            unknown("it was set in a form the proxy does not read", false);
        } else if (SettingCalls.setConfig(s, sql, NAMES)) {
            unknown("a set_config call changed it", SettingCalls.onlyLocal(s.text(sql), NAMES));
        } else if (SettingCalls.doBlock(s, sql, DO_WORDS, SearchPathState::setsPath)) {
            unknown("a DO block that names it may have changed it", false);
        }
    }

    /** The path is not known from here on: until the transaction ends when {@code local}. */
    private void unknown(String why, boolean local) {
        setting.unread(new Path(current().schemas(), why), local);
    }

    void savepoint(String name) {
        setting.savepoint(name);
    }

    void release(String name) {
        setting.release(name);
    }

    void rollbackTo(String name) {
        if (!setting.rollbackTo(name)) {
            unknown("a ROLLBACK TO SAVEPOINT the proxy could not place may have restored an earlier value", false);
        }
    }

    void transactionEnded(boolean committed) {
        setting.transactionEnded(committed);
    }

    /**
     * The server reported the path (at start-up too): {@code value} as {@link SearchPath#parseSetting} reads it, null
     * when it does not.
     */
    void reported(List<String> value) {
        reported = value;
    }

    /**
     * A ReadyForQuery: a path not known is the one the server reported last, if it reports it.
     *
     * @param inTransaction the ReadyForQuery's status is in a transaction block (failed or not)
     */
    void ready(boolean inTransaction) {
        if (reported == null || current().known()) {
            return;
        }
        Path value = new Path(reported, null);
        if (inTransaction) {
            setting.set(value, true);
        } else {
            setting = new SettingLayers<>(value); // no transaction: nothing pending, no savepoints
        }
    }

    /**
     * Whether a DO block's body may set the path: it names it, calls set_config, or runs {@code SET SCHEMA}, also in
     * the string constants it runs as dynamic SQL ({@code EXECUTE 'SET SCHEMA ' || quote_literal(s)}).
     */
    private static boolean setsPath(String body) {
        return SqlWords.contains(body, NAME) || SettingCalls.setConfig(body, NAMES) || setsSchema(body, 2);
    }

    private static boolean setsSchema(String text, int depth) {
        if (!SqlWords.contains(text, "schema")) {
            return false;
        }
        TokenBuffer t = TokenBuffer.tokenize(text);
        for (int i = 0; i < t.size(); i++) {
            if (depth > 1 && t.is(i, TokenKind.STRING) && t.stringValue(i) != null
                    && setsSchema(t.stringValue(i), depth - 1)) {
                return true;
            }
            if (t.isKeyword(i, "set")) {
                int j = t.isKeyword(i + 1, "local") || t.isKeyword(i + 1, "session") ? i + 2 : i + 1;
                if (t.isKeyword(j, "schema")) {
                    return true;
                }
            }
        }
        return false;
    }
}
