package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TemporaryTablesTest {

    @Test
    void aCreatedTableIsKeptByCommitAndUndoneByRollback() {
        TemporaryTables temporary = new TemporaryTables();
        temporary.created("a", false);
        assertThat(temporary.contains("a")).isTrue();
        temporary.transactionEnded(false);
        assertThat(temporary.current()).isEmpty();
        temporary.created("a", false);
        temporary.transactionEnded(true);
        temporary.dropped("a");
        assertThat(temporary.contains("a")).isFalse();
        temporary.transactionEnded(false);
        assertThat(temporary.current()).containsExactly("a");
    }

    @Test
    void onCommitDropLastsUntilTheTransactionEndsEitherWay() {
        TemporaryTables temporary = new TemporaryTables();
        temporary.created("keep", false);
        temporary.created("tx", true);
        assertThat(temporary.current()).containsExactlyInAnyOrder("keep", "tx");
        temporary.transactionEnded(true);
        assertThat(temporary.current()).containsExactly("keep");
        temporary.created("tx", true);
        temporary.renamed("tx", "renamed");
        temporary.transactionEnded(true);
        assertThat(temporary.current()).containsExactly("keep");
    }

    @Test
    void renameAndDiscardChangeOnlyTheSessionsTables() {
        TemporaryTables temporary = new TemporaryTables();
        temporary.created("a", false);
        temporary.renamed("permanent", "b");
        assertThat(temporary.current()).containsExactly("a");
        temporary.renamed("a", "b");
        assertThat(temporary.current()).containsExactly("b");
        temporary.dropped("permanent");
        temporary.transactionEnded(true);
        temporary.discarded();
        assertThat(temporary.current()).isEmpty();
        temporary.transactionEnded(false);
        assertThat(temporary.current()).containsExactly("b");
    }

    @Test
    void rollbackToASavepointRestoresTheTablesOfThatPoint() {
        TemporaryTables temporary = new TemporaryTables();
        temporary.created("a", false);
        temporary.savepoint("s1");
        temporary.dropped("a");
        temporary.created("b", true);
        temporary.savepoint("s2");
        temporary.created("c", false);
        temporary.rollbackTo("s1");
        assertThat(temporary.current()).containsExactly("a");
        temporary.created("d", false);
        temporary.release("s1");
        temporary.rollbackTo("s1"); // released: the server refuses it, nothing changes here
        assertThat(temporary.current()).containsExactlyInAnyOrder("a", "d");
        temporary.transactionEnded(true);
        assertThat(temporary.current()).containsExactlyInAnyOrder("a", "d");
    }

    @Test
    void theCurrentSetIsReplacedNotChanged() {
        TemporaryTables temporary = new TemporaryTables();
        var before = temporary.current();
        temporary.created("a", false);
        assertThat(before).isEmpty();
        var withA = temporary.current();
        temporary.created("a", false);
        assertThat(temporary.current()).isSameAs(withA);
    }
}
