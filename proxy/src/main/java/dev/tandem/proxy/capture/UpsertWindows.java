package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;
import java.util.HashSet;
import java.util.Set;
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
 * <pre>
 *            request sent while the transaction has or sends an upsert
 *   CLOSED  -------------------------------------------------------->  OPEN  (the session counts for its upsert tables)
 *     ^  ReadyForQuery with nothing left in flight (tables forgotten if the transaction ended)  |
 *     +--------------------------------------------------------------------------------------+
 * </pre>
 *
 * Shared by all sessions, on any thread; each {@link Session} is used on its own session's event loop only.
 */
public final class UpsertWindows {

    private record Key(String database, TableName table) {
    }

    private final ConcurrentHashMap<Key, AtomicInteger> open = new ConcurrentHashMap<>();

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
        AtomicInteger n = open.get(new Key(database, table));
        return n == null ? 0 : n.get();
    }

    private void add(String database, TableName table, int delta) {
        open.computeIfAbsent(new Key(database, table), k -> new AtomicInteger()).addAndGet(delta);
    }

    /** One session's window: on its event loop only. */
    public final class Session {

        private final String database;
        private final UnaryOperator<TableName> rowsOf;
        /** The open transaction's upsert tables (as {@link #rowsOf} has them), and those of the requests in flight. */
        private final Set<TableName> tables = new HashSet<>(2);
        private boolean isOpen;

        private Session(String database, UnaryOperator<TableName> rowsOf) {
            this.database = database;
            this.rowsOf = rowsOf;
        }

        /** The client sent an upsert into mirrored table {@code table}. */
        void upsertSent(TableName table) {
            TableName rows = rowsOf.apply(table);
            if (tables.add(rows) && isOpen) {
                add(database, rows, 1);
            }
            requestSent();
        }

        /** The client sent a request: a commit of the transaction's upserts may be among what follows. */
        void requestSent() {
            if (!isOpen && !tables.isEmpty()) {
                isOpen = true;
                tables.forEach(t -> add(database, t, 1));
            }
        }

        /** The source answered everything sent; {@code transactionEnded}: and no transaction is open. */
        void answered(boolean transactionEnded) {
            close();
            if (transactionEnded) {
                tables.clear();
            }
        }

        /** The session ended. */
        void ended() {
            answered(true);
        }

        /**
         * Whether another session may be committing an upsert into {@code table} now, so that the source's order of
         * this session's commit and that one is unknown. Asked before this session's commit is spooled.
         */
        boolean contended(TableName table) {
            TableName rows = rowsOf.apply(table);
            int own = isOpen && tables.contains(rows) ? 1 : 0;
            return openOn(database, rows) > own;
        }

        private void close() {
            if (isOpen) {
                isOpen = false;
                tables.forEach(t -> add(database, t, -1));
            }
        }
    }
}
