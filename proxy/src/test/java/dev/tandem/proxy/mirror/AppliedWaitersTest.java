package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.proxy.spool.SpoolPosition;
import dev.tandem.proxy.spool.SpoolRecord;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class AppliedWaitersTest {

    private static SpoolRecord record(long sequence, long offset, long next) {
        return new SpoolRecord(sequence, new SpoolPosition(1, offset), new SpoolPosition(1, next), Instant.EPOCH,
                new byte[0]);
    }

    @Test
    void waitersAreReleasedWhenTheirRecordIsAppliedAndLateOnesAtOnce() {
        AppliedWaiters waiters = new AppliedWaiters(1, new ParkedDatabases());
        CompletableFuture<Void> second = waiters.bySequence(2);
        CompletableFuture<Void> third = waiters.byPosition("a", new SpoolPosition(1, 200));
        waiters.applied(record(2, 100, 200));
        assertThat(second).isCompleted();
        assertThat(third).isNotDone();
        assertThat(waiters.bySequence(1)).isCompleted();
        assertThat(waiters.byPosition(null, new SpoolPosition(1, 100))).isCompleted();
        assertThat(waiters.appliedSequence()).isEqualTo(2);
        waiters.fail(new MirrorStoppedException("stopped"));
        assertThat(third).isCompletedExceptionally();
    }

    /**
     * Records 1-4 at offsets 100-400 were read; database b is parked from record 2 (offset 200) on: its waits from
     * there, and the waits for every database, are held until it catches up; a's are released.
     */
    @Test
    void waitsOfAParkedDatabaseAreHeldUntilItCatchesUp() {
        ParkedDatabases parked = new ParkedDatabases();
        AppliedWaiters waiters = new AppliedWaiters(1, parked);
        CompletableFuture<Void> bFirst = waiters.byPosition("b", position(100));
        CompletableFuture<Void> bParked = waiters.byPosition("b", position(200));
        CompletableFuture<Void> a = waiters.byPosition("a", position(300));
        CompletableFuture<Void> everyDatabase = waiters.byPosition(null, position(300));
        CompletableFuture<Void> bySequence = waiters.bySequence(3);
        parked.park("b", position(200), 1, 1, 0, "down", null);
        waiters.applied(position(500), 1, position(200));

        assertThat(bFirst).isCompleted();
        assertThat(a).isCompleted();
        assertThat(waiters.byPosition("a", position(400))).isCompleted();
        assertThat(bParked).isNotDone();
        assertThat(everyDatabase).isNotDone();
        assertThat(bySequence).isNotDone();
        assertThat(waiters.byPosition("b", position(400))).isNotDone();
        assertThat(waiters.appliedSequence()).isEqualTo(1);

        parked.advance("b", position(300), 2);
        waiters.applied(position(500), 2, position(300));
        assertThat(bParked).isCompleted();
        assertThat(everyDatabase).isNotDone();

        parked.resume("b");
        waiters.applied(position(500), 4, position(500));
        assertThat(everyDatabase).isCompleted();
        assertThat(bySequence).isCompleted();
        assertThat(waiters.byPosition("b", position(400))).isCompleted();
    }

    private static SpoolPosition position(long offset) {
        return new SpoolPosition(1, offset);
    }
}
