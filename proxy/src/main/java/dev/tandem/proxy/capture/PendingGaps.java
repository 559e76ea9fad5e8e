package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.spool.SpoolLoss;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Gaps whose divergence ledger rows the target has not taken yet, in bounded memory: shed transactions, and
 * transactions whose commit the proxy could not see ({@link UnknownOutcome}). The target being down is what fills the
 * spool and starts the shedding, so gaps wait here as long as the outage lasts. An entry keeps only what its ledger
 * rows say, never the data: a shed transaction not even its statements, an unknown outcome their SQL text cut to
 * {@link #MAX_STATEMENT_CHARS}; each the range of its rows' times in each table, when they were read
 * ({@link RowTimesReading}). Up to {@code maxEntries} transactions get an entry each; beyond that a transaction is
 * merged into one summary per (target database, table, kind) that counts transactions and keeps the first and last
 * time, and the range of all their rows while every one of them had one, so the ledger still says "N transactions of
 * this table between these times were shed" and none is dropped. Summaries are bounded by the number of mirrored
 * tables.
 *
 * <p>Thread-safe: sessions add from their event loops, the ledger's writer drains and puts back.
 */
final class PendingGaps {

    /** Transactions kept one entry each before further ones are summarised: a few MB at most. */
    static final int MAX_ENTRIES = 10_000;

    /** The SQL text an entry keeps at most, so the entries stay within a few tens of MB. */
    static final int MAX_STATEMENT_CHARS = 2_000;

    /** What the gap is; {@code reason} labels its ledger entries in {@code tandem_ledger_entries_total}. */
    enum Kind {
        /** A committed transaction the spool did not take. */
        SHED("shed"),
        /** A transaction the source may have committed after the proxy closed the session. */
        OUTCOME_UNKNOWN("outcome_unknown"),
        /**
         * A committed write that may have gone to the session's temporary table or to the mirrored table of its name
         * (a statement prepared before the temporary table appeared): not mirrored, and it may be missing.
         */
        AMBIGUOUS_TABLE("prepared_before_temporary_table"),
        /**
         * Spooled records found missing (a segment file deleted or cut short): which tables they wrote is gone with
         * them, so the entry names none, and one stands for all of them.
         */
        SPOOL_RECORDS_LOST("spool_records_lost");

        final String reason;

        Kind(String reason) {
            this.reason = reason;
        }
    }

    /**
     * One transaction, or a summary of several of one kind on one table: one ledger row per table.
     *
     * @param session      the proxy's number for the client session, or null for a summary (several sessions)
     * @param tables       the tables written, each once
     * @param reason       why it is a gap, in words (a summary keeps the first transaction's): for {@code SHED} why the
     *                     spool did not take it, for {@code OUTCOME_UNKNOWN} the ledger message
     * @param statement    the SQL of the writes, cut to {@link #MAX_STATEMENT_CHARS}; null when not kept
     * @param transactions how many transactions the entry stands for
     * @param firstAt      the earliest time (epoch milliseconds): a shed transaction's commit, the end of a session
     *                     whose outcome is unknown
     * @param lastAt       the latest such time
     * @param ranges       for each of {@code tables}, the range of the rows' times there, or null where not known
     *                     (a journal written before ranges were kept has none: null)
     */
    record Entry(String targetDatabase, String session, List<TableName> tables, Kind kind, String reason,
                 String statement, long transactions, long firstAt, long lastAt, List<TimeRange> ranges) {

        Entry {
            tables = List.copyOf(tables);
            List<TimeRange> aligned = new ArrayList<>(tables.size());
            for (int i = 0; i < tables.size(); i++) {
                aligned.add(ranges != null && i < ranges.size() ? ranges.get(i) : null);
            }
            ranges = Collections.unmodifiableList(aligned);
        }

        /** An entry without ranges. */
        Entry(String targetDatabase, String session, List<TableName> tables, Kind kind, String reason,
              String statement, long transactions, long firstAt, long lastAt) {
            this(targetDatabase, session, tables, kind, reason, statement, transactions, firstAt, lastAt, null);
        }

        /** The range of the rows' times in {@code tables().get(i)}; null when not known. */
        TimeRange range(int i) {
            return ranges.get(i);
        }

        /**
         * What the ledger needs of a transaction the spool did not take.
         *
         * @param ranges the range of its rows' times in each table where all were read
         */
        static Entry shed(String targetDatabase, CapturedTransaction tx, String reason,
                          Map<TableName, TimeRange> ranges) {
            LinkedHashSet<TableName> tables = new LinkedHashSet<>();
            tx.statements().forEach(s -> tables.add(s.table()));
            List<TimeRange> aligned = new ArrayList<>(tables.size());
            tables.forEach(table -> aligned.add(ranges.get(table)));
            return new Entry(targetDatabase, Long.toString(tx.sessionId()), List.copyOf(tables), Kind.SHED, reason,
                    null, 1, tx.committedAt(), tx.committedAt(), aligned);
        }

        /** What the ledger needs of writes the source may have committed unseen, their rows' times not read. */
        static Entry outcomeUnknown(String targetDatabase, UnknownOutcome outcome) {
            return outcomeUnknown(targetDatabase, outcome, Map.of());
        }

        /**
         * What the ledger needs of writes the source may have committed unseen.
         *
         * @param ranges the range of their rows' times in each table where all were read
         */
        static Entry outcomeUnknown(String targetDatabase, UnknownOutcome outcome, Map<TableName, TimeRange> ranges) {
            String sql = String.join(";\n", outcome.statements());
            if (sql.length() > MAX_STATEMENT_CHARS) {
                sql = sql.substring(0, MAX_STATEMENT_CHARS) + " ... (" + (sql.length() - MAX_STATEMENT_CHARS)
                        + " more characters)";
            }
            List<TimeRange> aligned = new ArrayList<>(outcome.tables().size());
            outcome.tables().forEach(table -> aligned.add(ranges.get(table)));
            return new Entry(targetDatabase, Long.toString(outcome.sessionId()), outcome.tables(),
                    Kind.OUTCOME_UNKNOWN, outcome.message(), sql, 1, outcome.endedAt(), outcome.endedAt(), aligned);
        }

        /** What the ledger needs of a committed write the proxy could not tell the table of. */
        static Entry ambiguousTable(String targetDatabase, long sessionId, TableName table, String sql, String reason,
                                    long committedAt) {
            String statement = sql.length() > MAX_STATEMENT_CHARS ? sql.substring(0, MAX_STATEMENT_CHARS) : sql;
            return new Entry(targetDatabase, Long.toString(sessionId), List.of(table), Kind.AMBIGUOUS_TABLE, reason,
                    statement, 1, committedAt, committedAt);
        }

        /**
         * What the ledger needs of spooled records lost from the spool. {@code firstAt} is when the record before them
         * was appended (else, unknown, {@code lastAt}), {@code lastAt} when the segment after them was started.
         */
        static Entry spoolRecordsLost(String targetDatabase, SpoolLoss loss) {
            long before = loss.before().toEpochMilli();
            String when = (loss.after() == null ? "" : "after " + loss.after() + " and ") + "before " + loss.before();
            String reason = "spool_records_lost: spool records " + loss.firstSequence() + " to "
                    + loss.lastSequence() + " (" + loss.records() + " sequence number(s), each a committed"
                    + " transaction) were lost from the proxy's spool (a segment file deleted or cut short) before"
                    + " they were applied here, unless this database applied them before; they were appended " + when
                    + ", and which tables and rows they held is lost with them: re-copy that window of the tables"
                    + " mirrored to this database (or compare them with tandem-backfill verify), then close this entry";
            return new Entry(targetDatabase, null, List.of(), Kind.SPOOL_RECORDS_LOST, reason, null, loss.records(),
                    loss.after() == null ? before : loss.after().toEpochMilli(), before);
        }

        /** A summary of several transactions of one table; an entry naming no table is never one. */
        boolean summary() {
            return session == null && !tables.isEmpty();
        }

        /** Ledger rows still owed for this entry, counting a summary's transactions one by one. */
        long tableGaps() {
            // an entry naming no table is one row, whatever it stands for
            return tables.isEmpty() ? 1 : transactions * tables.size();
        }

        private Entry summaryOf(int table) {
            return new Entry(targetDatabase, null, List.of(tables.get(table)), kind, reason, null, transactions,
                    firstAt, lastAt, Collections.singletonList(ranges.get(table)));
        }

        /** Two summaries of one table: their rows' range only while both had one. */
        private static Entry merge(Entry a, Entry b) {
            TimeRange ra = a.ranges.get(0);
            TimeRange rb = b.ranges.get(0);
            return new Entry(a.targetDatabase, null, a.tables, a.kind, a.reason, null,
                    a.transactions + b.transactions, Math.min(a.firstAt, b.firstAt), Math.max(a.lastAt, b.lastAt),
                    Collections.singletonList(ra == null || rb == null ? null : ra.merge(rb)));
        }
    }

    private record Key(String targetDatabase, TableName table, Kind kind) {
    }

    private final int maxEntries;
    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    private final Map<Key, Entry> summaries = new LinkedHashMap<>();
    /**
     * (transaction, table) pairs not in the ledger yet, including those being written: a transaction summarised into
     * two tables' summaries is written twice, once per table, so transactions alone cannot say when all is written.
     */
    private long tableGaps;
    /** Whether the cap was reached since the backlog was last empty: the caller warns once per backlog. */
    private boolean summarising;

    PendingGaps(int maxEntries) {
        if (maxEntries < 0) {
            throw new IllegalArgumentException("maxEntries must not be negative: " + maxEntries);
        }
        this.maxEntries = maxEntries;
    }

    /** Adds a gap; true when it is the first one summarised since the backlog was last empty. */
    synchronized boolean add(Entry gap) {
        tableGaps += gap.tableGaps();
        return offer(gap);
    }

    /** Every waiting entry, left waiting: what the journal keeps. */
    synchronized List<Entry> snapshot() {
        List<Entry> all = new ArrayList<>(entries.size() + summaries.size());
        all.addAll(entries);
        all.addAll(summaries.values());
        return all;
    }

    /** Takes every waiting entry for writing; each is later either {@link #written} or {@link #putBack}. */
    synchronized List<Entry> drain() {
        List<Entry> all = snapshot();
        entries.clear();
        summaries.clear();
        return all;
    }

    /** The target has the entry's rows. */
    synchronized void written(Entry entry) {
        tableGaps -= entry.tableGaps();
        if (tableGaps == 0) {
            summarising = false;
        }
    }

    /**
     * Entries the target could not take this round wait for the next; they count against the cap again, since new
     * gaps may have filled it meanwhile. True when one is the first summarised since the backlog was last empty.
     */
    synchronized boolean putBack(List<Entry> unwritten) {
        boolean first = false;
        for (Entry e : unwritten) {
            first |= offer(e);
        }
        return first;
    }

    /** (transaction, table) pairs whose ledger row is not written yet, including those being written now. */
    synchronized long tableGaps() {
        return tableGaps;
    }

    /** Entries waiting, summaries included: never more than the cap plus one per (database, table). */
    synchronized int size() {
        return entries.size() + summaries.size();
    }

    private boolean offer(Entry e) {
        // an entry naming no table has no table to be summarised by, and is rare (a damaged spool)
        if (e.tables().isEmpty() || !e.summary() && entries.size() < maxEntries) {
            entries.add(e);
            return false;
        }
        for (int i = 0; i < e.tables().size(); i++) {
            summaries.merge(new Key(e.targetDatabase(), e.tables().get(i), e.kind()), e.summaryOf(i), Entry::merge);
        }
        boolean first = !summarising;
        summarising = true;
        return first;
    }
}
