package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.ClassifiedStatement.TxCommand;
import dev.tandem.protocol.sql.TableName;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * What a session's source may still commit, walked through as PostgreSQL runs requests: the forecast must never say
 * "nothing may commit" when the source could commit a mirrored write (that write would be lost unrecorded if the proxy
 * died before the answer); saying "may commit" of one that cannot only costs a ledger entry.
 */
class CommitForecastTest {

    private static final TableName EV = new TableName("public", "ev");
    private static final TableName OTHER = new TableName("public", "other");

    private static CommitForecast idle() {
        return new CommitForecast(false, List.of(), false, false, false);
    }

    @Test
    void anImplicitTransactionCommitsWhenItsRequestEnds() {
        CommitForecast f = idle();
        f.write(EV, "INSERT INTO ev VALUES (1)");
        assertThat(f.mayCommit()).isFalse(); // not before the request that ends it
        f.requestEnds("the Sync", true);
        f.write(OTHER, "INSERT INTO other VALUES (2)");
        f.requestEnds("the next Sync", true);
        assertThat(f.tables()).containsExactly(EV, OTHER);
        assertThat(f.awaited()).isEqualTo("the Sync"); // the first answer that tells
    }

    @Test
    void insideBeginOnlyACommitCommitsAndARollbackOrPrepareTransactionDoesNot() {
        CommitForecast committed = new CommitForecast(false, List.of(), true, false, false);
        committed.write(EV, "INSERT INTO ev VALUES (1)");
        committed.requestEnds("the Sync", true);
        assertThat(committed.mayCommit()).isFalse();
        committed.transaction(TxCommand.COMMIT);
        assertThat(committed.tables()).containsExactly(EV);
        assertThat(committed.awaited()).isEqualTo("a COMMIT");

        for (TxCommand end : List.of(TxCommand.ROLLBACK, TxCommand.ROLLBACK_AND_CHAIN, TxCommand.PREPARE_TRANSACTION)) {
            CommitForecast f = idle();
            f.transaction(TxCommand.BEGIN);
            f.write(EV, "INSERT INTO ev VALUES (1)");
            f.transaction(end);
            f.requestEnds("the Sync", true);
            assertThat(f.mayCommit()).as(end.name()).isFalse();
        }
    }

    @Test
    void aFailedTransactionCommitsNothingUnlessARollbackToSavepointRevivesIt() {
        List<CapturedStatement> open = List.of(new CapturedStatement.Simple(EV, 1, "INSERT INTO ev VALUES (1)"));
        CommitForecast failed = new CommitForecast(false, open, true, true, false);
        failed.transaction(TxCommand.COMMIT); // the source answers ROLLBACK
        assertThat(failed.mayCommit()).isFalse();

        CommitForecast revived = new CommitForecast(false, open, true, true, false);
        revived.transaction(TxCommand.ROLLBACK_TO_SAVEPOINT);
        revived.transaction(TxCommand.COMMIT);
        assertThat(revived.tables()).containsExactly(EV);
    }

    @Test
    void commitAndChainKeepsTheNextTransactionExplicit() {
        CommitForecast f = idle();
        f.transaction(TxCommand.BEGIN);
        f.transaction(TxCommand.COMMIT_AND_CHAIN);
        f.write(EV, "INSERT INTO ev VALUES (1)");
        f.requestEnds("the Sync", true);
        assertThat(f.mayCommit()).isFalse();
    }

    @Test
    void whenTheProxysOwnReadingFailedEveryWriteMayCommit() {
        CommitForecast f = new CommitForecast(true, List.of(), true, true, false);
        f.write(EV, "INSERT INTO ev VALUES (1)");
        f.transaction(TxCommand.ROLLBACK);
        assertThat(f.tables()).containsExactly(EV);
        assertThat(f.awaited()).startsWith("requests that write them");
    }

    @Test
    void onceUnsureEveryRequestThatMayEndATransactionMayCommitTheWritesBeforeIt() {
        CommitForecast f = new CommitForecast(false, List.of(), true, false, false);
        f.write(EV, "INSERT INTO ev VALUES (1)");
        f.unsure(); // the source runs one of several statements under one name, one of them a COMMIT
        f.transaction(TxCommand.ROLLBACK); // may be the other one
        assertThat(f.tables()).containsExactly(EV);
        assertThat(f.awaited()).startsWith("a statement that may be a COMMIT");
        f.write(OTHER, "INSERT INTO other VALUES (2)");
        f.transaction(TxCommand.BEGIN); // no longer followed: the Sync below may still end the transaction
        f.requestEnds("the Sync", true);
        assertThat(f.tables()).containsExactly(EV, OTHER);
        UnknownOutcome outcome = f.outcome("db", 7, 0, "the proxy stopped");
        assertThat(outcome.statements()).containsExactly("INSERT INTO ev VALUES (1)", "INSERT INTO other VALUES (2)");
    }

    @Test
    void aBeginBehindAnotherStatementOfItsRequestMayBeSkippedSoLaterRequestsMayCommit() {
        // INSERT INTO ev ...; SELECT 1/0; BEGIN  then, pipelined, INSERT INTO other ...: if the SELECT fails, the
        // source skips the BEGIN and the next Query's INSERT commits as that Query ends
        CommitForecast f = idle();
        f.queryStarts();
        f.write(EV, "INSERT INTO ev VALUES (1)");
        f.statementWalked();
        f.statementWalked(); // SELECT 1/0
        f.transaction(TxCommand.BEGIN);
        f.statementWalked();
        f.requestEnds("the first query", false);
        f.queryStarts();
        f.write(OTHER, "INSERT INTO other VALUES (2)");
        f.statementWalked();
        f.requestEnds("the second query", false);
        assertThat(f.tables()).containsExactly(EV, OTHER);
        // a COMMIT later in the pipeline does not count them twice
        f.transaction(TxCommand.COMMIT);
        assertThat(f.outcome("db", 7, 0, "the proxy stopped").statements())
                .containsExactly("INSERT INTO ev VALUES (1)", "INSERT INTO other VALUES (2)");
    }

    @Test
    void aQueryAmidABatchIsSkippedWithItsRestSoABeginBehindItMayBeToo() {
        // Execute of SELECT 1/0, Query SELECT 1, Execute of BEGIN, Sync, then INSERT: if the SELECT fails, the source
        // skips everything up to the Sync, and the INSERT commits as its query ends
        CommitForecast f = idle();
        f.statementWalked();
        f.queryStarts();
        f.statementWalked();
        f.requestEnds("the query amid the batch", false);
        f.transaction(TxCommand.BEGIN);
        f.statementWalked();
        f.requestEnds("the Sync", true);
        f.queryStarts();
        f.write(EV, "INSERT INTO ev VALUES (1)");
        f.statementWalked();
        f.requestEnds("the query after the batch", false);
        assertThat(f.tables()).containsExactly(EV);
    }

    @Test
    void aRollbackThatMayBeSkippedKeepsTheWritesOfATransactionWithSavepoints() {
        // BEGIN; INSERT; SAVEPOINT a  then  SELECT 1/0; ROLLBACK  then  ROLLBACK TO SAVEPOINT a; COMMIT: if the SELECT
        // fails, the source skips the ROLLBACK, and the COMMIT after the ROLLBACK TO commits the INSERT
        List<CapturedStatement> open = List.of(new CapturedStatement.Simple(EV, 1, "INSERT INTO ev VALUES (1)"));
        CommitForecast f = new CommitForecast(false, open, true, false, true);
        f.queryStarts();
        f.statementWalked(); // SELECT 1/0
        f.transaction(TxCommand.ROLLBACK);
        f.statementWalked();
        f.requestEnds("the first query", false);
        f.queryStarts();
        f.transaction(TxCommand.ROLLBACK_TO_SAVEPOINT);
        f.statementWalked();
        f.transaction(TxCommand.COMMIT);
        f.statementWalked();
        f.requestEnds("the second query", false);
        assertThat(f.tables()).containsExactly(EV);

        // without a savepoint, the transaction such a ROLLBACK leaves failed can only roll back
        CommitForecast none = new CommitForecast(false, open, true, false, false);
        none.queryStarts();
        none.statementWalked();
        none.transaction(TxCommand.ROLLBACK);
        none.statementWalked();
        none.requestEnds("the query", false);
        assertThat(none.mayCommit()).isFalse();
    }

    @Test
    void aBeginFirstInItsRequestIsAssumedToRun() {
        CommitForecast f = idle();
        f.transaction(TxCommand.BEGIN);
        f.statementWalked();
        f.write(EV, "INSERT INTO ev VALUES (1)");
        f.statementWalked();
        f.requestEnds("the Sync", true);
        assertThat(f.mayCommit()).isFalse();
    }

    /**
     * A transaction of many INSERTs is forecast at every request it sends: the open writes are read only for an
     * outcome (copying them at each forecast took the square of their number: 40,000 INSERTs in one transaction took
     * 111 s through the proxy, 8.7 s directly), and come first in it.
     */
    @Test
    void theOpenTransactionsWritesAreReadOnlyForAnOutcome() {
        List<CapturedStatement> writes = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            writes.add(new CapturedStatement.Simple(EV, 1, "INSERT INTO ev VALUES (" + i + ")"));
        }
        AtomicInteger read = new AtomicInteger();
        List<CapturedStatement> open = new AbstractList<>() {
            @Override
            public CapturedStatement get(int index) {
                read.incrementAndGet();
                return writes.get(index);
            }

            @Override
            public int size() {
                return writes.size();
            }
        };
        CommitForecast f = new CommitForecast(false, open, Set.of(EV), true, false, false, null);
        f.write(OTHER, "INSERT INTO other VALUES (0)");
        f.requestEnds("the Sync", true);
        assertThat(f.mayCommit()).isFalse();
        f.transaction(TxCommand.COMMIT);
        assertThat(f.tables()).containsExactly(EV, OTHER);
        assertThat(f.awaited()).isEqualTo("a COMMIT");
        assertThat(read).as("writes read for what a trace asks").hasValue(0);
        assertThat(f.outcome("db", 1, 0, "the session ended").statements()).hasSize(1001)
                .startsWith("INSERT INTO ev VALUES (0)", "INSERT INTO ev VALUES (1)")
                .endsWith("INSERT INTO ev VALUES (999)", "INSERT INTO other VALUES (0)");

        // counted at a request that may end the transaction, then more written: each once, in order
        CommitForecast unsure = new CommitForecast(false, writes.subList(0, 2), Set.of(EV), true, false, false, null);
        unsure.unsure();
        unsure.requestEnds("the first Sync", true);
        unsure.write(OTHER, "INSERT INTO other VALUES (0)");
        unsure.requestEnds("the second Sync", true);
        assertThat(unsure.outcome("db", 1, 0, "the session ended").statements()).containsExactly(
                "INSERT INTO ev VALUES (0)", "INSERT INTO ev VALUES (1)", "INSERT INTO other VALUES (0)");
        assertThat(unsure.awaited()).isEqualTo("the first Sync");

        // rolled back: nothing of them may commit
        CommitForecast rolledBack = new CommitForecast(false, open, Set.of(EV), true, false, false, null);
        rolledBack.transaction(TxCommand.ROLLBACK);
        rolledBack.write(OTHER, "INSERT INTO other VALUES (0)");
        rolledBack.requestEnds("the Sync", true);
        assertThat(rolledBack.tables()).containsExactly(OTHER);
        assertThat(rolledBack.outcome("db", 1, 0, "the session ended").statements())
                .containsExactly("INSERT INTO other VALUES (0)");
    }

    @Test
    void whenTheProxysOwnReadingFailedTheOpenWritesMayCommitFirst() {
        List<CapturedStatement> open = List.of(new CapturedStatement.Simple(EV, 1, "INSERT INTO ev VALUES (1)"));
        CommitForecast f = new CommitForecast(true, open, Set.of(EV), true, true, false, null);
        f.write(OTHER, "INSERT INTO other VALUES (2)");
        assertThat(f.tables()).containsExactly(EV, OTHER);
        assertThat(f.outcome("db", 1, 0, "the session ended").statements())
                .containsExactly("INSERT INTO ev VALUES (1)", "INSERT INTO other VALUES (2)");
    }
}
