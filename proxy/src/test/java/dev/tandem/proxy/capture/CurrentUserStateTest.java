package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.ClassifiedStatement;
import dev.tandem.protocol.sql.StatementClassifier;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The current user each write of a session runs as, which {@code $user} in its search_path means, followed through
 * PostgreSQL's rules for the role and session_authorization settings (as PostgreSQL 17 keeps them; UnqualifiedNamesIT
 * checks the common ones against a real server). Each row is a session of login user {@code app}: the role its
 * StartupMessage gives (null: none), then what the source completed, in order, driven through a
 * {@link TransactionTracker} as the capture drives it. {@code w} is a write (its current user is noted, {@code ?} for
 * not known), {@code error} an ErrorResponse, {@code ready} a ReadyForQuery; the rest is SQL.
 */
class CurrentUserStateTest {

    @ParameterizedTest(name = "[{index}] {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', nullValues = "null", value = {
        // start-up: the login user, or the StartupMessage's role
        "null   | w                                                                    | app",
        "tenant | w; SET ROLE NONE; w; RESET ROLE; w                                   | tenant, app, tenant",
        "Tenant | w                                                                    | Tenant",
        // SET ROLE and its forms; names fold as PostgreSQL folds them
        "null   | SET ROLE tenant; w; ready; w                                         | tenant, tenant",
        "null   | SET ROLE \"Tenant\"; w; SET role TO 'b'; w; SET SESSION ROLE c; w     | Tenant, b, c",
        "null   | SET ROLE tenant; SET ROLE none; w; SET ROLE tenant; SET role = DEFAULT; w | app, app",
        "null   | SET ROLE tenant; SET statement_timeout = 0; SET search_path = a; w   | tenant",
        // RESET ALL leaves the role alone; DISCARD ALL returns to the login user and the start-up role
        "null   | SET ROLE tenant; ready; RESET ALL; w                                 | tenant",
        "null   | SET ROLE tenant; ready; DISCARD ALL; w                               | app",
        "start  | SET ROLE NONE; ready; DISCARD ALL; w                                 | start",
        // SET SESSION AUTHORIZATION: the session user, and the role ends; RESET returns to both start-up values
        "null   | SET SESSION AUTHORIZATION admin; w; SET ROLE tenant; w; SET ROLE NONE; w | admin, tenant, admin",
        "null   | SET ROLE tenant; SET SESSION AUTHORIZATION admin; w                  | admin",
        "null   | SET SESSION AUTHORIZATION admin; SET ROLE tenant; RESET SESSION AUTHORIZATION; w | app",
        "start  | SET SESSION AUTHORIZATION admin; w; SET SESSION AUTHORIZATION DEFAULT; w | admin, start",
        // transactions: ROLLBACK and errors undo, SET LOCAL ends with its transaction, savepoints restore
        "null   | BEGIN; SET ROLE tenant; w; ROLLBACK; w                               | tenant, app",
        "null   | BEGIN; SET ROLE tenant; w; error; ROLLBACK; w                        | tenant, app",
        "null   | SET ROLE tenant; w; error; ready; w                                  | tenant, app",
        "null   | BEGIN; SET LOCAL ROLE tenant; w; COMMIT; w                           | tenant, app",
        "null   | SET ROLE a; ready; BEGIN; SET SESSION AUTHORIZATION b; w; ROLLBACK; w | b, a",
        "null   | SET ROLE a; ready; BEGIN; SET LOCAL SESSION AUTHORIZATION b; w; COMMIT; w | b, a",
        "null   | SET ROLE a; BEGIN; SET ROLE b; w; ROLLBACK; w                        | b, app",
        "null   | BEGIN; SET ROLE b; SAVEPOINT s; SET ROLE NONE; w; ROLLBACK TO s; w; COMMIT; w | app, b, b",
        "null   | BEGIN; SAVEPOINT s; SET SESSION AUTHORIZATION b; RELEASE s; COMMIT; w | b",
        // what the capture cannot follow: not known until a SET or RESET says
        "null   | SELECT set_config('role', 'tenant', false); w; RESET ROLE; w          | ?, app",
        "null   | SELECT set_config('session_authorization', 'b', false); w; RESET ROLE; w;"
                + " RESET SESSION AUTHORIZATION; w                                     | ?, ?, app",
        "null   | BEGIN; SELECT set_config('role', 'tenant', true); w; ROLLBACK; w      | ?, app",
        "null   | SELECT set_config($1, $2, false); w                                  | ?",
        "null   | SET ROLE a; ready; BEGIN; SELECT set_config('role', 'tenant', true); w; COMMIT; w | ?, a",
        "null   | SELECT set_config('session_authorization', 'b', true); w; ready; w   | ?, app",
        "null   | SELECT set_config('role', 'b', true), set_config('role', 'c', false); w; ready; w | ?, ?",
        "null   | SELECT set_config('search_path', 'a', false), current_user; w        | app",
        "null   | DO $$BEGIN SET ROLE tenant; END$$; w                                 | ?",
        "null   | DO $$BEGIN EXECUTE format('SET LOCAL ROLE %I', 'x'); END$$; w        | ?",
        "null   | DO $$BEGIN CREATE ROLE x; GRANT x TO app; END$$; w                   | app",
        "null   | SET ROLE FROM CURRENT; w                                             | ?",
        "null   | BEGIN; SET ROLE tenant; ROLLBACK TO SAVEPOINT elsewhere; w; COMMIT; w | ?, ?",
        "null   | BEGIN; ROLLBACK TO SAVEPOINT elsewhere; w; COMMIT; w                 | app, app",
    })
    void eachWriteRunsAsTheUserInForce(String startupRole, String script, String expected) {
        assertThat(String.join(", ", run(startupRole, script))).isEqualTo(expected.replaceAll("\\s+", " ").trim());
    }

    /** The current users the writes of {@code script} ran as. */
    private static List<String> run(String startupRole, String script) {
        CurrentUserState state = new CurrentUserState("app", startupRole);
        TransactionTracker tracker = ScopedTracker.of(state);
        List<String> seen = new ArrayList<>();
        for (ClassifiedStatement s : StatementClassifier.classify(script)) {
            switch (s.text(script).toLowerCase()) {
                case "w" -> seen.add(state.current() == null ? "?" : state.current());
                case "error" -> tracker.error();
                case "ready" -> tracker.ready(switch (tracker.state()) {
                    case EXPLICIT -> 'T';
                    case FAILED -> 'E';
                    default -> 'I';
                });
                default -> {
                    state.completed(s, script);
                    boolean failed = tracker.state() == TransactionTracker.State.FAILED;
                    tracker.completed(s, failed ? "ROLLBACK" : "COMMIT", null);
                }
            }
        }
        return seen;
    }

    @Test
    void whyTheUserIsNotKnownIsToldAPerson() {
        CurrentUserState state = new CurrentUserState("app", null);
        String sql = "SELECT set_config('role', 'tenant', false)";
        state.completed(StatementClassifier.classify(sql).get(0), sql);
        assertThat(state.current()).isNull();
        assertThat(state.unknownReason()).contains("current user", "$user", "a set_config call may have changed it",
                "SET ROLE");
    }

    @Test
    void withoutALoginUserTheUserIsNotKnown() {
        CurrentUserState state = new CurrentUserState(null, null);
        assertThat(state.current()).isNull();
        assertThat(state.unknownReason()).contains("login user is not known");
        String sql = "SET ROLE tenant";
        state.completed(StatementClassifier.classify(sql).get(0), sql);
        assertThat(state.current()).isEqualTo("tenant");
    }
}
