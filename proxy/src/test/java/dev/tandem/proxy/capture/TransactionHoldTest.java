package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.TableName;
import java.util.List;
import org.junit.jupiter.api.Test;

class TransactionHoldTest {

    private static final TableName T = new TableName("public", "t");

    @Test
    void aTransactionOverItsOwnLimitKeepsNothingMoreUntilItEnds() {
        CaptureBudget budget = new CaptureBudget(1000);
        TransactionHold hold = new TransactionHold(100, budget);
        assertThat(hold.hold(60)).isTrue();
        assertThat(hold.hold(60)).isFalse();
        assertThat(hold.tooLarge()).isEqualTo("the transaction's captured data exceeded mirror.max-transaction-bytes"
                + " (100 bytes)");
        assertThat(hold.hold(1)).isFalse();
        assertThat(budget.used()).isEqualTo(60);
        hold.ended();
        assertThat(budget.used()).isZero();
        assertThat(hold.hold(60)).isTrue();
    }

    @Test
    void sessionsShareTheBudget() {
        CaptureBudget budget = new CaptureBudget(100);
        TransactionHold a = new TransactionHold(1000, budget);
        TransactionHold b = new TransactionHold(1000, budget);
        assertThat(a.hold(70)).isTrue();
        assertThat(b.hold(40)).isFalse();
        assertThat(b.tooLarge()).contains("mirror.max-captured-bytes (100 bytes)");
        a.ended();
        b.ended();
        assertThat(budget.used()).isZero();
    }

    @Test
    void aFailedStatementGivesBackWhatItHeldAndNoMore() {
        CaptureBudget budget = new CaptureBudget(1000);
        TransactionHold hold = new TransactionHold(100, budget);
        assertThat(hold.hold(10)).isTrue();
        for (int attempt = 0; attempt < 5; attempt++) { // a COPY of 80 bytes that fails, retried: never over 100
            assertThat(hold.hold(80)).isTrue();
            hold.failed(80);
            assertThat(budget.used()).isEqualTo(10);
        }
        hold.failed(500); // more than it holds: nothing below zero
        assertThat(budget.used()).isZero();
        hold.ended();
        assertThat(budget.used()).isZero();
    }

    @Test
    void undoneStatementsGiveBackWhatTheyHeldAndNoMore() {
        CaptureBudget budget = new CaptureBudget(10_000);
        TransactionHold hold = new TransactionHold(10_000, budget);
        String sql = "INSERT INTO t VALUES (1)";
        CapturedStatement kept = new CapturedStatement.Simple(T, 1, sql);
        CapturedStatement copy = new CapturedStatement.Copy(T, 1, "COPY t FROM STDIN", List.of(new byte[50]));
        long insert = sql.length() + TransactionHold.QUERY_BYTES;
        hold.hold(insert);
        hold.hold(insert);
        hold.hold(50);
        hold.undone(List.of(kept, copy)); // one INSERT and the COPY's data, not its text
        assertThat(budget.used()).isEqualTo(insert);
        hold.undone(List.of(new CapturedStatement.Unreplayable(T, 1, sql, "over a limit")));
        assertThat(budget.used()).isEqualTo(insert);
        hold.ended();
        assertThat(budget.used()).isZero();
    }

    /**
     * Values kept for a write whose table is told only when the source runs it: reserved in the shared budget alone,
     * they count in the transaction once claimed (a mirrored write), and are given back when released (an unmirrored
     * one) without putting it over its limit; a transaction's end leaves them, the session's end gives them back.
     */
    @Test
    void reservedBytesCountInTheTransactionOnlyOnceClaimed() {
        CaptureBudget budget = new CaptureBudget(1000);
        TransactionHold hold = new TransactionHold(100, budget);
        assertThat(hold.reserve(500)).isNull();
        assertThat(hold.hold(60)).isTrue();
        assertThat(budget.used()).isEqualTo(560);
        hold.release(500);
        assertThat(hold.hold(30)).isTrue();
        assertThat(budget.used()).isEqualTo(90);
        assertThat(hold.reserve(20)).isNull();
        hold.ended();
        assertThat(budget.used()).isEqualTo(20);
        assertThat(hold.claim(20)).isTrue();
        assertThat(hold.reserve(90)).isNull();
        assertThat(hold.claim(90)).isFalse();
        assertThat(hold.tooLarge()).contains("mirror.max-transaction-bytes (100 bytes)");
        assertThat(hold.reserve(1)).contains("mirror.max-transaction-bytes");
        assertThat(hold.reserve(1)).isNotNull();
        hold.closed();
        assertThat(budget.used()).isZero();
        assertThat(new TransactionHold(100, new CaptureBudget(10)).reserve(20))
                .contains("mirror.max-captured-bytes (10 bytes)");
    }
}
