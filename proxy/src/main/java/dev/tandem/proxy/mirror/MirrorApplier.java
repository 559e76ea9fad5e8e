package dev.tandem.proxy.mirror;

import dev.tandem.protocol.backend.ErrorResponse;
import dev.tandem.protocol.client.PgException;
import dev.tandem.protocol.frontend.ClientEncodings;
import dev.tandem.protocol.sql.Identifiers;
import dev.tandem.protocol.sql.ClassifiedStatement;
import dev.tandem.protocol.sql.StatementClassifier;
import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.capture.CapturedStatement;
import dev.tandem.proxy.capture.CapturedTransaction;
import dev.tandem.proxy.capture.ChunkHypertables;
import dev.tandem.proxy.capture.CopyLayout;
import dev.tandem.proxy.capture.ReplicationRole;
import dev.tandem.proxy.capture.TimeText;
import dev.tandem.proxy.capture.TransactionCodec;
import dev.tandem.proxy.config.Durations;
import dev.tandem.proxy.relay.TlsFailureHint;
import dev.tandem.proxy.relay.Transport;
import dev.tandem.proxy.spool.AppendClock;
import dev.tandem.proxy.spool.Spool;
import dev.tandem.proxy.spool.SpoolBacklog;
import dev.tandem.proxy.spool.SpoolPosition;
import dev.tandem.proxy.spool.SpoolReader;
import dev.tandem.proxy.spool.SpoolRecord;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the spooled source transactions on the target, in spool order, each exactly once.
 *
 * <p><b>Exactly once.</b> A record counts as applied on a target database when this instance's row in
 * {@code tandem.mirror_progress} there (written in the same target transaction as the replayed rows) points past it.
 * The applier reads the spool from its oldest record; on first connecting to a database it reads that row and skips
 * the records before it. After a batch is applied everywhere, {@link Spool#acknowledge} lets the spool delete it
 * (with a parked database, up to its oldest record).
 * Records are compared by spool epoch and position ({@link Spool#applied}), not by sequence number: when a host crash
 * under {@code fsync: interval} cut records off the spool's tail after they were applied, or the directory was
 * replaced, the records appended next may take the positions of applied ones, but they belong to a later epoch (each
 * open of the spool starts one), and the target stores the epoch with the position.
 *
 * <p><b>Group apply.</b> The records queued when the applier looks (at most {@link MirrorSettings#maxGroupTransactions}
 * and about {@link MirrorSettings#maxGroupBytes}, waiting up to {@link MirrorSettings#groupLinger} for more) are split
 * by target database; each database's share is sent as ONE pipelined exchange: per member its {@code search_path},
 * {@code client_encoding} (for a session that was not UTF8) and statements (Parse/Bind/Execute with the
 * application's bytes, COPY data after its Execute; runs of one-row INSERTs coalesced by {@link InsertCoalescer};
 * user-defined type OIDs mapped by {@link TypeRemapper}; a column list added where the target's table has the
 * source's columns in another order, {@link ColumnOrders}), the progress upsert,
 * the dual-write bookkeeping, one Sync. The server runs all of it as one implicit transaction: the group is
 * all-or-nothing, so every member stays atomic. Extended-protocol statements and the mirror's own statements become
 * named statements of the connection, parsed once (up to 256 per connection).
 *
 * <p><b>Errors.</b> A transient error (connection lost, {@code 08xxx}, {@code 53xxx}, serialization failure,
 * deadlock, admin shutdown, lock not available, a cancelled statement, a read-only target), or a database the target
 * cannot serve (missing, credentials refused), drops the connection and parks the database
 * ({@link ParkedDatabases}): its records stay in the spool and are retried with capped exponential backoff, forever,
 * while the other databases go on; the reconnect re-reads the progress, so a commit whose answer was lost is not
 * applied twice. Any other error in a group applies the member whose statement failed alone and the members around
 * it as groups again ({@link #isolate}); a member that fails alone is written to {@code tandem.divergence} with the progress, in one target transaction, and
 * the applier moves on. A group the target cancels for {@code mirror.statement-timeout} parks its database too, and
 * its retry applies the member that ran too long alone; that member is ledgered only once it timed out alone
 * {@link #TIMEOUTS_BEFORE_LEDGER} times ({@link #replayTimedOut}).
 * A member holding an {@link CapturedStatement.Unreplayable} statement is ledgered WHOLE, never
 * partly applied: the source committed it atomically, and replaying the rest would leave a divergence that looks like
 * success.
 *
 * <p><b>Threads.</b> One thread of its own ({@code tandem-mirror}) does all waiting; target connections run on a
 * private one-thread event loop group of the relay's transport. Databases are applied one after the other, but one
 * the target cannot serve holds up no other: parked, its records are passed over (read, not kept in memory), the spool
 * is acknowledged no further than its oldest one (so the spool keeps them, and the others' after them, on disk:
 * {@code mirror.spool.on-full} applies as usual, and the lag counts from its oldest record), its {@code caught_up_to}
 * stays where it was, and a sync-mode client of it is not answered until it caught up (or its sync timeout). When its
 * backoff ends, a reader of its own brings its records from its position, in order, a group at a time between the
 * others' batches, up to where the applier's reader is; then it is mirrored with the others again. A stop with a
 * database parked leaves its records and its row as they were, and marks the others stopped.
 *
 * <pre>
 *   NEW ──start──▶ RUNNING ◀──pause/resume──▶ PAUSED
 *    │                │                          │
 *    └─────close──────┴──────────close───────────┴──▶ CLOSED
 * </pre>
 * Pausing takes effect between groups: the exchange in flight completes first.
 *
 * <p><b>Stopping.</b> {@link #drain} lets a running applier apply what is spooled, for a bounded time, before
 * {@link #close}: once nothing is left, each target database it applied to is told so ({@code stopped_at} in
 * {@code tandem.mirror_progress}), and the backfill does not wait for an instance that has nothing in flight. A stop
 * that leaves records in the spool (target down, paused, time up) or a kill leaves the rows as they were. The
 * databases marked are kept in the spool directory ({@link AppliedMarks}): the next start connects to each before
 * anything else, which clears the mark ({@link MirrorSchema#REGISTER}), and the caller holds the relay back until
 * it tried ({@link #awaitStopMarksTried}); one it cannot reach stays in {@link #stillMarkedStopped} until it can.
 */
public final class MirrorApplier implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MirrorApplier.class);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration MARKS_SAVE_INTERVAL = Duration.ofSeconds(10);
    /** How often an idle mirror tries again to reach a database it applied to, to keep its caught_up_to moving. */
    private static final Duration IDLE_RECONNECT = Duration.ofSeconds(5);
    /** Ledgered transactions of a table and reason are logged once in this window, then counted ({@link LedgerLog}). */
    private static final Duration LEDGER_LOG_WINDOW = Duration.ofMinutes(1);
    static final String REDACTED = "<redacted>";
    private static final String QUARANTINE = "quarantine";
    /** What a {@code search_path} calls the schema named after the current user. */
    private static final String USER_SCHEMA = "$user";
    private static final int[] NO_TYPES = new int[0];
    private static final long LINGER_STEP_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /**
     * Subtracted from every {@code caught_up_to}: covers the time between measuring an age here and the target
     * starting the transaction that turns it into a time, and a record appended just as the spool was found empty.
     */
    private static final long CAUGHT_UP_MARGIN_MILLIS = 250;
    /** How long a database's dual-write mark (which the admin endpoint may set at any time) is trusted. */
    private static final long MARK_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** Statement texts whose late-row form is remembered; more are forgotten all at once (texts repeat). */
    private static final int MAX_COUNTABLE = 1024;
    private static final String MISSING_DATABASE = "3D000";
    /** A table or schema missing in a database that has just been created: {@link #awaitingSchema}. */
    private static final Set<String> SCHEMA_PENDING = Set.of("42P01", "3F000");
    /**
     * What {@link MirrorSchema#CHECK_SESSION}, and {@link MirrorSchema#SET_INPUT_SETTINGS} before it sets them again,
     * fail with when a member changed the session: no value set_config is given fails so (22023).
     */
    private static final String SESSION_CHANGED = "22P02";
    /** Failed attempts in a row after which {@link #drain} stops waiting for the target. */
    private static final int DRAIN_FAILURES = 3;
    /**
     * Groups a parked database catching up applies per batch of the applier's reader: with one group, a database
     * written as fast as its groups are applied would stay as far behind that reader as it was, for good.
     */
    private static final int CATCH_UP_GROUPS = 2;
    /** The longest a parked database's failed retries go unsaid at WARN while their reason stays the same. */
    private static final Duration PARKED_RETRY_LOG_EVERY = Duration.ofMinutes(1);
    /**
     * Times in a row a transaction applied alone may run longer than {@code mirror.statement-timeout} before it is
     * ledgered: a statement slow once (a checkpoint, a cold cache, a burst of other load) gets its chances, one that
     * calls a slow function stops holding its database after a bounded number of retries.
     */
    static final int TIMEOUTS_BEFORE_LEDGER = 3;
    /** How much of a statement the log shows when its replay timed out. */
    private static final int LOGGED_SQL_CHARS = 200;

    private enum State { NEW, RUNNING, PAUSED, CLOSED }

    /** Marks the bookkeeping Executes of a pipeline. */
    private enum Bookkeeping {
        BEGIN, SEARCH_PATH, CLIENT_ENCODING, INPUT_SETTINGS, REPLICATION_ROLE, SESSION_CHECK, PROGRESS, DUAL_WRITE,
        LEDGER, COMMIT
    }

    /**
     * One spooled transaction; {@code tx} is null when its record could not be decoded.
     *
     * @param original           the transaction as spooled, before the target's catalog confirmed its tables
     * @param missingPartitions  partitions the transaction wrote that the target lacks and the source says are
     *                           partitions of a mirrored table, each with that table: their statements are ledgered,
     *                           and the range of their rows is found by replaying them into a copy of that table
     */
    record Member(SpoolRecord record, CapturedTransaction tx, CapturedTransaction original,
                          Map<TableName, TableName> missingPartitions) {
        Member(SpoolRecord record, CapturedTransaction tx) {
            this(record, tx, tx, Map.of());
        }

        CapturedStatement.Unreplayable unreplayable() {
            for (CapturedStatement s : tx.statements()) {
                if (s instanceof CapturedStatement.Unreplayable u) {
                    return u;
                }
            }
            return null;
        }
    }

    /** Thrown out of the apply loop once {@link #close()} was called. */
    private static final class Stopped extends RuntimeException {
        Stopped() {
            super(null, null, false, false);
        }
    }

    private final Spool spool;
    private final MirrorSettings settings;
    private final MirrorMetrics metrics;
    private final EventLoopGroup group;
    private final TargetConnector connector;
    private final Map<String, TargetSession> sessions = new ConcurrentHashMap<>();
    private final InsertCoalescer coalescer = new InsertCoalescer();
    private final LedgerLog ledgerLog = new LedgerLog(LEDGER_LOG_WINDOW, System::nanoTime);
    private final AppliedCounts appliedCounts;
    /** Statement text -> what {@link LateRows#wrap} takes of it, for INSERTs the coalescer does not shape. */
    private final Map<String, Optional<String>> countableSql = new HashMap<>();
    /**
     * Per target database: the last record this instance applied there, in this run or an earlier one
     * ({@link AppliedMarks}), to notice a target that lost it.
     */
    private final Map<String, AppliedMarks.Mark> lastApplied = new ConcurrentHashMap<>();
    /**
     * Per source database whose target database changed while the spool held records of it: its records of epochs
     * before this one were applied to its former target and are passed over ({@link SpooledMapping}). Usually empty.
     */
    private final Map<String, Long> settledBefore;
    /**
     * Target databases whose progress row may still say this instance stopped cleanly: marked by the last clean stop
     * (or left for the operator to mark by hand) and not connected to since, which clears the mark. The backfill does
     * not wait there for what this instance spools meanwhile.
     */
    private final Set<String> stillMarkedStopped = ConcurrentHashMap.newKeySet();
    /** Open once the applier has tried to clear every mark in {@link #stillMarkedStopped} it started with. */
    private final CountDownLatch stopMarksTried = new CountDownLatch(1);
    /** Database -> when an idle mirror may next try to connect to it ({@link #reopenIdleSessions}). */
    private final Map<String, Long> idleReconnectAt = new HashMap<>();
    /** Databases found gone while nothing of theirs was spooled ({@link #forget}): not watched while idle. */
    private final Set<String> absent = new HashSet<>();
    /**
     * How far the spool was applied everywhere, in this run or an earlier one, saved with {@link #lastApplied}; null
     * before the first acknowledgement, or once a target that went back in time made the earlier run's value doubtful.
     */
    private AppliedMarks.Acknowledged acknowledged;
    /** When {@link #lastApplied} and {@link #acknowledged} were last saved, and whether they changed since. */
    private long marksSavedAt;
    private boolean marksChanged;
    /** Database and table of tables captured undecided and not mirrored after all: each logged once. */
    private final Set<String> undecidedTablesLogged = new HashSet<>();
    /**
     * Per target database, the spool sequence up to which the writes the target does not mirror were counted
     * ({@code not_on_target}, {@code chunk_unmapped}): a group the target failed is applied again, and not counted again.
     */
    private final Map<String, Long> notMirroredCountedThrough = new HashMap<>();
    private final SourceCatalog sourceCatalog;
    private final LedgerRows ledgerRows;
    private final ChunkWrites chunkWrites;
    private final TypeRemapper typeRemapper;
    private final ColumnOrders columnOrders;
    private final AppliedWaiters waiters;
    /** Target databases left behind after a failed attempt: the others go on (applier thread changes it). */
    private final ParkedDatabases parked = new ParkedDatabases();
    /** Readers of parked databases being retried, from their positions up to {@link #readEnd} (applier thread). */
    private final Map<String, SpoolReader> catchingUp = new LinkedHashMap<>();
    /**
     * Parked databases that did not exist on the target (3D000) and have not caught up since: one created a moment
     * ago may not have its schema yet (an operator runs createdb, then restores the schema), so a table or schema it
     * lacks keeps it parked instead of ledgering every waiting transaction. Applier thread only.
     */
    private final Set<String> awaitingSchema = new HashSet<>();
    /** The transactions {@code mirror.statement-timeout} cancelled, to apply alone and, timing out so, ledger. */
    private final TimedOutReplays timedOut;
    /** Which failed retries of a parked database are said at WARN: not each of a backoff that starts at 100 ms. */
    private final ParkedRetryLog retryLog = new ParkedRetryLog(PARKED_RETRY_LOG_EVERY.toNanos());
    /** Per parked database, the transactions ledgered since it was parked: its caught-up line says how many. */
    private final Map<String, Long> ledgeredWhileParked = new HashMap<>();
    /**
     * How far an earlier run saw each target database applied ({@link AppliedMarks}): a database parked before this
     * run reached it is shown there ({@code /status}, its lag), not at the first of its records the reader meets,
     * which may have been applied long ago. {@link #presumedParked} for the databases parked then,
     * {@link #presumedRead} for the others; null, and empty, once a target showed it lost what had been applied there.
     * Applier thread.
     */
    private AppliedMarks.Reached presumedRead;
    private final Map<String, AppliedMarks.Reached> presumedParked = new HashMap<>();
    /** Target databases the applier connected to in this run: their own progress says how far they are. */
    private final Set<String> reached = new HashSet<>();
    /** {@link #appliedSequenceShown} while a database is parked. */
    private volatile long shownSequence;
    /** Where the applier's reader is: every record before it is applied, but a parked database's from its position. */
    private SpoolPosition readEnd = SpoolPosition.ORIGIN;
    /** The sequence number of the record before {@link #readEnd}. */
    private long readThrough;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Thread thread;
    private State state = State.NEW;
    private volatile boolean targetUp;
    private volatile String stopReason = "the mirror was closed";
    /** Why the applier stopped on an error while the proxy went on relaying and spooling; null while it has not. */
    private volatile String failure;
    /** Set by {@link #drain}: the loop marks the databases stopped once the spool has nothing left, and ends. */
    private volatile boolean draining;
    /** What the drain achieved, set by the applier thread as it ends; null until then. */
    private volatile MirrorDrain drained;

    /**
     * @param spool     the spool to read; the caller owns it and closes it after this applier
     * @param registry  where the mirror's and the spool's meters go
     * @param transport the sockets of the target connections, the relay's: native epoll beat NIO here by 7 % in sync
     *                  mode and 1-6 % in async mode (fewer system calls per wake-up)
     * @param chunks    the hypertables of TimescaleDB chunks written by name, which the capture asks too; the caller
     *                  owns it and closes it after this applier
     */
    public MirrorApplier(Spool spool, MirrorSettings settings, MeterRegistry registry, Transport transport,
                         ChunkHypertables chunks) {
        this.spool = spool;
        this.settings = settings;
        AppliedMarks.Content marks = AppliedMarks.load(spool, settings.instanceId());
        // before anything is started: a refused mapping ends the start here
        SpooledMapping.Content mapping = SpooledMapping.adopt(spool, settings.target().databases(), marks);
        AppliedMarks.Content saved = leaveBehind(marks, mapping);
        this.settledBefore = mapping.settledBefore();
        this.group = transport.newGroup(1);
        this.connector = new TargetConnector(settings.target(), group, transport.clientChannel());
        this.sourceCatalog = new SourceCatalog(settings.source());
        this.typeRemapper = new TypeRemapper(sourceCatalog);
        this.columnOrders = new ColumnOrders(sourceCatalog);
        this.ledgerRows = new LedgerRows(settings, sourceCatalog);
        this.timedOut = new TimedOutReplays(settings.statementTimeout());
        lastApplied.putAll(saved.databases());
        stillMarkedStopped.addAll(saved.stoppedIn());
        acknowledged = saved.acknowledged();
        if (acknowledged != null) {
            // before the gauges exist: restarted while the target is down, they would count what was applied before
            spool.presumeApplied(acknowledged.epoch(), acknowledged.position());
        }
        this.waiters = new AppliedWaiters(spool.oldestSequence(), parked);
        presumedRead = stillHeld(saved.read());
        saved.parked().forEach((database, reached) -> {
            AppliedMarks.Reached held = stillHeld(reached);
            if (held != null) {
                presumedParked.put(database, held);
            }
        });
        this.metrics = new MirrorMetrics(registry, spool, this::isPaused, this::targetUp, stillMarkedStopped::size,
                parked::size, () -> failure != null, this::backlog);
        lastApplied.keySet().forEach(metrics::database);
        presumedParked.keySet().forEach(metrics::database);
        this.chunkWrites = new ChunkWrites(chunks, settings.tables(), metrics);
        this.appliedCounts = new AppliedCounts(metrics);
        this.readThrough = Math.max(0, spool.oldestSequence() - 1);
        this.thread = new Thread(this::run, "tandem-mirror");
        this.thread.setDaemon(true);
    }

    /**
     * Drops from the notes the target databases a change of {@code target.databases} left behind whose progress row
     * says this instance stopped cleanly there (or that the notes do not name): nothing of this instance is in flight
     * there, and connecting to them, as a start does to the databases its last stop marked, would clear that for good.
     * One the last stop did not mark (the proxy was killed, or could not reach it) is kept: the applier keeps its
     * {@code caught_up_to} moving and marks it at the next clean stop, after which the next start drops it. The notes
     * are saved before the mapping, so a crash in between leaves it listed as left behind, to be dropped next time.
     */
    private AppliedMarks.Content leaveBehind(AppliedMarks.Content marks, SpooledMapping.Content mapping) {
        Set<String> dropped = new TreeSet<>();
        Set<String> kept = new TreeSet<>();
        for (String database : mapping.leftBehind()) {
            boolean noted = marks.databases().containsKey(database) || marks.parked().containsKey(database);
            (marks.stoppedIn().contains(database) || !noted ? dropped : kept).add(database);
        }
        Set<String> stoppedIn = new HashSet<>(marks.stoppedIn());
        stoppedIn.removeAll(dropped);
        Map<String, AppliedMarks.Mark> databases = new HashMap<>(marks.databases());
        databases.keySet().removeAll(dropped);
        Map<String, AppliedMarks.Reached> parkedAt = new HashMap<>(marks.parked());
        parkedAt.keySet().removeAll(dropped);
        AppliedMarks.Content left = new AppliedMarks.Content(marks.instanceId(), databases, marks.acknowledged(),
                stoppedIn, marks.read(), parkedAt);
        if (!left.equals(marks)) {
            AppliedMarks.save(spool, left);
            LOG.info("mirror: target.databases sends nothing to target database(s) {} any more: instance {} leaves"
                    + " them alone, and tandem.mirror_progress there keeps saying it stopped cleanly", dropped,
                    settings.instanceId());
        }
        if (!kept.isEmpty()) {
            LOG.warn("mirror: target.databases sends nothing to target database(s) {} any more, but the last stop of"
                    + " instance {} did not mark them stopped (it was killed, or could not reach them): the mirror keeps"
                    + " their caught_up_to moving so that the backfill there does not wait for it in vain, marks them"
                    + " at its next clean stop, and leaves them alone from the start after", kept,
                    settings.instanceId());
        }
        SpooledMapping.save(spool, new SpooledMapping.Content(mapping.databases(), mapping.settledBefore(), kept));
        return left;
    }

    /** Starts applying on the applier's own thread (paused if {@link #pause()} was called before). */
    public void start() {
        lock.lock();
        try {
            if (state == State.NEW) {
                transition(State.RUNNING);
            }
            if (state != State.CLOSED) {
                thread.start();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Marks on the target, sharing this applier's connections' event loop; for the admin endpoint. */
    public DualWriteMarks dualWriteMarks() {
        return new DualWriteMarks(connector, settings.instanceId());
    }

    /**
     * Completes when the record with this sequence number was applied on the target or written to the ledger
     * (sequence numbers at or below those of records already applied complete at once). If the applier stops first,
     * the future completes exceptionally with {@link MirrorStoppedException}: the record stays in the spool and is
     * applied after a restart, but nobody should wait for that.
     */
    public CompletableFuture<Void> awaitApplied(long sequence) {
        CompletableFuture<Void> done = waiters.bySequence(sequence);
        if (!done.isDone() && stopped()) {
            done.completeExceptionally(new MirrorStoppedException(stopReason));
        }
        return done;
    }

    /**
     * Like {@link #awaitApplied(long)} for the record that starts at {@code position}, the value a spool append
     * completes with.
     */
    public CompletableFuture<Void> awaitApplied(SpoolPosition position) {
        return awaitApplied(null, position);
    }

    /**
     * Like {@link #awaitApplied(SpoolPosition)} for a record of target database {@code database}: it completes when
     * that database applied it, whether or not another database waits in the spool (a sync-mode client of the
     * database that waits is not answered until it caught up, or its sync timeout).
     */
    public CompletableFuture<Void> awaitApplied(String database, SpoolPosition position) {
        CompletableFuture<Void> done = waiters.byPosition(database, position);
        if (!done.isDone() && stopped()) {
            done.completeExceptionally(new MirrorStoppedException(stopReason));
        }
        return done;
    }

    /** Stops applying after the group in flight; the spool keeps growing. */
    public void pause() {
        transition(State.PAUSED);
    }

    public void resume() {
        transition(State.RUNNING);
    }

    public boolean isPaused() {
        lock.lock();
        try {
            return state == State.PAUSED;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sequence number of the last record applied or ledgered on every database (0 before the first): a parked
     * database's oldest waiting record holds it back.
     */
    public long appliedSequence() {
        return waiters.appliedSequence();
    }

    /**
     * {@link #appliedSequence} as far as the proxy knows (for {@code /status}): a database parked before this run
     * reached it holds it back only from where an earlier run saw it applied up to, the target's to confirm.
     */
    public long appliedSequenceShown() {
        long confirmed = waiters.appliedSequence();
        return parked.isEmpty() ? confirmed : Math.max(confirmed, shownSequence);
    }

    /**
     * Per target database the applier knows, sorted, how far behind it is: {@code lagSeconds} (the age of its oldest
     * transaction not applied, as far as the proxy knows), {@code pendingBytes} and {@code pendingTransactions} (what
     * the spool holds from there on, other databases' transactions included), for {@code /status}.
     */
    public Map<String, Map<String, Object>> lagByDatabase() {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        Instant now = AppendClock.SYSTEM.now();
        for (String database : new TreeSet<>(metrics.databases())) {
            SpoolBacklog backlog = backlog(database);
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("lagSeconds", backlog.lag(now).toMillis() / 1000.0);
            d.put("pendingBytes", backlog.bytes());
            d.put("pendingTransactions", backlog.records());
            out.put(database, d);
        }
        return out;
    }

    /**
     * What a target database has still to apply as far as the proxy knows: the spool from its shown position when it
     * is parked, else from the applier's reader. Any thread.
     */
    private SpoolBacklog backlog(String database) {
        SpoolPosition from = parked.shownFrom(database);
        return spool.backlog(from != null ? from : waiters.readEnd());
    }

    /** Forgets the per-table counters of tables dropped from the target: see {@link MirrorMetrics#forgetTables}. */
    public void forgetTables(Set<String> tables) {
        metrics.forgetTables(tables);
    }

    /**
     * The target databases this instance applied transactions to, in this run or an earlier one on the same spool: a
     * restarted proxy knows them before any client logs in again.
     */
    public Set<String> appliedDatabases() {
        return Set.copyOf(lastApplied.keySet());
    }

    /**
     * Per target database this instance applied to (in this run or an earlier one on the spool), the sequence number
     * of the last record applied there: it had dealt with every record of its own before that one.
     */
    public Map<String, Long> appliedSequences() {
        Map<String, Long> out = new TreeMap<>();
        lastApplied.forEach((database, mark) -> out.put(database, mark.sequence()));
        return out;
    }

    /**
     * The target databases whose {@code tandem.mirror_progress} may still say this instance stopped cleanly, sorted:
     * its last stop marked them, and this run has not reached them yet to clear the mark. The backfill there does not
     * wait for what this instance spools.
     */
    public Set<String> stillMarkedStopped() {
        return Collections.unmodifiableSet(new TreeSet<>(stillMarkedStopped));
    }

    /**
     * Waits until the applier tried once to clear every mark its last clean stop left ({@link #stillMarkedStopped}),
     * at most {@code timeout}; false when it has not finished trying by then.
     */
    public boolean awaitStopMarksTried(Duration timeout) throws InterruptedException {
        return stopMarksTried.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Why the applier stopped on an error it cannot get past (a spool file damaged or deleted while the proxy runs, the
     * JVM's memory too small for a transaction), or empty while it has not. The proxy goes on relaying and spooling,
     * but applies nothing until it is restarted: without this, {@code /status} showed the last target state and a
     * spool that only grew, as if the target were merely slow, and a full spool under {@code on-full: block} then held
     * the clients with nothing to free it.
     */
    public Optional<String> failure() {
        return Optional.ofNullable(failure);
    }

    /** Whether the last attempt to use the target worked and no target database is parked. */
    public boolean targetUp() {
        return targetUp && parked.isEmpty();
    }

    /**
     * The target databases whose transactions wait in the spool after a failed attempt while the others are applied:
     * per database, since when, how many attempts failed in a row and the last error (for {@code /status}).
     */
    public Map<String, Map<String, Object>> parkedDatabases() {
        return parked.describe();
    }

    private boolean stopped() {
        lock.lock();
        try {
            return state == State.CLOSED;
        } finally {
            lock.unlock();
        }
    }

    /** The one place the state changes: nothing leaves CLOSED, every other state may go anywhere but back to NEW. */
    private void transition(State to) {
        lock.lock();
        try {
            if (state != State.CLOSED) {
                state = to;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Connects again to the databases this instance applied to (in this run or an earlier one) that have no session:
     * after a restart or a lost connection, their caught_up_to would otherwise stand still until the next write
     * there, and a backfill copy (and the other proxies' verifiers) would wait for this idle mirror in vain.
     */
    private void reopenIdleSessions() throws InterruptedException {
        long now = System.nanoTime();
        Set<String> known = new TreeSet<>(lastApplied.keySet());
        known.addAll(stillMarkedStopped);
        for (String database : known) {
            Long at = idleReconnectAt.get(database);
            if (sessions.containsKey(database) || parked.contains(database) || absent.contains(database)
                    || at != null && now - at < 0) {
                continue;
            }
            if (!awaitRunning()) {
                return; // closing: its sessions are being closed, not to be opened again
            }
            idleReconnectAt.put(database, now + IDLE_RECONNECT.toNanos());
            // not parked, and the reader has read every record: none of its is left, but one not readable yet
            tryConnect(database, "idle", spool.writer().oldestInvisibleAppend() == Long.MAX_VALUE);
        }
    }

    /**
     * Stops watching a target database that does not exist (any more) and has nothing left in the spool: its lag
     * series and its line in {@code /status} go, which a proxy in front of short-lived databases (tests that create and
     * drop theirs) kept one of per database it ever applied to, and it is no longer connected to while the mirror is
     * idle (every attempt a FATAL in the target's log). Its mark of what was applied there stays: a database created
     * or restored under its name later, which a record for it or the next start connects to, is then told to lack
     * those transactions ({@code tandem_mirror_target_regressions_total}), not taken for a new one.
     */
    private void forget(String database) {
        absent.add(database);
        idleReconnectAt.remove(database);
        notMirroredCountedThrough.remove(database);
        presumedParked.remove(database);
        metrics.forget(database);
        LOG.info("mirror: target database {} does not exist (any more) and nothing waits in the spool for it: the"
                + " mirror stops watching it (its lag series and /status line go away) until a transaction for it"
                + " comes", database);
    }

    private void noteApplied(String database, SpoolRecord record) {
        boolean first = lastApplied.put(database, new AppliedMarks.Mark(record.sequence(), record.position().segment(),
                record.position().offset())) == null;
        if (absent.remove(database) || first) {
            metrics.database(database);
        }
        marksChanged = true;
    }

    /** A position an earlier run saved, or null when this spool's records no longer sit where it said (or none). */
    private AppliedMarks.Reached stillHeld(AppliedMarks.Reached reached) {
        return reached != null && spool.appliedEnd(reached.epoch(), reached.position()).equals(reached.position())
                ? reached : null;
    }

    /** How far an earlier run saw the database applied, while this run has not reached it; else null. */
    private AppliedMarks.Reached presumption(String database) {
        if (reached.contains(database)) {
            return null;
        }
        AppliedMarks.Reached p = presumedParked.get(database);
        return p != null ? p : presumedRead;
    }

    /**
     * How far every database that is not parked is applied as far as the proxy knows: where the reader is, or
     * further on where an earlier run's was, while this run's has not got there.
     */
    private AppliedMarks.Reached readReached() {
        if (presumedRead != null && presumedRead.position().compareTo(readEnd) > 0) {
            return presumedRead;
        }
        return AppliedMarks.Reached.at(spool, readEnd, readThrough);
    }

    private void noteAcknowledged(SpoolRecord last) {
        // the epoch of the record itself: a later epoch may start where it ends
        acknowledged = new AppliedMarks.Acknowledged(spool.epochOf(last.position()), last.next().segment(),
                last.next().offset());
        marksChanged = true;
    }

    /**
     * After a batch: acknowledges the spool and releases the waiters of what is applied (with parked databases, as
     * {@link #noteParkedProgress}).
     */
    private void noteProgress(SpoolRecord last) {
        if (parked.isEmpty()) {
            spool.acknowledge(last.next());
            noteAcknowledged(last);
            // sync-mode clients wait for this, not for the notes to the other databases
            waiters.applied(last);
        } else {
            noteParkedProgress();
        }
    }

    /**
     * After a batch read with parked databases, or a step of one: the spool is acknowledged only up to the oldest
     * parked database's position (its records, and the others' after them, stay on disk), and the waiters of what is
     * applied on each database are released.
     */
    private void noteParkedProgress() {
        ParkedDatabases.Parked oldest = parked.oldest();
        SpoolPosition upTo = oldest == null ? readEnd : oldest.from();
        spool.acknowledge(upTo);
        // the note the next start counts its lag from: where the parked databases are shown, not where they are read
        AppliedMarks.Reached read = readReached();
        ParkedDatabases.Parked shown = parked.oldestShown();
        boolean beforeRead = shown != null && shown.shownFrom().compareTo(read.position()) < 0;
        SpoolPosition noted = beforeRead ? shown.shownFrom() : read.position();
        acknowledged = AppliedMarks.Acknowledged.at(spool, noted);
        shownSequence = beforeRead ? shown.shownBefore() : read.before();
        marksChanged = true;
        waiters.applied(readEnd, oldest == null ? readThrough : oldest.before(), upTo);
    }

    /**
     * Saves {@link #lastApplied} and {@link #acknowledged} at most once per {@link #MARKS_SAVE_INTERVAL}, and when
     * {@code force}d: a rename took milliseconds on some file systems, which a sync-mode client would wait for.
     */
    private void saveMarks(boolean force) {
        long now = System.nanoTime();
        if (marksChanged && (force || now - marksSavedAt >= MARKS_SAVE_INTERVAL.toNanos())) {
            Map<String, AppliedMarks.Reached> parkedAt = new HashMap<>();
            parked.snapshot().forEach((database, p) -> parkedAt.put(database,
                    AppliedMarks.Reached.at(spool, p.shownFrom(), p.shownBefore())));
            AppliedMarks.save(spool, settings.instanceId(), lastApplied, acknowledged, stillMarkedStopped,
                    readReached(), parkedAt);
            marksSavedAt = now;
            marksChanged = false;
        }
    }

    private void run() {
        marksSavedAt = System.nanoTime() - MARKS_SAVE_INTERVAL.toNanos();
        try (SpoolReader reader = spool.openReader(SpoolPosition.ORIGIN)) {
            clearStopMarks();
            while (awaitRunning()) {
                saveMarks(false);
                retryParked();
                List<SpoolRecord> batch = nextBatch(reader, firstWait());
                if (batch.isEmpty()) {
                    if (draining && drainOver()) {
                        drained = markStopped();
                        return;
                    }
                    reopenIdleSessions();
                    // not past a record appended but not readable yet (its fsync, or space, is still to come)
                    long emptyAt = Math.min(AppendClock.SYSTEM.millis(), spool.writer().oldestInvisibleAppend());
                    // a parked database catching up does not wait for records: the notes, not more than every POLL
                    caughtUp(catchingUp.isEmpty() ? sessions.values() : notNotedFor(POLL), emptyAt);
                    continue;
                }
                // a pause that came while waiting for records holds this batch too
                if (awaitRunning()) {
                    Set<String> written = apply(batch);
                    SpoolRecord last = batch.get(batch.size() - 1);
                    readEnd = last.next();
                    readThrough = last.sequence();
                    noteProgress(last);
                    quietDatabasesCaughtUp(written, last);
                }
            }
        } catch (Stopped e) {
            LOG.debug("mirror applier stopped");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            stopReason = "the mirror stopped: " + e.getMessage();
            failure = e.getMessage();
            LOG.error("mirror applier stopped: {}", e.getMessage(), e);
        } catch (OutOfMemoryError e) {
            // Uncaught, it would end the thread with a trace on stderr while /status went on reading as running.
            // Nothing of the spool is lost: what was not applied stays there.
            String why = "out of memory (" + e.getMessage() + "): a transaction takes several times its size in the"
                    + " proxy's memory while it is applied (heap, and direct buffers as large as its INSERT values to"
                    + " send them); raise -Xmx, or -XX:MaxDirectMemorySize (direct buffers, as much as -Xmx unless"
                    + " set), or lower mirror.max-transaction-bytes; the transactions stay in the spool and the next"
                    + " start applies them";
            stopReason = "the mirror stopped: " + why;
            failure = why;
            LOG.error("mirror applier stopped: {}", why, e);
        } finally {
            stopMarksTried.countDown();
            catchingUp.values().forEach(SpoolReader::close);
            catchingUp.clear();
            ledgerLog.close();
            saveMarks(true);
            transition(State.CLOSED);
            waiters.fail(new MirrorStoppedException(stopReason));
            closeSessions();
            sourceCatalog.close();
        }
    }

    /**
     * Connects to every database the last clean stop marked, which clears the mark, before anything else: the caller
     * holds the relay back until this tried ({@link #awaitStopMarksTried}), so that in a database it reaches no
     * transaction is spooled while the target still says this instance has nothing in flight. A database it cannot
     * reach is tried again with the idle ones ({@link #reopenIdleSessions}).
     */
    private void clearStopMarks() {
        for (String database : new TreeSet<>(stillMarkedStopped)) {
            idleReconnectAt.put(database, System.nanoTime() + IDLE_RECONNECT.toNanos());
            // the spool is not read yet: records of it may wait there
            tryConnect(database, "to clear its stop mark", false);
        }
        stopMarksTried.countDown();
    }

    /**
     * Connects to a database outside a batch (which clears its stop mark and moves its caught_up_to); a failure only
     * says the target is down: the next attempt comes with the idle ones ({@link #reopenIdleSessions}).
     *
     * @param nothingPending whether the spool holds none of the database's records: one that does not exist is then
     *                       {@link #forget}ed
     */
    private void tryConnect(String database, String why, boolean nothingPending) {
        try {
            session(database);
        } catch (Stopped e) {
            throw e;
        } catch (RuntimeException e) {
            checkOpen();
            if (e instanceof PgException pg && MISSING_DATABASE.equals(pg.sqlState())) {
                boolean wasMarked = stillMarkedStopped.remove(database);
                if (wasMarked) {
                    // a dropped database holds no mark a backfill could read: kept, it stayed in the alert for good
                    marksChanged = true;
                    LOG.info("mirror: target database {} does not exist (any more): it holds no stop mark of instance"
                            + " {}", database, settings.instanceId());
                }
                if (nothingPending) {
                    forget(database);
                }
                if (wasMarked || nothingPending) {
                    return;
                }
            }
            targetUp = false;
            LOG.debug("mirror: cannot reach target database {} yet ({}): {}", database, why, e.getMessage());
        }
    }

    /** Waits while paused; false once closed. */
    private boolean awaitRunning() throws InterruptedException {
        lock.lock();
        try {
            while (state == State.PAUSED) {
                changed.await();
            }
            return state == State.RUNNING;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Whether a stop can end now: nothing is left to read, and every database with records left (parked) failed
     * {@link #DRAIN_FAILURES} attempts in a row; a target that is down would only make the stop wait out its whole
     * timeout, and the spool keeps the records for the next start either way. The relay is closed by now: nothing
     * pending means nothing more will come.
     */
    private boolean drainOver() {
        if (parked.isEmpty()) {
            return spool.stats().pendingRecords() == 0;
        }
        return catchingUp.isEmpty() && parked.allFailedAtLeast(DRAIN_FAILURES)
                && spool.writer().oldestInvisibleAppend() == Long.MAX_VALUE;
    }

    /** How long to wait for the first record of a batch: not past a parked database's retry. */
    private Duration firstWait() {
        if (parked.isEmpty()) {
            return POLL;
        }
        return catchingUp.isEmpty() ? Duration.ofNanos(parked.nanosUntilDue(System.nanoTime(), POLL.toNanos()))
                : Duration.ZERO;
    }

    /** The sessions whose caught-up note is at least {@code age} old. */
    private List<TargetSession> notNotedFor(Duration age) {
        long now = System.nanoTime();
        List<TargetSession> out = new ArrayList<>();
        for (TargetSession session : sessions.values()) {
            if (now - session.caughtUpNotedAt() >= age.toNanos()) {
                out.add(session);
            }
        }
        return out;
    }

    private List<SpoolRecord> nextBatch(SpoolReader reader, Duration wait) throws InterruptedException {
        SpoolRecord first = reader.next(wait);
        if (first == null) {
            return List.of();
        }
        List<SpoolRecord> batch = new ArrayList<>();
        batch.add(first);
        long bytes = first.payload().length;
        // Lingering lets a group collect the transactions of a few milliseconds: the target's per-commit cost and
        // this thread's wake-ups are then paid once per group rather than once or twice per source transaction.
        long lingerUntil = System.nanoTime() + settings.groupLinger().toNanos();
        while (batch.size() < settings.maxGroupTransactions() && bytes < settings.maxGroupBytes()) {
            SpoolRecord next = reader.poll();
            if (next == null) {
                long left = lingerUntil - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                LockSupport.parkNanos(Math.min(left, LINGER_STEP_NANOS));
                continue;
            }
            batch.add(next);
            bytes += next.payload().length;
        }
        return batch;
    }

    /**
     * Applies each database's share of the batch; passes over the records of parked databases, and parks a database
     * whose share fails.
     *
     * @return the target databases the batch wrote to
     */
    private Set<String> apply(List<SpoolRecord> batch) {
        boolean passOver = !parked.isEmpty();
        Map<String, List<Member>> byDatabase = new LinkedHashMap<>();
        for (SpoolRecord record : batch) {
            if (passOver && ofParkedDatabase(record)) {
                continue;
            }
            CapturedTransaction tx;
            try {
                tx = TransactionCodec.decode(record.payload());
            } catch (IllegalArgumentException e) {
                quarantine(record, e);
                continue;
            }
            if (settledElsewhere(record, tx.database())) {
                continue;
            }
            byDatabase.computeIfAbsent(settings.target().targetDatabase(tx.database()), d -> new ArrayList<>())
                    .add(new Member(record, tx));
        }
        for (Iterator<Map.Entry<String, List<Member>>> i = byDatabase.entrySet().iterator(); i.hasNext(); ) {
            Map.Entry<String, List<Member>> share = i.next();
            try {
                applyShare(share.getKey(), share.getValue());
            } catch (Stopped e) {
                throw e;
            } catch (RuntimeException e) {
                checkOpen();
                // some of the share may be applied: the reconnect's progress tells, when the database is retried
                SpoolRecord first = share.getValue().get(0).record();
                park(share.getKey(), first.position(), first.sequence() - 1, 0, e);
                i.remove();
            }
        }
        return byDatabase.keySet();
    }

    /** Whether the record is one of a parked database's, read without decoding it all. */
    private boolean ofParkedDatabase(SpoolRecord record) {
        try {
            return parked.contains(settings.target().targetDatabase(TransactionCodec.database(record.payload())));
        } catch (IllegalArgumentException e) {
            return false; // decoded, and set aside, with the others
        }
    }

    /** The transaction of a record if it is one of {@code database}'s, else null. */
    private CapturedTransaction ofDatabase(SpoolRecord record, String database) {
        try {
            String source = TransactionCodec.database(record.payload());
            if (!database.equals(settings.target().targetDatabase(source)) || settledElsewhere(record, source)) {
                return null;
            }
            return TransactionCodec.decode(record.payload());
        } catch (IllegalArgumentException e) {
            return null; // set aside when the applier's reader read it
        }
    }

    /** Whether the record was applied to its source database's target before {@code target.databases} changed. */
    private boolean settledElsewhere(SpoolRecord record, String sourceDatabase) {
        Long switched = settledBefore.isEmpty() ? null : settledBefore.get(sourceDatabase);
        return switched != null && spool.ofEarlierEpoch(record.position(), switched);
    }

    /**
     * A record whose CRC holds but which this version cannot read (written by another Tandem version, or a bug): it
     * cannot be applied, and its database is not even known, so it is kept in the spool's {@code quarantine} folder
     * for a person to look at or replay, counted, and the mirror moves on instead of stopping every database.
     */
    private void quarantine(SpoolRecord record, IllegalArgumentException why) {
        metrics.undecodable();
        String name = record.sequence() + ".record";
        Path file = spool.settings().dir().resolve(QUARANTINE).resolve(name);
        try {
            spool.setAside(QUARANTINE, name, record.payload());
            LOG.error("spool record {} at {} cannot be read by this version ({}); it is set aside in {} and the mirror"
                    + " moves on: its transaction is not on the target", record.sequence(), record.position(),
                    why.getMessage(), file);
        } catch (IOException e) {
            LOG.error("spool record {} at {} cannot be read by this version ({}) and could not be set aside in {} ({});"
                    + " the mirror moves on: its transaction is not on the target", record.sequence(),
                    record.position(), why.getMessage(), file, e.getMessage());
        }
    }

    /**
     * A database none of whose records came lately still moves its {@code caught_up_to} while the spool is busy with
     * others (the busy spool never looks empty): every record before {@code last} is applied, its own included. At
     * most every {@link #POLL} per database, so a busy spool does not add a target transaction per group.
     */
    private void quietDatabasesCaughtUp(Set<String> written, SpoolRecord last) {
        long now = System.nanoTime();
        List<TargetSession> quiet = new ArrayList<>();
        for (TargetSession session : sessions.values()) {
            if (written.contains(session.database())) {
                session.caughtUpNoted(now);
            } else if (now - session.caughtUpNotedAt() >= POLL.toNanos()) {
                quiet.add(session);
            }
        }
        if (!quiet.isEmpty()) {
            caughtUp(quiet, last.appendTime().toEpochMilli());
        }
    }

    /** Applies one database's share of a batch, its records applied already left out. */
    private void applyShare(String database, List<Member> members) {
        TargetSession session = session(database);
        List<Member> pending = new ArrayList<>(members.size());
        for (Member m : members) {
            if (!spool.applied(m.record().position(), session.appliedEpoch(), session.appliedBefore())) {
                pending.add(m);
            }
        }
        applyInOrder(session, pending);
        targetUp = true;
    }

    /**
     * Leaves a database behind after a failed attempt (again after a failed retry), to be tried again after the
     * capped backoff: the others go on meanwhile. The reconnect re-reads its progress, so a commit whose answer was
     * lost is not applied twice.
     *
     * @param from     where its records that may not be applied start
     * @param before   the sequence number of the record before {@code from}
     * @param failures the attempts in a row that failed before this one
     */
    private void park(String database, SpoolPosition from, long before, int failures, RuntimeException e) {
        targetUp = false;
        dropSession(database);
        metrics.retry();
        Duration wait = backoff(failures);
        String why = e instanceof PgException pg ? "SQLSTATE " + pg.sqlState() + ": " + pg.serverMessage()
                : e instanceof GroupFailed g ? "SQLSTATE " + g.sqlState + ": " + g.getMessage()
                : e.getClass().getSimpleName() + ": " + e.getMessage();
        String sqlState = e instanceof PgException pg ? pg.sqlState() : e instanceof GroupFailed g ? g.sqlState : null;
        if (MISSING_DATABASE.equals(sqlState)) {
            awaitingSchema.add(database);
        }
        String hint = RetryHint.of(sqlState, database)
                + TlsFailureHint.of(e, settings.target().tls().clientMode(), settings.target().host(),
                "target");
        int unsaid = retryLog.failed(database, why, System.nanoTime());
        if (unsaid < 0) {
            LOG.debug("mirror: target database {} still cannot be applied ({}); retrying in {} ms", database, why,
                    wait.toMillis());
        } else if (parked.contains(database)) {
            LOG.warn("mirror: target database {} still cannot be applied ({}){}; retrying in {} ms{}", database, why,
                    unsaid == 0 ? "" : ", nor at the " + unsaid + " attempt(s) since the last line", wait.toMillis(),
                    hint);
        } else {
            LOG.warn("mirror: target database {} cannot be applied ({}); its transactions wait in the spool and other"
                    + " databases go on; retrying in {} ms{}", database, why, wait.toMillis(), hint);
        }
        LOG.debug("mirror: failure behind the retry", e);
        parked.park(database, from, before, failures + 1, System.nanoTime() + wait.toNanos(), why,
                presumption(database));
        metrics.database(database);
    }

    /** A step of each parked database whose time to try again came. */
    private void retryParked() {
        if (parked.isEmpty()) {
            return;
        }
        for (String database : parked.due(System.nanoTime())) {
            for (int i = 0; i < CATCH_UP_GROUPS; i++) {
                checkOpen();
                if (!catchUpStep(database)) {
                    break;
                }
            }
        }
    }

    /**
     * Applies the next group of a parked database's records, read from its position with a reader of its own, up to
     * where the applier's reader is: the others' records in between are passed over, applied already. Once it got
     * there it is no longer parked, and the applier's reader brings its records from then on. A failure parks it again
     * where the step began.
     *
     * @return whether it is still catching up
     */
    private boolean catchUpStep(String database) {
        ParkedDatabases.Parked p = parked.get(database);
        SpoolReader reader = catchingUp.get(database);
        if (reader == null) {
            reader = spool.openReader(p.from());
            catchingUp.put(database, reader);
        }
        List<Member> members = new ArrayList<>();
        SpoolPosition through = p.from();
        long before = p.before();
        boolean caughtUp = false;
        long bytes = 0;
        while (members.size() < settings.maxGroupTransactions() && bytes < settings.maxGroupBytes()) {
            if (reader.position().compareTo(readEnd) >= 0) {
                caughtUp = true;
                break;
            }
            SpoolRecord record = reader.poll();
            if (record == null) {
                break;
            }
            if (record.position().compareTo(readEnd) >= 0) {
                // not read by the applier's reader yet, which applies it now that the database is no longer parked
                caughtUp = true;
                break;
            }
            through = record.next();
            before = record.sequence();
            CapturedTransaction tx = ofDatabase(record, database);
            if (tx != null) {
                members.add(new Member(record, tx));
                bytes += record.payload().length;
            }
        }
        try {
            if (!members.isEmpty()) {
                applyShare(database, members);
            }
        } catch (Stopped e) {
            throw e;
        } catch (RuntimeException e) {
            checkOpen();
            catchingUp.remove(database).close();
            park(database, p.from(), p.before(), p.failures(), e);
            return false;
        }
        if (caughtUp) {
            catchingUp.remove(database).close();
            parked.resume(database);
            retryLog.caughtUp(database);
            awaitingSchema.remove(database);
            long ledgered = ledgeredWhileParked.getOrDefault(database, 0L);
            ledgeredWhileParked.remove(database);
            LOG.info("mirror: target database {} caught up after {} s parked: the transactions that waited in the"
                    + " spool for it since {} are applied{}, and it is mirrored with the others again", database,
                    Duration.between(p.since(), Instant.now()).toSeconds(), p.since(), ledgered == 0
                    ? "" : " (" + ledgered + " of them ledgered in its tandem.divergence instead: see the warnings"
                    + " above)");
        } else {
            parked.advance(database, through, before);
        }
        noteParkedProgress();
        return !caughtUp;
    }

    private TargetSession session(String database) {
        TargetSession session = sessions.get(database);
        if (session != null) {
            return session;
        }
        session = TargetSession.open(connector, database, settings.instanceId(), settings.slowAnswer(),
                settings.lockTimeout(), settings.statementTimeout());
        sessions.put(database, session);
        reached.add(database);
        if (absent.remove(database)) {
            metrics.database(database); // back: watched again
        }
        if (stillMarkedStopped.remove(database)) {
            marksChanged = true;
            LOG.info("mirror: target database {} no longer says instance {} stopped (stopped_at cleared): the backfill"
                    + " there waits for this instance again", database, settings.instanceId());
        }
        AppliedMarks.Mark known = lastApplied.get(database);
        if (known != null && !holds(session, known)) {
            // what an earlier run saw applied is no longer all on the target: the lag counts what it has not applied
            spool.withdrawPresumption();
            acknowledged = null;
            presumedRead = null;
            presumedParked.clear();
            parked.snapshot().keySet().forEach(parked::forgetPresumption);
            marksChanged = true;
            metrics.targetRegression();
            LOG.error("mirror: target database {} no longer has transactions this proxy applied there: its progress"
                    + " for instance {} is at spool sequence {}, but sequence {} was applied (the target was restored,"
                    + " failed over to a replica that was behind, or the progress row was deleted). Those still in the"
                    + " spool are applied again; older ones are missing on the target: run tandem-backfill verify and"
                    + " repair", database, settings.instanceId(), session.appliedSequence(), known.sequence());
        }
        if (stopped()) {
            dropSession(database);
            throw new Stopped();
        }
        // records appended from now on must land after what this database already applied, even if the spool lost
        // its tail in a host crash (the spool advances its positions past the one given here when needed)
        spool.openReader(session.appliedBefore()).close();
        LOG.info("mirror: target database {} connected; applied up to spool sequence {} (position {})", database,
                session.appliedSequence(), session.appliedBefore());
        return session;
    }

    /**
     * Whether the target database still holds what an earlier run of this proxy saw applied there. Its progress names
     * the epoch of the last record applied; once every record of that epoch is deleted from the spool (the database
     * received nothing while the others went on), the spool forgets the epoch and cannot place the progress any more:
     * then the sequence says it, as a target restored to an earlier state is behind the sequence this proxy knows.
     */
    private boolean holds(TargetSession session, AppliedMarks.Mark known) {
        if (spool.applied(known.position(), session.appliedEpoch(), session.appliedBefore())) {
            return true;
        }
        return !spool.knowsEpoch(session.appliedEpoch()) && session.appliedSequence() >= known.sequence();
    }

    private void applyInOrder(TargetSession session, List<Member> queued) {
        List<Member> pending = new ArrayList<>(queued.size());
        for (Member m : queued) {
            Map<TableName, TableName> missingPartitions = new HashMap<>();
            long sequence = m.record().sequence();
            boolean count = sequence > notMirroredCountedThrough.getOrDefault(session.database(), 0L);
            CapturedTransaction confirmed = confirmed(m.tx(), session, missingPartitions, count);
            if (count) {
                notMirroredCountedThrough.put(session.database(), sequence);
            }
            CapturedTransaction replayed = typeRemapper.remap(columnOrders.reorder(confirmed, session), session);
            pending.add(new Member(m.record(), replayed, m.tx(), missingPartitions));
        }
        SpoolPosition slow = timedOut.suspect(session.database());
        int i = 0;
        while (i < pending.size()) {
            Member m = pending.get(i);
            CapturedStatement.Unreplayable unreplayable = m.unreplayable();
            if (unreplayable != null) {
                ledger(session, m, unreplayable, null, unreplayable.reason(), MirrorMetrics.NOT_REPLAYABLE);
                i++;
                continue;
            }
            if (m.record().position().equals(slow)) {
                // its last replay ran into mirror.statement-timeout: alone, each statement as the source sent it
                applyGroup(session, List.of(m), false);
                timedOut.settled(session.database());
                i++;
                continue;
            }
            int end = i + 1;
            while (end < pending.size() && pending.get(end).unreplayable() == null
                    && !pending.get(end).record().position().equals(slow)) {
                end++;
            }
            applyGroup(session, pending.subList(i, end), true);
            i = end;
        }
    }

    /** Whether a table the capture could not decide is mirrored, now that the target's catalog can say. */
    private boolean mirrored(TargetSession session, TableName table) {
        if (settings.tables().includesHypertables()) {
            return session.isHypertable(table);
        }
        if (settings.tables().mirrors(table.schema(), table.name(), false)) {
            return session.exists(table); // a wildcard pattern matches it: mirrored where the target has it
        }
        return session.partitionRoot(table).filter(root -> settings.tables().mirrorsPartition(table.schema(),
                table.name(), root.schema(), root.name())).isPresent();
    }

    /**
     * The transaction with only the statements the target mirrors: a table the proxy could not confirm when the
     * transaction committed (it did not know the target's hypertables or partitions yet) is kept only if the target's
     * catalog now says it is mirrored; a TimescaleDB chunk written by its own name, as a write into its hypertable
     * ({@link ChunkWrites}). A partition of a mirrored table that the target lacks is put in
     * {@code missingPartitions} with that table, and its statements become unreplayable: ledgered. The writes left out
     * are counted unless {@code count} is false: an earlier attempt to apply the transaction counted them.
     */
    private CapturedTransaction confirmed(CapturedTransaction tx, TargetSession session,
                                          Map<TableName, TableName> missingPartitions, boolean count) {
        if (tx.unconfirmed().isEmpty()) {
            return tx;
        }
        List<CapturedStatement> kept = new ArrayList<>(tx.statements().size());
        Set<TableName> notOnTarget = new HashSet<>();
        Set<TableName> unmappedChunks = new HashSet<>();
        for (CapturedStatement s : tx.statements()) {
            if (!tx.unconfirmed().contains(s.table())) {
                kept.add(s);
            } else if (session.isChunk(s.table())) {
                CapturedStatement into = chunkWrites.intoHypertable(tx.database(), session, s, unmappedChunks, count);
                if (into != null) {
                    kept.add(into);
                }
            } else if (mirrored(session, s.table())) {
                kept.add(s);
            } else if (!settings.tables().includesHypertables() && !session.exists(s.table())) {
                if (awaitingSchema.contains(session.database())) {
                    throw new SchemaPending(s.table(), session.database());
                }
                // perhaps a partition of a mirrored table created on the source only: counted, not silently dropped
                if (count) {
                    metrics.leftOut(s.table(), MirrorMetrics.NOT_ON_TARGET, s.sourceRows(), notOnTarget);
                }
                if (settings.tables().mirrors(s.table().schema(), s.table().name(), false)) {
                    if (undecidedTablesLogged.add(session.database() + "\0" + s.table())) {
                        LOG.warn("mirror: {} matches an include pattern but does not exist in target database {}: its"
                                + " rows are not mirrored (counted in tandem_mirror_transactions_total{outcome="
                                + "\"not_on_target\"}; a temporary table's are too). If the source has it for good,"
                                + " create it on the target and re-copy its rows (verify --through shows them)",
                                s.table(), session.database());
                    }
                } else if (sourceCatalog.available()) {
                    TableName root = sourceCatalog.partitionRoot(tx.database(), s.table()).orElse(null);
                    if (root != null && settings.tables().mirrorsPartition(s.table().schema(), s.table().name(),
                            root.schema(), root.name())) {
                        // the source says it is: the transaction is ledgered with its statements
                        missingPartitions.put(s.table(), root);
                        kept.add(new CapturedStatement.Unreplayable(s.table(), s.sourceRows(), s.sql(), s.table()
                                + " is a partition of mirrored table " + root + " on the source that target database "
                                + session.database() + " does not have: create it there (CREATE TABLE ... PARTITION OF "
                                + root + "), then run tandem-backfill repair, which re-copies this entry's time range"
                                + " (an entry without one, when no time column of " + root + " is known: re-copy the"
                                + " window of its rows' times, then settle it)", s.searchPath()));
                    }
                    // else not a partition of a mirrored table on the source either: not mirrored, rightly
                } else if (undecidedTablesLogged.add(session.database() + "\0" + s.table())) {
                    LOG.warn("mirror: {} does not exist in target database {}, so the proxy cannot tell whether it is"
                            + " a partition of a mirrored table: its rows are not mirrored (counted in"
                            + " tandem_mirror_transactions_total{outcome=\"not_on_target\"}; a temporary table's"
                            + " are too). If it is a partition created on the source only, create it on the target and"
                            + " re-copy its rows (verify --through shows them); with source.user set, the source's"
                            + " catalog decides and such transactions are ledgered", s.table(), session.database());
                }
            } else if (undecidedTablesLogged.add(session.database() + "\0" + s.table())) {
                LOG.info("mirror: {} is not a {} of target database {}: its rows captured while the proxy's view of"
                        + " the target's catalog did not have it are not mirrored (as none of its rows are)", s.table(),
                        settings.tables().includesHypertables() ? "hypertable" : "partition of a mirrored table",
                        session.database());
            }
        }
        return tx.confirmed(kept);
    }

    /**
     * Applies members as one target transaction; on a non-transient error isolates the bad ones. One-row INSERTs are
     * coalesced ({@link InsertCoalescer}) except when a lone member is re-applied to find the statement that fails.
     *
     * @return whether all members were applied (else the failing one was ledgered)
     */
    private boolean applyGroup(TargetSession session, List<Member> members, boolean coalesce) {
        String mark = session.markLiteral(MARK_REFRESH_NANOS);
        Pipeline<Object> pipeline = new Pipeline<>(ByteBufAllocator.DEFAULT);
        boolean coalesced = false;
        Map<TableName, TableName> countedAs = new HashMap<>();
        try {
            // No BEGIN/COMMIT: the server runs everything up to the exchange's Sync as one implicit transaction, all or
            // nothing, which is what a group needs, for two statements less per group. set_config(..., true) lasts
            // until the end of that transaction: each statement gets the path it ran with, the default included.
            // The same for client_encoding: a statement of a session whose encoding is not UTF8 is sent as the bytes
            // the application sent, in its encoding; the group's later statements, in whichever is set then. And the
            // settings that decide what values mean (TimeZone, DateStyle, ...): the source session's, not the target's.
            String path = session.defaultSearchPath();
            String encoding = null;
            TargetInputSettings inputs = session.inputSettings();
            List<Replayed> run = new ArrayList<>();
            List<String> lastSchemas = null;
            String lastUser = null;
            String wanted = path;
            for (int i = 0; i < members.size(); i++) {
                CapturedTransaction tx = members.get(i).tx();
                for (CapturedStatement s : tx.statements()) {
                    countedAs.computeIfAbsent(s.table(), t -> countedAs(session, t));
                    List<String> schemas = s.searchPath() != null ? s.searchPath() : tx.searchPath();
                    if (!schemas.equals(lastSchemas) || !Objects.equals(tx.user(), lastUser)) {
                        wanted = searchPath(session, schemas, tx.user());
                        lastSchemas = schemas;
                        lastUser = tx.user();
                    }
                    if (!wanted.equals(path)) {
                        coalesced |= addRun(session, inputs.inForce(), pipeline, run, coalesce, mark);
                        bookkeeping(session, pipeline, Bookkeeping.SEARCH_PATH, MirrorSchema.SET_SEARCH_PATH, wanted);
                        path = wanted;
                    }
                    boolean replayed = !(s instanceof CapturedStatement.Unreplayable);
                    if (replayed && !Objects.equals(s.clientEncoding(), encoding)) {
                        coalesced |= addRun(session, inputs.inForce(), pipeline, run, coalesce, mark);
                        encoding = s.clientEncoding();
                        String name = encoding == null ? "UTF8" : encoding;
                        bookkeeping(session, pipeline, Bookkeeping.CLIENT_ENCODING, MirrorSchema.SET_CLIENT_ENCODING,
                                name);
                        pipeline.charset(ClientEncodings.charset(name).orElse(StandardCharsets.UTF_8));
                    }
                    // the run so far was parsed under the settings in force before this statement's
                    List<String> runSettings = inputs.inForce();
                    String[] settingsBefore = replayed ? inputs.before(s.settings()) : null;
                    if (settingsBefore != null) {
                        coalesced |= addRun(session, runSettings, pipeline, run, coalesce, mark);
                        bookkeeping(session, pipeline, Bookkeeping.INPUT_SETTINGS, MirrorSchema.SET_INPUT_SETTINGS,
                                settingsBefore);
                    }
                    // and session_replication_role, so the target fires the triggers the source fired, no others
                    String roleBefore = replayed ? inputs.replicationRoleBefore(s.settings()) : null;
                    if (roleBefore != null) {
                        coalesced |= addRun(session, inputs.inForce(), pipeline, run, coalesce, mark);
                        bookkeeping(session, pipeline, Bookkeeping.REPLICATION_ROLE, MirrorSchema.SET_REPLICATION_ROLE,
                                roleBefore);
                    }
                    run.add(new Replayed(i, s));
                }
            }
            coalesced |= addRun(session, inputs.inForce(), pipeline, run, coalesce, mark);
            Member last = members.get(members.size() - 1);
            bookkeeping(session, pipeline, Bookkeeping.SESSION_CHECK, MirrorSchema.CHECK_SESSION,
                    session.sessionState(path, inputs.replicationRole(), encoding, inputs.inForce()));
            if (!path.equals(session.defaultSearchPath())) {
                bookkeeping(session, pipeline, Bookkeeping.PROGRESS, MirrorSchema.BOOKKEEPING_PATH);
            }
            bookkeeping(session, pipeline, Bookkeeping.PROGRESS, MirrorSchema.WRITE_PROGRESS, progress(last.record()));
            String firstCommit = Long.toString(members.get(0).tx().committedAt());
            if (!session.firstMirroredKnown()) {
                bookkeeping(session, pipeline, Bookkeeping.DUAL_WRITE, MirrorSchema.FIRST_MIRRORED,
                        session.database(), firstCommit);
            }
            if (settings.markDualWriteStart() && !session.markKnown()) {
                bookkeeping(session, pipeline, Bookkeeping.DUAL_WRITE, MirrorSchema.MARK_AT_FIRST_COMMIT,
                        session.database(), firstCommit, markedBy());
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            pipeline.discard();
            session.exchangeAbandoned();
            throw e;
        }
        List<Object> slots = List.copyOf(pipeline.slots());
        long started = System.nanoTime();
        Reply reply = Reply.of(session.exchange(pipeline));
        long elapsed = System.nanoTime() - started;
        metrics.targetTransaction(reply.ok());
        if (reply.ok()) {
            session.exchangeSucceeded();
            Member last = members.get(members.size() - 1);
            session.applied(last.record().sequence(), last.record().next(), spool.epochOf(last.record().position()),
                    true);
            noteApplied(session.database(), last.record());
            appliedCounts.count(members.size(), slots, reply, countedAs);
            countLateCopyRows(session, slots, countedAs);
            return true;
        }
        session.recoverFromFailedExchange();
        ErrorResponse error = reply.error();
        Object failed = reply.failedSlot() < slots.size() ? slots.get(reply.failedSlot()) : null;
        if (timedOut.timedOut(error.sqlState(), error.message(), elapsed)) {
            return replayTimedOut(session, members, slots, reply.failedSlot(), error, coalesce);
        }
        if (failed == Bookkeeping.SESSION_CHECK && !TransientErrors.isTransient(error.sqlState())
                || failed == Bookkeeping.INPUT_SETTINGS && SESSION_CHANGED.equals(error.sqlState())) {
            return sessionChanged(session, members, error);
        }
        if (TransientErrors.isTransient(error.sqlState()) && !madeReadOnly(error, slots, reply.failedSlot())
                || failed == Bookkeeping.PROGRESS
                || failed == Bookkeeping.DUAL_WRITE
                || awaitingSchema.contains(session.database()) && SCHEMA_PENDING.contains(error.sqlState())) {
            // the mirror's own state statements failing is no member's fault (its tables were dropped, say, with the
            // tandem schema): a new connection creates them again, or keeps saying what is wrong
            throw new GroupFailed(error);
        }
        if (members.size() > 1) {
            return isolate(session, members, slots, reply.failedSlot(), error);
        }
        if (coalesced) {
            return applyGroup(session, members, false);
        }
        if (failed instanceof LateRows.Counted counted) {
            // not coalesced (that was retried above): a Replayed statement
            return appliedUncounted(session, members, ((Replayed) counted.unit()).statement().table(), error);
        }
        CapturedStatement statement = failed instanceof Replayed r ? r.statement()
                : members.get(0).tx().statements().isEmpty() ? null : members.get(0).tx().statements().get(0);
        if (failed == Bookkeeping.REPLICATION_ROLE && "42501".equals(error.sqlState())) {
            // the transaction has a statement under replica or local: the value was set for it, or back after it
            CapturedStatement underRole = members.get(0).tx().statements().stream()
                    .filter(s -> s.settings().replicationRole() != ReplicationRole.ORIGIN).findFirst().orElse(statement);
            ledger(session, members.get(0), underRole, error.sqlState(), replicationRoleRefused(underRole, error),
                    MirrorMetrics.REJECTED, false);
            return false;
        }
        String refusal = CompressedChunkRefusals.explained(error.sqlState(), error.message());
        if (refusal != null) {
            ledger(session, members.get(0), statement, error.sqlState(), refusal, MirrorMetrics.REJECTED, false);
            return false;
        }
        ledger(session, members.get(0), statement, error.sqlState(), error.message(), MirrorMetrics.REJECTED);
        return false;
    }

    /**
     * A group the target cancelled for {@code mirror.statement-timeout}: its database is parked, so the other databases
     * go on, and retried with the backoff, the member whose statement ran too long applied alone, as the source sent
     * it ({@link TimedOutReplays}). That member is ledgered once it timed out alone {@link #TIMEOUTS_BEFORE_LEDGER}
     * times in a row: a replay that never ends would otherwise hold its database, and the spool of all, for good.
     *
     * @return false once the member is ledgered; otherwise throws to park the database
     */
    private boolean replayTimedOut(TargetSession session, List<Member> members, List<Object> slots, int failedSlot,
                                   ErrorResponse error, boolean coalesce) {
        Replayed slow = null;
        for (int i = failedSlot; i < slots.size() && slow == null; i++) {
            // a setting's bookkeeping fails for the statement it comes before
            Object unit = slots.get(i) instanceof LateRows.Counted counted ? counted.unit() : slots.get(i);
            if (unit instanceof Replayed r) {
                slow = r;
            } else if (unit instanceof CoalescedInsert c) {
                slow = c.rows().get(0);
            }
        }
        // none named (the group's commit ran a deferred trigger, say): its first member, so each retry applies one more
        Member member = members.get(slow == null ? 0 : slow.member());
        CapturedStatement statement = slow != null ? slow.statement()
                : member.tx().statements().isEmpty() ? null : member.tx().statements().get(0);
        String database = session.database();
        String timeout = Durations.format(timedOut.timeout());
        String shown = statement == null ? "(no statement)" : statement.table() + ": " + loggedSql(statement);
        SpoolPosition position = member.record().position();
        if (members.size() > 1 || coalesce) {
            timedOut.timedOutInGroup(database, position);
            LOG.warn("mirror: a replay in target database {} ran longer than mirror.statement-timeout ({}) and was"
                    + " cancelled, in the transaction at spool sequence {} (source session {}; {}); it is applied"
                    + " alone when the database is retried, while the other databases go on", database, timeout,
                    member.record().sequence(), member.tx().sessionId(), shown);
            throw new GroupFailed(error);
        }
        int times = timedOut.timedOutAlone(database, position);
        if (times < TIMEOUTS_BEFORE_LEDGER) {
            LOG.warn("mirror: the transaction at spool sequence {} (source session {}), applied alone, ran longer than"
                    + " mirror.statement-timeout ({}) in target database {} and was cancelled ({} of {} times before it"
                    + " is ledgered; {}); retried while the other databases go on", member.record().sequence(),
                    member.tx().sessionId(), timeout, database, times, TIMEOUTS_BEFORE_LEDGER, shown);
            throw new GroupFailed(error);
        }
        timedOut.settled(database);
        ledger(session, member, statement, error.sqlState(), "not applied: replayed alone, it ran longer than"
                + " mirror.statement-timeout (" + timeout + ") on the target " + times + " times in a row and was"
                + " cancelled each time (" + error.message() + "); make the replay fast enough (the function its"
                + " values call, a trigger on the target) or raise mirror.statement-timeout; the times of its rows are"
                + " unknown (finding them would replay it once more): re-copy a window that holds them, then close this"
                + " entry with tandem-backfill settle", MirrorMetrics.REJECTED, false);
        return false;
    }

    /** A statement as the log may show it: {@code logging.redact-sql} hides it, and a long one is cut. */
    private String loggedSql(CapturedStatement statement) {
        if (settings.redactSql()) {
            return REDACTED;
        }
        String sql = statement.sql();
        return sql.length() <= LOGGED_SQL_CHARS ? sql : sql.substring(0, LOGGED_SQL_CHARS) + "...";
    }

    /**
     * Applies the members of a group that failed on the target without the one whose statement failed, which is
     * applied alone (and ledgered if it fails so too): the members before it as one target transaction, it, then the
     * members after it as a group again, isolating the next bad one the same way. Every member before the failing
     * statement had run without error, in order, so the split keeps the source's commit order and the group's
     * all-or-nothing, at a few target transactions per bad member rather than one per member: a table the target
     * refuses every write into (a column missing there) would otherwise make the mirror apply one transaction per
     * round trip for as long as it is written. A failing statement that stands for several members (one-row INSERTs
     * coalesced) is found by applying the group again without coalescing; one that names no member, one by one.
     */
    private boolean isolate(TargetSession session, List<Member> members, List<Object> slots, int failedSlot,
                            ErrorResponse error) {
        int culprit = -1;
        boolean several = false;
        for (int i = failedSlot; i < slots.size() && culprit < 0 && !several; i++) {
            // a setting's bookkeeping fails for the statement it comes before
            Object unit = slots.get(i) instanceof LateRows.Counted counted ? counted.unit() : slots.get(i);
            if (unit instanceof Replayed r) {
                culprit = r.member();
            } else if (unit instanceof CoalescedInsert c) {
                int first = c.rows().get(0).member();
                several = c.rows().stream().anyMatch(r -> r.member() != first);
                culprit = several ? -1 : first;
            }
        }
        if (several) {
            LOG.debug("mirror: a group of {} transactions failed with SQLSTATE {} in INSERTs of several of them made"
                    + " one; applying the group again with each INSERT as sent", members.size(), error.sqlState());
            return applyGroup(session, members, false);
        }
        if (culprit < 0) {
            LOG.debug("mirror: a group of {} transactions failed with SQLSTATE {}; applying them one by one",
                    members.size(), error.sqlState());
            boolean all = true;
            for (Member m : members) {
                all &= applyGroup(session, List.of(m), true);
            }
            return all;
        }
        LOG.debug("mirror: a group of {} transactions failed with SQLSTATE {} in its member {}; applying it alone",
                members.size(), error.sqlState(), culprit);
        boolean all = culprit == 0 || applyGroup(session, members.subList(0, culprit), true);
        all &= applyGroup(session, List.of(members.get(culprit)), true);
        if (culprit + 1 < members.size()) {
            all &= applyGroup(session, members.subList(culprit + 1, members.size()), true);
        }
        return all;
    }

    /**
     * A group after which the mirror's session was not as the applier left it ({@link MirrorSchema#CHECK_SESSION}):
     * a member changed it, through a function its INSERT calls or a trigger of the target's. Its transaction was rolled back, change included.
     * The member is found by applying each half of the group again, in order, and is ledgered, alone: replayed, it
     * would apply what follows it under another role, search_path, TimeZone, DateStyle, IntervalStyle,
     * standard_conforming_strings, client_encoding or read-only mode, or stop the mirror of the database (its progress
     * write refused on every retry).
     */
    private boolean sessionChanged(TargetSession session, List<Member> members, ErrorResponse error) {
        if (members.size() > 1) {
            int half = members.size() / 2;
            boolean first = applyGroup(session, members.subList(0, half), true);
            return applyGroup(session, members.subList(half, members.size()), true) && first;
        }
        Member member = members.get(0);
        CapturedStatement statement = member.tx().statements().isEmpty() ? null : member.tx().statements().get(0);
        ledger(session, member, statement, null, "not replayed: it changed the mirror's own session on the target"
                + " (found with " + quoted(error.message()) + "), through a function it calls or a trigger of the"
                + " target's (set_config, or SET in the function's body), which would have applied what follows it"
                + " under that; re-copy its rows"
                + " with tandem-backfill repair",
                MirrorMetrics.NOT_REPLAYABLE, false);
        return false;
    }

    /** The part of a message between its first and last double quote: what a failed cast quotes; else all of it. */
    private static String quoted(String message) {
        int first = message.indexOf('"');
        int last = message.lastIndexOf('"');
        return first >= 0 && last > first ? message.substring(first + 1, last) : message;
    }

    /**
     * Whether a group failed read-only (25006, taken for a read-only target, transient) after a statement of its own
     * wrote: the transaction was not read-only when it started, so a member made it so, set_config on
     * {@code transaction_read_only} in a function it calls. Retried, it would fail the same way for good.
     */
    private static boolean madeReadOnly(ErrorResponse error, List<Object> slots, int failedSlot) {
        if (!"25006".equals(error.sqlState())) {
            return false;
        }
        for (int i = 0; i < failedSlot && i < slots.size(); i++) {
            Object unit = slots.get(i) instanceof LateRows.Counted counted ? counted.unit() : slots.get(i);
            if (unit instanceof Replayed || unit instanceof CoalescedInsert) {
                return true;
            }
        }
        return false;
    }

    /**
     * Applies again a lone member whose INSERT failed wrapped to count its late rows ({@link LateRows}), without
     * counting that table's: the target may refuse the wrapping and not the INSERT (PostgreSQL does for a table with
     * INSERT rules, TimescaleDB before 2.11 for an INSERT into a compressed chunk: {@link LateRows#refusal}). When the
     * INSERT fails alone too, it is ledgered with its own error and the table's late rows are counted again.
     */
    private boolean appliedUncounted(TargetSession session, List<Member> members, TableName table,
                                     ErrorResponse error) {
        session.refuseLateRowCount(table, true);
        if (applyGroup(session, members, false)) {
            LOG.warn("mirror: late rows of {} in target database {} are not counted until the mirror reconnects: {}"
                    + " (SQLSTATE {}: {}); the INSERTs themselves are applied", table, session.database(),
                    LateRows.refusal(error.sqlState(), error.message()), error.sqlState(), error.message());
            return true;
        }
        session.refuseLateRowCount(table, false);
        return false;
    }

    /**
     * The ledger's message for a transaction the target could not replay under the source session's
     * session_replication_role: the mirror's user may not set it. Retried, it would fail the same way for good.
     */
    private String replicationRoleRefused(CapturedStatement statement, ErrorResponse error) {
        String user = settings.target().user();
        return "the source session wrote this transaction under session_replication_role = "
                + statement.settings().replicationRole().setting() + ", which decides which triggers, rules and"
                + " foreign-key checks fire, and the target refused to set it for the replay (" + error.message()
                + "): the mirror's target user " + user + " needs the right to set it. On PostgreSQL 15 and later run"
                + " GRANT SET ON PARAMETER session_replication_role TO " + Identifiers.quoteIdentifier(user)
                + " on the target (or make the user a superuser), then re-copy this entry with tandem-backfill repair";
    }

    /**
     * Adds the statements of {@code run} to the pipeline, coalesced if asked, and empties it. {@code inForce}: the
     * input settings the target parses them under ({@link TargetInputSettings#inForce}).
     *
     * @return whether a {@link CoalescedInsert} was added
     */
    private boolean addRun(TargetSession session, List<String> inForce, Pipeline<Object> pipeline,
                           List<Replayed> run, boolean coalesce, String mark) {
        boolean coalesced = false;
        for (Object unit : coalesce ? coalescer.units(run) : List.<Object>copyOf(run)) {
            if (unit instanceof CoalescedInsert c) {
                Optional<String> column = lateColumn(session, mark, c.rows().get(0).statement().table());
                String sql = column.map(col -> LateRows.wrap(c.sql(), col, mark)).orElse(c.sql());
                String[] named = session.statementFor(sql, c.types(), inForce);
                pipeline.execute(column.isPresent() ? new LateRows.Counted(c) : c, named[0],
                        named.length > 1 || named[0].isEmpty(), sql, c.types(), c.formats(), c.values());
                coalesced = true;
                continue;
            }
            Replayed r = (Replayed) unit;
            String single = mark == null ? null : countable(r.statement());
            Optional<String> column = single == null ? Optional.empty()
                    : lateColumn(session, mark, r.statement().table());
            if (column.isEmpty()) {
                add(session, inForce, pipeline, r);
            } else if (r.statement() instanceof CapturedStatement.Extended e) {
                String sql = LateRows.wrap(single, column.get(), mark);
                String[] named = session.statementFor(sql, e.parameterTypes(), inForce);
                pipeline.execute(new LateRows.Counted(r), named[0], named.length > 1 || named[0].isEmpty(), sql,
                        e.parameterTypes(), e.parameterFormats(), e.parameters());
            } else {
                pipeline.execute(new LateRows.Counted(r), LateRows.wrap(single, column.get(), mark));
            }
        }
        run.clear();
        return coalesced;
    }

    /**
     * Counts the late rows of the COPYs of an applied group: their data is read here ({@link CopyTimes}), as the
     * target cannot return a COPY's rows the way it does an INSERT's.
     */
    private void countLateCopyRows(TargetSession session, List<Object> slots, Map<TableName, TableName> countedAs) {
        Long mark = session.markMicros();
        if (mark == null) {
            return;
        }
        for (Object slot : slots) {
            if (slot instanceof Replayed r && r.statement() instanceof CapturedStatement.Copy copy) {
                long late = lateCopyRows(session, copy, mark);
                if (late > 0) {
                    metrics.lateRows(countedAs.get(copy.table()), late);
                }
            }
        }
    }

    private long lateCopyRows(TargetSession session, CapturedStatement.Copy copy, long mark) {
        Optional<TimeColumns.Column> column = session.timeColumn(copy.table(), settings.timeColumns())
                .filter(c -> c.type().equals("timestamp with time zone"));
        if (column.isEmpty()) {
            return 0;
        }
        List<ClassifiedStatement> classified = StatementClassifier.classify(copy.sql());
        if (classified.size() != 1 || classified.get(0).copyFormat() == null) {
            return 0;
        }
        ClassifiedStatement statement = classified.get(0);
        List<String> columns = statement.columns().isEmpty() ? session.copyColumns(copy.table()) : statement.columns();
        int index = columns.indexOf(column.get().name());
        CopyLayout layout = CopyLayout.of(statement.copyFormat(), statement.copyOptions());
        // a WHERE clause (or ON_ERROR ignore) may have left late rows out on the source, as on the target
        return index < 0 || layout == null ? 0
                : CopyTimes.late(copy.data(), layout, index, mark, TimeText.zone(copy.settings().timeZone()))
                        .surelyLate(copy.sourceRows());
    }

    /** The statement as {@link LateRows#wrap} takes it, or null when its late rows cannot be counted. */
    private String countable(CapturedStatement statement) {
        String single = coalescer.singleRow(statement);
        if (single != null || !(statement instanceof CapturedStatement.Simple
                || statement instanceof CapturedStatement.Extended)) {
            return single;
        }
        if (countableSql.size() > MAX_COUNTABLE) {
            countableSql.clear();
        }
        return countableSql.computeIfAbsent(statement.sql(), sql -> Optional.ofNullable(LateRows.countable(sql)))
                .orElse(null);
    }

    /** The column to count late rows of {@code table} by, when the database has a dual-write mark. */
    private Optional<String> lateColumn(TargetSession session, String mark, TableName table) {
        return mark == null ? Optional.empty() : session.lateColumn(table, settings.timeColumns());
    }

    private static void add(TargetSession session, List<String> inForce, Pipeline<Object> pipeline,
                            Replayed replayed) {
        CapturedStatement statement = replayed.statement();
        if (statement instanceof CapturedStatement.Extended e) {
            String[] named = session.statementFor(e.sql(), e.parameterTypes(), inForce);
            pipeline.execute(replayed, named[0], named.length > 1 || named[0].isEmpty(), e.sql(), e.parameterTypes(),
                    e.parameterFormats(), e.parameters());
        } else if (statement instanceof CapturedStatement.Copy c) {
            pipeline.copy(replayed, c.sql(), c.data());
        } else if (statement instanceof CapturedStatement.Simple s) {
            pipeline.execute(replayed, s.sql());
        } else {
            throw new IllegalStateException("unreplayable statements are ledgered, not sent");
        }
    }

    /**
     * The {@code search_path} setting on the target for a path captured in a session of {@code user} (empty: the
     * default, taken to be the target's). {@code $user} is spelt out as the source session's user: on the target it
     * would mean the mirror's own, and an unqualified name could find another schema's table there than on the source.
     * (A statement that ran under another current user, after a SET ROLE, has its path spelt out by the capture.)
     */
    static String searchPath(TargetSession session, List<String> schemas, String user) {
        boolean sameUser = user == null || user.equals(session.user());
        List<String> path = schemas.isEmpty() ? session.defaultSearchPathSchemas() : schemas;
        if (schemas.isEmpty() && (sameUser || path == null || !path.contains(USER_SCHEMA))) {
            return session.defaultSearchPath();
        }
        return path.stream().map(s -> s.equals(USER_SCHEMA) && !sameUser ? user : s)
                .map(Identifiers::quoteIdentifier).collect(Collectors.joining(", "));
    }

    /** A statement of the mirror's own, through a named statement of the session: parsed once per connection. */
    private static void bookkeeping(TargetSession session, Pipeline<Object> pipeline, Bookkeeping slot, String sql,
                                    String... values) {
        String[] named = session.statementFor(sql, NO_TYPES);
        pipeline.execute(slot, named[0], named.length > 1 || named[0].isEmpty(), sql, values);
    }

    /**
     * Parameters of {@link MirrorSchema#WRITE_PROGRESS} for a record just applied. Every record appended before it is
     * applied too, so {@code caught_up_to} is its append time, told as an age (the target's clock may differ from
     * ours), less {@link #CAUGHT_UP_MARGIN_MILLIS}.
     */
    private String[] progress(SpoolRecord record) {
        long age = AppendClock.SYSTEM.millis() - record.appendTime().toEpochMilli() + CAUGHT_UP_MARGIN_MILLIS;
        return new String[] {settings.instanceId(), Long.toString(record.sequence()),
            Long.toString(record.next().segment()), Long.toString(record.next().offset()),
            Long.toString(Math.max(0, age)), Long.toString(spool.epochOf(record.position()))};
    }

    /**
     * Everything the proxy saw committed before {@code emptyAt} is applied: tell these databases (while running:
     * after an empty wait for records, every {@link #POLL}; and see {@link #quietDatabasesCaughtUp}). A failure only
     * drops the connection: the next group reconnects, and until then the backfill waits, which is what a lost note
     * should make it do.
     */
    private void caughtUp(Collection<TargetSession> targets, long emptyAt) {
        for (TargetSession session : List.copyOf(targets)) {
            checkOpen();
            if (parked.contains(session.database())) {
                continue; // its caught_up_to must stay before its records that wait: the backfill relies on it
            }
            session.caughtUpNoted(System.nanoTime());
            long age = AppendClock.SYSTEM.millis() - emptyAt + CAUGHT_UP_MARGIN_MILLIS;
            Pipeline<Object> pipeline = new Pipeline<>(ByteBufAllocator.DEFAULT);
            try {
                bookkeeping(session, pipeline, Bookkeeping.PROGRESS, MirrorSchema.CAUGHT_UP, settings.instanceId(),
                        Long.toString(age));
            } catch (RuntimeException e) {
                pipeline.discard();
                session.exchangeAbandoned();
                throw e;
            }
            try {
                Reply reply = Reply.of(session.exchange(pipeline));
                // an idle mirror (restarted on a drained spool, or with no writes lately) has no group to tell
                targetUp = true;
                if (reply.ok()) {
                    session.exchangeSucceeded();
                } else {
                    session.recoverFromFailedExchange();
                    LOG.debug("mirror: caught-up note on {} failed: SQLSTATE {}", session.database(),
                            reply.error().sqlState());
                }
            } catch (RuntimeException e) {
                checkOpen();
                targetUp = false;
                LOG.debug("mirror: caught-up note on {} failed", session.database(), e);
                dropSession(session.database());
            }
        }
    }

    private String markedBy() {
        return "proxy:" + settings.instanceId();
    }

    /**
     * Records a member in the divergence ledger, with the progress, in one target transaction. A ledger write that
     * fails is retried like a transient error: skipping it would lose the transaction without a trace.
     */
    private void ledger(TargetSession session, Member member, CapturedStatement statement, String sqlState,
                        String message, String reason) {
        ledger(session, member, statement, sqlState, message, reason, sqlState != null);
    }

    /** @param quotesValues whether {@code message} may quote the application's data, so redaction must hide it */
    private void ledger(TargetSession session, Member member, CapturedStatement statement, String sqlState,
                        String message, String reason, boolean quotesValues) {
        TableName table = statement != null ? statement.table() : new TableName(null, "?");
        if (sqlState != null) {
            // a table the target refuses rows of may have had its columns changed on one server since they were
            // compared: compare them again before the next write without a column list
            session.columnOrders().remove(table);
        }
        // the server's message quotes the values it refused ("invalid input syntax for type integer: \"...\"", a
        // trigger's RAISE), so redaction hides it with the statement; the SQLSTATE still says what went wrong
        String storedMessage = quotesValues && settings.redactSql() ? REDACTED : message;
        List<LedgerRows.Row> entries = new ArrayList<>();
        // the range is found by replaying the statements into a scratch table (LedgerRange), under the same timeout:
        // those of a transaction the timeout cancelled (the only one ledgered with 57014) would run as long again, once
        // or twice more, holding up every target database meanwhile
        boolean replayable = !TimedOutReplays.QUERY_CANCELED.equals(sqlState);
        // a rejected transaction's rows are known: the target can say which range repair should re-copy
        entries.addAll(ledgerRows.of(session, member, table, statement, sqlState, storedMessage, replayable
                && (sqlState != null && statement != null || member.missingPartitions().containsKey(table))));
        // the transaction's other tables did not get its rows either: each gets its own row, for repair to re-copy
        Map<TableName, CapturedStatement> others = new LinkedHashMap<>();
        for (CapturedStatement s : member.tx().statements()) {
            if (statement != null && !s.table().equals(table)) {
                others.putIfAbsent(s.table(), s);
            }
        }
        // a write whose table the capture could not tell is in each table it may have written, for the same reason
        others.forEach((other, first) -> entries.addAll(ledgerRows.of(session, member, other, first, null,
                sqlState == null && first instanceof CapturedStatement.Unreplayable u && u.reason().equals(message)
                        ? storedMessage : "not applied: its source transaction also wrote " + table + ", which was"
                        + " ledgered (" + (sqlState == null ? "" : "SQLSTATE " + sqlState + ": ") + storedMessage + ")",
                replayable && (!(first instanceof CapturedStatement.Unreplayable)
                        || member.missingPartitions().containsKey(other)))));
        Map<TableName, TableName> countedAs = new HashMap<>();
        countedAs.put(table, countedAs(session, table));
        member.tx().statements().forEach(s -> countedAs.computeIfAbsent(s.table(), t -> countedAs(session, t)));
        Pipeline<Object> pipeline = new Pipeline<>(ByteBufAllocator.DEFAULT);
        try {
            pipeline.execute(Bookkeeping.BEGIN, "BEGIN");
            for (LedgerRows.Row entry : entries) {
                pipeline.execute(Bookkeeping.LEDGER, MirrorSchema.LEDGER, entry.parameters());
            }
            pipeline.execute(Bookkeeping.PROGRESS, MirrorSchema.WRITE_PROGRESS, progress(member.record()));
            pipeline.execute(Bookkeeping.COMMIT, "COMMIT");
        } catch (RuntimeException e) {
            pipeline.discard();
            throw e;
        }
        Reply reply = Reply.of(session.exchange(pipeline));
        if (!reply.ok()) {
            session.recoverFromFailedExchange();
            LOG.error("mirror: could not write to the divergence ledger of {} (SQLSTATE {}): {}", session.database(),
                    reply.error().sqlState(), reply.error().message());
            throw new GroupFailed(reply.error());
        }
        session.applied(member.record().sequence(), member.record().next(),
                spool.epochOf(member.record().position()), false);
        noteApplied(session.database(), member.record());
        if (parked.contains(session.database())) {
            ledgeredWhileParked.merge(session.database(), 1L, Long::sum);
        }
        ledgerLog.ledgered(session.database(), table, reason, sqlState, storedMessage, quotesValues,
                member.tx().sessionId(), member.record().sequence());
        // one per entry written: a table's rows at infinity have an entry of their own
        entries.forEach(entry -> metrics.ledgerEntry(countedAs.get(entry.table()), reason));
        Map<TableName, Long> rows = new LinkedHashMap<>();
        for (CapturedStatement s : member.tx().statements()) {
            TableName counted = countedAs.get(s.table());
            rows.merge(counted, Math.max(0, s.sourceRows()), Long::sum);
            metrics.sourceOnly(counted, s.sourceRows());
        }
        rows.forEach((t, n) -> metrics.transaction(t, MirrorMetrics.LEDGERED, n));
    }

    /**
     * The table whose series count a write into {@code table} in the mirror's metrics: the root of its partition tree
     * on the target, so that a table of thousands of partitions written by their own names keeps the series of one
     * table, unless {@code admin.metrics-per-partition}; the ledger and the log still name the partition. Read before
     * the exchange that writes the rows (asked once per connection and table), so a failed look-up fails that exchange
     * and never the counting of one the target committed.
     */
    private TableName countedAs(TargetSession session, TableName table) {
        if (settings.metricsPerPartition() || table.schema() == null) {
            return table;
        }
        return session.partitionRoot(table).orElse(table);
    }

    private Duration backoff(int attempt) {
        Duration min = settings.retry().minBackoff();
        Duration max = settings.retry().maxBackoff();
        long millis = min.toMillis() << Math.min(attempt, 20);
        return millis <= 0 || millis > max.toMillis() ? max : Duration.ofMillis(millis);
    }

    private void checkOpen() {
        if (stopped()) {
            throw new Stopped();
        }
    }

    private void dropSession(String database) {
        TargetSession session = sessions.remove(database);
        if (session != null) {
            session.close();
        }
    }

    private void closeSessions() {
        for (String database : List.copyOf(sessions.keySet())) {
            dropSession(database);
        }
    }

    /**
     * Tells every target database this instance applied to, in this run or an earlier one, that it stopped with
     * nothing left to apply there ({@link MirrorSchema#STOPPED}), but the parked ones. A database that cannot be
     * reached keeps its row as it was: the backfill waits for it, which is safe. Both kinds are remembered
     * ({@link #stillMarkedStopped}): the log asks the operator to mark the second kind by hand.
     */
    private MirrorDrain markStopped() {
        Set<String> databases = new TreeSet<>(lastApplied.keySet());
        databases.addAll(sessions.keySet());
        Set<String> marked = new TreeSet<>();
        // a parked database's records stay in the spool: the backfill must go on waiting for this instance there
        Set<String> unmarked = new TreeSet<>(parked.describe().keySet());
        databases.removeAll(unmarked);
        for (String database : databases) {
            try {
                List<String> row = session(database).queryRow(MirrorSchema.STOPPED, settings.instanceId(),
                        Long.toString(CAUGHT_UP_MARGIN_MILLIS));
                (row == null ? unmarked : marked).add(database);
            } catch (Stopped e) {
                throw e;
            } catch (RuntimeException e) {
                LOG.debug("mirror: cannot mark instance {} stopped in target database {}", settings.instanceId(),
                        database, e);
                unmarked.add(database);
            }
        }
        stillMarkedStopped.addAll(databases);
        marksChanged = true;
        return new MirrorDrain(parked.isEmpty(), marked, unmarked);
    }

    /**
     * Lets the applier apply what is spooled for at most {@code timeout}, then marks the target databases stopped
     * cleanly if nothing is left ({@link #markStopped}); the caller must have stopped the appends (the relay is closed)
     * and calls {@link #close} afterwards. A paused mirror stays paused: it stops with its records in the spool. So
     * does one with target databases that failed {@link #DRAIN_FAILURES} attempts in a row: those keep their records
     * and their rows as they were, and the others, with nothing left, are marked stopped.
     */
    public MirrorDrain drain(Duration timeout) {
        lock.lock();
        try {
            if (state != State.RUNNING || !thread.isAlive()) {
                return MirrorDrain.UNFINISHED;
            }
            draining = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            long left;
            while (thread.isAlive() && (left = deadline - System.nanoTime()) > 0) {
                thread.join(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 100)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        MirrorDrain result = drained;
        return result == null ? MirrorDrain.UNFINISHED : result;
    }

    /**
     * Stops the applier: the exchange in flight is abandoned and its connection closed. The target may still commit
     * it (the whole group up to its Sync had arrived) or not; the next applier of this instance ends such a
     * connection before it reads the progress ({@link MirrorSchema#TRY_LOCK}), so the group is applied once either
     * way. Connections are closed and waiting futures fail with
     * {@link MirrorStoppedException}, the gauges are removed from the registry. Does not close the spool.
     */
    @Override
    public void close() {
        transition(State.CLOSED);
        closeSessions();
        // also fails a connection attempt in flight at once instead of after its connect timeout
        Future<?> terminated = group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        if (thread.getState() != Thread.State.NEW) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        waiters.fail(new MirrorStoppedException(stopReason));
        closeSessions();
        metrics.close();
        terminated.syncUninterruptibly();
    }

    /** A group or ledger write failed with an error that is worth retrying: the target's SQLSTATE and message. */
    /** A table missing in a database created after its transactions were spooled: {@link #awaitingSchema}. */
    private static final class SchemaPending extends RuntimeException {
        SchemaPending(TableName table, String database) {
            super(table + " does not exist in target database " + database + ", created since its transactions came,"
                    + " yet");
        }
    }

    private static final class GroupFailed extends RuntimeException {
        final String sqlState;

        GroupFailed(ErrorResponse error) {
            super(error.message(), null, false, false);
            this.sqlState = error.sqlState();
        }
    }
}
