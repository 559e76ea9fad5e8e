package dev.tandem.proxy.capture;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Spools the explicit transactions of one database that upsert in the order the proxy forwarded their COMMITs, which
 * is the order the source committed them in whenever two of them upserted the same key.
 *
 * <p>Why: PostgreSQL releases a transaction's row locks before it answers its COMMIT, so a session whose upsert waited
 * for those locks can commit and be answered first; spooled in the order of the answers, the target keeps the value
 * the source overwrote. But in an explicit transaction the client sends COMMIT only after its upsert was answered,
 * which, when the upsert waited for another transaction's lock, is after that transaction committed, so after the
 * proxy forwarded that one's COMMIT. So the order of the forwarded COMMITs is the source's order of any two such
 * transactions that wrote one key, provided every upsert of each was answered before its COMMIT was sent (not in a
 * pipeline or a query string with it: there the COMMIT may be sent before the lock was released) and the statement
 * that commits is the explicit COMMIT (an autocommit upsert is sent and committed in one go: it has no such order,
 * and is counted as order uncertain as before). {@link SessionCapture} decides which COMMITs qualify.
 *
 * <p>Each qualifying COMMIT takes a {@link Ticket} when the proxy reads it, before forwarding it. When its answer
 * committed, the transaction is spooled only once every ticket taken before it is resolved: spooled, or released
 * (the commit failed or rolled back, committed nothing mirrored, or the session ended without its answer). A
 * transaction whose answer comes first waits without blocking its event loop: its append, and the ReadyForQuery that
 * waits for it, run when the earlier ones resolve, on its own event loop.
 *
 * <pre>
 *   take() --> TAKEN --answer committed, all earlier resolved--> (append) --> RESOLVED
 *                |  \--answer committed, an earlier unresolved--> WAITING --earlier ones resolved--> (append)
 *                |                                                   \--waited maxWait--> (append, not in order)
 *                |                                    (at once when its event loop, shutting down, refuses the wait)
 *                \--commit failed / nothing to spool / session ended--> RESOLVED (released)
 *   a ticket the timed-out waiter passed over is ABANDONED: it no longer holds anyone up, and until it is resolved
 *   no transaction spooled counts as ordered (it may be spooled behind one that the source committed after it)
 * </pre>
 *
 * The wait is bounded ({@link #maxWait}): the source connection of an earlier ticket's session can hang without
 * answering. A transaction that stops waiting is spooled and checked as before the sequencer: its commit order counts
 * as uncertain when another session's upsert window is open ({@link UpsertWindows}). Shared by the database's
 * sessions, on any thread.
 */
final class CommitSequencer {

    private static final Logger LOG = LoggerFactory.getLogger(CommitSequencer.class);

    /** What a transaction does once it is its turn; {@code inOrder}: every ticket before it was resolved first. */
    interface Turn {
        CompletionStage<?> run(boolean inOrder);
    }

    private enum State { TAKEN, WAITING, ABANDONED, RESOLVED }

    /** One qualifying COMMIT, taken on its session's event loop. */
    final class Ticket {
        private final long number;
        private final long sessionId;
        private State state = State.TAKEN;
        /** Set while {@link State#WAITING}. */
        private Turn turn;
        private ScheduledExecutorService eventLoop;
        private CompletableFuture<Object> done;
        private ScheduledFuture<?> timeout;

        private Ticket(long number, long sessionId) {
            this.number = number;
            this.sessionId = sessionId;
        }

        long number() {
            return number;
        }
    }

    private final Duration maxWait;
    /** The tickets taken and not resolved nor abandoned, by number; guarded by {@code this}. */
    private final TreeMap<Long, Ticket> taken = new TreeMap<>();
    private long next = 1;
    /** How many abandoned tickets are not resolved yet; guarded by {@code this}. */
    private int abandoned;

    /** @param maxWait how long a committed transaction waits for the answers to the COMMITs forwarded before its own */
    CommitSequencer(Duration maxWait) {
        this.maxWait = maxWait;
    }

    /** The next number, for a COMMIT the proxy is about to forward. */
    synchronized Ticket take(long sessionId) {
        Ticket ticket = new Ticket(next++, sessionId);
        taken.put(ticket.number, ticket);
        return ticket;
    }

    /**
     * The ticket's commit committed: runs {@code turn} now if every ticket before it is resolved, else on
     * {@code eventLoop} once they are, or once {@link #maxWait} passed. Call on the ticket's event loop.
     *
     * @return completes as the stage {@code turn} returns completes
     */
    CompletionStage<?> committed(Ticket ticket, ScheduledExecutorService eventLoop, Turn turn) {
        boolean now;
        boolean inOrder;
        synchronized (this) {
            inOrder = ticket.state == State.TAKEN && abandoned == 0;
            now = ticket.state != State.TAKEN || taken.firstKey() == ticket.number;
            if (!now) {
                ticket.state = State.WAITING;
                ticket.turn = turn;
                ticket.eventLoop = eventLoop;
                ticket.done = new CompletableFuture<>();
                try {
                    ticket.timeout = eventLoop.schedule(() -> waitedTooLong(ticket), maxWait.toMillis(),
                            TimeUnit.MILLISECONDS);
                    return ticket.done;
                } catch (RejectedExecutionException e) {
                    // its event loop shuts down (the proxy stops): no wait would end there; it goes now, as after one
                }
            }
        }
        if (!now) {
            if (passOver(ticket) != null) {
                finish(ticket, false);
            }
            return ticket.done;
        }
        return runAndResolve(ticket, turn, inOrder);
    }

    /** The ticket's commit spools nothing: it failed, rolled back, wrote nothing mirrored, or its session ended. */
    void release(Ticket ticket) {
        resolve(ticket);
    }

    private CompletionStage<?> runAndResolve(Ticket ticket, Turn turn, boolean inOrder) {
        try {
            return turn.run(inOrder);
        } finally {
            resolve(ticket);
        }
    }

    private void resolve(Ticket ticket) {
        Ticket wake;
        synchronized (this) {
            if (ticket.state == State.RESOLVED) {
                return;
            }
            if (ticket.state == State.ABANDONED) {
                abandoned--;
            }
            ticket.state = State.RESOLVED;
            taken.remove(ticket.number);
            wake = taken.isEmpty() ? null : taken.firstEntry().getValue();
            if (wake == null || wake.state != State.WAITING) {
                return;
            }
            wake.state = State.TAKEN; // its turn: it runs once, here or by its timeout, whichever claims it first
        }
        cancelTimeout(wake);
        onItsLoop(wake, true);
    }

    private static void cancelTimeout(Ticket ticket) {
        if (ticket.timeout != null) { // none when its event loop refused it
            ticket.timeout.cancel(false);
        }
    }

    /** Runs a waiting ticket's turn on its session's event loop. */
    private void onItsLoop(Ticket ticket, boolean inOrder) {
        try {
            ticket.eventLoop.execute(() -> finish(ticket, inOrder));
        } catch (RejectedExecutionException e) {
            // its event loop shut down (the proxy stops): nothing else runs there any more, so run it here, spooling
            // what the source committed, rather than leave it and every ticket after it unresolved
            finish(ticket, inOrder);
        }
    }

    private void waitedTooLong(Ticket ticket) {
        Ticket blocking = passOver(ticket);
        if (blocking == null) {
            return; // its turn came meanwhile
        }
        LOG.warn("session {}: its commit of upserts waited {} ms to be spooled after the commit the proxy forwarded"
                + " before it, of session {}, whose answer has not come (a source connection that hangs?); it is"
                + " spooled without waiting, and its commit order is counted as uncertain"
                + " (tandem_mirror_commit_order_uncertain_total)", ticket.sessionId, maxWait.toMillis(),
                blocking.sessionId);
        finish(ticket, false);
    }

    /**
     * A waiting ticket stops waiting: the tickets before it are abandoned, and those of them that wait too go now.
     *
     * @return the first ticket it waited for, or null when its turn came meanwhile
     */
    private Ticket passOver(Ticket ticket) {
        Ticket blocking;
        List<Ticket> waitingBefore = new ArrayList<>();
        synchronized (this) {
            if (ticket.state != State.WAITING) {
                return null;
            }
            blocking = taken.firstEntry().getValue();
            for (Ticket earlier : taken.headMap(ticket.number).values()) {
                if (earlier.state == State.WAITING) {
                    waitingBefore.add(earlier); // committed too, and waiting on the same: it goes now as well
                }
                earlier.state = State.ABANDONED;
                abandoned++;
            }
            taken.headMap(ticket.number).clear();
            ticket.state = State.TAKEN;
        }
        for (Ticket earlier : waitingBefore) {
            cancelTimeout(earlier);
            onItsLoop(earlier, false);
        }
        return blocking;
    }

    private void finish(Ticket ticket, boolean inOrder) {
        CompletableFuture<Object> done = ticket.done;
        Turn turn = ticket.turn;
        ticket.turn = null;
        boolean ordered;
        synchronized (this) {
            ordered = inOrder && abandoned == 0;
        }
        CompletionStage<?> stage;
        try {
            stage = runAndResolve(ticket, turn, ordered);
        } catch (RuntimeException e) {
            done.completeExceptionally(e);
            return;
        }
        stage.whenComplete((ok, failure) -> {
            if (failure == null) {
                done.complete(ok);
            } else {
                done.completeExceptionally(failure);
            }
        });
    }

    /** For tests: how many tickets hold up the ones taken after them. */
    synchronized int outstanding() {
        return taken.size();
    }
}
