package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.ClassifiedStatement;
import dev.tandem.protocol.sql.StatementClassifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The search_path each write of a session runs under, followed through PostgreSQL's rules for settings (as
 * PostgreSQL 17 keeps them; UnqualifiedNamesIT and SessionCaptureIT check the common ones against a real server).
 * Each row is a session: the path it starts with (null: the server's default), then what the source completed, in
 * order, driven through a {@link TransactionTracker} as the capture drives it. {@code w} is a write (its path is noted,
 * {@code -} for the default, {@code ?} for not known), {@code error} an ErrorResponse, {@code ready} a ReadyForQuery
 * (noted {@code !a} when it contradicts the path {@code a} the capture had followed), {@code reported a b} the server's
 * ParameterStatus of {@code a, b} (PostgreSQL 18 and later; {@code ?}: a value the capture does not read); the rest is
 * SQL.
 */
class SearchPathStateTest {

    @ParameterizedTest(name = "[{index}] {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', nullValues = "null", value = {
        // SET, commit and rollback; RESET returns to the start-up value, not to the server's default
        "null   | SET search_path = a; w; ready; BEGIN; SET search_path = b; w; ROLLBACK; w   | a, b, a",
        "null   | SET search_path = a; ready; RESET search_path; w; ready; w                  | -, -",
        "s2     | SET search_path = a; ready; RESET search_path; w; SET search_path = DEFAULT; w | s2, s2",
        "s2     | SET search_path = a; ready; RESET ALL; w; SET search_path = b; ready; DISCARD ALL; w | s2, s2",
        "s2     | SET SCHEMA 'b'; w                                                           | b",
        "null   | SET search_path = a; SET search_path = b; w; error; ready; w                | b, -",
        // SET LOCAL ends with its transaction, a plain SET replaces it
        "null   | SET search_path = a; ready; BEGIN; SET LOCAL search_path = l; w; COMMIT; w  | l, a",
        "null   | BEGIN; SET LOCAL search_path = l; SET search_path = b; w; COMMIT; w         | b, b",
        "s2     | BEGIN; SET search_path = b; RESET search_path; SET LOCAL search_path = l; COMMIT; w | s2",
        // savepoints restore what was in force when they were set; a released one cannot be rolled back to
        "null   | BEGIN; SET search_path = a; SAVEPOINT s1; SET search_path = b; SAVEPOINT s2;"
                + " SET LOCAL search_path = c; ROLLBACK TO s2; w; SET search_path = d; ROLLBACK TO s1; w; COMMIT; w"
                + "                                                                           | b, a, a",
        "null   | BEGIN; SAVEPOINT s; SET search_path = b; RELEASE s; COMMIT; w                | b",
        // what the capture cannot follow: not known until a SET, RESET or DISCARD ALL says
        "null   | SELECT set_config('search_path', 'a', false); w; ready; w; SET search_path = b; w | ?, ?, b",
        "null   | SELECT pg_catalog.set_config($1, $2, false); w; RESET search_path; w        | ?, -",
        "s2     | SELECT set_config('search_path', 'a', false); ready; DISCARD ALL; w         | s2",
        "null   | BEGIN; SELECT set_config('search_path', 'a', false); w; ROLLBACK; w         | ?, -",
        "null   | BEGIN; SELECT set_config('search_path', 'a', false); w; COMMIT; w           | ?, ?",
        "null   | BEGIN; SELECT set_config('search_path', 'a', false); SET LOCAL search_path = l; w; COMMIT; w"
                + "                                                                           | l, ?",
        "null   | BEGIN; SELECT set_config('search_path', 'a', false); SET search_path = b; COMMIT; w | b",
        // a local set_config ends with its transaction, as SET LOCAL does, the implicit one too
        "null   | SET search_path = a; ready; BEGIN; SELECT set_config('search_path', 'b', true); w; COMMIT; w"
                + "                                                                           | ?, a",
        "null   | SELECT set_config('search_path', 'b', 'on'), 1; w; ready; w                | ?, -",
        "null   | BEGIN; SELECT set_config('search_path', 'b', true), set_config('search_path', 'c', false);"
                + " COMMIT; w                                                                 | ?",
        "null   | BEGIN; SELECT set_config('search_path', 'b', $1); COMMIT; w                 | ?",
        "null   | BEGIN; SELECT set_config('search_path', 'b', f(true)); COMMIT; w            | ?",
        // other settings and other statements leave it
        "null   | SELECT set_config('role', 'a', false), current_setting('search_path'); w    | -",
        "null   | SELECT set_config('app.tenant', 'a', false); w                              | -",
        "null   | SELECT 'set_config(''search_path'', ''a'', false)'; w                       | -",
        "null   | DO $$BEGIN SET search_path = a; END$$; w; SET search_path = b; w            | ?, b",
        "null   | DO $$BEGIN EXECUTE format('SET SCHEMA %L', 'a'); END$$; w                   | ?",
        "null   | DO $$BEGIN PERFORM set_config(current_setting('app.name'), 'x', false); END$$; w | ?",
        "null   | DO $$BEGIN CREATE SCHEMA a; SET statement_timeout = 0; END$$; w             | -",
        "null   | SET search_path FROM CURRENT; w                                             | ?",
        // a ROLLBACK TO a savepoint the capture cannot place
        "null   | BEGIN; SET search_path = b; ROLLBACK TO SAVEPOINT elsewhere; w; COMMIT; w   | ?, ?",
        "null   | BEGIN; ROLLBACK TO SAVEPOINT elsewhere; w; COMMIT; w                        | -, -",
        // a server that reports the path: at a ReadyForQuery, a path not known is the one it reported last
        "null   | reported a; SELECT set_config('search_path', 'b', false); w; reported b; ready; w | ?, b",
        "null   | reported a; SELECT set_config('search_path', 'a', false); w; ready; w         | ?, a",
        "null   | reported a; BEGIN; SELECT set_config('search_path', 'b', false); reported b; ready; w;"
                + " COMMIT; w; ready; w                                                       | b, ?, b",
        "null   | reported a; BEGIN; SELECT set_config('search_path', 'b', true); reported b; ready; w;"
                + " COMMIT; w                                                                 | b, -",
        "null   | reported a; BEGIN; SELECT set_config('search_path', 'b', false); reported b; ready; w;"
                + " ROLLBACK; w                                                               | b, -",
        "null   | reported a; SELECT set_config('search_path', 'b', false); reported ?; ready; w | ?",
        // one the capture followed and the server contradicts was changed unseen (a function): the report replaces it
        "a      | reported a; SELECT f(); w; reported b; ready; w                           | a, !a, b",
        "a      | reported a; SET search_path = b; SELECT f(); w; ready; w                  | b, !b, a",
        "a      | reported a; SET search_path = b; reported b; ready; w                     | b",
        "a      | reported a; BEGIN; SELECT f(); w; reported b; ready; w; COMMIT; w; ready; w | a, !a, b, ?, b",
        "a      | reported a; BEGIN; SELECT f(); reported b; ready; w; ROLLBACK; w; reported a; ready; w"
                + "                                                                           | !a, b, a, a",
        "a      | reported a; BEGIN; SAVEPOINT s; SELECT f(); reported b; ready; w; ROLLBACK TO s; w;"
                + " reported a; ready; w; COMMIT; ready; w                                    | !a, b, a, a, a",
        // what a ReadyForQuery outside a transaction shows is the path once the implicit transaction ended
        "a      | reported a; SET LOCAL search_path = l; w; ready; w                         | l, a",
        "a      | reported a; SET search_path = b; w; error; ready; w                        | b, a",
        // a failed transaction's settings are undone on the server at the error, here at its end: nothing is checked
        "a      | reported a; BEGIN; SET search_path = b; reported b; ready; error; reported a; ready; ROLLBACK;"
                + " ready; w                                                                  | a",
    })
    void eachWriteRunsUnderThePathInForce(String startup, String script, String expected) {
        assertThat(String.join(", ", run(startup, script))).isEqualTo(expected.replaceAll("\\s+", " ").trim());
    }

    /** The paths the writes of {@code script} ran under. */
    private static List<String> run(String startup, String script) {
        SearchPathState state = new SearchPathState();
        if (startup != null) {
            state.established(List.of(startup));
        }
        TransactionTracker tracker = ScopedTracker.of(state);
        List<String> seen = new ArrayList<>();
        for (ClassifiedStatement s : StatementClassifier.classify(script)) {
            String text = s.text(script);
            if (text.startsWith("reported ")) {
                String value = text.substring("reported ".length());
                state.reported(value.equals("?") ? null : Arrays.asList(value.split(" ")));
                continue;
            }
            switch (text.toLowerCase()) {
                case "w" -> seen.add(!state.current().known() ? "?" : state.current().schemas().isEmpty() ? "-"
                        : String.join(" ", state.current().schemas()));
                case "error" -> tracker.error();
                case "ready" -> {
                    char status = switch (tracker.state()) {
                        case EXPLICIT -> 'T';
                        case FAILED -> 'E';
                        default -> 'I';
                    };
                    TransactionTracker.State before = tracker.state();
                    SearchPathState.Path believed = state.ready(status, before != TransactionTracker.State.FAILED
                            && before != TransactionTracker.State.IMPLICIT_FAILED);
                    if (believed != null) {
                        seen.add("!" + (believed.schemas().isEmpty() ? "-" : String.join(" ", believed.schemas())));
                    }
                    tracker.ready(status);
                }
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
    void aContradictedPathIsToldAPerson() {
        String reason = SearchPathState.contradictedReason(new SearchPathState.Path(List.of(), null),
                List.of("tenant_a", "public"));
        assertThat(reason).contains("reported tenant_a, public where the proxy had followed the server's default",
                "inside a function", "schema-qualify");
    }

    @Test
    void whyThePathIsNotKnownIsToldAPerson() {
        SearchPathState state = new SearchPathState();
        state.established(List.of("tenant", "public"));
        String sql = "SELECT set_config('search_path', 'tenant_a, public', false)";
        state.completed(StatementClassifier.classify(sql).get(0), sql);
        assertThat(state.current().known()).isFalse();
        assertThat(state.current().schemas()).as("the last path known").containsExactly("tenant", "public");
        assertThat(state.unknownReason()).contains("search_path", "not known", "a set_config call changed it",
                "schema-qualify", "SET search_path");
    }
}
