package dev.tandem.proxy.mirror;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * What the soak's clients did and what they were told: every transaction they ran, the rows it wrote, and how it
 * ended as seen from the client. The final comparison judges source and target against it.
 */
final class SoakHistory {

    /** How a transaction ended, as its client saw it. */
    enum Outcome {
        /** The commit (or the autocommit statement) returned successfully. */
        ACKNOWLEDGED,
        /** The client rolled it back. */
        ROLLED_BACK,
        /** A deliberate error (a unique violation) aborted it. */
        FAILED,
        /** The connection broke before the client heard how it ended: it may or may not have committed. */
        UNKNOWN
    }

    /** A row the soak wrote: its table and its unique id (client, seq). */
    record RowId(String table, int client, int seq) {
        @Override
        public String toString() {
            return table + "(" + client + "," + seq + ")";
        }
    }

    /** One source transaction of a client. */
    static final class Tx {
        final int client;
        final int number;
        final String kind;
        /** Rows it holds if it committed. */
        final List<RowId> rows = new ArrayList<>();
        /** Rows it wrote and took back (rolled back to a savepoint): never on either side. */
        final List<RowId> undone = new ArrayList<>();
        final long startNanos = System.nanoTime();
        volatile long endNanos;
        /**
         * Until when the source may still be deciding the transaction after the client stopped waiting for it: its
         * end, or later for a client that sent its commit and vanished without reading the answer.
         */
        volatile long settledNanos;
        /** The target refuses it on purpose (a CHECK only the target has): ledgered once, none of its rows applied. */
        boolean rejectedByTarget;
        /** Rows it wrote into {@code bulk}, which is judged per transaction rather than per row. */
        int bulkRows;
        volatile Outcome outcome;
        volatile String error;

        Tx(int client, int number, String kind) {
            this.client = client;
            this.number = number;
            this.kind = kind;
        }

        void end(Outcome how, String why) {
            outcome = how;
            error = why;
            endNanos = System.nanoTime();
            settledNanos = endNanos;
        }

        @Override
        public String toString() {
            return "tx " + client + "/" + number + " (" + kind + ", " + outcome + (error == null ? "" : ": " + error)
                    + ", " + rows.size() + " rows)";
        }
    }

    final Queue<Tx> transactions = new ConcurrentLinkedQueue<>();
    /** Errors no scenario asked for: each is a finding (of the product or of the soak). */
    final Queue<String> unexpected = new ConcurrentLinkedQueue<>();

    Tx begin(int client, int number, String kind) {
        Tx tx = new Tx(client, number, kind);
        transactions.add(tx);
        return tx;
    }
}
