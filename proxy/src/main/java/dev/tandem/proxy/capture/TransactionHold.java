package dev.tandem.proxy.capture;

import java.util.List;

/**
 * The captured bytes one session's open transaction holds in memory until it commits, counted against the
 * transaction's own limit ({@code mirror.max-transaction-bytes}) and the proxy's shared {@link CaptureBudget}
 * ({@code mirror.max-captured-bytes}). Once either is passed the transaction is over its limit: it is ledgered
 * instead of replayed, and what it captures from then on is not kept. One per session, on its event loop.
 */
final class TransactionHold {

    /**
     * What the heap holds for one captured INSERT besides its text and values, counted with them: its classification,
     * table names and capture records. 400,000 one-row INSERTs sent as queries held about 680 bytes each, nine times
     * their text, so counting the text alone let the limits bound a ninth of the memory they stand for.
     */
    static final long QUERY_BYTES = 608;
    /**
     * The same for an execution of a prepared INSERT (Bind, Execute), whose text and classification are its prepared
     * statement's: 37,000 one-row executions held about 350 bytes each, 100 of them text and values.
     */
    static final long BOUND_BYTES = 256;

    private final long maxTransactionBytes;
    private final CaptureBudget budget;
    private long transactionBytes;
    /** Of {@link #transactionBytes}, what is reserved in the shared budget. */
    private long reserved;
    /**
     * Reserved in the shared budget for values of writes whose table is told only when the source runs them
     * ({@link #reserve}): no transaction's until then.
     */
    private long provisional;
    /** Why the open transaction's capture stopped, or null while it fits. */
    private String overLimit;

    TransactionHold(long maxTransactionBytes, CaptureBudget budget) {
        this.maxTransactionBytes = maxTransactionBytes;
        this.budget = budget;
    }

    /** Adds captured bytes to the open transaction; false once it is over a limit (the bytes are not to be kept). */
    boolean hold(long bytes) {
        transactionBytes += bytes;
        if (overLimit != null) {
            return false;
        }
        if (transactionBytes > maxTransactionBytes) {
            overLimit = "the transaction's captured data exceeded mirror.max-transaction-bytes (" + maxTransactionBytes
                    + " bytes)";
            return false;
        }
        if (!budget.tryReserve(bytes)) {
            overLimit = "the captured data of all open transactions reached mirror.max-captured-bytes ("
                    + budget.max() + " bytes)";
            return false;
        }
        reserved += bytes;
        return true;
    }

    /**
     * Reserves {@code bytes} in the shared budget alone, for the values of a write whose table is told only when the
     * source runs it (a Bind read while a change of what its name means was in flight): they are in memory, but count
     * in the transaction only once that table is a mirrored one ({@link #claim}), and are given back if not
     * ({@link #release}). Values of a write that turns out unmirrored put no transaction over its limit.
     *
     * @return null when reserved, else why not (the transaction is over its limit, or the budget is spent)
     */
    String reserve(long bytes) {
        if (overLimit != null) {
            return overLimit;
        }
        if (!budget.tryReserve(bytes)) {
            return "the captured data of all open transactions reached mirror.max-captured-bytes (" + budget.max()
                    + " bytes)";
        }
        provisional += bytes;
        return null;
    }

    /**
     * Bytes {@link #reserve}d turned out a mirrored write's: they count in the open transaction from now on; false
     * when it is over its limit then (they stay counted, as {@link #hold}'s are).
     */
    boolean claim(long bytes) {
        provisional -= bytes;
        reserved += bytes;
        transactionBytes += bytes;
        if (overLimit == null && transactionBytes > maxTransactionBytes) {
            overLimit = "the transaction's captured data exceeded mirror.max-transaction-bytes (" + maxTransactionBytes
                    + " bytes)";
        }
        return overLimit == null;
    }

    /** Bytes {@link #reserve}d turned out an unmirrored write's, or one that failed: they are given back. */
    void release(long bytes) {
        budget.release(bytes);
        provisional -= bytes;
    }

    /**
     * Why a statement of this transaction is not replayed, once {@link #hold} said no. How to close its ledger entry
     * depends on whether its rows' times could be read ({@link StatementTimes}): the applier says so.
     */
    String tooLarge() {
        return overLimit;
    }

    /**
     * ROLLBACK TO SAVEPOINT dropped these statements from the open transaction: their bytes no longer count, the rest
     * of the transaction's still do. A statement whose data was not kept (over a limit) gives nothing back, and the
     * transaction stays over its limit: ledgering it is safe, under-counting what it holds is not.
     */
    void undone(List<CapturedStatement> statements) {
        long bytes = 0;
        for (CapturedStatement s : statements) {
            bytes += heldBytes(s);
        }
        bytes = Math.min(bytes, reserved);
        budget.release(bytes);
        reserved -= bytes;
        transactionBytes -= bytes;
    }

    /**
     * A statement that held {@code bytes} failed on the source, or was skipped after a failure: its data is dropped
     * and no longer counts. Such statements never reach the transaction (so a ROLLBACK TO SAVEPOINT cannot give them
     * back), and a loader that retries a failing COPY under savepoints would otherwise pile up what it tried, passing
     * its transaction's limit and taking the shared budget from other sessions. The transaction stays over its limit
     * if it passed it.
     */
    void failed(long bytes) {
        long back = Math.min(bytes, reserved);
        budget.release(back);
        reserved -= back;
        transactionBytes -= back;
    }

    /**
     * The open transaction ended: its captured bytes no longer count. What is {@link #reserve}d is not its: those
     * writes run in a later one.
     */
    void ended() {
        budget.release(reserved);
        reserved = 0;
        transactionBytes = 0;
        overLimit = null;
    }

    /** The session ended: nothing it kept counts any more. */
    void closed() {
        ended();
        budget.release(provisional);
        provisional = 0;
    }

    /** What {@link #hold} counted for a statement whose data was kept (a COPY's text is not held). */
    private static long heldBytes(CapturedStatement s) {
        if (s instanceof CapturedStatement.Unreplayable) {
            return 0;
        }
        if (s instanceof CapturedStatement.Copy copy) {
            return copy.payloadBytes() - copy.sql().length();
        }
        return s.payloadBytes() + (s instanceof CapturedStatement.Extended ? BOUND_BYTES : QUERY_BYTES);
    }
}
