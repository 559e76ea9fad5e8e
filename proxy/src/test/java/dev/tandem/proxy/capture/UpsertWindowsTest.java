package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.TableName;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class UpsertWindowsTest {

    private static final TableName T = new TableName("public", "t");
    private static final TableName U = new TableName("public", "u");

    private final UpsertWindows windows = new UpsertWindows();
    private final UpsertWindows.Session a = windows.session("db", UnaryOperator.identity());
    private final UpsertWindows.Session b = windows.session("db", UnaryOperator.identity());

    /** The session forwards an upsert into {@code table} that may commit it outside the sequencer's order. */
    private static void upsert(UpsertWindows.Session session, TableName table) {
        upsert(session, table, 0);
    }

    /** {@link #upsert(UpsertWindows.Session, TableName)}, run by the session's request number {@code request}. */
    private static void upsert(UpsertWindows.Session session, TableName table, long request) {
        session.upsertSent(table, request);
        session.classified(false);
    }

    /** The session forwards a request that may commit outside the sequencer's order. */
    private static void request(UpsertWindows.Session session) {
        session.requestSent();
        session.classified(false);
    }

    /**
     * A session's database is only the client's claim until the source accepts its login, and a session starts before
     * that: a peer that cannot log in, connecting again and again with made-up database names, must not leave a
     * sequencer behind for each. Before, every session made its database's sequencer as it started, kept for good.
     */
    @Test
    void onlyASessionThatCommitsMakesItsDatabasesSequencer() {
        for (int i = 0; i < 100; i++) {
            windows.session("made-up-" + i, UnaryOperator.identity()).ended();
        }
        assertThat(windows.sequencers()).isZero();
        a.sequencer().release(a.sequencer().take(1)); // an explicit transaction's COMMIT, answered: logged in
        assertThat(windows.sequencers()).isEqualTo(1);
        assertThat(b.sequencer()).isSameAs(a.sequencer());
    }

    /**
     * A table is forgotten once no window is open on it. Before the target's catalog is looked up for a session (until
     * the source accepts its login) any table name may be mirrored, so a peer that cannot log in can pipeline upserts
     * into made-up tables of made-up databases: before, every such pair was kept for good.
     */
    @Test
    void aTableNoWindowIsOpenOnIsForgotten() {
        for (int i = 0; i < 100; i++) {
            UpsertWindows.Session s = windows.session("made-up-" + i, UnaryOperator.identity());
            upsert(s, new TableName("public", "t" + i));
            s.ended();
        }
        upsert(a, T);
        upsert(b, T);
        assertThat(windows.tablesOpen()).isEqualTo(1);
        a.answered(true);
        assertThat(b.contended(T, false)).isFalse();
        b.answered(true);
        assertThat(windows.tablesOpen()).isZero();
    }

    @Test
    void anUpsertInFlightContendsWithAnotherSessionsCommitOnTheSameTableOnly() {
        upsert(a, T);
        upsert(b, T);
        assertThat(b.contended(T, false)).isTrue();
        assertThat(a.contended(T, false)).isTrue();
        upsert(b, U);
        assertThat(b.contended(U, false)).isFalse();
        a.answered(true);
        assertThat(b.contended(T, false)).isFalse();
    }

    @Test
    void anIdleOpenTransactionDoesNotContendUntilItSendsAgain() {
        upsert(a, T);
        a.answered(false); // ReadyForQuery 'T': the upsert is done, its transaction open and idle
        upsert(b, T);
        assertThat(b.contended(T, false)).isFalse();
        request(a); // COMMIT (or anything that may end the transaction)
        assertThat(b.contended(T, false)).isTrue();
        a.answered(true);
        request(a); // the next transaction has no upsert
        assertThat(b.contended(T, false)).isFalse();
    }

    @Test
    void otherDatabasesAndEndedSessionsDoNotContend() {
        UpsertWindows.Session elsewhere = windows.session("other", UnaryOperator.identity());
        upsert(elsewhere, T);
        upsert(a, T);
        assertThat(a.contended(T, false)).isFalse();
        upsert(b, T);
        b.ended();
        assertThat(a.contended(T, false)).isFalse();
        assertThat(windows.openOn("db", T)).isEqualTo(1);
    }

    @Test
    void aPartitionContendsAsTheTableWhoseRowsItHolds() {
        TableName partition = new TableName("public", "t_2026");
        UnaryOperator<TableName> rowsOf = t -> t.equals(partition) ? T : t;
        UpsertWindows.Session viaRoot = windows.session("db", rowsOf);
        UpsertWindows.Session viaPartition = windows.session("db", rowsOf);
        upsert(viaRoot, T);
        upsert(viaPartition, partition);
        assertThat(viaRoot.contended(T, false)).isTrue();
        assertThat(viaPartition.contended(partition, false)).isTrue();
        viaRoot.answered(true);
        assertThat(viaPartition.contended(partition, false)).isFalse();
    }

    @Test
    void aSequencedCommitContendsOnlyWithUnorderedWindows() {
        upsert(a, T);
        upsert(b, T);
        assertThat(a.contended(T, true)).as("b's window is unordered").isTrue();
        b.classified(true); // b: an explicit transaction whose upsert waits, no COMMIT in flight
        assertThat(a.contended(T, true)).isFalse();
        assertThat(a.contended(T, false)).as("an unsequenced commit counts every open window").isTrue();
        b.classified(false); // b sent a COMMIT without a ticket
        assertThat(a.contended(T, true)).isTrue();
        a.classified(false);
        assertThat(b.contended(T, true)).as("a's own unordered window does not count for itself").isTrue();
        b.answered(true);
        assertThat(a.contended(T, true)).isFalse();
        assertThat(windows.unorderedOn("db", T)).isEqualTo(1);
    }

    @Test
    void aCommitHeldBackKeepsItsWindowOpenUntilItIsSpooled() {
        upsert(a, T);
        a.waitsForTurn();
        a.answered(true); // its ReadyForQuery is read while the sequencer holds the commit back
        upsert(b, T);
        assertThat(b.contended(T, false)).isTrue();
        a.turnTaken();
        assertThat(b.contended(T, false)).isFalse();
        assertThat(a.hasUpserts()).as("the transaction ended: its tables are forgotten").isFalse();
    }

    /**
     * COMMIT AND CHAIN (or a pipelined COMMIT and BEGIN) ends a transaction and starts the next with no ReadyForQuery
     * 'I' between: the tables of the one that ended are forgotten as it ends, and those a request sent behind its
     * COMMIT upserts into stay, the chained transaction's. Before, the chain kept every table upserted since it began:
     * each COMMIT in it took a ticket of the sequencer, and its requests counted as upserting.
     */
    @Test
    void aTransactionsTablesAreForgottenAsItEndsAndTheChainedOnesKept() {
        upsert(a, T, 1);
        upsert(a, U, 3); // sent behind the COMMIT AND CHAIN, run 2
        a.transactionEnded(3); // the source answered runs 1 and 2
        upsert(b, T);
        upsert(b, U);
        assertThat(b.contended(T, false)).isFalse();
        assertThat(b.contended(U, false)).as("the chained transaction's upsert").isTrue();
        assertThat(a.hasUpserts()).isTrue();
        a.transactionEnded(4);
        assertThat(a.hasUpserts()).isFalse();
        assertThat(b.contended(U, false)).isFalse();
    }

    @Test
    void aChainedCommitHeldBackKeepsItsTablesUntilItIsSpooled() {
        upsert(a, T, 1);
        a.waitsForTurn();
        a.transactionEnded(2); // COMMIT AND CHAIN answered while the sequencer holds its commit back
        upsert(b, T);
        assertThat(b.contended(T, false)).isTrue();
        a.turnTaken();
        assertThat(b.contended(T, false)).isFalse();
        assertThat(a.hasUpserts()).isFalse();
    }
}
