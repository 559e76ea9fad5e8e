package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.ClassifiedStatement;
import dev.tandem.protocol.sql.StatementClassifier;
import dev.tandem.protocol.sql.TableName;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Each scenario replays what the source answers to a client's commands, as the session capture would feed it. */
class TransactionTrackerTest {

    private final List<String> committed = new ArrayList<>();
    private final List<String> discarded = new ArrayList<>();
    private final List<String> undone = new ArrayList<>();
    private TransactionTracker tracker;

    @BeforeEach
    void setUp() {
        tracker = new TransactionTracker(new TransactionTracker.Listener() {
            @Override
            public void committed(List<CapturedStatement> statements) {
                committed.add(names(statements));
            }

            @Override
            public void discarded(List<CapturedStatement> statements, String why) {
                discarded.add(names(statements));
            }

            @Override
            public void undone(List<CapturedStatement> statements, String savepoint) {
                undone.add(savepoint + ":" + names(statements));
            }
        });
    }

    private static String names(List<CapturedStatement> statements) {
        return String.join(",", statements.stream().map(CapturedStatement::sql).toList());
    }

    private static ClassifiedStatement sql(String text) {
        return StatementClassifier.classify(text).get(0);
    }

    /** A statement that completed with its tag; INSERTs are captured under their SQL text. */
    private void ok(String text, String tag) {
        ClassifiedStatement s = sql(text);
        CapturedStatement captured = s.kind() == ClassifiedStatement.Kind.INSERT
                ? new CapturedStatement.Simple(new TableName("public", "m"), 1, text) : null;
        tracker.completed(s, tag, captured);
    }

    private void insert(String name) {
        ok("INSERT INTO m VALUES ('" + name + "')", "INSERT 0 1");
    }

    @Test
    void autocommitStatementsCommitAtReadyForQuery() {
        insert("a");
        assertThat(committed).isEmpty();
        tracker.ready('I');
        insert("b");
        tracker.ready('I');
        assertThat(committed).containsExactly("INSERT INTO m VALUES ('a')", "INSERT INTO m VALUES ('b')");
    }

    @Test
    void anErrorRollsBackTheWholeImplicitTransaction() {
        insert("a");
        tracker.error();
        tracker.ready('I');
        assertThat(committed).isEmpty();
        assertThat(discarded).hasSize(1);
    }

    @Test
    void explicitCommitReleasesAtTheCommitTag() {
        ok("BEGIN", "BEGIN");
        tracker.ready('T');
        insert("a");
        tracker.ready('T');
        insert("b");
        tracker.ready('T');
        assertThat(committed).isEmpty();
        ok("COMMIT", "COMMIT");
        assertThat(committed).containsExactly("INSERT INTO m VALUES ('a'),INSERT INTO m VALUES ('b')");
        tracker.ready('I');
        assertThat(committed).hasSize(1);
    }

    @Test
    void commitOfAFailedTransactionIsARollback() {
        ok("BEGIN", "BEGIN");
        insert("a");
        tracker.error();
        tracker.ready('E');
        ok("COMMIT", "ROLLBACK");
        tracker.ready('I');
        assertThat(committed).isEmpty();
    }

    @Test
    void rollbackAndAbortDiscard() {
        for (String end : List.of("ROLLBACK", "ABORT")) {
            ok("BEGIN", "BEGIN");
            insert("a");
            ok(end, "ROLLBACK");
            tracker.ready('I');
        }
        assertThat(committed).isEmpty();
        assertThat(discarded).hasSize(2);
    }

    @Test
    void effectsHappenOnlyWhenTheirTransactionCommitsOncePerKeyWithTheirCount() {
        List<String> counted = new ArrayList<>();
        ok("BEGIN", "BEGIN");
        tracker.onCommit("a", n -> counted.add("before the savepoint x" + n));
        tracker.onCommit("a", n -> counted.add("merged into the one before"));
        ok("SAVEPOINT s", "SAVEPOINT");
        tracker.onCommit("a", n -> counted.add("undone by ROLLBACK TO x" + n));
        tracker.onCommit("b", n -> counted.add("undone by ROLLBACK TO x" + n));
        ok("ROLLBACK TO SAVEPOINT s", "ROLLBACK");
        tracker.onCommit("a", n -> counted.add("after ROLLBACK TO, the savepoint still set x" + n));
        ok("COMMIT", "COMMIT");
        tracker.ready('I');
        ok("BEGIN", "BEGIN");
        tracker.onCommit("a", n -> counted.add("rolled back x" + n));
        ok("ROLLBACK", "ROLLBACK");
        tracker.ready('I');
        tracker.onCommit("a", n -> counted.add("autocommit, failed x" + n));
        tracker.error();
        tracker.ready('I');
        for (int i = 0; i < 1000; i++) {
            tracker.onCommit("a", n -> counted.add("autocommit x" + n));
        }
        ok("UPDATE m SET v = 1", "UPDATE 1");
        tracker.ready('I');
        assertThat(counted).containsExactly("before the savepoint x2", "after ROLLBACK TO, the savepoint still set x1",
                "autocommit x1000");
    }

    @Test
    void rollbackToSavepointUndoesOnlyWhatCameAfterIt() {
        ok("BEGIN", "BEGIN");
        insert("a");
        assertThat(tracker.hasSavepoints()).isFalse();
        ok("SAVEPOINT s1", "SAVEPOINT");
        assertThat(tracker.hasSavepoints()).isTrue();
        insert("b");
        ok("SAVEPOINT s2", "SAVEPOINT");
        insert("c");
        tracker.error();
        tracker.ready('E');
        ok("ROLLBACK TO SAVEPOINT s1", "ROLLBACK");
        tracker.ready('T');
        insert("d");
        ok("RELEASE s1", "RELEASE");
        assertThat(tracker.hasSavepoints()).isFalse();
        ok("END", "COMMIT");
        tracker.ready('I');
        assertThat(committed).containsExactly("INSERT INTO m VALUES ('a'),INSERT INTO m VALUES ('d')");
        assertThat(undone).containsExactly("s1:INSERT INTO m VALUES ('b'),INSERT INTO m VALUES ('c')");
        assertThat(discarded).isEmpty();
    }

    @Test
    void commitAndChainKeepsATransactionOpen() {
        ok("BEGIN", "BEGIN");
        insert("a");
        ok("COMMIT AND CHAIN", "COMMIT");
        insert("b");
        ok("ROLLBACK", "ROLLBACK");
        tracker.ready('I');
        assertThat(committed).containsExactly("INSERT INTO m VALUES ('a')");
    }

    @Test
    void beginInsideAMultiStatementStringAdoptsTheStatementsBeforeIt() {
        // "INSERT a; BEGIN; INSERT b; COMMIT; INSERT c; SELECT 1/0" — a and b commit, c is rolled back by the error
        insert("a");
        ok("BEGIN", "BEGIN");
        insert("b");
        ok("COMMIT", "COMMIT");
        insert("c");
        tracker.error();
        tracker.ready('I');
        assertThat(committed).containsExactly("INSERT INTO m VALUES ('a'),INSERT INTO m VALUES ('b')");
        assertThat(discarded).containsExactly("INSERT INTO m VALUES ('c')");
    }

    @Test
    void preparedTransactionsAreNotMirrored() {
        ok("BEGIN", "BEGIN");
        insert("a");
        ok("PREPARE TRANSACTION 'x'", "PREPARE TRANSACTION");
        tracker.ready('I');
        ok("COMMIT PREPARED 'x'", "COMMIT PREPARED");
        tracker.ready('I');
        assertThat(committed).isEmpty();
        assertThat(discarded).hasSize(1);
    }

    @Test
    void aSessionEndingMidTransactionCommitsNothing() {
        ok("BEGIN", "BEGIN");
        insert("a");
        tracker.ready('T');
        tracker.sessionEnded();
        assertThat(committed).isEmpty();
        assertThat(discarded).hasSize(1);
    }

    /** The forecast made at every request reads the open transaction's tables from here, not from its writes. */
    @Test
    void theWrittenTablesFollowTheWritesThroughSavepointsAndTheEnd() {
        TableName other = new TableName("public", "other");
        ok("BEGIN", "BEGIN");
        insert("a");
        ok("SAVEPOINT s", "SAVEPOINT");
        tracker.completed(sql("INSERT INTO other VALUES (1)"), "INSERT 0 1",
                new CapturedStatement.Simple(other, 1, "INSERT INTO other VALUES (1)"));
        insert("b");
        assertThat(tracker.writtenTables()).containsExactly(new TableName("public", "m"), other);
        ok("ROLLBACK TO SAVEPOINT s", "ROLLBACK");
        assertThat(tracker.writtenTables()).as("m keeps the write before the savepoint")
                .containsExactly(new TableName("public", "m"));
        tracker.completed(sql("INSERT INTO other VALUES (2)"), "INSERT 0 1",
                new CapturedStatement.Simple(other, 1, "INSERT INTO other VALUES (2)"));
        assertThat(tracker.writtenTables()).containsExactly(new TableName("public", "m"), other);
        ok("COMMIT", "COMMIT");
        assertThat(tracker.writtenTables()).isEmpty();
        assertThat(committed).containsExactly("INSERT INTO m VALUES ('a'),INSERT INTO other VALUES (2)");
    }
}
