package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.ClassifiedStatement;
import dev.tandem.protocol.sql.ClassifiedStatement.Kind;
import dev.tandem.protocol.sql.SettingChange;
import dev.tandem.protocol.sql.TokenBuffer;
import dev.tandem.protocol.sql.TokenKind;
import java.util.Set;

/**
 * One session's current user ({@code current_user}) as each of its statements runs, which is what {@code $user} in
 * its {@code search_path} means. Two settings decide it, each kept by PostgreSQL's rules for settings
 * ({@link SettingLayers}: SET, SET LOCAL, savepoints, commit and rollback): {@code role} (SET ROLE) and
 * {@code session_authorization} (SET SESSION AUTHORIZATION, a superuser's); the current user is the role unless
 * that is {@code none}, else the session user. The server does not report the role, so the capture follows both from
 * the statements the source completes (a statement that fails changes nothing). {@code ?} is a value the capture
 * cannot know.
 *
 * <pre>
 *   start-up                          session user = the login user; role = its reset value = the StartupMessage's
 *                                     ({@code -c role=r} in options), else none
 *   SET [LOCAL] ROLE r | NONE         role = r | none
 *   RESET ROLE, SET role TO DEFAULT   role = its reset value
 *   SET [LOCAL] SESSION               session user = u, and role = none in the same layer (PostgreSQL sets both, as
 *     AUTHORIZATION u                 the SQL standard asks)
 *   RESET SESSION AUTHORIZATION,      session user = the login user, role = its reset value
 *     SET ... TO DEFAULT, DISCARD ALL (RESET ALL leaves both alone)
 *   set_config(...) of either, a DO   what it may set = ? (session_authorization sets the role too), until
 *     block that sets one, a SET of   a SET or RESET replaces it; in the local layer only when every such
 *     either the capture cannot read  set_config call writes is_local as the constant true
 *   ROLLBACK TO a savepoint the       ? when the transaction changed the setting
 *     capture cannot place
 * </pre>
 *
 * Taken as certain although the proxy cannot see it: a role's or database's own default ({@code ALTER ROLE ... SET
 * role}), taken for none, and a function that sets the role inside, other than through a set_config call written in
 * the statement's own text.
 */
final class CurrentUserState implements TransactionScoped {

    private static final String ROLE = "role";
    private static final String SESSION_AUTHORIZATION = "session_authorization";
    private static final Set<String> NAMES = Set.of(ROLE, SESSION_AUTHORIZATION);
    /** A DO block is read through only when its text has one of these. */
    private static final Set<String> DO_WORDS = Set.of(ROLE, "authorization", "set_config");
    /** The role that is none: the session user is the current user. PostgreSQL reserves the name. */
    private static final String NONE = "none";

    /** A layer's value; {@link #UNKNOWN} holds null. */
    private record Name(String name) {
    }

    private static final Name UNKNOWN = new Name(null);

    private final Name login;
    private final Name roleReset;
    private final SettingLayers<Name> role;
    private final SettingLayers<Name> sessionUser;
    /** What made the value unknown last. */
    private String unknownBecause;

    /**
     * @param login       the user the session logged in as; null when not known ({@code $user} is not known then)
     * @param startupRole the {@code role} its StartupMessage sets, as written there, or null when it sets none
     */
    CurrentUserState(String login, String startupRole) {
        this.login = new Name(login);
        this.roleReset = new Name(startupRole == null ? NONE : startupRole);
        this.role = new SettingLayers<>(roleReset);
        this.sessionUser = new SettingLayers<>(this.login);
        unknownBecause = login == null ? "the session's login user is not known" : null;
    }

    /** The current user of the statement completing now; null when the capture cannot know it. */
    String current() {
        String r = role.current().name();
        if (r == null || !r.equals(NONE)) {
            return r;
        }
        return sessionUser.current().name();
    }

    /** The user the session logged in as (what {@code $user} means until a SET ROLE); null when not known. */
    String login() {
        return login.name();
    }

    /** Why {@link #current} is not known, for a person reading the ledger. */
    String unknownReason() {
        return "the session's current user, which $user in its search_path means and so decides which table an"
                + " unqualified name is, is not known to the proxy (" + unknownBecause + "), and it does not replay"
                + " a write into a guessed table: " + SessionNames.EACH_TABLE_OF_THE_NAME + "; the session's writes"
                + " are mirrored again once it sets the role with SET ROLE or RESET ROLE";
    }

    /** Statement {@code s} of {@code sql} completed on the source. */
    void completed(ClassifiedStatement s, String sql) {
        if (s.kind() == Kind.SET) {
            if (ROLE.equals(s.name())) {
                setRole(s.setting());
            } else if (SESSION_AUTHORIZATION.equals(s.name())) {
                setSessionAuthorization(s.setting());
            }
        } else if (s.kind() == Kind.DEALLOCATE
                && s.tableChange() instanceof ClassifiedStatement.TableChange.DiscardTemporary) {
            sessionUser.set(login, false); // DISCARD ALL: SET SESSION AUTHORIZATION DEFAULT, among others
            role.set(roleReset, false);
        } else if (SettingCalls.setConfig(s, sql, NAMES)) {
            // the role alone, unless it may set the session authorization too (which sets the role as well)
            boolean sessionUserToo = SettingCalls.setConfig(s.text(sql), Set.of(SESSION_AUTHORIZATION));
            unknown("a set_config call may have changed it", sessionUserToo,
                    SettingCalls.onlyLocal(s.text(sql), NAMES));
        } else if (SettingCalls.doBlock(s, sql, DO_WORDS, CurrentUserState::setsUser)) {
            unknown("a DO block that sets the role may have changed it", true);
        }
    }

    private void setRole(SettingChange change) {
        if (change == null) {
            unknown("the role was set in a form the proxy does not read", false);
        } else {
            role.set(change.isDefault() ? roleReset : new Name(change.value()), change.local());
        }
    }

    private void setSessionAuthorization(SettingChange change) {
        if (change == null) {
            unknown("the session authorization was set in a form the proxy does not read", true);
        } else if (change.isDefault()) {
            sessionUser.set(login, change.local());
            role.set(roleReset, change.local());
        } else {
            sessionUser.set(new Name(change.value()), change.local());
            role.set(new Name(NONE), change.local());
        }
    }

    /** The role is not known from here on, and the session user too when {@code sessionUserToo}. */
    private void unknown(String why, boolean sessionUserToo) {
        unknown(why, sessionUserToo, false);
    }

    /** As {@link #unknown(String, boolean)}, until the transaction ends when {@code local}. */
    private void unknown(String why, boolean sessionUserToo, boolean local) {
        unknownBecause = why;
        role.unread(UNKNOWN, local);
        if (sessionUserToo) {
            sessionUser.unread(UNKNOWN, local);
        }
    }

    @Override
    public void savepoint(String name) {
        role.savepoint(name);
        sessionUser.savepoint(name);
    }

    @Override
    public void release(String name) {
        role.release(name);
        sessionUser.release(name);
    }

    @Override
    public void rollbackTo(String name) {
        boolean roleKnown = role.rollbackTo(name);
        boolean userKnown = sessionUser.rollbackTo(name);
        if (!roleKnown || !userKnown) {
            unknown("a ROLLBACK TO SAVEPOINT the proxy could not place may have restored an earlier role", !userKnown);
        }
    }

    @Override
    public void transactionEnded(boolean committed) {
        role.transactionEnded(committed);
        sessionUser.transactionEnded(committed);
    }

    /**
     * Whether a DO block's body sets the role or the session authorization: SET or RESET of one, or set_config, also
     * in the string constants it runs as dynamic SQL ({@code EXECUTE 'SET ROLE ' || r}).
     */
    private static boolean setsUser(String body) {
        return setsUser(body, 2);
    }

    private static boolean setsUser(String text, int depth) {
        if (SettingCalls.setConfig(text, NAMES)) {
            return true;
        }
        TokenBuffer t = TokenBuffer.tokenize(text);
        for (int i = 0; i < t.size(); i++) {
            if (depth > 1 && t.is(i, TokenKind.STRING) && t.stringValue(i) != null
                    && setsUser(t.stringValue(i), depth - 1)) {
                return true;
            }
            if (t.isKeyword(i, "set") || t.isKeyword(i, "reset")) {
                int j = i + 1;
                boolean authorization = t.isKeyword(j + 1, "authorization");
                if (t.isKeyword(j, "local") || t.isKeyword(j, "session") && !authorization) {
                    j++;
                }
                if (t.isKeyword(j, ROLE) || t.isKeyword(j, "session") && t.isKeyword(j + 1, "authorization")) {
                    return true;
                }
            }
        }
        return false;
    }
}
