package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.TableName;
import org.junit.jupiter.api.Test;

class UpsertWindowsTest {

    private static final TableName T = new TableName("public", "t");
    private static final TableName U = new TableName("public", "u");

    private final UpsertWindows windows = new UpsertWindows();
    private final UpsertWindows.Session a = windows.session("db");
    private final UpsertWindows.Session b = windows.session("db");

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
        UpsertWindows.Session elsewhere = windows.session("other");
        elsewhere.upsertSent(T);
        a.upsertSent(T);
        assertThat(a.contended(T)).isFalse();
        b.upsertSent(T);
        b.ended();
        assertThat(a.contended(T)).isFalse();
        assertThat(windows.openOn("db", T)).isEqualTo(1);
    }
}
