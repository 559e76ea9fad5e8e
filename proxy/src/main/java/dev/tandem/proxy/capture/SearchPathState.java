package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.SearchPath;
import java.util.List;

/**
 * The session's {@code search_path} as the server keeps it (an empty list is the server's default, when the session
 * did not say), with the rules PostgreSQL keeps every setting by ({@link SettingLayers}: the session's value, the one
 * a SET gave in the open transaction and the one a SET LOCAL gave in it; savepoints, commit and rollback):
 *
 * <pre>
 *   start-up (the StartupMessage's,   session = startup = that value; nothing pending, no savepoints
 *   or the server's report before
 *   the first ReadyForQuery)
 *   SET [SESSION] x                   pending = x, local = none
 *     RESET, SET ... TO DEFAULT,        with x = startup
 *     RESET ALL, DISCARD ALL
 *   SET LOCAL x                       local = x
 *   SAVEPOINT, RELEASE, ROLLBACK TO,  as SettingLayers keeps them
 *   commit, rollback
 *   ROLLBACK TO s, s not known here   nothing changes, even when the transaction changed the path
 * </pre>
 *
 * Outside an explicit transaction each statement (or multi-statement query, or extended-protocol batch) is its own
 * implicit transaction, so a SET in a query string that then fails is undone as well.
 *
 * <p>RESET returns to the session's start-up value, not to the server's default: a pgjdbc session with
 * {@code currentSchema=s2} that resets still means {@code s2}.
 *
 * <p>Unlike {@link ReplicationRoleState} and {@link CurrentUserState}, this setting has no value for "not known": a
 * ROLLBACK TO SAVEPOINT the capture cannot place leaves the path in force, and names keep resolving under the last
 * path it knows (as after a {@code set_config('search_path', ...)}, which it does not see either).
 */
final class SearchPathState {

    /** What RESET returns to. */
    private List<String> startup = List.of();
    private SettingLayers<List<String>> setting = new SettingLayers<>(startup);

    /**
     * What the session starts with (from the StartupMessage, or the server's report at start-up): the session's value
     * and the one RESET returns to, nothing pending.
     */
    void established(List<String> value) {
        startup = List.copyOf(value);
        setting = new SettingLayers<>(startup);
    }

    List<String> effective() {
        return setting.current();
    }

    void set(SearchPath change) {
        setting.set(change.isDefault() ? startup : change.schemas(), change.local());
    }

    void savepoint(String name) {
        setting.savepoint(name);
    }

    void release(String name) {
        setting.release(name);
    }

    void rollbackTo(String name) {
        setting.rollbackTo(name); // a savepoint not known here: the path stays (see the class comment)
    }

    void transactionEnded(boolean committed) {
        setting.transactionEnded(committed);
    }
}
