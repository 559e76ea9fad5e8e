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
        AppliedWaiters waiters = new AppliedWaiters(1);
        CompletableFuture<Void> second = waiters.bySequence(2);
        CompletableFuture<Void> third = waiters.byPosition(new SpoolPosition(1, 200));
        waiters.applied(record(2, 100, 200));
        assertThat(second).isCompleted();
        assertThat(third).isNotDone();
        assertThat(waiters.bySequence(1)).isCompleted();
        assertThat(waiters.byPosition(new SpoolPosition(1, 100))).isCompleted();
        assertThat(waiters.appliedSequence()).isEqualTo(2);
        waiters.fail(new MirrorStoppedException("stopped"));
        assertThat(third).isCompletedExceptionally();
    }
}
