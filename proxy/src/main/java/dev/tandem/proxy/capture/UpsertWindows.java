package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * Which sessions may be committing an {@code INSERT ... ON CONFLICT DO UPDATE} into a mirrored table right now: the
 * proxy's only sign that it does not know the source's commit order of two such transactions.
 *
 * <p>The spool keeps transactions in the order the proxy reads their commit answers. PostgreSQL releases a
 * transaction's row locks before it answers, so a session that waited on those locks can commit, and be read, first.
 * For plain INSERTs the order does not matter, and for {@code DO NOTHING} the row counts differ (counted elsewhere); for
 * {@code DO UPDATE} of a key both wrote, the target keeps the value of the transaction applied last, which may not be
 * the one the source kept, and the row counts agree. Two transactions the spool has in the wrong order always
 * overlapped: the first one spooled was sent before the other's answer was read, and the other was sent before it
 * committed. So a committed upsert whose table another session is upserting into with a request in flight, checked
 * before it is spooled, counts as "order uncertain": a superset of the reordered ones, never fewer. A table is told
 * by the rows it holds: a partition written by its own name counts as its partitioned table, whose rows it holds.
 *
 * <p>Transactions the {@link CommitSequencer} spools in the source's order are exempt among themselves: a sequenced
 * commit counts only when another session's window is open <em>unordered</em>, that is, when what that session has in
 * flight may commit an upsert without a ticket of the sequencer (an autocommit upsert, a COMMIT sent in a pipeline with
 * its upserts, ...). A window is ordered while its session's requests cannot commit (an explicit transaction with no
 * COMMIT in flight: it cannot commit before its COMMIT is forwarded, which is after the check) or can commit only by the
 * COMMIT the ticket is for. The session tells which, before the request is forwarded, when the window opens and after
 * each request that may end a transaction or a COPY (the others only add writes that commit at a later one), and as
 * answers change it ({@link Session#classified}). While the sequencer holds a session's commit back its window stays
 * open: it may be spooled after one checked meanwhile.
 *
 * <pre>
 *            request forwarded while the transaction has or sends an upsert
 *   CLOSED  -------------------------------------------------------->  OPEN  (the session counts for its upsert tables,
 *     ^                                                                  |    as ordered or unordered)
 *     |  ReadyForQuery with nothing left in flight, once no commit of    |
 *     +--- the session's waits for its turn in the sequencer ------------+
 * </pre>
 *
 * A transaction's tables are forgotten as it ends (once a commit of the session's that waits for its turn is spooled),
 * also when another one starts with it ({@code COMMIT AND CHAIN}, a pipelined {@code COMMIT; BEGIN}): what the next
 * transaction upserts it counts itself ({@link Session#transactionEnded}).
 *
 * Shared by all sessions, on any thread; each {@link Session} is used on its own session's event loop only.
 */
public final class UpsertWindows {

    /**
     * How long a committed transaction waits to be spooled after the transactions whose COMMITs were forwarded before
     * its own ({@link CommitSequencer}). A COMMIT answer takes milliseconds; one that has not come in this long hangs.
     */
    static final Duration SEQUENCER_WAIT = Duration.ofSeconds(2);

    private record Key(String database, TableName table) {
    }

    /** Of one table: how many sessions have a window open on it, and how many of those are unordered. */
    private static final class Open {
        final AtomicInteger windows = new AtomicInteger();
        final AtomicInteger unordered = new AtomicInteger();
    }

    private final ConcurrentHashMap<Key, Open> open = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, CommitSequencer> sequencers = new ConcurrentHashMap<>();
    private final Duration sequencerWait;

    public UpsertWindows() {
        this(SEQUENCER_WAIT);
    }

    /** @param sequencerWait see {@link #SEQUENCER_WAIT} */
    UpsertWindows(Duration sequencerWait) {
        this.sequencerWait = sequencerWait;
    }

    /**
     * The window of one client session connected to {@code database}.
     *
     * @param rowsOf the table whose rows a table holds, which is the one that counts: the root of a partition's tree
     */
    public Session session(String database, UnaryOperator<TableName> rowsOf) {
        return new Session(database, rowsOf);
    }

    /** How many sessions have a window open on {@code table} of {@code database}. */
    int openOn(String database, TableName table) {
        Open n = open.get(new Key(database, table));
        return n == null ? 0 : n.windows.get();
    }

    /** For tests: how many tables are counted. */
    int tablesOpen() {
        return open.size();
    }

    /** For tests: how many databases have a sequencer. */
    int sequencers() {
        return sequencers.size();
    }

    /** How many sessions have an unordered window open on {@code table} of {@code database}. */
    int unorderedOn(String database, TableName table) {
        Open n = open.get(new Key(database, table));
        return n == null ? 0 : n.unordered.get();
    }

    /**
     * Adds to the counts of {@code table} of {@code database}, and forgets a table no window is open on: before the
     * target's catalog is looked up for a session (until the source accepts its login) any name may be mirrored, and a
     * peer that cannot log in must not leave an entry behind for every name it makes up. Only here, under the map's
     * lock for the table, so that no count goes to an entry just dropped.
     */
    private void add(String database, TableName table, int windows, int unordered) {
        open.compute(new Key(database, table), (k, n) -> {
            Open counts = n == null ? new Open() : n;
            counts.windows.addAndGet(windows);
            counts.unordered.addAndGet(unordered);
            return counts.windows.get() == 0 && counts.unordered.get() == 0 ? null : counts;
        });
    }

    /** One session's window: on its event loop only. */
    public final class Session {

        private final String database;
        private final UnaryOperator<TableName> rowsOf;
        /** Its database's, once the session needs it (see {@link #sequencer}). */
        private CommitSequencer sequencer;
        /**
         * The open transaction's upsert tables (as {@link #rowsOf} has them), and those of the requests in flight: each
         * with the number of the last request that upserts into it (see {@link #transactionEnded}).
         */
        private final Map<TableName, Long> tables = new HashMap<>(2);
        private boolean isOpen;
        /** A request was read since the source last answered everything: the window opens when it is forwarded. */
        private boolean inFlight;
        /** While open: whether it counts as unordered (see the class comment). */
        private boolean unordered;
        /** A COMMIT with a ticket is in flight, and no upsert was sent since: it alone may commit the upserts. */
        private boolean covered;
        /** Commits the sequencer holds back; the window closes only once they are spooled. */
        private int waitingTurns;
        /** The source answered everything while {@link #waitingTurns}: the close that is due then, and its kind. */
        private boolean answeredWhileWaiting;
        private boolean endedWhileWaiting;
        /** A transaction ended while {@link #waitingTurns}: the requests numbered below this were its, else -1. */
        private long endedBeforeWhileWaiting = -1;

        private Session(String database, UnaryOperator<TableName> rowsOf) {
            this.database = database;
            this.rowsOf = rowsOf;
        }

        /**
         * The sequencer of the session's database. Made when a COMMIT first needs it, not as the session starts: the
         * database is only the client's claim until the source accepts the login, and a peer that cannot log in must
         * not leave a sequencer behind for every name it makes up.
         */
        CommitSequencer sequencer() {
            if (sequencer == null) {
                sequencer = sequencers.computeIfAbsent(database, d -> new CommitSequencer(sequencerWait));
            }
            return sequencer;
        }

        /** Whether the open transaction, or a request in flight, has an upsert: what the sequencer orders. */
        boolean hasUpserts() {
            return !tables.isEmpty();
        }

        /** Whether the window is open or opens when the request read is forwarded: only then is it classified. */
        boolean opens() {
            return isOpen || inFlight && !tables.isEmpty();
        }

        /** Whether the window is closed and opens when the request read is forwarded. */
        boolean opening() {
            return !isOpen && inFlight && !tables.isEmpty();
        }

        /** Whether a COMMIT with a ticket is in flight, and no upsert was sent since. */
        boolean covered() {
            return covered;
        }

        /** A COMMIT took a ticket of the sequencer ({@code true}), or its ticket was released unused. */
        void covered(boolean covered) {
            this.covered = covered;
        }

        /**
         * The client sent an upsert into mirrored table {@code table}.
         *
         * @param request the number of the request that runs it: the session numbers the requests that run statements
         *                in the order the source runs them (see {@link #transactionEnded})
         */
        void upsertSent(TableName table, long request) {
            covered = false; // it may commit with the COMMIT that took the ticket, yet was not answered before it
            TableName rows = rowsOf.apply(table);
            boolean added = !tables.containsKey(rows);
            tables.merge(rows, request, Math::max);
            if (added && isOpen) {
                add(database, rows, 1, unordered ? 1 : 0);
            }
            requestSent();
        }

        /** The client sent a request: a commit of the transaction's upserts may be among what follows. */
        void requestSent() {
            inFlight = true;
            answeredWhileWaiting = false; // in flight again: the next answer closes it
        }

        /**
         * Opens the window if a request is in flight and the transaction has or sends an upsert, and tells whether what
         * the session has in flight can commit its upserts only in the sequencer's order: when it opens and after
         * each request the client sends that may end a transaction or a COPY, before it is forwarded, and as answers
         * change it.
         */
        void classified(boolean ordered) {
            if (!isOpen) {
                if (!opens()) {
                    return;
                }
                isOpen = true;
                unordered = !ordered;
                for (TableName t : tables.keySet()) {
                    add(database, t, 1, unordered ? 1 : 0);
                }
                return;
            }
            if (unordered == ordered) {
                unordered = !ordered;
                for (TableName t : tables.keySet()) {
                    add(database, t, 0, ordered ? -1 : 1);
                }
            }
        }

        /** The source answered everything sent; {@code transactionEnded}: and no transaction is open. */
        void answered(boolean transactionEnded) {
            if (waitingTurns > 0) {
                answeredWhileWaiting = true;
                endedWhileWaiting |= transactionEnded;
                return;
            }
            inFlight = false;
            close();
            if (transactionEnded) {
                tables.clear();
            }
        }

        /**
         * The source ended the open transaction (a COMMIT or ROLLBACK, also AND CHAIN, a PREPARE TRANSACTION, or the
         * end of an implicit one) as it answered the requests numbered below {@code answered}: the upserts those ran
         * were that transaction's, and a table only they upserted into is forgotten. One that a request still in flight
         * upserts into stays: the chained or the next transaction's, whose COMMIT takes a ticket of the sequencer only
         * if it upserts itself. While a commit of the session's waits for its turn they are kept until it is spooled.
         */
        void transactionEnded(long answered) {
            if (waitingTurns > 0) {
                endedBeforeWhileWaiting = Math.max(endedBeforeWhileWaiting, answered);
                return;
            }
            for (Iterator<Map.Entry<TableName, Long>> i = tables.entrySet().iterator(); i.hasNext(); ) {
                Map.Entry<TableName, Long> t = i.next();
                if (t.getValue() < answered) {
                    i.remove();
                    if (isOpen) {
                        add(database, t.getKey(), -1, unordered ? -1 : 0);
                    }
                }
            }
        }

        /** The sequencer holds a commit of the session's back: the window stays open until it is spooled. */
        void waitsForTurn() {
            waitingTurns++;
        }

        /** A commit held back was spooled (or given up): the window closes if the source answered everything. */
        void turnTaken() {
            waitingTurns--;
            if (waitingTurns == 0 && endedBeforeWhileWaiting >= 0) {
                long ended = endedBeforeWhileWaiting;
                endedBeforeWhileWaiting = -1;
                transactionEnded(ended);
            }
            if (waitingTurns == 0 && answeredWhileWaiting) {
                answeredWhileWaiting = false;
                boolean ended = endedWhileWaiting;
                endedWhileWaiting = false;
                answered(ended);
            }
        }

        /** The session ended. */
        void ended() {
            answered(true); // a commit still held back closes the window when it is spooled
        }

        /**
         * Whether another session may be committing an upsert into {@code table} now, so that the source's order of
         * this session's commit and that one is unknown. Asked before this session's commit is spooled.
         *
         * @param sequenced the commit was spooled in the sequencer's order: only unordered windows count
         */
        boolean contended(TableName table, boolean sequenced) {
            TableName rows = rowsOf.apply(table);
            boolean mine = isOpen && tables.containsKey(rows);
            if (sequenced) {
                return unorderedOn(database, rows) > (mine && unordered ? 1 : 0);
            }
            return openOn(database, rows) > (mine ? 1 : 0);
        }

        private void close() {
            covered = false; // the COMMIT it was for was answered
            if (isOpen) {
                isOpen = false;
                for (TableName t : tables.keySet()) {
                    add(database, t, -1, unordered ? -1 : 0);
                }
            }
        }
    }
}
