package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.TableName;
import org.junit.jupiter.api.Test;

class RelationChangesTest {

    private static final TableName TENANT = new TableName("tenant", "metrics");

    private static void created(RelationChanges changes, TableName table) {
        changes.changed(changes.current().created(table));
    }

    @Test
    void aTransactionsDdlLastsUntilItEndsEitherWay() {
        RelationChanges changes = new RelationChanges();
        assertThat(changes.current()).isSameAs(RelationOverlay.NONE);
        created(changes, TENANT);
        assertThat(changes.current().table(TENANT)).isTrue();
        changes.transactionEnded(true);
        assertThat(changes.current()).as("handed on at commit, not kept here").isSameAs(RelationOverlay.NONE);
        created(changes, TENANT);
        changes.transactionEnded(false);
        assertThat(changes.current()).isSameAs(RelationOverlay.NONE);
    }

    @Test
    void aRollbackToASavepointBringsBackWhatWasThere() {
        RelationChanges changes = new RelationChanges();
        changes.savepoint("a");
        created(changes, TENANT);
        RelationOverlay afterCreate = changes.current();
        changes.savepoint("b");
        changes.changed(changes.current().dropped(TENANT));
        changes.rollbackTo("b");
        assertThat(changes.current()).isSameAs(afterCreate);
        changes.changed(changes.current().dropped(TENANT));
        changes.rollbackTo("b");
        assertThat(changes.current().table(TENANT)).as("the savepoint stays after ROLLBACK TO").isTrue();
        changes.rollbackTo("a");
        assertThat(changes.current()).isSameAs(RelationOverlay.NONE);
        created(changes, TENANT);
        changes.release("a");
        changes.rollbackTo("a");
        assertThat(changes.current().uncertainty("metrics")).as("released: not placed, DDL undone or not")
                .contains("ROLLBACK TO SAVEPOINT");
    }

    @Test
    void aRollbackToAnUnknownSavepointWithoutDdlChangesNothing() {
        RelationChanges changes = new RelationChanges();
        changes.rollbackTo(null);
        assertThat(changes.current()).isSameAs(RelationOverlay.NONE);
    }
}
