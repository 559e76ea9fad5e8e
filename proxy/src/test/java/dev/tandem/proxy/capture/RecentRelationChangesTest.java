package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.TableName;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class RecentRelationChangesTest {

    private static final TableName TENANT = new TableName("tenant", "metrics");
    private static final TableName OTHER = new TableName("tenant", "other");

    @Test
    void aCommitIsLaidOverUntilALookUpStartedAfterItSucceeded() {
        RecentRelationChanges recent = new RecentRelationChanges();
        Supplier<RelationOverlay> app = recent.forDatabase("app");
        long before = recent.mark();
        recent.committed("app", RelationOverlay.NONE.created(TENANT));
        assertThat(app.get().table(TENANT)).isTrue();
        assertThat(recent.lookedUp("app", before)).as("started before the commit: may not have it").isFalse();
        assertThat(app.get().table(TENANT)).isTrue();
        long after = recent.mark();
        recent.committed("app", RelationOverlay.NONE.created(OTHER));
        assertThat(recent.lookedUp("app", after)).isTrue();
        assertThat(app.get().table(TENANT)).as("in the look-up's answer now").isNull();
        assertThat(app.get().table(OTHER)).as("committed after the look-up started").isTrue();
        assertThat(recent.lookedUp("app", recent.mark())).isTrue();
        assertThat(app.get().isEmpty()).isTrue();
    }

    @Test
    void laterCommitsWinAndDatabasesStayApart() {
        RecentRelationChanges recent = new RecentRelationChanges();
        recent.committed("app", RelationOverlay.NONE.created(TENANT));
        recent.committed("app", RelationOverlay.NONE.dropped(TENANT));
        assertThat(recent.forDatabase("app").get().table(TENANT)).isFalse();
        assertThat(recent.forDatabase("other").get().isEmpty()).isTrue();
        assertThat(recent.lookedUp("never", recent.mark())).isFalse();
    }
}
