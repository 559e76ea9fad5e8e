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

    @Test
    void anUpsertInFlightContendsWithAnotherSessionsCommitOnTheSameTableOnly() {
        a.upsertSent(T);
        b.upsertSent(T);
        assertThat(b.contended(T)).isTrue();
        assertThat(a.contended(T)).isTrue();
        b.upsertSent(U);
        assertThat(b.contended(U)).isFalse();
        a.answered(true);
        assertThat(b.contended(T)).isFalse();
    }

    @Test
    void anIdleOpenTransactionDoesNotContendUntilItSendsAgain() {
        a.upsertSent(T);
        a.answered(false); // ReadyForQuery 'T': the upsert is done, its transaction open and idle
        b.upsertSent(T);
        assertThat(b.contended(T)).isFalse();
        a.requestSent(); // COMMIT (or anything that may end the transaction)
        assertThat(b.contended(T)).isTrue();
        a.answered(true);
        a.requestSent(); // the next transaction has no upsert
        assertThat(b.contended(T)).isFalse();
    }

    @Test
    void otherDatabasesAndEndedSessionsDoNotContend() {
        UpsertWindows.Session elsewhere = windows.session("other", UnaryOperator.identity());
        elsewhere.upsertSent(T);
        a.upsertSent(T);
        assertThat(a.contended(T)).isFalse();
        b.upsertSent(T);
        b.ended();
        assertThat(a.contended(T)).isFalse();
        assertThat(windows.openOn("db", T)).isEqualTo(1);
    }

    @Test
    void aPartitionContendsAsTheTableWhoseRowsItHolds() {
        TableName partition = new TableName("public", "t_2026");
        UnaryOperator<TableName> rowsOf = t -> t.equals(partition) ? T : t;
        UpsertWindows.Session viaRoot = windows.session("db", rowsOf);
        UpsertWindows.Session viaPartition = windows.session("db", rowsOf);
        viaRoot.upsertSent(T);
        viaPartition.upsertSent(partition);
        assertThat(viaRoot.contended(T)).isTrue();
        assertThat(viaPartition.contended(partition)).isTrue();
        viaRoot.answered(true);
        assertThat(viaPartition.contended(partition)).isFalse();
    }
}
