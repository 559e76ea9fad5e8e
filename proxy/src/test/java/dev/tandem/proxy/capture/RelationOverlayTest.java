package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.TableName;
import org.junit.jupiter.api.Test;

class RelationOverlayTest {

    private static final TableName TENANT = new TableName("tenant", "metrics");
    private static final TableName PUBLIC = new TableName("public", "metrics");

    @Test
    void saysOnlyWhatTheDdlTouched() {
        RelationOverlay overlay = RelationOverlay.NONE.created(TENANT).dropped(PUBLIC);
        assertThat(overlay.isEmpty()).isFalse();
        assertThat(overlay.table(TENANT)).isTrue();
        assertThat(overlay.table(PUBLIC)).isFalse();
        assertThat(overlay.table(new TableName("tenant", "other"))).as("the catalog says").isNull();
        assertThat(overlay.schema("tenant")).isNull();
        assertThat(overlay.uncertainty("metrics")).isNull();
        assertThat(RelationOverlay.NONE.isEmpty()).isTrue();
    }

    @Test
    void aChangeThatChangesNothingKeepsTheInstance() {
        RelationOverlay overlay = RelationOverlay.NONE.created(TENANT);
        assertThat(overlay.created(TENANT)).isSameAs(overlay);
        assertThat(overlay.dropped(TENANT)).isNotSameAs(overlay);
        RelationOverlay uncertain = overlay.uncertain("metrics", "why");
        assertThat(uncertain.uncertain("metrics", "why")).isSameAs(uncertain);
    }

    @Test
    void aDroppedSchemaTakesItsTablesAlongUntilOneIsCreatedInItAgain() {
        RelationOverlay overlay = RelationOverlay.NONE.created(TENANT).schemaDropped("tenant");
        assertThat(overlay.schema("tenant")).isFalse();
        assertThat(overlay.table(TENANT)).isFalse();
        assertThat(overlay.table(new TableName("tenant", "in_the_catalog"))).isFalse();
        overlay = overlay.schemaCreated("tenant").created(TENANT);
        assertThat(overlay.schema("tenant")).isTrue();
        assertThat(overlay.table(TENANT)).isTrue();
        assertThat(overlay.table(new TableName("tenant", "in_the_catalog"))).as("the old schema's").isFalse();
    }

    @Test
    void aNameOrEveryNameMayBeUncertain() {
        RelationOverlay overlay = RelationOverlay.NONE.uncertain("metrics", "an unqualified CREATE");
        assertThat(overlay.uncertainty("metrics")).isEqualTo("an unqualified CREATE");
        assertThat(overlay.uncertainty("other")).isNull();
        overlay = overlay.uncertain("DROP OWNED");
        assertThat(overlay.uncertainty("metrics")).isEqualTo("an unqualified CREATE");
        assertThat(overlay.uncertainty("other")).isEqualTo("DROP OWNED");
    }

    @Test
    void laterChangesWinOverEarlierOnes() {
        RelationOverlay earlier = RelationOverlay.NONE.created(TENANT).created(new TableName("gone", "t"))
                .schemaCreated("gone").uncertain("x", "earlier");
        RelationOverlay later = RelationOverlay.NONE.dropped(TENANT).schemaDropped("gone");
        RelationOverlay both = later.over(earlier);
        assertThat(both.table(TENANT)).isFalse();
        assertThat(both.table(new TableName("gone", "t"))).isFalse();
        assertThat(both.schema("gone")).isFalse();
        assertThat(both.uncertainty("x")).isEqualTo("earlier");
        assertThat(earlier.over(later).table(TENANT)).isTrue();
        assertThat(later.over(RelationOverlay.NONE)).isSameAs(later);
        assertThat(RelationOverlay.NONE.over(earlier)).isSameAs(earlier);
    }
}
