package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.SearchPath;
import java.util.List;
import org.junit.jupiter.api.Test;

class SearchPathStateTest {

    private static SearchPath set(String... schemas) {
        return new SearchPath(false, List.of(schemas), false);
    }

    private static SearchPath local(String... schemas) {
        return new SearchPath(false, List.of(schemas), true);
    }

    @Test
    void aSetKeptByCommitAndUndoneByRollback() {
        SearchPathState path = new SearchPathState();
        path.set(set("a"));
        assertThat(path.effective()).containsExactly("a");
        path.transactionEnded(true);
        path.set(set("b"));
        assertThat(path.effective()).containsExactly("b");
        path.transactionEnded(false);
        assertThat(path.effective()).containsExactly("a");
        path.set(SearchPath.reset(false));
        path.transactionEnded(true);
        assertThat(path.effective()).isEmpty();
    }

    @Test
    void setLocalLastsUntilTheTransactionEndsAndAPlainSetReplacesIt() {
        SearchPathState path = new SearchPathState();
        path.set(set("a"));
        path.set(local("l"));
        assertThat(path.effective()).containsExactly("l");
        path.transactionEnded(true);
        assertThat(path.effective()).containsExactly("a");
        path.set(local("l"));
        path.set(set("b"));
        assertThat(path.effective()).containsExactly("b");
        path.transactionEnded(true);
        assertThat(path.effective()).containsExactly("b");
    }

    @Test
    void resetReturnsToTheStartupValueNotToTheServersDefault() {
        SearchPathState path = new SearchPathState();
        path.established(List.of("s2"));
        path.set(set("a"));
        path.transactionEnded(true);
        path.set(SearchPath.reset(false));
        assertThat(path.effective()).containsExactly("s2");
        path.transactionEnded(true);
        assertThat(path.effective()).containsExactly("s2");
        path.set(set("b"));
        path.set(SearchPath.reset(true));
        assertThat(path.effective()).containsExactly("s2");
        path.transactionEnded(true);
        assertThat(path.effective()).containsExactly("b");
    }

    @Test
    void anEstablishedValueReplacesWhateverWasPending() {
        SearchPathState path = new SearchPathState();
        path.set(set("a"));
        path.established(List.of("b"));
        path.transactionEnded(true);
        assertThat(path.effective()).containsExactly("b");
    }

    @Test
    void savepointsRestoreWhatWasInEffectWhenTheyWereSet() {
        SearchPathState path = new SearchPathState();
        path.set(set("a"));
        path.savepoint("s1");
        path.set(set("b"));
        path.savepoint("s2");
        path.set(local("c"));
        path.rollbackTo("s2");
        assertThat(path.effective()).containsExactly("b");
        path.set(set("d"));
        path.rollbackTo("s1");
        assertThat(path.effective()).containsExactly("a");
        path.set(set("e"));
        path.savepoint("s3");
        path.release("s3");
        path.rollbackTo("s3");
        assertThat(path.effective()).as("a released savepoint cannot be rolled back to").containsExactly("e");
        path.transactionEnded(true);
        assertThat(path.effective()).containsExactly("e");
    }

    @Test
    void aRollbackToASavepointNotKnownHereLeavesThePathInForce() {
        SearchPathState path = new SearchPathState();
        path.set(set("a"));
        path.transactionEnded(true);
        path.set(set("b"));
        path.set(local("l"));
        path.rollbackTo("elsewhere");
        assertThat(path.effective()).as("no value for not known: the last path known stays").containsExactly("l");
        path.transactionEnded(true);
        assertThat(path.effective()).containsExactly("b");
    }
}
