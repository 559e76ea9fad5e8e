package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The layers one setting is kept in, by PostgreSQL's rules, as {@link SearchPathState}, {@link ReplicationRoleState}
 * and {@link CurrentUserState} share them. Each row starts from the session value {@code s} and runs steps: {@code
 * set v}, {@code local v}, {@code both v} (what a statement the capture cannot read leaves), {@code savepoint n},
 * {@code release n}, {@code rollbackTo n} (noting whether the value is known after it: {@code known} or {@code
 * changed}), {@code commit}, {@code rollback}, {@code ?} which notes the value in force, and {@code ?commit} and
 * {@code ?rollback} which note the value once the transaction ends so, without ending it.
 */
class SettingLayersTest {

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        // in force: local, else pending, else the session's
        "?; set a; ?; local l; ?; commit; ?                                    | s, a, l, a",
        "set a; ?; rollback; ?                                                 | a, s",
        "local l; ?; commit; ?; local l; rollback; ?                           | l, s, s",
        // a SET replaces a SET LOCAL of the same transaction, a SET LOCAL does not replace the SET
        "local l; set a; ?; commit; ?                                          | a, a",
        "set a; local l; commit; ?                                             | a",
        // savepoints: ROLLBACK TO restores both layers, keeps the savepoint and drops the later ones; RELEASE keeps
        // the values
        "set a; savepoint x; local l; set b; rollbackTo x; ?; set c; rollbackTo x; ?; commit; ? | known, a, known, a, a",
        "savepoint x; set a; savepoint y; set b; rollbackTo x; ?; rollbackTo y; ?   | known, s, changed, s",
        "savepoint x; set a; release x; ?; rollbackTo x; ?; commit; ?          | a, changed, a, a",
        "savepoint x; savepoint x; set a; rollbackTo x; ?; release x; rollbackTo x; ? | known, s, known, s",
        // a savepoint not known here: nothing changes; whether the transaction changed the setting is told
        "rollbackTo x; ?; set a; rollbackTo x; ?; commit; rollbackTo x; ?      | known, s, changed, a, known, a",
        "both u; ?; rollbackTo x; commit; ?                                    | u, changed, u",
        "savepoint x; set a; commit; rollbackTo x; ?                           | known, a",
        // the value once the transaction ends: what a ReadyForQuery that ends it shows, asked before it is ended
        "set a; local l; ?commit; ?rollback; ?                                 | a, s, l",
        "local l; ?commit; ?; ?rollback; commit; ?commit                       | s, l, s, s",
    })
    void theValueInForceFollowsTheTransaction(String script, String expected) {
        SettingLayers<String> setting = new SettingLayers<>("s");
        List<String> seen = new ArrayList<>();
        for (String step : script.split(";")) {
            String[] words = step.trim().split(" ");
            String arg = words.length > 1 ? words[1] : null;
            switch (words[0]) {
                case "?" -> seen.add(setting.current());
                case "?commit" -> seen.add(setting.afterTransaction(true));
                case "?rollback" -> seen.add(setting.afterTransaction(false));
                case "set" -> setting.set(arg, false);
                case "local" -> setting.set(arg, true);
                case "both" -> setting.setBoth(arg);
                case "savepoint" -> setting.savepoint(arg);
                case "release" -> setting.release(arg);
                case "rollbackTo" -> seen.add(setting.rollbackTo(arg) ? "known" : "changed");
                case "commit" -> setting.transactionEnded(true);
                case "rollback" -> setting.transactionEnded(false);
                default -> throw new IllegalArgumentException("unknown step: " + step);
            }
        }
        assertThat(String.join(", ", seen)).isEqualTo(expected.trim());
    }
}
