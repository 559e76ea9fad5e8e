package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.StatementClassifier;
import dev.tandem.proxy.config.TableFilter;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What a session's unqualified names resolve by, kept with a name resolved ahead of its execution. */
class SessionNamesTest {

    private final SessionNames names = new SessionNames(new MirroredTables(TableFilter.allHypertables(), Set::of,
            () -> null, () -> 0), "app", null);

    SessionNamesTest() {
        names.established(List.of("public"));
    }

    private void completed(String sql) {
        names.completed(StatementClassifier.classify(sql).get(0), sql);
    }

    @Test
    void theScopeIsOneInstanceWhileNothingChanges() {
        NameScope scope = names.scope();
        assertThat(scope).isEqualTo(new NameScope(names.searchPath(), Set.of(), "app"));
        completed("INSERT INTO readings VALUES (1)");
        assertThat(names.scope()).isSameAs(scope);
        assertThat(names.unchangedSince(scope)).isTrue();
    }

    @Test
    void aNewSearchPathTemporaryTableOrUserChangesIt() {
        NameScope before = names.scope();
        completed("SET search_path = other, public");
        assertThat(names.unchangedSince(before)).as("another path").isFalse();
        completed("SET search_path = public");
        assertThat(names.unchangedSince(before)).as("the same path set again").isTrue();
        completed("CREATE TEMPORARY TABLE readings (v int)");
        assertThat(names.unchangedSince(before)).as("a temporary table").isFalse();
        completed("DROP TABLE readings");
        assertThat(names.unchangedSince(before)).as("dropped again").isTrue();
        completed("SET ROLE reporter");
        assertThat(names.unchangedSince(before)).as("another user").isFalse();
        assertThat(names.scope().currentUser()).isEqualTo("reporter");
    }

    @Test
    void aScopeNotKeptIsNeverTheSame() {
        assertThat(names.unchangedSince(null)).isFalse();
    }
}
