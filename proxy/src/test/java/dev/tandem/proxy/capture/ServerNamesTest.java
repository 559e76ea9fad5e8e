package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ServerNamesTest {

    @Test
    void aRequestedObjectIsUsedAtOnceAndKeptOnlyWhenConfirmed() {
        ServerNames<String> names = new ServerNames<>();
        names.requested("s", "first");
        assertThat(names.latest("s")).isEqualTo("first");
        names.confirmed("s", "first");
        names.requested("s", "second");
        assertThat(names.latest("s")).isEqualTo("second");
        names.skipped("s", "second"); // the batch failed before its Parse: the server still has the first
        assertThat(names.latest("s")).isEqualTo("first");
        names.closed("s");
        assertThat(names.latest("s")).isNull();
    }

    @Test
    void aSkipOfAnOlderRequestLeavesANewerOne() {
        ServerNames<String> names = new ServerNames<>();
        names.requested("p", "old");
        names.requested("p", "new");
        names.skipped("p", "old");
        assertThat(names.latest("p")).isEqualTo("new");
    }

    @Test
    void theEndOfATransactionDropsConfirmedObjectsNotOnesRequestedForTheNext() {
        ServerNames<String> names = new ServerNames<>();
        names.requested("done", "old");
        names.confirmed("done", "old");
        names.requested("next", "bound after the Sync");
        names.clearConfirmed();
        assertThat(names.latest("done")).isNull();
        assertThat(names.latest("next")).isEqualTo("bound after the Sync");
    }

    @Test
    void aReferenceInTheBatchThatRedefinedTheNameHasOnlyThatCandidate() {
        ServerNames<String> names = new ServerNames<>();
        names.requested("s", "old");
        names.confirmed("s", "old");
        names.requested("s", "new");
        // a Bind in the same batch runs only if the Parse before it succeeded
        assertThat(names.reference("s").candidates()).containsExactly("new");
        names.synced();
        assertThat(names.reference("t").candidates()).isEmpty();
    }

    @Test
    void aReferenceInALaterBatchMayFindAnyObjectNotAnsweredYetAndIsSettledByTheAnswer() {
        ServerNames<String> names = new ServerNames<>();
        names.requested("s", "old");
        names.confirmed("s", "old");
        names.requested("s", "new");
        names.synced();
        ServerNames.Reference<String> later = names.reference("s");
        assertThat(later.get()).as("provisionally, what the client last asked for").isEqualTo("new");
        assertThat(later.candidates()).containsExactly("old", "new");
        names.skipped("s", "new"); // the batch that redefined it failed
        assertThat(names.answered(later)).as("the server ran another one than the provisional").isTrue();
        assertThat(later.get()).isEqualTo("old");
        assertThat(later.candidates()).containsExactly("old");
    }

    @Test
    void aReferenceToAConfirmedNameNotRequestedAgainHasThatCandidate() {
        ServerNames<String> names = new ServerNames<>();
        names.requested("s", "only");
        names.synced();
        assertThat(names.reference("s").candidates()).containsExactly("only");
        names.confirmed("s", "only");
        ServerNames.Reference<String> reference = names.reference("s");
        assertThat(reference.candidates()).containsExactly("only");
        assertThat(names.holds(reference, "only")).isTrue();
        assertThat(names.answered(reference)).isFalse();
    }

    @Test
    void onlyAConfirmedObjectIsHeld() {
        ServerNames<String> names = new ServerNames<>();
        names.requested("s", "asked");
        ServerNames.Reference<String> reference = names.reference("s");
        assertThat(names.holds(reference, "asked")).as("requested, not confirmed yet").isFalse();
        names.confirmed("s", "asked");
        assertThat(names.holds(reference, "asked")).isTrue();
        names.closed("s");
        assertThat(names.holds(reference, "asked")).isFalse();
    }
}
