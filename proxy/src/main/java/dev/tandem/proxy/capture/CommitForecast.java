package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.ClassifiedStatement.TxCommand;
import dev.tandem.protocol.sql.TableName;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which mirrored writes a session's source may still commit, from what it has not answered yet: the open
 * transaction's writes, then the requests in the order the source runs them, each assumed to succeed. PostgreSQL's
 * rules, as {@link TransactionTracker} follows them: COMMIT commits the transaction's writes, and so does the end of
 * a Query, of an extended-protocol batch (Sync) or of a FunctionCall outside a BEGIN block; ROLLBACK and PREPARE
 * TRANSACTION (never mirrored) drop them, a failed transaction commits nothing and the source skips its statements.
 * A ROLLBACK TO SAVEPOINT keeps them here: the writes it undoes are still counted, which errs on the side of a
 * ledger entry; and it ends a failed transaction's failure, as the source's does.
 *
 * <p>{@code conservative}: the proxy's own reading of the session failed, so its idea of the transaction may be
 * wrong; then every write seen counts, whatever would end its transaction.
 *
 * <p>{@link #unsure}: the source runs one of several statements and one of them controls the transaction; from there
 * on every request that may end a transaction may commit every write before it.
 *
 * <p>A BEGIN behind another statement of the same request is not assumed to run: if that statement fails, the source
 * skips the BEGIN, and the writes of the requests pipelined after it commit as each of them ends. So, until a COMMIT
 * or ROLLBACK, each request end may commit the writes before it, as when {@link #unsure}. A Parse or Bind that may
 * fail counts as such a statement; the caller leaves out only those that cannot, as drivers send a BEGIN's own right
 * before its Execute. Likewise a ROLLBACK behind another statement, in a transaction with savepoints: skipped, it
 * leaves a failed transaction that a ROLLBACK TO SAVEPOINT revives; run, it ends it, and what follows commits on its
 * own.
 *
 * <p>Given an {@link OutcomeTimes}, it also gathers the rows of each write it counts, for the ledger entry's ranges.
 */
final class CommitForecast {

    private static final String UNTOLD = "requests that write them (the proxy's own reading of the session failed, so"
            + " it cannot tell which of them commit)";

    private final boolean conservative;
    /** What may commit. */
    private final Set<TableName> tables = new LinkedHashSet<>();
    /**
     * Of them, the statements walked (their text); {@link #initialCounted} of {@link #initial}'s come before them: the
     * open transaction's writes are turned into text only for an {@link #outcome}.
     */
    private final List<String> statements = new ArrayList<>();
    /** Of them, the unqualified names whose table could not be told, each with the search_path as known. */
    private final Set<String> unresolved = new LinkedHashSet<>();
    /** The writes of the transaction being walked through, not yet committed. */
    private final Set<TableName> openTables = new LinkedHashSet<>();
    private final List<String> openStatements = new ArrayList<>();
    /**
     * The open transaction's writes when the walk began: the first {@link #openInitial} of the open writes, before
     * {@link #openStatements}, and read only for an {@link #outcome}. A transaction of many INSERTs is forecast at each
     * request: copying them all each time took the square of their number.
     */
    private final List<CapturedStatement> initial;
    private int openInitial;
    /** How many of {@link #initial} may commit: they come first among {@link #statements}. */
    private int initialCounted;
    private final Set<String> openUnresolved = new LinkedHashSet<>();
    /** The rows of what may commit, gathered when not null. */
    private final OutcomeTimes times;
    /**
     * The tables and rows of each of {@link #openStatements} when {@link #times} gathers them, else null: nothing is
     * made for the forecasts of sessions that go on.
     */
    private final List<Collection<TableName>> openWriteTables;
    private final List<OutcomeTimes.Rows> openRows;
    private boolean explicit;
    private boolean failed;
    private boolean unsure;
    /**
     * The BEGIN that made the transaction explicit may have been skipped, or a ROLLBACK may have ended it (see
     * above).
     */
    private boolean beginUncertain;
    /** The transaction may have a savepoint to roll back to. */
    private boolean savepoints;
    /**
     * Messages walked in the current extended-protocol batch that may fail: after one fails, the source skips the rest
     * of the batch up to its Sync, a Query or FunctionCall in it too.
     */
    private int mayFailInBatch;
    /** Statements walked in the current Query that may fail: after one fails, the source skips the rest of the Query. */
    private int mayFailInQuery;
    private boolean inQuery;
    /**
     * How many of the open writes ({@link #openInitial}, then {@link #openStatements}) are counted among what may
     * commit already.
     */
    private int openCounted;
    private String awaited;

    /**
     * @param open       the open transaction's captured writes so far
     * @param explicit   the session is inside a BEGIN block
     * @param failed     the open transaction failed: it can only roll back, unless to a savepoint
     * @param savepoints the open transaction has savepoints
     */
    CommitForecast(boolean conservative, List<CapturedStatement> open, boolean explicit, boolean failed,
                   boolean savepoints) {
        this(conservative, open, tablesOf(open), explicit, failed, savepoints, null);
    }

    /**
     * @param open       a view the caller leaves unchanged while the forecast is used
     * @param openTables the tables of {@code open}, in the order of their first write
     * @param times      gathers the rows of what may commit; null: not gathered
     */
    CommitForecast(boolean conservative, List<CapturedStatement> open, Collection<TableName> openTables,
                   boolean explicit, boolean failed, boolean savepoints, OutcomeTimes times) {
        this.conservative = conservative;
        this.explicit = explicit;
        this.failed = failed;
        this.savepoints = savepoints;
        this.times = times;
        this.openWriteTables = times == null ? null : new ArrayList<>();
        this.openRows = times == null ? null : new ArrayList<>();
        if (times != null) {
            this.initial = List.of();
            for (CapturedStatement s : open) {
                write(List.of(s.table()), s.sql(), null, OutcomeTimes.completed(s));
            }
        } else {
            this.initial = open;
            if (!open.isEmpty()) {
                if (conservative) {
                    tables.addAll(openTables);
                    initialCounted = open.size();
                    awaited = UNTOLD;
                } else {
                    this.openTables.addAll(openTables);
                    openInitial = open.size();
                }
            }
        }
    }

    private static Set<TableName> tablesOf(List<CapturedStatement> open) {
        Set<TableName> tables = new LinkedHashSet<>();
        open.forEach(s -> tables.add(s.table()));
        return tables;
    }

    /** Whether it gathers the rows of the writes it counts: else {@link #write}'s {@code rows} may be null. */
    boolean gathersRows() {
        return times != null;
    }

    /** A write to mirrored {@code table} that the source runs (or ran) in the current transaction. */
    void write(TableName table, String sql) {
        write(List.of(table), sql, null, null);
    }

    /**
     * A write the source runs in the current transaction into one of the mirrored {@code tables}, which one it is not
     * told: {@code unresolved} says why (its unqualified name and the search_path as known), null when any is.
     *
     * @param rows its rows, when {@link #gathersRows}
     */
    void write(Collection<TableName> tables, String sql, String unresolved, OutcomeTimes.Rows rows) {
        if (conservative) {
            this.tables.addAll(tables);
            statements.add(sql);
            if (unresolved != null) {
                this.unresolved.add(unresolved);
            }
            if (times != null) {
                times.add(tables, rows);
            }
            awaited = UNTOLD;
        } else {
            // kept in a failed transaction too: a ROLLBACK TO SAVEPOINT may make it one that commits them
            openTables.addAll(tables);
            openStatements.add(sql);
            if (unresolved != null) {
                openUnresolved.add(unresolved);
            }
            if (times != null) {
                openWriteTables.add(tables);
                openRows.add(rows);
            }
        }
    }

    /**
     * The source runs one of several statements next (a prepared statement's name given to another statement by a
     * pipelined batch that may have failed), and one of them controls the transaction: from here on the forecast
     * does not follow the transaction, every write stays open and every request that may end a transaction may
     * commit it.
     */
    void unsure() {
        unsure = true;
    }

    /** A transaction control statement the source will run. */
    void transaction(TxCommand command) {
        if (unsure) {
            switch (command) {
                case COMMIT, COMMIT_AND_CHAIN, ROLLBACK, ROLLBACK_AND_CHAIN, PREPARE_TRANSACTION ->
                        mayEnd("a statement that may be a COMMIT (the proxy cannot tell which of several statements"
                                + " given the same name the source runs)");
                default -> {
                }
            }
            return;
        }
        switch (command) {
            case BEGIN -> {
                explicit = true;
                beginUncertain |= mayBeSkipped();
            }
            case COMMIT, COMMIT_AND_CHAIN -> end(!failed, "a COMMIT", command == TxCommand.COMMIT_AND_CHAIN);
            case ROLLBACK, ROLLBACK_AND_CHAIN, PREPARE_TRANSACTION -> {
                if (explicit && savepoints && mayBeSkipped()) {
                    // skipped if a statement ahead fails, it leaves a failed transaction that a ROLLBACK TO SAVEPOINT
                    // revives; or it ends the transaction, and what follows commits on its own
                    beginUncertain = true;
                    failed = false;
                } else {
                    end(false, null, command == TxCommand.ROLLBACK_AND_CHAIN);
                }
            }
            // assumed to succeed, like every request: it makes a failed transaction one that can commit again
            case ROLLBACK_TO_SAVEPOINT -> failed = false;
            case SAVEPOINT -> savepoints = true;
            default -> {
                // RELEASE, and COMMIT/ROLLBACK PREPARED of another, already prepared transaction
            }
        }
    }

    /** A simple Query's statements are walked next, then its {@link #requestEnds}. */
    void queryStarts() {
        inQuery = true;
    }

    /**
     * A Query, Sync or FunctionCall the source will finish: outside a BEGIN block, its implicit transaction ends with
     * it, committing unless it failed.
     *
     * @param request that request, in words, as the one the source owed an answer to
     * @param sync    it is a Sync: it ends the extended-protocol batch, and what follows runs whatever failed before it
     *                (a Query or FunctionCall amid a batch is skipped with the rest of it, but its own failure skips
     *                nothing after it)
     */
    void requestEnds(String request, boolean sync) {
        inQuery = false;
        mayFailInQuery = 0;
        if (sync) {
            mayFailInBatch = 0;
        }
        if (unsure || explicit && beginUncertain) {
            mayEnd(request);
        } else if (!explicit) {
            end(!failed, request, false);
        }
    }

    /**
     * The statement just walked is done (or a message that may fail, a Parse say): the next one of the same request
     * runs only if it succeeds.
     */
    void statementWalked() {
        if (inQuery) {
            mayFailInQuery++;
        } else {
            mayFailInBatch++;
        }
    }

    /**
     * The source may skip the next request walked alone, and go on with the ones after it (a COPY the client did not
     * expect takes it as its data, before PostgreSQL 14): counted as a message that may fail in the batch, which errs
     * on the side of a ledger entry up to the next Sync.
     */
    void nextRequestMayBeSkipped() {
        mayFailInBatch++;
    }

    /** Whether the source may skip the next message walked: one before it in its Query or batch may fail. */
    boolean mayBeSkipped() {
        return mayFailInBatch > 0 || mayFailInQuery > 0;
    }

    /**
     * The transaction may end and commit here, or go on ({@link #unsure}, a BEGIN that may have been skipped, a
     * ROLLBACK that may have been).
     */
    private void mayEnd(String request) {
        if (openCounted < openWrites()) {
            countOpen(request);
            openCounted = openWrites();
        }
    }

    private void end(boolean commits, String request, boolean chain) {
        if (commits && openCounted < openWrites()) {
            countOpen(request);
        }
        openTables.clear();
        openStatements.clear();
        openUnresolved.clear();
        if (times != null) {
            openWriteTables.clear();
            openRows.clear();
        }
        openInitial = 0;
        openCounted = 0;
        explicit = chain;
        failed = false;
        beginUncertain = false;
        savepoints = false;
    }

    private int openWrites() {
        return openInitial + openStatements.size();
    }

    /** The open writes not counted yet may commit, at {@code request} unless an earlier one was named. */
    private void countOpen(String request) {
        tables.addAll(openTables);
        unresolved.addAll(openUnresolved);
        if (openCounted < openInitial) {
            initialCounted = openInitial;
        }
        statements.addAll(openStatements.subList(Math.max(0, openCounted - openInitial), openStatements.size()));
        countRows();
        if (awaited == null) {
            awaited = request;
        }
    }

    /** The rows of the open writes not counted yet are of what may commit. */
    private void countRows() {
        if (times != null) {
            for (int i = openCounted; i < openRows.size(); i++) {
                times.add(openWriteTables.get(i), openRows.get(i));
            }
        }
    }

    boolean mayCommit() {
        return !tables.isEmpty();
    }

    /** The tables that may commit writes. */
    Set<TableName> tables() {
        return tables;
    }

    /** The first request whose answer says whether they committed, in words; null when nothing may commit. */
    String awaited() {
        return awaited;
    }

    /** What may commit; call only when {@link #mayCommit}. */
    UnknownOutcome outcome(String database, long sessionId, long endedAt, String cause) {
        List<String> all = new ArrayList<>(initialCounted + statements.size());
        initial.subList(0, initialCounted).forEach(s -> all.add(s.sql()));
        all.addAll(statements);
        return new UnknownOutcome(database, sessionId, endedAt, List.copyOf(tables), all, awaited, cause,
                List.copyOf(unresolved), times);
    }
}
