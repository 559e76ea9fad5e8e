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
 *   ReadyForQuery, on a server that   the last value reported, when the path is ? or another: the session's
 *     reports it, not in a failed     outside a transaction; local = it in one, pending = ? (a commit may keep
 *     transaction                     it or not) unless it was ? already
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
 * change. A path it followed and the server contradicts was changed where it cannot see (a function or procedure
 * that sets it inside, other than through a set_config call written in the statement's own text): the writes resolved
 * since the last ReadyForQuery that checked it may have gone to another table ({@link #ready}), and the reported
 * value replaces it. A change undone within the same request (by a function that puts the path back) is not seen.
 * In a failed transaction the server has undone the failed part's settings already (at the error, not at the
 * ROLLBACK): nothing is checked there, the capture undoes them at the ROLLBACK (TO SAVEPOINT) that ends it, and no
 * statement runs in between.
 *
 * <p>Older servers do not report it: a path the capture could not follow stays unknown until a SET, RESET or DISCARD
 * ALL, and one changed where it cannot see (a function, a procedure, a role's or database's default,
 * {@code ALTER ROLE ... SET search_path}, which PostgreSQL 18 reports at start-up) is taken for what it followed.
 */
final class SearchPathState implements TransactionScoped {

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
    /** How many ReadyForQuery checked the path against the server's report ({@link #ready}). */
    private long checks;

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
                + " " + SessionNames.EACH_TABLE_OF_THE_NAME + ". The session's unqualified writes are mirrored again"
                + " once it sets the path with SET search_path (or RESET it, or DISCARD ALL); to avoid this,"
                + " schema-qualify the table names, or use SET search_path instead of set_config or a DO block";
    }

    /**
     * Why a write resolved under {@code believed} is not replayed when the ReadyForQuery after it showed the server's
     * path to be {@code reported}, for a person reading the ledger.
     */
    static String contradictedReason(Path believed, List<String> reported) {
        return "the session's search_path, which decides which table an unqualified name means, was not what the proxy"
                + " had followed: at the end of the request (query string or pipelined batch) that ran this write the"
                + " source reported " + shown(reported) + " where the proxy had followed " + shown(believed.schemas())
                + ", so something it cannot see changed it (SET search_path or set_config inside a function or"
                + " procedure, say), and it does not replay a write into a guessed table: this entry names the table"
                + " of that name under the path it had followed, and the rows may be in another table of the same"
                + " name; compare the tables of that name with tandem-backfill verify. The proxy follows the reported"
                + " path from there on; to avoid this, schema-qualify the table names, or change the path with SET"
                + " search_path in the statement's own text";
    }

    /** A path as a person reads it. */
    static String shown(List<String> schemas) {
        return schemas.isEmpty() ? "the server's default" : String.join(", ", schemas);
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

    @Override
    public void savepoint(String name) {
        setting.savepoint(name);
    }

    @Override
    public void release(String name) {
        setting.release(name);
    }

    @Override
    public void rollbackTo(String name) {
        if (!setting.rollbackTo(name)) {
            unknown("a ROLLBACK TO SAVEPOINT the proxy could not place may have restored an earlier value", false);
        }
    }

    @Override
    public void transactionEnded(boolean committed) {
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
     * A ReadyForQuery, before the transaction that ends at it is ended ({@link #transactionEnded}): on a server that
     * reports the path, outside a failed transaction, the path in force is the one it reported last. A path the
     * capture could not follow becomes it; one it followed and the server contradicts is replaced by it, and returned.
     *
     * @param status  the ReadyForQuery's transaction status
     * @param commits at {@code I}: the transaction that ends at it commits (it did not fail)
     * @return the path the capture had followed when the server reported another one, else null
     */
    Path ready(char status, boolean commits) {
        if (reported == null || status == 'E') {
            return null;
        }
        checks++;
        Path believed = status == 'I' ? setting.afterTransaction(commits) : setting.current();
        if (believed.known() && believed.schemas().equals(reported)) {
            return null;
        }
        Path value = new Path(reported, null);
        if (status == 'I') {
            setting = new SettingLayers<>(value); // no transaction from here on: nothing pending, no savepoints
            return believed.known() ? believed : null;
        }
        if (believed.known()) {
            // what changed it unseen may have changed it for the transaction only, or for the session
            setting.setBoth(new Path(reported, "something it cannot see changed it in a transaction, for that"
                    + " transaction only or not"));
        }
        setting.set(value, true);
        return believed.known() ? believed : null;
    }

    /** How many ReadyForQuery checked the path ({@link #ready}): a write resolved after the last one is unchecked. */
    long checks() {
        return checks;
    }

    /** Whether the server reported the path readably: the next ReadyForQuery outside a failed transaction checks it. */
    boolean reportedByServer() {
        return reported != null;
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
