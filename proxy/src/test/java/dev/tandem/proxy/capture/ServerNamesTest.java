package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ServerNamesTest {

    @Test
    void aRequestedObjectIsUsedAtOnceAndKeptOnlyWhenConfirmed() {
        ServerNames<String> names = new ServerNames<>();
        names.requested("s", "first");
        assertThat(names.get("s")).isEqualTo("first");
        names.confirmed("s", "first");
        names.requested("s", "second");
        assertThat(names.get("s")).isEqualTo("second");
        names.skipped("s", "second"); // the batch failed before its Parse: the server still has the first
        assertThat(names.get("s")).isEqualTo("first");
        names.closed("s");
        assertThat(names.get("s")).isNull();
    }

    @Test
    void aSkipOfAnOlderRequestLeavesANewerOne() {
        ServerNames<String> names = new ServerNames<>();
        names.requested("p", "old");
        names.requested("p", "new");
        names.skipped("p", "old");
        assertThat(names.get("p")).isEqualTo("new");
    }

    @Test
    void theEndOfATransactionDropsConfirmedObjectsNotOnesRequestedForTheNext() {
        ServerNames<String> names = new ServerNames<>();
        names.requested("done", "old");
        names.confirmed("done", "old");
        names.requested("next", "bound after the Sync");
        names.clearConfirmed();
        assertThat(names.get("done")).isNull();
        assertThat(names.get("next")).isEqualTo("bound after the Sync");
    }
}
