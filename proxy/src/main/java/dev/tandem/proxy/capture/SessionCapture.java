package dev.tandem.proxy.capture;

import dev.tandem.protocol.backend.CommandComplete;
import dev.tandem.protocol.backend.ErrorResponse;
import dev.tandem.protocol.backend.ParameterStatus;
import dev.tandem.protocol.backend.ReadyForQuery;
import dev.tandem.protocol.frame.FrameObserver;
import dev.tandem.protocol.frame.ProtocolViolationException;
import dev.tandem.protocol.frontend.Bind;
import dev.tandem.protocol.frontend.BoundParameters;
import dev.tandem.protocol.frontend.Close;
import dev.tandem.protocol.frontend.Execute;
import dev.tandem.protocol.frontend.Parse;
import dev.tandem.protocol.frontend.Query;
import dev.tandem.protocol.frontend.StatementOrPortal;
import dev.tandem.protocol.sql.ClassifiedStatement;
import dev.tandem.protocol.sql.ClassifiedStatement.ConflictAction;
import dev.tandem.protocol.sql.ClassifiedStatement.Kind;
import dev.tandem.protocol.sql.Identifiers;
import dev.tandem.protocol.sql.PreparedSql;
import dev.tandem.protocol.sql.SearchPath;
import dev.tandem.protocol.sql.StatementClassifier;
import dev.tandem.protocol.sql.TableName;
import dev.tandem.protocol.sql.TargetTableSpan;
import dev.tandem.proxy.capture.PendingRequest.BindRequest;
import dev.tandem.proxy.capture.PendingRequest.CloseRequest;
import dev.tandem.proxy.capture.PendingRequest.DescribeRequest;
import dev.tandem.proxy.capture.PendingRequest.ExecuteRequest;
import dev.tandem.proxy.capture.PendingRequest.FunctionRequest;
import dev.tandem.proxy.capture.PendingRequest.ParseRequest;
import dev.tandem.proxy.capture.PendingRequest.QueryRequest;
import dev.tandem.proxy.capture.PendingRequest.SyncRequest;
import dev.tandem.proxy.relay.SessionContext;
import dev.tandem.proxy.relay.SessionEnd;
import dev.tandem.proxy.relay.SessionTap;
import io.netty.buffer.ByteBuf;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mirror's view of one client session: captures the writes to mirrored tables exactly as sent, pairs every
 * answer of the source with the request it answers (as pgjdbc's QueryExecutorImpl does, with a FIFO of pending
 * requests), and hands each committed source transaction to the {@link Sink}.
 *
 * <p>Requests that get a terminal answer are queued in the order the source will answer them: Query (one
 * CommandComplete per statement, then ReadyForQuery), Parse (ParseComplete), Bind (BindComplete), Execute
 * (CommandComplete / PortalSuspended / EmptyQueryResponse), Describe (RowDescription / NoData, after a
 * ParameterDescription for a statement), Close (CloseComplete), FunctionCall and Sync (ReadyForQuery). After an error
 * in the extended protocol the source skips everything up to Sync, and so does this queue; after a FATAL one it reads
 * nothing more ({@link #sourceEnded}). Statements and portals created in a batch count only once the source confirms
 * them, so a failed Parse never shadows the statement the source still has.
 *
 * <p>When the source's ReadyForQuery follows a commit that the sink has not yet made durable (spool fsync, or the
 * target in sync mode), that ReadyForQuery is held: the client does not hear "committed" before Tandem can keep
 * its promise.
 *
 * <p>A session that ends while the source still owes the answer to a request that may commit mirrored writes (the
 * relay gave up on the source: shutdown, drain timeout, an internal error, a lost connection) is told to the sink as an
 * {@link UnknownOutcome}: the source may commit them after the proxy stopped listening ({@link ForecastWalk},
 * {@link CommitForecast}). The walk then also gathers what the capture holds of their rows ({@link OutcomeTimes}), so
 * the ledger entry gets their time range; a session that ends as usual gathers nothing.
 *
 * <p>The COMMIT of an explicit transaction that upserted, sent once all its upserts were answered, takes a ticket of
 * the {@link CommitSequencer} as it is read (before the relay forwards it); its transaction is spooled in the order of
 * the tickets, which for two upserts of one key is the source's commit order. Its ReadyForQuery waits for that too.
 */
public final class SessionCapture implements SessionTap {

    private static final Logger LOG = LoggerFactory.getLogger(SessionCapture.class);

    /** Receives each committed transaction; the session's next ReadyForQuery waits for the returned stage. */
    public interface Sink {
        CompletionStage<?> committed(CapturedTransaction transaction);

        /**
         * The session ended with writes the source may commit unseen; called on the event loop, must not block. A sink
         * without a divergence ledger only logs it.
         */
        default void outcomeUnknown(UnknownOutcome outcome) {
            LOG.warn("session {} ended because {} while the source still owed the answer to {}: writes into {} may be"
                    + " on the source only", outcome.sessionId(), outcome.cause(), outcome.awaited(), outcome.tables());
        }

        /**
         * A committed write went to {@code table} or to the session's temporary table of that name, the capture
         * cannot tell which; it was not mirrored. Called on the event loop, must not block. A sink without a
         * divergence ledger only logs it.
         */
        default void ambiguousTable(String database, long sessionId, TableName table, String sql, String reason) {
            LOG.warn("session {}: {}", sessionId, reason);
        }
    }

    private final SessionContext context;
    private final MirroredTables tables;
    private final CaptureMetrics metrics;
    private final UpsertWindows.Session upserts;
    private final Sink sink;
    private final TransactionHold hold;
    /**
     * Reads the rows' times of writes over the capture limit, whose data is not kept; null: not read, nor those of an
     * {@link UnknownOutcome}.
     */
    private final RowTimesReading rowTimes;
    /**
     * The applier can map user-defined type OIDs by name (the proxy has source credentials): keep them as sent.
     * Without, a text parameter's OID becomes 0 (the target infers the type) and a binary one is not replayable.
     */
    private final boolean typesRemapped;
    private final TransactionTracker tracker;
    /** Counts what the completed statements did that the mirror does not replay as the source ran it. */
    private final StatementAccounting accounting;
    /** What the source may still commit of the requests in {@link #pending}. */
    private final ForecastWalk forecastWalk;

    private final Deque<PendingRequest> pending = new ArrayDeque<>();
    /**
     * How many Queries and Executes the client sent, in all: the requests that run statements, so the only ones that
     * upsert. Each is numbered in the order the source runs them: its upserts belong to the transaction open when it
     * runs ({@link #firstRunInFlight}).
     */
    private long runsSent;
    private final ServerNames<Prepared> statements = new ServerNames<>();
    private final ServerNames<Portal> portals = new ServerNames<>();
    private final SavepointPortals savepointPortals = new SavepointPortals();
    /**
     * A request that may PREPARE or DEALLOCATE statements by SQL is in flight: what it does to the names counts only
     * once it completes, so a Bind sent behind it may bind another statement than the capture holds under the name;
     * until the source answered everything, Binds keep their values.
     */
    private boolean sqlNamesInFlight;
    /**
     * A request that may change what unqualified table names mean is in flight ({@link SessionNames#mayChange}:
     * relation DDL, a SET, a DO block or a CALL, a ROLLBACK): a Bind sent behind it is read before the source ran it,
     * so its name resolves here as before the change. Until the source answered everything, Binds of writes whose
     * name is unqualified keep their values, whatever table it means now, and their table is resolved when the source
     * answers them ({@link #ran}), as the source resolved it; a statement parsed behind such a request is resolved
     * again when the source answers the Parse ({@link #parseComplete}). Their values count in the transaction's
     * capture limit only once their table is told to be a mirrored one ({@link TransactionHold#reserve}).
     */
    private boolean namesChangeInFlight;

    private final SessionNames names;
    /** The session's writes checked against the search_path the source reports. */
    private final SearchPathChecks pathChecks;
    /** This session's part in the trace of commits in flight; null when untraced. */
    private final InFlightTrace inFlight;
    /** The source sent its first ReadyForQuery: start-up is over. */
    private boolean ready;
    /** The settings that decide how the values of the statements completing now were read. */
    private final SessionSettings settings = new SessionSettings();
    /** The source's {@code server_version}, reported at start-up: whether it ends COPY data at {@code \.}. */
    private String sourceVersion;
    /** The session_replication_role they run under, which decides the triggers the target fires for them. */
    private final ReplicationRoleState replicationRole;

    /** The COPYs the client asked for, in its order, until both sides are done with each. */
    private final CopiesInFlight copies;
    /**
     * The source failed an extended-protocol request before the proxy saw the Sync that ends its batch: the source
     * skips everything the client sent up to that Sync, and so does the capture, also what it sees only after the
     * error (a batch larger than a read, or sent in pieces, still arrives while the source answers its start).
     */
    private boolean skippingToSync;
    /**
     * The source sent a FATAL (or PANIC) error: it ends the connection without reading another message, so no request
     * behind the one it was answering runs, nor any the client sends from here on. A client meets this when it sends a
     * request to a COPY FROM STDIN it did not expect: from PostgreSQL 14 on the source fails the COPY with the message
     * half read (08P01, copyfromparse.c) and then drops the connection, which it can no longer read (postgres.c).
     */
    private boolean sourceEnded;
    /** What the next ReadyForQuery waits for: the sink's stages of the commits since the last one that passed. */
    private CompletionStage<?> lastCommit = CompletableFuture.completedFuture(null);
    /** The session's client_encoding, and which of its texts may have been read here in another encoding. */
    private final SessionEncoding encoding = new SessionEncoding();
    /**
     * The open transaction's mirrored writes, each with its capture: for the client_encoding check and the upserts'
     * commit order at commit.
     */
    private final List<Finished> finishedInTransaction = new ArrayList<>();
    /** The sequencer's ticket of the COMMIT in flight (see {@link #takesTicket}), until it commits or not. */
    private CommitSequencer.Ticket ticket;
    /**
     * DDL completed in the open transaction (or in the statement about to end): when it commits, the source's
     * catalog that resolves unqualified names may have changed.
     */
    private boolean relationsChanged;
    /**
     * Completes once the sequencer let the session's last commit held back be spooled, and a commit over the capture
     * limit whose rows' times were being read is spooled.
     */
    private CompletionStage<?> lastTurn = CompletableFuture.completedFuture(null);

    /**
     * @param volatileDefaults table -> its columns the server fills with a non-deterministic value when a write
     *                         leaves them out (see {@link VolatileDefaults}), kept fresh by the caller
     * @param inFlight         the session's slot in the trace of commits in flight, released when it closes; null:
     *                         not traced
     * @param chunks           the hypertables of TimescaleDB chunks written by name, for counting the writes into
     *                         them the mirror does not replay; null: none known
     * @param rowTimes         reads the rows' times of writes over the capture limit, for their ledger entries, and
     *                         knows the time columns by which those of an {@link UnknownOutcome} are read; null: not
     *                         read (the entries say their times are unknown)
     */
    public SessionCapture(SessionContext context, MirroredTables tables,
                          Supplier<Map<TableName, Set<String>>> volatileDefaults, CaptureMetrics metrics,
                          UpsertWindows upsertWindows, Sink sink, long maxTransactionBytes, CaptureBudget budget,
                          boolean typesRemapped, InFlightCommits.Slot inFlight, ChunkHypertables chunks,
                          RowTimesReading rowTimes) {
        this.context = context;
        this.tables = tables;
        this.metrics = metrics;
        this.upserts = upsertWindows.session(context.database(), tables::rowsOf);
        this.sink = sink;
        this.hold = new TransactionHold(maxTransactionBytes, budget);
        this.rowTimes = rowTimes;
        this.copies = new CopiesInFlight(hold, c -> StatementTimes.copy(rowTimes, timeColumn(c.table), c.statement,
                settings.known(), c.clientEncoding, c.copyData));
        this.typesRemapped = typesRemapped;
        this.inFlight = inFlight == null ? null : new InFlightTrace(inFlight, context);
        this.names = new SessionNames(tables, context.user(), context.role());
        this.pathChecks = new SearchPathChecks(names, metrics, context.sessionId());
        this.replicationRole = new ReplicationRoleState(context.replicationRole());
        List<String> startupPath = context.searchPath() == null ? null : SearchPath.parseSetting(context.searchPath());
        if (startupPath != null) {
            names.established(startupPath);
        }
        this.tracker = new TransactionTracker(new TransactionTracker.Listener() {
            @Override
            public void committed(List<CapturedStatement> captured) {
                commit(captured);
            }

            @Override
            public void discarded(List<CapturedStatement> captured, String why) {
                hold.ended();
            }

            @Override
            public void undone(List<CapturedStatement> captured, String savepoint) {
                hold.undone(captured);
                // no longer the transaction's: an upsert undone has no commit order to doubt
                Set<CapturedStatement> gone = Collections.newSetFromMap(new IdentityHashMap<>());
                gone.addAll(captured);
                finishedInTransaction.removeIf(f -> gone.contains(f.statement()));
            }

            @Override
            public void ended(boolean committed) {
                releaseTicket(); // the COMMIT it was for committed nothing to spool, or rolled back
                names.transactionEnded(committed);
                replicationRole.transactionEnded(committed);
                // the source drops the transaction's portals, also at a COMMIT or ROLLBACK amid a pipelined batch
                portals.clearConfirmed();
                savepointPortals.clear();
                // after commit() read them, and also when none were left to commit (rolled back to a savepoint)
                finishedInTransaction.clear();
                pathChecks.transactionEnded();
                if (upserts.hasUpserts()) {
                    // its upserts, whose requests were answered; a chained transaction's are sent behind them
                    upserts.transactionEnded(firstRunInFlight());
                }
            }

            @Override
            public void savepoint(ClassifiedStatement.TxCommand command, String name) {
                switch (command) {
                    case SAVEPOINT -> {
                        savepointPortals.savepoint(name);
                        names.savepoint(name);
                        replicationRole.savepoint(name);
                    }
                    case RELEASE -> {
                        savepointPortals.release(name);
                        names.release(name);
                        replicationRole.release(name);
                    }
                    case ROLLBACK_TO_SAVEPOINT -> {
                        savepointPortals.rollbackTo(name).forEach(portals::closed);
                        names.rollbackTo(name);
                        replicationRole.rollbackTo(name);
                    }
                    default -> {
                    }
                }
            }
        });
        this.accounting = new StatementAccounting(context, tables, names, volatileDefaults, metrics, tracker, chunks,
                sink, this::named);
        this.forecastWalk = new ForecastWalk(pending, statements, portals, tracker, new ForecastWalk.Names() {
            @Override
            public TableName mirroredWrite(ClassifiedStatement s) {
                return SessionCapture.this.mirroredWrite(s);
            }

            @Override
            public TableName ranNow(StatementCapture capture, Prepared p) {
                // not through the statement's PreparedTable, which would remember this look-up as the source's
                return names.unchangedSince(capture.resolvedIn) ? capture.table : mirroredTarget(capture.statement);
            }

            @Override
            public ForecastWalk.Unresolved unresolved(TableName name) {
                return unresolvedWrite(name);
            }
        });
    }

    /** Prefixes of the message of a malformed frame's violation (the relay names the source itself). */
    private static final String FROM_CLIENT = "invalid message from the client: ";
    private static final String FROM_SOURCE = "";
    /** CommandComplete tags of statements that may change which tables exist under which names. */
    private static final Set<String> RELATION_TAGS = Set.of("CREATE TABLE", "CREATE VIEW", "CREATE MATERIALIZED VIEW",
            "CREATE FOREIGN TABLE", "CREATE SCHEMA", "DROP TABLE", "DROP VIEW", "DROP MATERIALIZED VIEW",
            "DROP FOREIGN TABLE", "DROP SCHEMA", "DROP OWNED", "ALTER TABLE", "ALTER VIEW", "ALTER MATERIALIZED VIEW",
            "ALTER FOREIGN TABLE", "ALTER SCHEMA", "IMPORT FOREIGN SCHEMA");

    /**
     * Decodes a frame the capture must understand. One it cannot read ends the session as a protocol violation: the
     * capture could not tell what the source made of it, so it cannot promise to mirror what follows.
     */
    private static <T> T read(ByteBuf frame, Function<ByteBuf, T> decoder, String from) {
        try {
            return decoder.apply(frame);
        } catch (IllegalArgumentException e) {
            throw new ProtocolViolationException(from + e.getMessage());
        }
    }

    // ---- frontend: what the client asks -------------------------------------------------------------------------

    private final FrameObserver frontend = new FrameObserver() {
        @Override
        public boolean needsWholeFrame(byte type) {
            if (sourceEnded) {
                return false;
            }
            return switch (type) {
                case 'Q', 'P', 'B', 'E', 'C' -> true;
                case 'd' -> copies.keepsData();
                default -> false;
            };
        }

        @Override
        public void onFrameStart(byte type, int length) {
            if (sourceEnded) {
                return; // the source reads it no more
            }
            upserts.requestSent();
            CopyIn interrupted = copies.endsCopy(type);
            PendingRequest last = pending.peekLast();
            switch (type) {
                case 'S' -> {
                    skippingToSync = false; // the source answers this one
                    statements.synced();
                    portals.synced();
                    // the server ignores Sync (and Flush) while it reads COPY data
                    CopyIn copy = copies.clientCopy();
                    if (copy == null || !copy.answered || copy.failed) {
                        pending.add(new SyncRequest(copy != null));
                    }
                }
                case 'd' -> copies.dataStarts(length);
                case 'c', 'f' -> copies.clientCopyEnded(type == 'f');
                case 'F' -> {
                    if (!skippingToSync) {
                        pending.add(new FunctionRequest());
                    }
                }
                case 'D' -> {
                    if (!skippingToSync) {
                        pending.add(new DescribeRequest());
                    }
                }
                default -> {
                }
            }
            if (interrupted != null) {
                interruptedBy(interrupted, last);
            }
            // requests that may end a transaction, and a Flush: a pipelining client's COMMIT may run before its Sync
            if (type == 'S' || type == 'H' || type == 'F' || type == 'c') {
                traceInFlight();
            }
            classifyWindow(type == 'S' || type == 'F' || type == 'c' || type == 'f');
        }

        @Override
        public boolean onFrame(byte type, ByteBuf frame) {
            if (sourceEnded) {
                return true;
            }
            upserts.requestSent();
            CopyIn interrupted = copies.endsCopy(type);
            if (skippingToSync) {
                return true; // the source does not even read it
            }
            PendingRequest last = pending.peekLast();
            boolean mayEnd = false;
            switch (type) {
                case 'Q' -> {
                    query(read(frame, f -> Query.decode(f, encoding.charset()), FROM_CLIENT).sql());
                    traceInFlight();
                    mayEnd = true;
                }
                case 'P' -> parse(read(frame, f -> Parse.decode(f, encoding.charset()), FROM_CLIENT));
                case 'B' -> bind(frame);
                case 'E' -> {
                    // the source runs a COMMIT as it reads it, before any Sync; a new COPY ends the COPYs before it
                    if (execute(read(frame, Execute::decode, FROM_CLIENT))) {
                        traceInFlight();
                        mayEnd = true;
                    }
                }
                case 'C' -> {
                    Close close = read(frame, Close::decode, FROM_CLIENT);
                    pending.add(new CloseRequest(close.kind(), close.name()));
                }
                case 'd' -> copies.copyData(frame);
                default -> {
                }
            }
            if (interrupted != null) {
                interruptedBy(interrupted, last);
            }
            classifyWindow(mayEnd);
            return true;
        }
    };

    /**
     * The mirrored table a prepared statement writes under the current {@code search_path}, temporary tables, current
     * user and target catalog, or null. Resolved again only when the name is unqualified and one of them changed
     * since it was last resolved ({@link PreparedTable}): not on every execution.
     */
    private TableName mirroredNow(Prepared p) {
        return p.now() == null ? p.table() : p.now().resolve(names, tables, p.statement().table(), p.named());
    }

    /**
     * The message that first interrupted {@code copy} was handled, having queued the request behind {@code last} (if
     * any): the one the COPY takes. The source then runs the requests behind it (before PostgreSQL 14, after a simple
     * Query's COPY): they cannot count on a name it makes, as in a batch of their own. What the source may commit
     * changes with it: a BEGIN it asks for may never run.
     */
    private void interruptedBy(CopyIn copy, PendingRequest last) {
        PendingRequest queued = pending.peekLast();
        copy.takes = queued != last ? queued : null;
        statements.synced();
        portals.synced();
        traceInFlight();
    }

    private void query(String sql) {
        List<ClassifiedStatement> statements = StatementClassifier.classify(sql);
        if (upserts.hasUpserts() && pending.isEmpty() && commitsNoUpserts(statements)) {
            takesTicket();
        }
        QueryRequest q = new QueryRequest(sql, statements, encoding.nextText(), encoding.clientEncoding(), runsSent++);
        for (ClassifiedStatement s : statements) {
            sqlNamesInFlight |= namesStatements(s);
            namesChangeInFlight |= SessionNames.mayChange(s, sql);
            if (s.kind() == Kind.COPY_FROM_STDIN) {
                CopyIn copy = new CopyIn(mirroredTarget(s) != null);
                if (q.copies.isEmpty()) {
                    copies.copyRequested(copy);
                } else {
                    copies.nextInQuery(copy); // the string's COPYs run one after the other
                }
                q.copies.add(copy);
            } else {
                TableName table = upsertInto(s);
                if (table != null) {
                    upserts.upsertSent(table, q.run);
                }
            }
        }
        pending.add(q);
    }

    /**
     * The mirrored table that statement {@code s} may upsert into ({@code INSERT ... ON CONFLICT DO UPDATE}), or null.
     * An SQL-level EXECUTE is replayed as the upsert it runs; a PREPARE of an upsert counts too, as an EXECUTE sent
     * with it (in the same query string or batch) runs before the session knows the PREPARE, which counts only once it
     * completes.
     */
    private TableName upsertInto(ClassifiedStatement s) {
        ClassifiedStatement runs = s;
        if (s.kind() == Kind.EXECUTE) {
            Prepared prepared = named(s.name());
            runs = prepared == null ? null : prepared.statement();
        } else if (s.kind() == Kind.PREPARE) {
            runs = s.inner();
        }
        return runs != null && runs.kind() == Kind.INSERT && runs.onConflict() == ConflictAction.UPDATE
                ? mirroredTarget(runs) : null;
    }

    /**
     * Whether a query string commits the open transaction and upserts nothing: an upsert sent with the COMMIT may still
     * wait for another transaction's lock when the COMMIT is sent.
     */
    private boolean commitsNoUpserts(List<ClassifiedStatement> statements) {
        boolean commits = false;
        for (ClassifiedStatement s : statements) {
            if (upsertInto(s) != null) {
                return false;
            }
            commits |= commits(s);
        }
        return commits;
    }

    private static boolean commits(ClassifiedStatement s) {
        return s != null && s.kind() == Kind.TRANSACTION && (s.txCommand() == ClassifiedStatement.TxCommand.COMMIT
                || s.txCommand() == ClassifiedStatement.TxCommand.COMMIT_AND_CHAIN);
    }

    private static boolean commits(Prepared p) {
        return p != null && commits(p.statement());
    }

    /**
     * Whether every request in flight only names statements and portals (the Parse and Bind of an Execute's own batch):
     * none runs an upsert, or anything else, before it.
     */
    private boolean onlyNamesAhead() {
        for (PendingRequest p : pending) {
            if (!(p instanceof ParseRequest || p instanceof BindRequest || p instanceof DescribeRequest
                    || p instanceof CloseRequest)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The client sends a COMMIT with nothing else in flight ahead of it, and the open transaction has upserts: in an
     * explicit transaction that is not failed (the source answered its BEGIN, so the COMMIT is the one that commits),
     * the COMMIT takes a ticket of the sequencer, before the relay forwards it. Each of its upserts was answered, so
     * one that waited for another transaction's lock was answered after that one committed: that one's COMMIT took
     * its ticket before this one.
     */
    private void takesTicket() {
        if (ticket == null && tracker.state() == TransactionTracker.State.EXPLICIT) {
            ticket = upserts.sequencer().take(context.sessionId());
            upserts.covered(true);
        }
    }

    /** The ticket's COMMIT spools nothing (it rolled back, wrote nothing mirrored, failed, or never ran). */
    private void releaseTicket() {
        if (ticket != null) {
            upserts.sequencer().release(ticket);
            ticket = null;
            upserts.covered(false);
        }
    }

    /**
     * Opens the upsert window when a request goes out, and tells it whether what the session has in flight can commit
     * its upserts only in the sequencer's order: by the COMMIT that took the ticket, or not at all (an explicit
     * transaction with no COMMIT in flight, which another session's commit checked now precedes). Asked only while
     * the window is open or opens: an upsert is in flight or the transaction has one, so plain INSERTs never pay.
     */
    private void classifyWindow() {
        classifyWindow(true);
    }

    /**
     * {@link #classifyWindow()} after the client's request was read, when it may change the answer: {@code mayEnd},
     * it may end a transaction (a Sync, FunctionCall, Query, an Execute of a transaction control statement) or let a
     * COPY end (CopyDone, CopyFail, an Execute of a COPY); or the window opens with it. Any other request (a Parse,
     * Bind, Describe, Close, CopyData, an Execute of another statement) only adds writes that commit at a later one of
     * those: walking everything in flight again at each of them took the square of a pipelined batch's size.
     */
    private void classifyWindow(boolean mayEnd) {
        if (mayEnd ? upserts.opens() : upserts.opening()) {
            upserts.classified(upserts.covered()
                    || !forecastWalk.forecast(false).mayCommit());
        }
    }

    /** The capture of the query's {@code k}-th statement, decided the first time it is asked for: when it runs. */
    private StatementCapture captureAt(QueryRequest q, int k) {
        if (!q.decided[k]) {
            ClassifiedStatement s = q.statements.get(k);
            q.captures[k] = captureFor(s, q.sql, q.text, q.encoding);
            q.decided[k] = true;
        }
        return q.captures[k];
    }

    private void parse(Parse parse) {
        List<ClassifiedStatement> classified = StatementClassifier.classify(parse.sql());
        ClassifiedStatement statement = classified.size() == 1 ? classified.get(0) : null;
        long catalog = tables.catalogVersion(); // before it is read: a newer answer is read again, not missed
        TableName table = statement == null ? null : mirroredTarget(statement);
        PreparedTable now = preparedTable(statement, table, catalog);
        int[] types = parse.parameterTypes().stream().mapToInt(Integer::intValue).toArray();
        Prepared prepared = new Prepared(parse.sql(), statement, table, types, names.temporaryTables(), now,
                encoding.nextText(), !parse.name().isEmpty(), null, new ParseTimeSettings(parse.sql()));
        sqlNamesInFlight |= statement != null && namesStatements(statement);
        statements.requested(parse.name(), prepared);
        pending.add(new ParseRequest(parse.name(), prepared));
    }

    private void bind(ByteBuf frame) {
        String[] names = read(frame, Bind::peekNames, FROM_CLIENT);
        ServerNames.Reference<Prepared> statement = statements.reference(names[1]);
        // Values are copied only for statements the mirror may replay; others may be large and are none of its
        // business. Any statement the source may bind counts: the one it holds when it reads the Bind decides. A name
        // the capture does not know yet, or one an SQL PREPARE or DEALLOCATE still running ahead of the Bind may
        // change: kept too; so is an unqualified write while a request that may change what its name means runs ahead.
        boolean keep = sqlNamesInFlight || statement.candidates().isEmpty() && !names[1].isEmpty();
        boolean transaction = false;
        for (Prepared p : statement.candidates()) {
            keep |= mayWriteMirrored(p) || namesChangeInFlight && p != null && p.now() != null;
            transaction |= runsTransaction(p);
        }
        BoundParameters bind = keep ? read(frame, BoundParameters::decode, FROM_CLIENT) : null;
        // for the forecast: whether the source surely binds a BEGIN (see ForecastWalk's SureRuns)
        int parameters = transaction ? read(frame, Bind::peekParameterCount, FROM_CLIENT) : -1;
        Portal portal = new Portal(statement, bind);
        portals.requested(names[0], portal);
        pending.add(new BindRequest(names[0], portal, parameters));
    }

    /** Whether {@code s} makes or drops prepared statements: PREPARE, DEALLOCATE [ALL], DISCARD ALL. */
    private static boolean namesStatements(ClassifiedStatement s) {
        return s.kind() == Kind.PREPARE || s.kind() == Kind.DEALLOCATE;
    }

    /**
     * Whether a prepared statement may write a mirrored table when it runs. An unqualified name is also looked up under
     * the current path: a SET since the Parse may have made it mean a mirrored table (the server re-resolves a
     * prepared statement after search_path changes). One that means a temporary table now counts too: a DROP in
     * flight may leave the mirrored one by the time it runs.
     */
    private boolean mayWriteMirrored(Prepared p) {
        return p != null && (p.mirrored() || mirroredNow(p) != null || hiddenByTemporary(p.statement()) != null);
    }

    /**
     * Captures the portal's statement provisionally: for the portal the client last bound under the name, with the
     * statement it last parsed. What may run instead (see {@link ServerNames}) only decides, now, which COPY data to
     * keep and which upserts are in flight.
     *
     * @return whether the source may run a transaction control statement or a COPY for it
     */
    private boolean execute(Execute execute) {
        long run = runsSent++;
        ServerNames.Reference<Portal> reference = portals.reference(execute.portal());
        Portal portal = reference.get();
        Prepared prepared = portal == null ? null : portal.prepared();
        StatementCapture capture = null;
        boolean firstRun = portal != null && !portal.executed;
        if (firstRun) {
            capture = capturePortal(portal, encoding.clientEncoding(), run);
            portal.executed = true;
            if (capture == null) {
                // a captured upsert counted itself; this is an SQL-level EXECUTE or PREPARE of one, or an upsert
                // whose values are not kept, which the source runs all the same
                upsertSent(prepared, run);
            }
        }
        namesChangeInFlight |= changesNames(prepared);
        boolean copyExpected = runsCopy(prepared);
        boolean copyPossible = copyExpected;
        boolean copyKept = copyExpected && capture != null;
        boolean endsOrCopies = copyExpected || runsTransaction(prepared);
        if (upserts.hasUpserts() && certain(reference) && commits(prepared) && onlyNamesAhead()) {
            takesTicket();
        }
        for (Run other : certain(reference) ? List.<Run>of() : possibleRuns(statements, portals, reference)) {
            if (other.portal() == portal && other.prepared() == prepared) {
                continue;
            }
            namesChangeInFlight |= changesNames(other.prepared());
            boolean copy = runsCopy(other.prepared());
            copyPossible |= copy;
            copyKept |= copy && other.portal().bind != null && mayWriteMirrored(other.prepared());
            endsOrCopies |= copy || runsTransaction(other.prepared());
            upsertSent(other.prepared(), run);
        }
        CopyIn copy = null;
        if (copyPossible) {
            copy = new CopyIn(copyKept);
            copies.copyRequested(copy);
        }
        pending.add(new ExecuteRequest(reference, capture, copy, copyExpected, encoding.clientEncoding(), firstRun,
                run));
        return endsOrCopies;
    }

    /** Whether the Execute of {@code portal} can run one statement only (always, for a client that reuses no name). */
    private static boolean certain(ServerNames.Reference<Portal> portal) {
        List<Portal> portals = portal.candidates();
        return portals.isEmpty() || portals.size() == 1 && portals.get(0).statement.candidates().size() <= 1;
    }

    /**
     * The statements the Execute of {@code portal} may run, as far as known now: a candidate whose Parse or Bind the
     * source has skipped since (an error earlier in its batch), or that it closed, is gone.
     */
    static List<Run> possibleRuns(ServerNames<Prepared> statements, ServerNames<Portal> portals,
                                  ServerNames.Reference<Portal> portal) {
        List<Run> runs = new ArrayList<>();
        for (Portal p : portal.candidates()) {
            if (!portals.possible(portal, p)) {
                continue;
            }
            for (Prepared statement : p.statement.candidates()) {
                if (statements.possible(p.statement, statement)) {
                    runs.add(new Run(p, statement));
                }
            }
        }
        return runs;
    }

    /**
     * What the mirror replays when the source runs the portal, or null: when it runs it for the first time, with its
     * values kept, a statement the mirror may replay. Its table is resolved again when it ran ({@link #ran}).
     *
     * @param clientEncoding the encoding the source read the Bind values in
     * @param run            the number of the Execute that runs it ({@link #runsSent})
     */
    private StatementCapture capturePortal(Portal portal, String clientEncoding, long run) {
        Prepared p = portal.prepared();
        if (p == null || portal.bind == null || !replayable(p.statement())) {
            return null;
        }
        TableName now = mirroredNow(p);
        TableName table = now != null ? now : p.table() != null ? p.table() : hiddenByTemporary(p.statement());
        StatementCapture capture = new StatementCapture(table, p.sql(), p.statement(), portal.bind,
                p.parameterTypes());
        // not mirrored under the current path and temporary tables: decide again when it runs
        capture.resolvedIn = now != null ? names.scope() : null;
        capture.text = p.text();
        capture.parseTime = p.parseTime();
        // its table is told when it runs: until then its values count in no transaction's limit
        checkReplayable(capture, now == null || namesChangeInFlight && p.now() != null);
        // the source reads the Bind values in the encoding of the Execute's time; a Parse's text is unicode here
        SessionEncoding.check(capture, clientEncoding);
        if (now != null && p.now() != null && capture.unreplayable == null) {
            capture.unreplayable = p.now().ambiguous();
        }
        if (capture.table != null && capture.statement.onConflict() == ConflictAction.UPDATE) {
            upserts.upsertSent(capture.table, run);
        }
        return capture;
    }

    /**
     * An upsert the source may run: it counts as in flight ({@link UpsertWindows}).
     *
     * @param run the number of the Execute that runs it ({@link #runsSent})
     */
    private void upsertSent(Prepared p, long run) {
        if (p == null || p.statement() == null) {
            return;
        }
        Kind kind = p.statement().kind();
        TableName table = kind == Kind.EXECUTE || kind == Kind.PREPARE ? upsertInto(p.statement())
                : p.statement().onConflict() == ConflictAction.UPDATE ? mirroredNow(p) : null;
        if (table != null) {
            upserts.upsertSent(table, run);
        }
    }

    /**
     * The number of the first Query or Execute in flight ({@link #runsSent}), or of the next one the client sends: the
     * source ran (or skipped) every one numbered below it, also the upserts among them.
     */
    private long firstRunInFlight() {
        for (PendingRequest p : pending) {
            if (p instanceof QueryRequest q) {
                return q.run;
            }
            if (p instanceof ExecuteRequest e) {
                return e.run;
            }
        }
        return runsSent;
    }

    private static boolean changesNames(Prepared p) {
        return p != null && p.statement() != null && SessionNames.mayChange(p.statement(), p.sql());
    }

    static boolean runsCopy(Prepared p) {
        return p != null && p.statement() != null && p.statement().kind() == Kind.COPY_FROM_STDIN;
    }

    static boolean runsTransaction(Prepared p) {
        return p != null && p.statement() != null && p.statement().kind() == Kind.TRANSACTION;
    }

    /** The time column of a table of this session's database ({@link SourceOrderedTimeColumns}); null: not known. */
    private TableTimeColumn timeColumn(TableName table) {
        return rowTimes == null ? null : rowTimes.timeColumn(context.database(), table);
    }

    /**
     * What the mirror replays for statement {@code s} of {@code sql}, or null when it does not mirror it (counting
     * why). An SQL-level EXECUTE of a prepared INSERT is replayed as that INSERT with the EXECUTE's arguments written
     * in: the target has no such prepared statement. Its table is the one the executions of the prepared statement
     * write ({@link PreparedTable}), as for a Bind: when that cannot be told, it is ledgered.
     */
    private StatementCapture captureFor(ClassifiedStatement s, String sql, long text, String clientEncoding) {
        if (s.kind() != Kind.EXECUTE) {
            return captureOf(s, mirroredTarget(s), s.text(sql), text, clientEncoding);
        }
        Prepared named = named(s.name());
        TableName table = named == null || named.statement() == null ? null
                : named.now() != null ? mirroredNow(named) : mirroredTarget(named.statement());
        if (table == null) {
            return null;
        }
        StatementCapture c = expanded(s, sql, named, table, text, clientEncoding);
        if (c != null) {
            c.parseTime = named.parseTime();
        }
        if (c != null && c.unreplayable == null && named.now() != null) {
            c.unreplayable = named.now().ambiguous();
        }
        return c;
    }

    /** {@link #captureFor} of {@code s}, an SQL-level EXECUTE of {@code named} into {@code table}. */
    private StatementCapture expanded(ClassifiedStatement s, String sql, Prepared named, TableName table, long text,
                                      String clientEncoding) {
        PreparedSql prepared = named.declared();
        if (prepared == null && typed(named)) {
            StatementCapture c = captureOf(named.statement(), table, named.sql(), text, clientEncoding);
            if (c != null && c.unreplayable == null) {
                c.unreplayable = "an SQL EXECUTE of a statement the client prepared with a Parse message that gave"
                        + " its parameter types by OID: the proxy cannot write its arguments out with those types";
            }
            return c;
        }
        if (prepared == null) {
            // parsed with every parameter type left to the server, which infers them as for a PREPARE without types
            prepared = new PreparedSql(named.statement(), named.sql(), List.of());
        }
        String expanded = prepared.expand(sql, s);
        List<ClassifiedStatement> runs = expanded == null ? List.of() : StatementClassifier.classify(expanded);
        return runs.size() == 1 && replayable(runs.get(0))
                ? captureOf(runs.get(0), table, expanded, text, clientEncoding) : null;
    }

    /** The named prepared statement the server holds under {@code name}, made by a Parse or a PREPARE; or null. */
    private Prepared named(String name) {
        return name == null || name.isEmpty() ? null : statements.held(name);
    }

    /** Whether a Parse gave any of the statement's parameter types. */
    private static boolean typed(Prepared p) {
        for (int type : p.parameterTypes()) {
            if (type != 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * The statement an SQL-level PREPARE made, as a Parse would have: its body with each declared parameter type cast
     * to, which a Bind of it gives the values for.
     */
    private Prepared preparedBy(PreparedSql declared, long text) {
        String typed = declared.typedBody();
        String sql = typed != null ? typed : declared.body();
        List<ClassifiedStatement> classified = StatementClassifier.classify(sql);
        ClassifiedStatement statement = classified.size() == 1 ? classified.get(0) : null;
        long catalog = tables.catalogVersion();
        TableName table = statement == null ? null : mirroredTarget(statement);
        ParseTimeSettings parseTime = new ParseTimeSettings(sql);
        parseTime.parsed(settings.known()); // the PREPARE completes now: it read its text under the settings now
        return new Prepared(sql, statement, table, new int[0], names.temporaryTables(),
                preparedTable(statement, table, catalog), text, true, declared, parseTime);
    }

    /**
     * How the executions of a statement whose name is unqualified resolve it again ({@link PreparedTable}), from
     * {@code table}, its mirrored table as resolved now under the catalog look-up {@code catalog}; null for a
     * qualified name (the same table whatever changes) or a statement the mirror does not replay.
     */
    private PreparedTable preparedTable(ClassifiedStatement statement, TableName table, long catalog) {
        if (!replayable(statement) || statement.table().schema() != null) {
            return null;
        }
        TableName name = table != null ? table : names.resolve(statement.table());
        return new PreparedTable(names, tables, name, table, catalog);
    }

    /** {@link #captureFor} of statement {@code s} whose text is {@code sql}, into {@code table} (null: none). */
    private StatementCapture captureOf(ClassifiedStatement s, TableName table, String sql, long text,
                                       String clientEncoding) {
        if (table == null) {
            return null;
        }
        StatementCapture c = new StatementCapture(table, sql, s, null, null);
        c.text = text;
        if (!c.isCopy()) {
            long bytes = sql.length() + TransactionHold.QUERY_BYTES;
            if (hold.hold(bytes)) {
                c.held = bytes;
            } else {
                c.unreplayable = hold.tooLarge();
                c.overLimit = true;
            }
        }
        SessionEncoding.check(c, clientEncoding);
        return c;
    }

    /**
     * The completed capture as the mirror gets it: one statement, or for a write whose table cannot be told, one per
     * table it may have written ({@link #untoldWrite}).
     */
    private List<CapturedStatement> finished(StatementCapture c, long rows) {
        if (c.statement.callsSetConfig() && c.unreplayable == null) {
            // replayed, it would change the mirror's own session on the target: set_config('role', ...) or
            // ('transaction_read_only', 'on', ...) made its progress write fail on every retry, for good
            c.unreplayable = "it calls set_config, which on the target would change the mirror's own session (its"
                    + " role, read-only mode, timeouts, search_path) for what it applies next";
        }
        if (settings.uncertain() && c.unreplayable == null) {
            c.unreplayable = "it ran after a statement of the same request (query string or pipelined batch) that may"
                    + " have changed TimeZone, DateStyle, IntervalStyle or standard_conforming_strings, which decide"
                    + " how its values are read; the proxy learns their new values only after the request";
        }
        if (c.parseTime != null && c.unreplayable == null) {
            c.unreplayable = c.parseTime.unreplayable(settings.current());
        }
        if (replicationRole.current() == null && c.unreplayable == null) {
            c.unreplayable = replicationRole.unknownReason();
        }
        String untold = names.unreplayable(c.statement.table());
        if (untold != null) {
            c.unreplayable = c.unreplayable == null ? untold : c.unreplayable + "; also, " + untold;
        }
        if (c.overLimit) {
            readTimes(c);
        }
        if (c.isCopy() && c.unreplayable == null && CopyEndMarker.endsDataAtMarker(sourceVersion)) {
            // the target replays only what the source read: 18 reads on past the marker (CopyEndMarker)
            CopyEndMarker.cut(c.copyData, CopyLayout.of(c.statement.copyFormat(), c.statement.copyOptions()),
                    c.clientEncoding);
        }
        CapturedStatement done = c.finish(rows, names.replayPath(), replicationRole.stamped(settings.current()));
        if (c.statement.table() != null && c.statement.table().schema() == null
                && tables.targetFindsAnother(done.table(), effectiveSearchPath(), names.currentUser())) {
            done = qualified(done);
        }
        pathChecks.completed(c);
        finishedInTransaction.add(new Finished(done, c));
        if (untold == null) {
            return List.of(done);
        }
        if (!c.overLimit) {
            c.times = timesOf(c, c.table);
        }
        return untoldWrite(c, done);
    }

    /**
     * A write whose table cannot be told ({@link SessionNames#unreplayable}), ledgered as {@code done} under the table
     * it was resolved to, and as well under each other mirrored table its name may mean, as an outcome_unknown entry
     * does ({@link #unresolvedWrite}): with the range of its rows' times in each, {@code tandem-backfill repair}
     * re-copies the table the rows went to, and re-copying the others changes nothing. Its rows are counted once.
     */
    private List<CapturedStatement> untoldWrite(StatementCapture c, CapturedStatement done) {
        List<CapturedStatement> all = new ArrayList<>();
        all.add(done);
        // by name: which of the candidates the catalog knows as mirrored yet must not change the ledger's order
        List<TableName> others = new ArrayList<>(unresolvedWrite(c.statement.table()).tables());
        others.sort(Comparator.comparing(TableName::schema).thenComparing(TableName::name));
        for (TableName other : others) {
            if (!other.equals(c.table)) {
                StatementCapture also = c.resolvedAgain(other);
                also.held = 0; // the write's data is held once, by c
                also.provisional = 0;
                also.times = c.overLimit ? StatementTimes.unknown() : timesOf(c, other);
                CapturedStatement s = also.finish(0, done.searchPath(), settings.known());
                finishedInTransaction.add(new Finished(s, also));
                all.add(s);
            }
        }
        return all;
    }

    /** The reading of the rows' times of a write whose data is all kept, on {@code table}'s time column. */
    private StatementTimes timesOf(StatementCapture c, TableName table) {
        if (c.isCopy()) {
            StatementTimes times = StatementTimes.copy(rowTimes, timeColumn(table), c.statement, settings.known(),
                    c.clientEncoding, c.copyData);
            times.end();
            return times;
        }
        return insertTimes(c, table);
    }

    /** The reading of the times of the rows INSERT {@code c} wrote, on {@code table}'s time column. */
    private StatementTimes insertTimes(StatementCapture c, TableName table) {
        return c.bind == null
                ? StatementTimes.insert(rowTimes, timeColumn(table), c.sql, new int[0], new short[0], new byte[0][],
                        settings.known())
                : StatementTimes.insert(rowTimes, timeColumn(table), c.sql, c.parameterTypes, c.bind.formats(),
                        c.bind.values(), settings.known());
    }

    /**
     * A write over the capture limit completed: its rows' times are read, a COPY's to the end of its data, an INSERT's
     * from its text and values, which are dropped once read.
     */
    private void readTimes(StatementCapture c) {
        if (c.times != null) {
            c.times.end();
        } else {
            c.times = insertTimes(c, c.table);
        }
    }

    /**
     * An unqualified write replayed with its table's schema written out: the target's catalog would resolve the name
     * to another table than the source's did ({@link MirroredTables#targetFindsAnother}).
     */
    private static CapturedStatement qualified(CapturedStatement write) {
        TableName table = write.table();
        if (write instanceof CapturedStatement.Unreplayable) {
            return write;
        }
        TargetTableSpan span = TargetTableSpan.find(write.sql());
        if (span == null) {
            return new CapturedStatement.Unreplayable(table, write.sourceRows(), write.sql(), "the source wrote "
                    + table + ", but the target has another table of its name earlier in the session's search_path"
                    + " and the proxy could not find the name in the statement's text to write " + table
                    + " instead: re-copy the window of its rows' times, then settle this entry", write.searchPath())
                    .withClientEncoding(write.clientEncoding()).withSettings(write.settings());
        }
        return write.into(table, span.replaceIn(write.sql(), Identifiers.quoteQualified(table.schema(), table.name())));
    }

    /** The resolved mirrored table a statement writes and the mirror replays, or null. */
    private TableName mirroredTarget(ClassifiedStatement s) {
        if (!replayable(s)) {
            return null;
        }
        TableName table = names.resolve(s.table());
        return tables.mirroring(table) != MirroredTables.Mirroring.NOT_MIRRORED ? table : null;
    }

    /**
     * The mirrored table statement {@code s} would write if the session had no temporary table of its name, when it
     * has one now (and so does not write it); else null.
     */
    private TableName hiddenByTemporary(ClassifiedStatement s) {
        if (!replayable(s)) {
            return null;
        }
        TableName table = names.hiddenByTemporary(s.table());
        return table != null && tables.mirroring(table) != MirroredTables.Mirroring.NOT_MIRRORED ? table : null;
    }

    /** A plain INSERT or a COPY FROM STDIN into a named table: what the mirror can replay. */
    static boolean replayable(ClassifiedStatement s) {
        return s != null && !s.malformed() && s.table() != null
                && (s.kind() == Kind.INSERT && !s.hasSelect() && !s.dataModifyingWith()
                        || s.kind() == Kind.COPY_FROM_STDIN);
    }

    /** @param provisional its table is told only when the source runs it ({@link TransactionHold#reserve}) */
    private void checkReplayable(StatementCapture c, boolean provisional) {
        if (c.bind == null) {
            return;
        }
        long bytes = c.bind.valueBytes() + c.sql.length() + TransactionHold.BOUND_BYTES;
        String refused = provisional ? hold.reserve(bytes) : hold.hold(bytes) ? null : hold.tooLarge();
        if (refused != null) {
            c.unreplayable = refused;
            c.overLimit = true;
            return;
        }
        c.held = bytes;
        c.provisional = provisional ? bytes : 0;
        for (int i = 0; i < c.parameterTypes.length; i++) {
            if (c.bind.format(i) == 1 && CapturedStatement.objectReference(c.parameterTypes[i])) {
                c.unreplayable = "parameter " + (i + 1) + " is sent in binary as an object reference (type OID "
                        + c.parameterTypes[i] + "): the OID of an object that has another OID on the target";
                return;
            }
        }
        if (typesRemapped) {
            return; // the applier maps user-defined type OIDs to the target's by name
        }
        for (int i = 0; i < c.parameterTypes.length; i++) {
            short format = c.bind.format(i);
            if (format == 1 && CapturedStatement.userDefinedType(c.parameterTypes[i])) {
                c.unreplayable = "parameter " + (i + 1) + " is sent in binary with the user-defined type OID "
                        + c.parameterTypes[i] + ", which is another type's or none on the target: set source.user"
                        + " for the mirror to map it by the type's name";
                return;
            }
        }
        int[] types = c.parameterTypes;
        for (int i = 0; i < types.length; i++) {
            if (CapturedStatement.userDefinedType(types[i])) {
                // Text form: let the target infer the type from the statement rather than trust a source OID. A
                // copy: the prepared statement's own types decide its next execution, which may bind in binary.
                if (types == c.parameterTypes) {
                    types = types.clone();
                }
                types[i] = 0;
            }
        }
        c.parameterTypes = types;
    }


    // ---- backend: what the source answers -----------------------------------------------------------------------

    private final FrameObserver backend = new FrameObserver() {
        @Override
        public boolean needsWholeFrame(byte type) {
            // ParameterStatus after start-up: client_encoding and search_path changes (rare, and small); an
            // ErrorResponse for its severity
            return type == 'C' || type == 'Z' || type == 'S' || type == 'E';
        }

        @Override
        public void onFrameStart(byte type, int length) {
            switch (type) {
                case '1' -> parseComplete();
                case '2' -> bindComplete();
                case '3' -> closeComplete();
                case 'T', 'n' -> described();
                case 's' -> portalSuspended();
                case 'I' -> emptyQuery();
                case 'G' -> copyInStarted();
                default -> {
                }
            }
        }

        @Override
        public boolean onFrame(byte type, ByteBuf frame) {
            if (type == 'C') {
                commandComplete(read(frame, CommandComplete::decode, FROM_SOURCE).tag());
                return true;
            }
            if (type == 'S') {
                parameterStatus(read(frame, ParameterStatus::decode, FROM_SOURCE));
                return true;
            }
            if (type == 'E') {
                ErrorResponse answer = read(frame, ErrorResponse::decode, FROM_SOURCE);
                String severity = answer.severity();
                error(answer.sqlState());
                if ("FATAL".equals(severity) || "PANIC".equals(severity)) {
                    sourceEnds();
                }
                // what the source skips now may change what commits: a BEGIN it will not run, say
                traceInFlight();
                return true;
            }
            return readyForQuery((char) read(frame, ReadyForQuery::decode, FROM_SOURCE).status().code());
        }
    };

    /**
     * CopyInResponse: the source now reads data for the COPY at the head of the queue. The client sends its CopyData
     * only after this answer, so the frontend observer knows in time whether to capture it.
     */
    private void copyInStarted() {
        PendingRequest head = pending.peek();
        // Syncs the client sent after the COPY and before its end were ignored by the server: they get no answer
        Iterator<PendingRequest> after = pending.iterator();
        if (after.hasNext()) {
            after.next();
            while (after.hasNext() && after.next() instanceof SyncRequest sync && sync.duringCopy()) {
                after.remove();
            }
        }
        StatementCapture capture = null;
        CopyIn copy = null;
        if (head instanceof QueryRequest q && q.next < q.statements.size()) {
            capture = captureAt(q, q.next);
            copy = q.copies.stream().filter(c -> !c.answered && !c.failed).findFirst().orElse(null);
        } else if (head instanceof ExecuteRequest e) {
            settle(e);
            if (e.capture != null && e.capture.table == null) {
                // kept while names may have changed ahead of it (see namesChangeInFlight): its data goes where it runs
                e.capture = ran(e.capture, e.portal().prepared());
            }
            capture = e.capture;
            copy = e.copy;
        }
        if (capture != null && !capture.isCopy()) {
            // only a source that does not speak the protocol answers an INSERT so (no SQL: the message is logged)
            throw new ProtocolViolationException("CopyInResponse answers a statement that is not a COPY FROM STDIN");
        }
        if (capture != null) {
            capture.clientEncoding = encoding.clientEncoding(); // the data comes in it
        }
        copies.copyInStarted(copy, capture);
    }

    /** RowDescription or NoData: the last answer to a Describe (a simple Query's RowDescription finds none queued). */
    private void described() {
        if (pending.peek() instanceof DescribeRequest) {
            pending.poll();
        }
    }

    private void parseComplete() {
        if (pending.peek() instanceof ParseRequest p) {
            pending.poll();
            Prepared prepared = p.prepared();
            prepared.parseTime().parsed(settings.known());
            if (namesChangeInFlight && prepared.now() != null) {
                // the source parsed it now, behind the requests before it: its name means what it means now
                prepared.now().resolve(names, tables, prepared.statement().table(), false);
            }
            statements.confirmed(p.name(), prepared);
        }
    }

    private void bindComplete() {
        if (pending.peek() instanceof BindRequest b) {
            pending.poll();
            statements.answered(b.portal().statement);
            portals.confirmed(b.name(), b.portal());
            savepointPortals.bound(b.name());
        }
    }

    private void closeComplete() {
        if (pending.peek() instanceof CloseRequest c) {
            pending.poll();
            if (c.kind() == StatementOrPortal.STATEMENT) {
                statements.closed(c.name());
            } else {
                portals.closed(c.name());
            }
        }
    }

    private void portalSuspended() {
        if (pending.peek() instanceof ExecuteRequest e) {
            pending.poll();
            settle(e);
            ClassifiedStatement statement = statementOf(e);
            StatementCapture capture = capturedBy(e, statement);
            accountOnce(e, statement, capture);
            if (capture != null) {
                // The INSERT ran to completion (its RETURNING rows wait in the portal); its count is not reported.
                finished(capture, -1).forEach(tracker::executed);
            }
        }
    }

    private static ClassifiedStatement statementOf(ExecuteRequest e) {
        return e.portal() == null || e.portal().prepared() == null ? null : e.portal().prepared().statement();
    }

    /**
     * The source answers the Execute (its first answer settles it): it runs the portal it holds under the name now,
     * bound to the statement it held when it read the Bind. When that is not what the capture was made for (a
     * pipelined batch that gave the name to another statement, or another portal, failed), the capture is made again
     * for what runs, and a COPY that does not run gets no data.
     */
    private void settle(ExecuteRequest e) {
        if (e.portal.isAnswered()) {
            return;
        }
        boolean otherPortal = portals.answered(e.portal);
        Portal portal = e.portal();
        Prepared prepared = portal == null ? null : portal.prepared();
        if (otherPortal || prepared != e.capturedFrom) {
            failed(e.capture);
            // a portal runs its statement once: later Executes read the rows it left
            e.capture = portal == null || portal.accounted ? null : capturePortal(portal, e.clientEncoding, e.run);
            e.capturedFrom = prepared;
        }
        if (!runsCopy(prepared)) {
            copies.copyNotRun(e);
        }
    }

    /**
     * The capture of an Execute that ran: for an SQL-level EXECUTE decided now (the PREPARE it runs may have completed
     * after it was sent), the first time its portal runs; else {@link #ran}.
     */
    private StatementCapture capturedBy(ExecuteRequest e, ClassifiedStatement statement) {
        if (e.capture == null && statement != null && statement.kind() == Kind.EXECUTE && !e.portal().accounted) {
            Prepared p = e.portal().prepared();
            return captureFor(statement, p.sql(), p.text(), encoding.clientEncoding());
        }
        StatementCapture ran = ran(e.capture, e.portal() == null ? null : e.portal().prepared());
        if (ran != null && e.capture.table == null && ran.statement.onConflict() == ConflictAction.UPDATE) {
            // an upsert whose table is told only now (see namesChangeInFlight): in flight from here on, as when sent
            upserts.upsertSent(ran.table, e.run);
            classifyWindow();
        }
        return ran;
    }

    /**
     * The capture of an Execute of {@code p} as its table resolves now that it ran: a SET search_path, a SET ROLE or
     * relation DDL may have run since it was sent. An unqualified name resolves as for any execution of its statement
     * ({@link PreparedTable}): of a named statement the source keeps planned against its table, which table it wrote
     * may not be told, and the write is then not replayed. A capture that writes no mirrored table gives back what it
     * held.
     */
    private StatementCapture ran(StatementCapture capture, Prepared p) {
        if (capture == null) {
            return null;
        }
        StatementCapture moved = capture;
        if (!names.unchangedSince(capture.resolvedIn)) {
            boolean unqualified = p != null && p.now() != null;
            moved = capture.resolvedAgain(unqualified ? mirroredNow(p) : mirroredTarget(capture.statement));
            if (moved == null) {
                failed(capture);
            } else if (moved.unreplayable == null && unqualified) {
                moved.unreplayable = p.now().ambiguous();
            }
        }
        if (moved != null && moved.provisional > 0) {
            // a mirrored write's after all: its values count in the transaction from now on
            if (!hold.claim(moved.provisional) && moved.unreplayable == null) {
                moved.unreplayable = hold.tooLarge();
                moved.overLimit = true;
            }
            moved.provisional = 0;
        }
        return moved;
    }

    private void accountOnce(ExecuteRequest e, ClassifiedStatement statement, StatementCapture capture) {
        if (statement != null && (e.portal() == null || !e.portal().accounted)) {
            account(statement, e.portal().prepared().sql(), e.portal().prepared().text(), capture);
            if (e.portal() != null) {
                e.portal().accounted = true;
            }
        }
    }

    private void emptyQuery() {
        PendingRequest head = pending.peek();
        if (head instanceof QueryRequest q) {
            q.next++;
        } else if (head instanceof ExecuteRequest e) {
            pending.poll();
            settle(e);
        }
    }

    private void commandComplete(String tag) {
        PendingRequest head = pending.peek();
        ClassifiedStatement statement = null;
        StatementCapture capture = null;
        if (head instanceof QueryRequest q) {
            if (q.next < q.statements.size()) {
                statement = q.statements.get(q.next);
                capture = captureAt(q, q.next);
                account(statement, q.sql, q.text, capture);
                accounting.countUnknownPrepared(statement, capture, tag);
            }
            q.next++;
        } else if (head instanceof ExecuteRequest e) {
            pending.poll();
            settle(e);
            statement = statementOf(e);
            capture = capturedBy(e, statement);
            recordPreparedBeforeTemporary(e, capture);
            accountOnce(e, statement, capture);
            accounting.countUnknownPrepared(statement, capture, tag);
        }
        if (changesRelations(tag, statement)) {
            relationsChanged = true;
        }
        List<CapturedStatement> done = capture == null ? List.of() : finished(capture, rowCount(tag));
        tracker.completed(statement, tag, done.isEmpty() ? null : done.get(0));
        done.subList(Math.min(1, done.size()), done.size()).forEach(tracker::executed);
        if (statement != null && statement.kind() == Kind.TRANSACTION) {
            // a COMMIT or ROLLBACK amid a pipelined batch drops the portals that Executes behind it name
            traceInFlight();
            classifyWindow(); // a BEGIN answered: the upserts sent with it cannot commit before a COMMIT
        }
    }

    /**
     * Counts what a completed statement {@code s} of {@code sql} did ({@link StatementAccounting}), and follows its
     * effect on search_path and on the SQL-level prepared statements.
     */
    private void account(ClassifiedStatement s, String sql, long text, StatementCapture capture) {
        Prepared prepared = s.kind() == Kind.EXECUTE && capture == null ? named(s.name()) : null;
        ClassifiedStatement executed = prepared == null ? null : prepared.statement();
        accounting.completed(s, capture, executed);
        settings.completed(s, sql);
        replicationRole.completed(s, sql);
        // Like the server's, not transactional: a PREPARE or DEALLOCATE counts from its CommandComplete on, even in a
        // transaction that rolls back; and of the namespace Parse and Close use too
        if (s.kind() == Kind.PREPARE) {
            PreparedSql declared = PreparedSql.of(sql, s);
            if (declared != null) {
                statements.confirmed(s.name(), preparedBy(declared, text));
            }
        } else if (s.kind() == Kind.DEALLOCATE && !s.malformed()) {
            if (s.name() == null) {
                statements.closedAllNamed(); // DEALLOCATE ALL, DISCARD ALL
            } else {
                statements.closed(s.name());
            }
        }
        names.completed(s, sql);
        if (executed != null) {
            // an SQL-level EXECUTE runs the PREPAREd text: a set_config there changes a setting as in a statement's own
            settings.completed(executed, prepared.sql());
            replicationRole.completed(executed, prepared.sql());
            names.completed(executed, prepared.sql());
        }
    }

    /**
     * A named statement parsed while its table's name meant the mirrored table, run after a temporary table of that
     * name appeared: PostgreSQL re-plans it against the temporary table when something invalidates its plan (the
     * session's first temporary table does), else it still writes the mirrored table, so which one it wrote cannot be
     * told here. It is not mirrored, as for a re-planned statement, and counted and ledgered once its transaction
     * commits: its rows may be missing on the target ({@link StatementAccounting#preparedBeforeTemporary}).
     */
    private void recordPreparedBeforeTemporary(ExecuteRequest e, StatementCapture ran) {
        Prepared p = e.portal() == null ? null : e.portal().prepared();
        if (ran != null || e.capture == null || p == null || !p.named() || p.table() == null
                || p.temporary().contains(p.statement().table().name())) {
            return;
        }
        TableName hidden = hiddenByTemporary(p.statement());
        if (hidden != null) {
            accounting.preparedBeforeTemporary(hidden, p.sql());
        }
    }

    /**
     * Whether a completed statement may have created, dropped, renamed or moved a table other than a temporary one
     * (or a schema of them): the tags of such DDL, and CREATE TABLE AS / SELECT INTO, whose tag is SELECT's. Not
     * CREATE INDEX, CREATE FUNCTION and the like, nor a temporary table: applications that make one per transaction
     * would have the source's catalog looked up at every commit.
     */
    private boolean changesRelations(String tag, ClassifiedStatement statement) {
        boolean ddl = RELATION_TAGS.contains(tag)
                || statement != null && statement.kind() == Kind.DDL && tag.startsWith("SELECT ");
        return ddl && (statement == null || !names.createsTemporary(statement));
    }

    private List<String> effectiveSearchPath() {
        return names.searchPath().schemas();
    }

    private void error(String sqlState) {
        PendingRequest head = pending.peek();
        CopyIn read = ProtocolViolationException.SQLSTATE.equals(sqlState)
                ? CopiesInFlight.interruptedCopyRead(head) : null;
        if (read != null && read.takes != null) {
            consumedByCopy(read.takes);
        }
        if (head instanceof QueryRequest q) {
            if (q.next < q.statements.size() && q.decided[q.next]) {
                failed(q.captures[q.next]);
            }
            // The rest of the query string is not executed; its ReadyForQuery still comes.
            q.next = q.statements.size();
            q.copies.forEach(copies::failCopy);
        } else if (head != null && !(head instanceof SyncRequest) && !(head instanceof FunctionRequest)) {
            // Extended protocol: the source ignores everything up to the next Sync. (A failed FunctionCall is
            // answered like a simple Query: its ReadyForQuery comes and nothing is skipped.)
            while (!pending.isEmpty() && !(pending.peek() instanceof SyncRequest)) {
                notRun(pending.poll());
            }
            skippingToSync = pending.isEmpty();
        }
        tracker.error();
    }

    /**
     * The COPY read the message the client sent in its stead, as COPY data, and failed at it (08P01): the request of
     * that message never runs. PostgreSQL 13 reads the whole message and goes on: after a simple Query's COPY it
     * answers ReadyForQuery and runs the request after the one it consumed; after an Execute's it skips to the next
     * Sync, as after any error (measured through the protocol on 13.22). From 14 on it reads only the type byte, loses
     * its place in the stream and ends the session (FATAL 08P01, then {@link #sourceEnds}), so nothing after it runs
     * either.
     */
    private void consumedByCopy(PendingRequest taken) {
        if (pending.removeIf(p -> p == taken)) {
            notRun(taken);
        }
    }

    /** A FATAL error: every request behind the one the source was answering is dropped, as it never runs. */
    private void sourceEnds() {
        sourceEnded = true;
        skippingToSync = false;
        PendingRequest answering = pending.poll();
        while (!pending.isEmpty()) {
            notRun(pending.poll());
        }
        if (answering != null) {
            pending.add(answering);
        }
    }

    /** The source skips or never reads this request: what its capture held is given back, its names never exist. */
    private void notRun(PendingRequest dropped) {
        if (dropped instanceof ExecuteRequest e) {
            failed(e.capture);
            copies.copyNotRun(e);
        } else if (dropped instanceof ParseRequest p) {
            statements.skipped(p.name(), p.prepared());
        } else if (dropped instanceof BindRequest b) {
            portals.skipped(b.name(), b.portal());
        } else if (dropped instanceof QueryRequest q) {
            // a Query amid a failed batch, and the data the client sent its COPYs early: the source skips both
            q.copies.forEach(copies::failCopy);
        }
    }

    /** The statement failed on the source, or was skipped after a failure: what its capture held is dropped. */
    private void failed(StatementCapture capture) {
        if (capture != null) {
            hold.release(capture.provisional);
            hold.failed(capture.held - capture.provisional);
            capture.held = 0;
            capture.provisional = 0;
            if (capture.times != null) {
                capture.times.cancel();
            }
        }
    }

    /**
     * Servers from PostgreSQL 18 report {@code search_path} at start-up, with the role's and the database's own
     * setting applied, which the StartupMessage does not show. Later reports come just before a ReadyForQuery, after
     * the statements that changed it, so the tracking of SET statements stays in charge within a request; at the
     * ReadyForQuery the value reported last is the path in force ({@link SearchPathChecks}).
     * {@code client_encoding} is taken from every report: a COPY's data is in the encoding reported last (from
     * PostgreSQL 14 on, a SET earlier in the COPY's own query string is reported only after it, and is missed; 13
     * reports a change as soon as it is made).
     */
    private void parameterStatus(ParameterStatus status) {
        settings.reported(status.name(), status.value());
        if (status.name().equals("server_version")) {
            sourceVersion = status.value();
        } else if (status.name().equals("client_encoding")) {
            boolean changed = encoding.reported(status.value());
            if (changed && ready && encoding.changedInFlight(soleQueryInFlight())) {
                LOG.warn("session {}: client_encoding changed to {} inside a pipelined batch that also committed"
                        + " mirrored writes; one of them that is not plain ASCII may have been mirrored in the encoding"
                        + " before: compare the tables with 'verify'", context.sessionId(),
                        encoding.clientEncoding() == null ? "UTF8" : encoding.clientEncoding());
            }
        } else if (status.name().equals("search_path")) {
            List<String> reported = SearchPath.parseSetting(status.value());
            if (!ready && reported != null) {
                names.established(reported);
            }
            names.reported(reported);
        }
    }

    /** The text of the simple Query that is the only request in flight, or 0 when there is none. */
    private long soleQueryInFlight() {
        return pending.size() == 1 && pending.peek() instanceof QueryRequest q ? q.text : 0;
    }

    private boolean readyForQuery(char status) {
        // The first one ends start-up and answers no request: a client may send its first ones without waiting for it.
        boolean answersRequest = ready;
        ready = true;
        settings.ready(!answersRequest, status == 'I');
        PendingRequest head = pending.peek();
        if (answersRequest && (head instanceof QueryRequest || head instanceof SyncRequest
                || head instanceof FunctionRequest)) {
            pending.poll();
        }
        if (answersRequest && head instanceof QueryRequest) {
            // a simple Query drops the unnamed statement and portal (exec_simple_query): a Bind or Execute of either
            // sent after it fails; no request answered since it began can have made new ones
            statements.closed("");
            portals.closed("");
        }
        if (pending.isEmpty()) {
            encoding.allAnswered();
            sqlNamesInFlight = false;
            namesChangeInFlight = false;
        }
        // before the tracker ends the transaction: what it commits depends on it
        TransactionTracker.State state = tracker.state();
        pathChecks.ready(status, state != TransactionTracker.State.FAILED
                && state != TransactionTracker.State.IMPLICIT_FAILED, finishedInTransaction);
        tracker.ready(status);
        if (pending.isEmpty()) {
            releaseTicket(); // its COMMIT did not run (an error before it in its batch)
            upserts.answered(status == 'I');
        }
        if (status == 'I') {
            hold.ended();
            if (relationsChanged) {
                relationsChanged = false;
                tables.relationsChanged(); // committed or rolled back: a look-up tells which
            }
            // Portals end with their transaction.
            portals.clearConfirmed();
            savepointPortals.clear();
        }
        traceInFlight();
        CompletionStage<?> commit = lastCommit;
        if (commit.toCompletableFuture().isDone()) {
            return true;
        }
        commit.whenComplete((ok, failure) -> context.resume());
        return false;
    }

    /**
     * Marks the session in the in-flight trace when the source may now commit mirrored writes it has not answered
     * for, else clears it: called once the client sent a request that may end a transaction, and at ReadyForQuery.
     */
    private void traceInFlight() {
        if (inFlight != null) {
            inFlight.trace(pending.isEmpty() ? null : forecastWalk.forecast(false), lastCommit);
        }
    }

    /** The common case, checked without allocating: every table is known to be mirrored. */
    private boolean allMirrored(List<CapturedStatement> captured) {
        for (CapturedStatement s : captured) {
            if (tables.mirroring(s.table()) != MirroredTables.Mirroring.MIRRORED) {
                return false;
            }
        }
        return true;
    }

    private void commit(List<CapturedStatement> committed) {
        hold.ended();
        List<CapturedStatement> captured = pathChecks.committed(encoding.readInTheirEncoding(committed,
                finishedInTransaction), finishedInTransaction);
        List<CapturedStatement> kept = captured;
        Set<TableName> unconfirmed = Set.of();
        if (!allMirrored(captured)) {
            // what was captured while the target's hypertables or partitions were not known is decided now if they
            // are, else by the applier (which also maps a TimescaleDB chunk written by name to its hypertable)
            kept = new ArrayList<>(captured.size());
            unconfirmed = new HashSet<>();
            for (CapturedStatement s : captured) {
                MirroredTables.Mirroring now = tables.mirroring(s.table());
                if (now != MirroredTables.Mirroring.NOT_MIRRORED) {
                    kept.add(s);
                }
                if (now == MirroredTables.Mirroring.UNCONFIRMED) {
                    unconfirmed.add(s.table());
                }
            }
            if (kept.isEmpty()) {
                return; // an unconsumed ticket is released as the transaction ends
            }
        }
        List<TableName> upserted = upsertTables();
        CapturedTransaction tx = new CapturedTransaction(context.database(), context.user(), context.sessionId(),
                effectiveSearchPath(), System.currentTimeMillis(), kept, unconfirmed);
        Map<CapturedStatement, StatementTimes> read = timesRead();
        CompletionStage<?> durable;
        if (ticket == null) {
            checkCommitOrder(upserted, false);
            durable = read.isEmpty() ? sink.committed(tx) : afterTimesRead(tx, read);
        } else {
            // its turn among the sequenced commits is not held for a reading: what is not read yet is not known
            durable = inTurn(withTimes(tx, read), upserted);
        }
        // The next ReadyForQuery waits for every commit since the last one it passed, whatever order they complete in.
        lastCommit = lastCommit.toCompletableFuture().isDone() ? durable
                : CompletableFuture.allOf(lastCommit.toCompletableFuture(), durable.toCompletableFuture());
    }

    /** The committing transaction's writes over the capture limit whose rows' times are being read, by identity. */
    private Map<CapturedStatement, StatementTimes> timesRead() {
        Map<CapturedStatement, StatementTimes> read = Map.of();
        for (Finished f : finishedInTransaction) {
            if (f.capture().times != null && f.statement() instanceof CapturedStatement.Unreplayable) {
                if (read.isEmpty()) {
                    read = new IdentityHashMap<>();
                }
                read.put(f.statement(), f.capture().times);
            }
        }
        return read;
    }

    /**
     * Spools a transaction over the capture limit once its rows' times are read: at once when they are, else on the
     * event loop when the reading thread is done with them. Its ReadyForQuery waits for that, as for any commit.
     */
    private CompletionStage<?> afterTimesRead(CapturedTransaction tx, Map<CapturedStatement, StatementTimes> read) {
        CompletableFuture<?>[] results = read.values().stream().map(StatementTimes::result)
                .toArray(CompletableFuture[]::new);
        CompletableFuture<Void> all = CompletableFuture.allOf(results);
        if (all.isDone()) {
            return sink.committed(withTimes(tx, read));
        }
        CompletableFuture<Void> spooled = new CompletableFuture<>();
        CompletableFuture<Object> durable = new CompletableFuture<>();
        // until it is spooled it is in the trace of commits in flight, as one the sequencer holds back
        lastTurn = lastTurn.toCompletableFuture().isDone() ? spooled
                : CompletableFuture.allOf(lastTurn.toCompletableFuture(), spooled);
        all.whenCompleteAsync((ok, failure) -> {
            CompletionStage<?> stage;
            try {
                stage = sink.committed(withTimes(tx, read));
            } catch (RuntimeException e) {
                // on the event loop, out of the frame that committed it: said here, and the ReadyForQuery passes
                LOG.error("session {}: a committed transaction over the capture limit could not be handed to the"
                        + " mirror, nor ledgered: compare its tables {} with tandem-backfill verify",
                        context.sessionId(), read.keySet().stream().map(CapturedStatement::table).distinct().toList(),
                        e);
                stage = CompletableFuture.failedFuture(e);
            } finally {
                spooled.complete(null);
            }
            stage.whenComplete((result, error) -> {
                if (error != null) {
                    durable.completeExceptionally(error);
                } else {
                    durable.complete(result);
                }
            });
        }, context.eventLoop());
        return durable;
    }

    /**
     * The transaction with each write over the capture limit given what was read of its rows' times: their range when
     * read and all known, else none (also when not read yet).
     */
    private static CapturedTransaction withTimes(CapturedTransaction tx, Map<CapturedStatement, StatementTimes> read) {
        if (read.isEmpty()) {
            return tx;
        }
        List<CapturedStatement> statements = new ArrayList<>(tx.statements().size());
        for (CapturedStatement s : tx.statements()) {
            StatementTimes times = read.get(s);
            if (times != null && s instanceof CapturedStatement.Unreplayable u) {
                TimeRange range = times.result().getNow(null);
                if (!times.result().isDone()) {
                    times.cancel();
                }
                statements.add(u.withTimes(range));
            } else {
                statements.add(s);
            }
        }
        return tx.withStatements(statements);
    }

    /**
     * Spools the transaction whose COMMIT took {@link #ticket} once the sequencer says it is its turn: now, or on the
     * event loop once the commits forwarded before it are spooled (or after the sequencer's wait). Its upsert window
     * stays open meanwhile, and its ReadyForQuery waits, as for any commit, for the stage returned.
     */
    private CompletionStage<?> inTurn(CapturedTransaction tx, List<TableName> upserted) {
        CommitSequencer.Ticket mine = ticket;
        ticket = null;
        CompletableFuture<Void> turn = new CompletableFuture<>();
        // with a commit over the capture limit still waiting for its rows' times to be spooled, if there is one
        lastTurn = lastTurn.toCompletableFuture().isDone() ? turn
                : CompletableFuture.allOf(lastTurn.toCompletableFuture(), turn);
        upserts.waitsForTurn();
        return upserts.sequencer().committed(mine, context.eventLoop(), inOrder -> {
            try {
                checkCommitOrder(upserted, inOrder);
                return sink.committed(tx);
            } finally {
                upserts.turnTaken();
                turn.complete(null);
            }
        });
    }

    /** The mirrored tables the committing transaction upserted into, each once (usually none). */
    private List<TableName> upsertTables() {
        List<TableName> upserted = List.of();
        for (Finished f : finishedInTransaction) {
            StatementCapture c = f.capture();
            if (c.statement.onConflict() == ConflictAction.UPDATE && !upserted.contains(c.table)) {
                if (upserted.isEmpty()) {
                    upserted = new ArrayList<>(2);
                }
                upserted.add(c.table);
            }
        }
        return upserted;
    }

    /**
     * Counts the committing transaction's upserts into tables another session is upserting into at the same time
     * ({@link UpsertWindows}): before it is spooled, so that one spooled ahead of it cannot have been missed.
     *
     * @param sequenced the sequencer spooled it after every commit forwarded before its own: only sessions that may
     *                  commit upserts outside the sequencer's order count
     */
    private void checkCommitOrder(List<TableName> upserted, boolean sequenced) {
        for (TableName table : upserted) {
            if (upserts.contended(table, sequenced)) {
                metrics.commitOrderUncertain(table, tables.rowsOf(table));
            }
        }
    }

    /** The row count at the end of an {@code INSERT 0 n} or {@code COPY n} tag; -1 when there is none. */
    static long rowCount(String tag) {
        int space = tag.lastIndexOf(' ');
        if (space < 0) {
            return -1;
        }
        try {
            return Long.parseLong(tag.substring(space + 1));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public FrameObserver frontend() {
        return frontend;
    }

    @Override
    public FrameObserver backend() {
        return backend;
    }

    /** For tests: how many requests the forecasts of what may commit walked, in all. */
    long requestsWalked() {
        return forecastWalk.walked();
    }

    /** For tests: how many statements and portals requested the look-ups by name went through, in all. */
    long requestedExamined() {
        return statements.examined() + portals.examined();
    }

    /** Whether the source may still commit mirrored writes of this session's: see {@link ForecastWalk#forecast}. */
    @Override
    public boolean awaitsOutcome() {
        return !pending.isEmpty() && forecastWalk.forecast(false).mayCommit();
    }

    /**
     * Never throws: the relay calls it while closing the connections, also after a failure of the capture itself,
     * whose state is then not trusted ({@link SessionEnd#internalError}: every write still pending counts).
     */
    @Override
    public void closed(SessionEnd end) {
        try {
            if (!pending.isEmpty()) {
                // the rows' times for the ledger entry's ranges are read from what is held of them now, unless the
                // capture's own state is not trusted
                CommitForecast owed = end.internalError() || rowTimes == null
                        ? forecastWalk.forecast(end.internalError())
                        : forecastWalk.forecast(false, new OutcomeTimes(context.database()), settings);
                if (owed.mayCommit()) {
                    sink.outcomeUnknown(owed.outcome(context.database(), context.sessionId(),
                            System.currentTimeMillis(), end.cause()));
                }
            }
        } catch (RuntimeException e) {
            LOG.error("session {} ended because {}: the proxy could not tell whether the source still owed the answer"
                    + " to a commit of mirrored writes; compare the mirrored tables with tandem-backfill verify",
                    context.sessionId(), end.cause(), e);
        }
        releaseTicket(); // its COMMIT's answer never came: the ledger has its outcome as unknown
        if (inFlight != null) {
            // what the source still owed is in the ledger now, or was never mirrored; a commit the sequencer holds
            // back is in the trace until it is spooled
            lastTurn.whenComplete((ok, failure) -> inFlight.release());
        }
        upserts.ended();
        tracker.sessionEnded();
        hold.closed();
    }

    /**
     * The mirrored tables a write of unqualified {@code name} may mean once a request ahead of it changed what it
     * means, which the capture learns only when the source completed it: the one it means now, the one of that name
     * in each schema the search_path as known lists (mirrored, or perhaps: a table created in flight), and every
     * mirrored table of that name in the catalog (the path itself may change). Empty when the name can mean no table
     * the mirror copies, as far as the proxy knows.
     */
    private ForecastWalk.Unresolved unresolvedWrite(TableName name) {
        Set<TableName> may = new LinkedHashSet<>();
        TableName now = names.resolve(name);
        if (tables.mirroring(now) != MirroredTables.Mirroring.NOT_MIRRORED) {
            may.add(now);
        }
        SearchPathState.Path path = names.searchPath();
        for (String entry : path.schemas().isEmpty() ? MirroredTables.DEFAULT_PATH : path.schemas()) {
            String schema = MirroredTables.schema(entry, names.currentUser());
            if (schema != null) {
                TableName table = new TableName(schema, name.name());
                if (tables.mirroring(table) != MirroredTables.Mirroring.NOT_MIRRORED) {
                    may.add(table);
                }
            }
        }
        may.addAll(tables.mirroredAllNamed(name.name()));
        String described = name.name() + " (search_path as known: " + (path.schemas().isEmpty() ? "the default"
                : String.join(", ", path.schemas())) + (path.known() ? "" : ", not known for sure") + ")";
        return new ForecastWalk.Unresolved(may, described);
    }

    /**
     * The mirrored table statement {@code s} writes as the mirror replays it, or null: for an SQL-level EXECUTE, the
     * table of the INSERT it runs.
     */
    private TableName mirroredWrite(ClassifiedStatement s) {
        if (s.kind() == Kind.EXECUTE) {
            Prepared prepared = named(s.name());
            return prepared == null || prepared.statement() == null ? null : mirroredTarget(prepared.statement());
        }
        return mirroredTarget(s);
    }
}
