package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** PostgreSQL's rules for the portals of a transaction with savepoints (AtSubCleanup_Portals, AtSubCommit_Portals). */
class SavepointPortalsTest {

    private final SavepointPortals portals = new SavepointPortals();

    @Test
    void rollingBackToASavepointDropsThePortalsCreatedSinceAndKeepsTheOthers() {
        portals.bound("before");
        portals.savepoint("s");
        portals.bound("in_s");
        portals.savepoint("t");
        portals.bound("in_t");
        assertThat(portals.rollbackTo("s")).containsExactlyInAnyOrder("in_s", "in_t");
        assertThat(portals.rollbackTo("s")).as("the savepoint stays, with nothing since").isEmpty();
        assertThat(portals.rollbackTo("t")).as("a savepoint set after it is gone").isEmpty();
    }

    @Test
    void aReleasedSavepointLeavesItsPortalsToTheOneBeforeIt() {
        portals.savepoint("s");
        portals.savepoint("t");
        portals.bound("in_t");
        portals.release("t");
        assertThat(portals.rollbackTo("t")).isEmpty();
        assertThat(portals.rollbackTo("s")).containsExactly("in_t");
        portals.release("s");
        portals.bound("after");
        portals.savepoint("u");
        assertThat(portals.rollbackTo("u")).as("created before it").isEmpty();
    }

    @Test
    void aNameUsedAgainMeansItsLatestSavepoint() {
        portals.savepoint("s");
        portals.bound("p");
        portals.savepoint("s");
        portals.bound("q");
        assertThat(portals.rollbackTo("s")).containsExactly("q");
        portals.release("s");
        assertThat(portals.rollbackTo("s")).containsExactly("p");
    }

    @Test
    void aPortalBoundAgainCountsFromItsNewBind() {
        portals.savepoint("s");
        portals.bound("");
        portals.release("s");
        portals.bound(""); // the unnamed portal again, now outside every savepoint
        portals.savepoint("t");
        assertThat(portals.rollbackTo("t")).isEmpty();
    }

    /**
     * pgjdbc with autosave=always sets a savepoint of the same name before every statement of a transaction and
     * releases none: PostgreSQL keeps them all. Each Bind's portal is kept once, not once per open savepoint: before, a
     * transaction of 20,000 statements made 200 million entries, and spent seconds of its event loop on them.
     */
    @Test
    void aPortalIsKeptOnceWhateverTheNumberOfSavepoints() {
        for (int i = 0; i < 2000; i++) {
            portals.savepoint("PGJDBC_AUTOSAVE");
            portals.bound("");
        }
        assertThat(portals.held()).isEqualTo(1);
        assertThat(portals.rollbackTo("PGJDBC_AUTOSAVE")).containsExactly("");
    }
}
