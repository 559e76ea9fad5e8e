package dev.tandem.proxy.capture;

import java.util.List;

/**
 * The captured bytes one session's open transaction holds in memory until it commits, counted against the
 * transaction's own limit ({@code mirror.max-transaction-bytes}) and the proxy's shared {@link CaptureBudget}
 * ({@code mirror.max-captured-bytes}). Once either is passed the transaction is over its limit: it is ledgered
 * instead of replayed, and what it captures from then on is not kept. One per session, on its event loop.
 */
final class TransactionHold {

    private final long maxTransactionBytes;
    private final CaptureBudget budget;
    private long transactionBytes;
    /** Of {@link #transactionBytes}, what is reserved in the shared budget. */
    private long reserved;
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

    /** The open transaction ended: its captured bytes no longer count. */
    void ended() {
        budget.release(reserved);
        reserved = 0;
        transactionBytes = 0;
        overLimit = null;
    }

    /** What {@link #hold} counted for a statement whose data was kept (a COPY's text is not held). */
    private static long heldBytes(CapturedStatement s) {
        if (s instanceof CapturedStatement.Unreplayable) {
            return 0;
        }
        return s instanceof CapturedStatement.Copy copy ? copy.payloadBytes() - copy.sql().length() : s.payloadBytes();
    }
}
