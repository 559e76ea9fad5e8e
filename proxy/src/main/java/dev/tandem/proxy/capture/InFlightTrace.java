package dev.tandem.proxy.capture;

import dev.tandem.proxy.relay.SessionContext;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One session's part in the trace of commits in flight ({@link InFlightCommits}): its slot is marked while the source
 * may commit mirrored writes it has not answered for, so a proxy killed meanwhile leaves a trace the next start
 * ledgers. On the session's event loop; only a mark's clearing after a commit reaches the spool runs elsewhere.
 */
final class InFlightTrace {

    private final InFlightCommits.Slot slot;
    private final SessionContext context;
    /** The slot's last mark, 0 when clear. */
    private int mark;

    InFlightTrace(InFlightCommits.Slot slot, SessionContext context) {
        this.slot = slot;
        this.context = context;
    }

    /**
     * Marks the session when the source may now commit mirrored writes it has not answered for, else clears it.
     *
     * @param owed       what the source may still commit, null when it owes nothing
     * @param lastCommit the session's last commit handed to the sink (see {@link #clear})
     */
    void trace(CommitForecast owed, CompletionStage<?> lastCommit) {
        if (owed != null && owed.mayCommit()) {
            mark = slot.mark(context.database(), context.sessionId(), owed.awaited(), owed.tables());
        } else {
            clear(lastCommit);
        }
    }

    /**
     * Nothing the source owes may commit: the trace is cleared once {@code lastCommit} is in the spool (an append
     * waiting for room, or its turn, is not there yet and a proxy killed meanwhile would lose it).
     */
    void clear(CompletionStage<?> lastCommit) {
        if (mark == 0) {
            return;
        }
        CompletableFuture<?> commit = lastCommit.toCompletableFuture();
        if (commit.isDone()) {
            slot.clear();
        } else {
            int cleared = mark;
            commit.whenComplete((ok, failure) -> slot.clearMark(cleared));
        }
        mark = 0;
    }

    /** The session ended: its slot is cleared and goes to the next session. */
    void release() {
        slot.release();
    }
}
