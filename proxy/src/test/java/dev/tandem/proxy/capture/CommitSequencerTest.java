package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Commits spooled in the order of their tickets, on their event loops, and never held back for long. */
class CommitSequencerTest {

    private static final Duration WAIT = Duration.ofSeconds(2);

    private final CommitSequencer sequencer = new CommitSequencer(WAIT);
    /** Two sessions' event loops: their tasks run when a test says so. */
    private final EmbeddedChannel loopA = new EmbeddedChannel();
    private final EmbeddedChannel loopB = new EmbeddedChannel();
    /** What was spooled, in order: "number:inOrder". */
    private final List<String> spooled = new ArrayList<>();

    private CompletionStage<?> committed(CommitSequencer.Ticket ticket, EmbeddedChannel loop) {
        return sequencer.committed(ticket, loop.eventLoop(), inOrder -> {
            spooled.add(ticket.number() + ":" + inOrder);
            return CompletableFuture.completedFuture(null);
        });
    }

    @Test
    void aCommitAnsweredFirstIsSpooledAfterTheOneForwardedBeforeIt() {
        CommitSequencer.Ticket first = sequencer.take(1);
        CommitSequencer.Ticket second = sequencer.take(2);
        CompletionStage<?> later = committed(second, loopB);
        assertThat(spooled).isEmpty();
        assertThat(later.toCompletableFuture()).isNotDone();
        committed(first, loopA);
        assertThat(spooled).containsExactly("1:true");
        loopB.runPendingTasks(); // the second one's turn runs on its own event loop
        assertThat(spooled).containsExactly("1:true", "2:true");
        assertThat(later.toCompletableFuture()).isDone();
        assertThat(sequencer.outstanding()).isZero();
    }

    @Test
    void aReleasedTicketHoldsNothingUp() {
        CommitSequencer.Ticket rolledBack = sequencer.take(1);
        CommitSequencer.Ticket second = sequencer.take(2);
        CommitSequencer.Ticket third = sequencer.take(3);
        committed(third, loopB);
        sequencer.release(rolledBack);
        loopB.runPendingTasks();
        assertThat(spooled).as("the third waits for the second still").isEmpty();
        committed(second, loopA);
        loopB.runPendingTasks();
        assertThat(spooled).containsExactly("2:true", "3:true");
    }

    /**
     * The source connection of the first ticket's session hangs: the second is spooled after the wait, not in order,
     * and until the first is resolved no commit counts as in order (it may be spooled behind them).
     */
    @Test
    void aCommitWaitsForAnAnswerThatDoesNotComeOnlySoLong() {
        loopB.freezeTime();
        CommitSequencer.Ticket hangs = sequencer.take(1);
        CommitSequencer.Ticket second = sequencer.take(2);
        CompletionStage<?> waiting = committed(second, loopB);
        loopB.advanceTimeBy(WAIT.toMillis() - 1, TimeUnit.MILLISECONDS);
        loopB.runPendingTasks();
        assertThat(spooled).isEmpty();
        loopB.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        loopB.runPendingTasks();
        assertThat(spooled).containsExactly("2:false");
        assertThat(waiting.toCompletableFuture()).isDone();

        committed(sequencer.take(3), loopB);
        assertThat(spooled).as("spooled at once, but the hung one may come after it").containsExactly("2:false",
                "3:false");
        committed(hangs, loopA);
        assertThat(spooled).as("the hung one, answered at last").containsExactly("2:false", "3:false", "1:false");
        committed(sequencer.take(4), loopB);
        assertThat(spooled).last().isEqualTo("4:true");
    }

    @Test
    void commitsWaitingBehindAHungOneAllGoWhenOneStopsWaiting() {
        loopA.freezeTime();
        loopB.freezeTime();
        sequencer.take(1);
        CommitSequencer.Ticket second = sequencer.take(2);
        CommitSequencer.Ticket third = sequencer.take(3);
        committed(third, loopB);
        loopA.advanceTimeBy(1, TimeUnit.SECONDS);
        committed(second, loopA);
        loopB.advanceTimeBy(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        loopB.runPendingTasks(); // the third stops waiting first: the second, waiting too, goes as well
        loopA.runPendingTasks();
        assertThat(spooled).containsExactlyInAnyOrder("3:false", "2:false");
        assertThat(sequencer.outstanding()).isZero();
    }

    /**
     * A commit answered as its event loop shuts down (the proxy stops) cannot wait there for its turn: it is spooled at
     * once, not in order, as after the wait. Before, the refused wait threw out of the sequencer and left the ticket
     * waiting with no end: the commit was never spooled, and the release of the ticket before it failed.
     */
    @Test
    void aCommitWhoseEventLoopRefusesTheWaitIsSpooledAtOnce() {
        ScheduledExecutorService stopped = Executors.newSingleThreadScheduledExecutor();
        stopped.shutdown();
        CommitSequencer.Ticket first = sequencer.take(1);
        CommitSequencer.Ticket second = sequencer.take(2);
        CompletionStage<?> spooledAt = sequencer.committed(second, stopped, inOrder -> {
            spooled.add(second.number() + ":" + inOrder);
            return CompletableFuture.completedFuture(null);
        });
        assertThat(spooled).containsExactly("2:false");
        assertThat(spooledAt.toCompletableFuture()).isDone();
        sequencer.release(first);
        committed(sequencer.take(3), loopA);
        assertThat(spooled).containsExactly("2:false", "3:true");
        assertThat(sequencer.outstanding()).isZero();
    }
}
