package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.ClassifiedStatement;
import dev.tandem.protocol.sql.ClassifiedStatement.Kind;
import dev.tandem.protocol.sql.SettingChange;
import java.util.Set;

/**
 * One session's {@code session_replication_role} as each of its statements runs under it. The server does not report
 * this setting (ParameterStatus), so the capture follows it from the statements the source completes, with the rules
 * PostgreSQL keeps a setting by ({@link SettingLayers}: the session's value, the one a SET gave in the open
 * transaction and the one a SET LOCAL gave in it; savepoints, commit and rollback). {@code ?} is a value the capture
 * cannot know: a write that runs under it is ledgered, not replayed under a guess.
 *
 * <pre>
 *   start-up                          session = reset = the StartupMessage's value, else origin (? when it sets
 *                                     one the capture does not read)
 *   SET [SESSION] v                   pending = v, local = none
 *     RESET, SET ... TO DEFAULT,        with v = reset (RESET ALL too, unlike role and session_authorization,
 *     RESET ALL, DISCARD ALL            which PostgreSQL leaves out of it)
 *   SET LOCAL v                       local = v
 *   set_config(...) with is_local     local = ?
 *     true written as a constant
 *   any other set_config(...), a DO   pending = local = ?
 *     block naming it, a SET it
 *     cannot read
 *   SAVEPOINT, RELEASE, ROLLBACK TO,  as SettingLayers keeps them
 *   commit, rollback
 *   ROLLBACK TO s, s not known here   pending = local = ? when the transaction changed the setting (s may hold
 *                                     another value), else nothing changes
 * </pre>
 *
 * A statement that fails changes nothing: only those the source completed are seen. A SET or RESET that replaces
 * every unknown layer makes the value certain again (a session-level one for good once its transaction commits).
 *
 * <p>Taken as certain although the proxy cannot see it: what the session starts with. A StartupMessage's value wins
 * over every other source, but without one the role's or database's own setting ({@code ALTER ROLE/DATABASE ...
 * SET session_replication_role}) or the server's configuration apply, and RESET returns to them: the capture takes
 * {@code origin} for them. Not seen either: a function or procedure that sets it inside, other than through a
 * set_config call written in the statement's own text.
 */
final class ReplicationRoleState implements TransactionScoped {

    static final String NAME = "session_replication_role";
    private static final Set<String> NAMES = Set.of(NAME);
    /** A DO block is read through only when its text has one of these. */
    private static final Set<String> DO_WORDS = Set.of(NAME, "set_config");

    /** A layer's value; {@link #UNKNOWN} holds null. */
    private record Value(ReplicationRole role) {
    }

    private static final Value UNKNOWN = new Value(null);

    /** What RESET returns to. */
    private final Value reset;
    private final SettingLayers<Value> setting;
    /** What made the value unknown last. */
    private String unknownBecause;
    /** The last settings {@link #stamped} returned, to share them between the statements of a session. */
    private InputSettings stampedFrom;
    private InputSettings stamped;

    /** @param startup the StartupMessage's value as written there, or null when it sets none */
    ReplicationRoleState(String startup) {
        ReplicationRole role = startup == null ? ReplicationRole.ORIGIN : ReplicationRole.parse(startup);
        reset = role == null ? UNKNOWN : new Value(role);
        setting = new SettingLayers<>(reset);
        if (role == null) {
            unknownBecause = "the StartupMessage set it to a value the proxy does not read";
        }
    }

    /** The value the statement completing now ran under; null when the capture cannot know it. */
    ReplicationRole current() {
        return setting.current().role();
    }

    /** Why {@link #current} is not known, for a person reading the ledger. */
    String unknownReason() {
        return "the session's session_replication_role, which decides whether the target fires its triggers, rules"
                + " and foreign-key checks for this write, is not known to the proxy (" + unknownBecause + "), and it"
                + " does not replay a write under a guessed value; the session's writes are mirrored again once it"
                + " sets the value with SET or RESET";
    }

    /**
     * {@code settings} (under origin, as reported) with the value in force, the same instance as long as neither
     * changes: the statements of a session share one, as they share their {@link InputSettings}. {@code settings}
     * itself when the value is origin, or not known (the statement is not replayed then).
     */
    InputSettings stamped(InputSettings settings) {
        ReplicationRole role = current();
        if (role == null || role == settings.replicationRole()) {
            return settings;
        }
        if (settings != stampedFrom || stamped.replicationRole() != role) {
            stampedFrom = settings;
            stamped = settings.withReplicationRole(role);
        }
        return stamped;
    }

    /** Statement {@code s} of {@code sql} completed on the source. */
    void completed(ClassifiedStatement s, String sql) {
        if (s.kind() == Kind.SET) {
            if ("all".equals(s.name())) {
                setting.set(reset, false); // RESET ALL
            } else if (NAME.equals(s.name())) {
                set(s.setting());
            }
        } else if (s.kind() == Kind.DEALLOCATE
                && s.tableChange() instanceof ClassifiedStatement.TableChange.DiscardTemporary) {
            setting.set(reset, false); // DISCARD ALL
        } else if (SettingCalls.setConfig(s, sql, NAMES)) {
            unknown("a set_config call may have changed it", SettingCalls.onlyLocal(s.text(sql), NAMES));
        } else if (SettingCalls.doBlock(s, sql, DO_WORDS,
                body -> SqlWords.contains(body, NAME) || SettingCalls.setConfig(body, NAMES))) {
            unknown("a DO block that names it may have changed it");
        }
    }

    private void set(SettingChange change) {
        if (change == null) {
            unknown("it was set in a form the proxy does not read");
        } else if (change.isDefault()) {
            setting.set(reset, change.local());
        } else {
            ReplicationRole role = ReplicationRole.parse(change.value());
            if (role == null) {
                unknown("it was set to a value the proxy does not read"); // the server refuses it: not seen
            } else {
                setting.set(new Value(role), change.local());
            }
        }
    }

    private void unknown(String why) {
        unknown(why, false);
    }

    /** The value is not known from here on: until the transaction ends when {@code local}. */
    private void unknown(String why, boolean local) {
        unknownBecause = why;
        setting.unread(UNKNOWN, local);
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
            unknown("a ROLLBACK TO SAVEPOINT the proxy could not place may have restored an earlier value");
        }
    }

    @Override
    public void transactionEnded(boolean committed) {
        setting.transactionEnded(committed);
    }
}
