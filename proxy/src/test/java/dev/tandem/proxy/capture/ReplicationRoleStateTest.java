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
 * The session_replication_role each write of a session runs under, followed through PostgreSQL's rules for settings.
 * Each row is a session: the value its StartupMessage gives (null: none), then what the source completed, in order,
 * driven through a {@link TransactionTracker} as the capture drives it. {@code w} is a write (its value is noted,
 * {@code ?} for not known), {@code error} an ErrorResponse, {@code ready} a ReadyForQuery; the rest is SQL.
 */
class ReplicationRoleStateTest {

    @ParameterizedTest(name = "[{index}] {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', nullValues = "null", value = {
        // start-up: the StartupMessage's value, else origin
        "null    | w                                                                   | origin",
        "replica | w                                                                   | replica",
        "Local   | w                                                                   | local",
        "bogus   | w; SET session_replication_role = origin; w                         | ?, origin",
        // SET and its forms; the value as PostgreSQL reads an enum, without regard to case
        "null    | SET session_replication_role = replica; w; ready; w                 | replica, replica",
        "null    | SET SESSION session_replication_role TO 'REPLICA'; w                | replica",
        "null    | set Session_Replication_Role to local; w                            | local",
        "null    | SET session_replication_role = replica; SET statement_timeout = 0; w | replica",
        // RESET, TO DEFAULT, RESET ALL and DISCARD ALL return to the start-up value, not to origin
        "replica | SET session_replication_role = origin; w; RESET session_replication_role; w | origin, replica",
        "local   | SET session_replication_role TO replica; SET session_replication_role TO DEFAULT; w | local",
        "replica | SET session_replication_role = origin; ready; RESET ALL; w         | replica",
        "null    | SET session_replication_role = replica; ready; DISCARD ALL; w       | origin",
        // a SET is undone by ROLLBACK, by an error in its (explicit or implicit) transaction, by a failed COMMIT
        "null    | BEGIN; SET session_replication_role = replica; w; ROLLBACK; w       | replica, origin",
        "null    | BEGIN; SET session_replication_role = replica; w; COMMIT; w         | replica, replica",
        "null    | BEGIN; SET session_replication_role = replica; w; error; ROLLBACK; w | replica, origin",
        "null    | BEGIN; SET session_replication_role = replica; error; COMMIT; w     | origin",
        "null    | SET session_replication_role = replica; w; error; ready; w          | replica, origin",
        "null    | BEGIN; SET session_replication_role = replica; COMMIT AND CHAIN; ROLLBACK; w | replica",
        "null    | BEGIN; SET session_replication_role = replica; PREPARE TRANSACTION 'p'; w | replica",
        // SET LOCAL lasts until its transaction ends, also an implicit one; a SET replaces it
        "null    | BEGIN; SET LOCAL session_replication_role = replica; w; COMMIT; w   | replica, origin",
        "null    | SET LOCAL session_replication_role = replica; w; ready; w           | replica, origin",
        "null    | BEGIN; SET session_replication_role = local; SET LOCAL session_replication_role = replica; w;"
                + " COMMIT; w                                                         | replica, local",
        "null    | BEGIN; SET LOCAL session_replication_role = replica; SET session_replication_role = local; w;"
                + " COMMIT; w                                                         | local, local",
        // savepoints: ROLLBACK TO restores what was in force when it was taken, RELEASE keeps what is
        "null    | BEGIN; SAVEPOINT a; SET session_replication_role = replica; w; ROLLBACK TO SAVEPOINT a; w;"
                + " COMMIT; w                                                         | replica, origin, origin",
        "null    | BEGIN; SET session_replication_role = replica; SAVEPOINT a; SET LOCAL session_replication_role"
                + " = local; w; ROLLBACK TO a; w; COMMIT; w                           | local, replica, replica",
        "null    | BEGIN; SAVEPOINT a; SET session_replication_role = replica; RELEASE a; COMMIT; w | replica",
        "null    | BEGIN; SAVEPOINT a; SET session_replication_role = replica; error; ROLLBACK TO a; w; COMMIT; w"
                + "                                                                   | origin, origin",
        // a savepoint it cannot place: harmless unless the transaction changed the setting
        "null    | BEGIN; ROLLBACK TO SAVEPOINT elsewhere; w; COMMIT; w                | origin, origin",
        "null    | BEGIN; SET session_replication_role = replica; ROLLBACK TO SAVEPOINT elsewhere; w; COMMIT; w;"
                + " SET session_replication_role = replica; w                        | ?, ?, replica",
        // set_config and DO blocks: not known until a SET or RESET, unless their transaction rolls back
        "null    | SELECT set_config('session_replication_role', 'replica', false); w; ready; w;"
                + " RESET session_replication_role; w                                 | ?, ?, origin",
        "null    | BEGIN; SELECT set_config('session_replication_role', 'replica', false); w; ROLLBACK; w | ?, origin",
        "null    | SELECT pg_catalog.set_config($1, $2, false); w                      | ?",
        // is_local written as true: until the transaction ends, as SET LOCAL
        "null    | SET session_replication_role = replica; ready; BEGIN;"
                + " SELECT set_config('session_replication_role', 'origin', true); w; COMMIT; w | ?, replica",
        "null    | SELECT set_config('session_replication_role', 'replica', $1); w; ready; w | ?, ?",
        "null    | SELECT set_config('app.tenant', '42', false), set_config('search_path', 'a', true); w | origin",
        "null    | DO $$BEGIN SET session_replication_role = replica; END$$; w          | ?",
        "null    | DO $$BEGIN PERFORM set_config(current_setting('app.name'), 'x', false); END$$; w | ?",
        "null    | DO $$BEGIN PERFORM set_config('app.tenant', '1', false); END$$; w     | origin",
        "null    | SHOW session_replication_role; SELECT current_setting('session_replication_role'); w | origin",
        "null    | SET session_replication_role FROM CURRENT; w                         | ?",
        // SET LOCAL over an unknown session value knows the transaction's value only
        "null    | SELECT set_config('session_replication_role', 'replica', false); ready; BEGIN;"
                + " SET LOCAL session_replication_role = origin; w; COMMIT; w          | origin, ?",
    })
    void eachWriteRunsUnderTheValueInForce(String startup, String script, String expected) {
        assertThat(String.join(", ", run(startup, script))).isEqualTo(expected.replaceAll("\\s+", " ").trim());
    }

    /** The values the writes of {@code script} ran under. */
    private static List<String> run(String startup, String script) {
        ReplicationRoleState state = new ReplicationRoleState(startup);
        TransactionTracker tracker = ScopedTracker.of(state);
        List<String> seen = new ArrayList<>();
        for (ClassifiedStatement s : StatementClassifier.classify(script)) {
            switch (s.text(script).toLowerCase()) {
                case "w" -> {
                    ReplicationRole role = state.current();
                    seen.add(role == null ? "?" : role.setting());
                }
                case "error" -> tracker.error();
                case "ready" -> tracker.ready(switch (tracker.state()) {
                    case EXPLICIT -> 'T';
                    case FAILED -> 'E';
                    default -> 'I';
                });
                default -> {
                    state.completed(s, script);
                    // the tag of a COMMIT says whether it committed
                    boolean failed = tracker.state() == TransactionTracker.State.FAILED;
                    tracker.completed(s, failed ? "ROLLBACK" : "COMMIT", null);
                }
            }
        }
        return seen;
    }

    @Test
    void whyTheValueIsNotKnownIsToldAPerson() {
        ReplicationRoleState state = new ReplicationRoleState(null);
        String sql = "SELECT set_config('session_replication_role', 'replica', false)";
        state.completed(StatementClassifier.classify(sql).get(0), sql);
        assertThat(state.current()).isNull();
        assertThat(state.unknownReason()).contains("a set_config call may have changed it")
                .contains("triggers, rules and foreign-key checks").contains("SET or RESET");
    }

    @Test
    void theStatementsOfASessionShareTheirSettings() {
        ReplicationRoleState state = new ReplicationRoleState("replica");
        InputSettings reported = new InputSettings("UTC", "ISO, MDY", "postgres", "on");
        InputSettings first = state.stamped(reported);
        assertThat(first.replicationRole()).isEqualTo(ReplicationRole.REPLICA);
        assertThat(first.timeZone()).isEqualTo("UTC");
        assertThat(state.stamped(reported)).isSameAs(first);
        String sql = "SET session_replication_role = origin";
        state.completed(StatementClassifier.classify(sql).get(0), sql);
        assertThat(state.stamped(reported)).as("origin: the reported settings themselves").isSameAs(reported);
    }
}
