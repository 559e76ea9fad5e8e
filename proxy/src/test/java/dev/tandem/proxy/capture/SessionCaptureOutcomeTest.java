package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.backend.AuthenticationOk;
import dev.tandem.protocol.backend.BackendMessage;
import dev.tandem.protocol.backend.BindComplete;
import dev.tandem.protocol.backend.CommandComplete;
import dev.tandem.protocol.backend.CopyInResponse;
import dev.tandem.protocol.backend.ErrorResponse;
import dev.tandem.protocol.backend.NoticeResponse;
import dev.tandem.protocol.backend.ParameterStatus;
import dev.tandem.protocol.backend.ParseComplete;
import dev.tandem.protocol.backend.ReadyForQuery;
import dev.tandem.protocol.frame.FrameObserver;
import dev.tandem.protocol.frontend.Bind;
import dev.tandem.protocol.frontend.CopyData;
import dev.tandem.protocol.frontend.CopyDone;
import dev.tandem.protocol.frontend.Execute;
import dev.tandem.protocol.frontend.FrontendMessage;
import dev.tandem.protocol.frontend.Parse;
import dev.tandem.protocol.frontend.Query;
import dev.tandem.protocol.frontend.Sync;
import dev.tandem.protocol.sql.TableName;
import dev.tandem.protocol.state.TimeType;
import dev.tandem.proxy.config.TableFilter;
import dev.tandem.proxy.config.TablePattern;
import dev.tandem.proxy.relay.SessionContext;
import dev.tandem.proxy.relay.SessionEnd;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Which sessions the capture reports as ending with an unknown outcome: exactly those whose source still owed the
 * answer to a request that may commit mirrored writes. Frames are shown to the capture as the relay shows them.
 */
class SessionCaptureOutcomeTest {

    private static final TableName METRICS = new TableName("public", "metrics");
    private static final SessionEnd SHUTDOWN = new SessionEnd("the proxy shut down", false);
    private static final SessionEnd INTERNAL_ERROR = new SessionEnd("an internal error of the proxy", true);
    private static final String INSERT = "INSERT INTO metrics (v) VALUES (1)";

    /** The trace of commits in flight: each test's session has a slot in it (more than there are tests). */
    private static InFlightCommits inFlight;

    /** metrics' time column, as the proxy would know it from verifier.time-columns. */
    private static final TableTimeColumn TS = new TableTimeColumn("ts", TimeType.TIMESTAMPTZ, -1,
            List.of("v", "ts"), List.of("v", "ts"));

    private final List<UnknownOutcome> unknown = new ArrayList<>();
    private final InFlightCommits.Slot slot = inFlight.claim();
    private final RowTimesReading rowTimes = new RowTimesReading(db -> Map.of(METRICS, TS));
    private final SessionCapture capture = new SessionCapture(new SessionContext(7, "db", "app", null, null, null,
            () -> { }, new EmbeddedChannel().eventLoop()),
            new MirroredTables(new TableFilter(List.of(TablePattern.parse("public.metrics")), List.of()), Set::of),
            Map::of, new CaptureMetrics(new SimpleMeterRegistry()), new UpsertWindows(), new SessionCapture.Sink() {
                @Override
                public CompletionStage<?> committed(CapturedTransaction transaction) {
                    return CompletableFuture.completedFuture(null);
                }

                @Override
                public void outcomeUnknown(UnknownOutcome outcome) {
                    unknown.add(outcome);
                }
            }, 1 << 20, CaptureBudget.unlimited(), false, slot, null, rowTimes);

    @BeforeAll
    static void openTrace(@TempDir Path spool) throws IOException {
        inFlight = InFlightCommits.open(spool, 64, left -> {
            throw new AssertionError("a fresh directory has nothing left in flight");
        });
    }

    @BeforeEach
    void startUp() {
        source(AuthenticationOk.INSTANCE, ReadyForQuery.IDLE);
    }

    @AfterEach
    void stopReading() {
        rowTimes.close();
    }

    private void client(FrontendMessage... messages) {
        show(capture.frontend(), out -> {
            for (FrontendMessage m : messages) {
                m.encode(out);
            }
        });
    }

    private void source(BackendMessage... messages) {
        show(capture.backend(), out -> {
            for (BackendMessage m : messages) {
                m.encode(out);
            }
        });
    }

    /** Shows each frame whole if the observer asks for it, else only its start. */
    private static void show(FrameObserver observer, Consumer<ByteBuf> encoder) {
        ByteBuf frames = Unpooled.buffer();
        try {
            encoder.accept(frames);
            while (frames.isReadable()) {
                byte type = frames.getByte(frames.readerIndex());
                int length = frames.getInt(frames.readerIndex() + 1);
                ByteBuf frame = frames.readSlice(1 + length);
                if (observer.needsWholeFrame(type)) {
                    assertThat(observer.onFrame(type, frame)).as("not held").isTrue();
                } else {
                    observer.onFrameStart(type, length);
                }
            }
        } finally {
            frames.release();
        }
    }

    private void transactionWithAnInsert() {
        client(new Query("BEGIN"));
        source(new CommandComplete("BEGIN"), ReadyForQuery.IN_TRANSACTION);
        client(new Query(INSERT));
        source(new CommandComplete("INSERT 0 1"), ReadyForQuery.IN_TRANSACTION);
    }

    private UnknownOutcome endedWithOneUnknownOutcome(SessionEnd end) {
        capture.closed(end);
        assertThat(unknown).hasSize(1);
        return unknown.get(0);
    }

    private void endedWithNone() {
        assertThat(capture.awaitsOutcome()).isFalse();
        capture.closed(SHUTDOWN);
        assertThat(unknown).isEmpty();
    }

    @Test
    void aCommitTheSourceHasNotAnsweredMayCommitTheWritesBeforeIt() {
        transactionWithAnInsert();
        client(new Query("COMMIT"));
        assertThat(capture.awaitsOutcome()).isTrue();
        UnknownOutcome outcome = endedWithOneUnknownOutcome(SHUTDOWN);
        assertThat(outcome).usingRecursiveComparison().ignoringFields("times").isEqualTo(new UnknownOutcome("db", 7,
                outcome.endedAt(), List.of(METRICS), List.of(INSERT), "a COMMIT", "the proxy shut down"));
        assertThat(ranges(outcome)).as("its row's time is the column's default").isEmpty();
        assertThat(outcome.message()).isEqualTo("outcome_unknown: the session ended because the proxy shut down while"
                + " the source still owed the answer to a COMMIT; the source may have committed this transaction after"
                + " the proxy closed the connection, and then its rows are on the source only");
    }

    /** The ranges of the rows' times of what may commit, in each table, as the ledger entry gets them. */
    private static Map<TableName, TimeRange> ranges(UnknownOutcome outcome) {
        return outcome.times().read(table -> table.equals(METRICS) ? TS : null);
    }

    /** Through BEGIN, an INSERT of a row at {@code 2025-01-10 07:00 UTC} and the COMMIT, under TimeZone UTC. */
    private void commitOfATimedRow() {
        client(new Query("SET TIME ZONE 'UTC'"));
        source(new CommandComplete("SET"), new ParameterStatus("TimeZone", "UTC"), ReadyForQuery.IDLE);
        client(new Query("BEGIN"));
        source(new CommandComplete("BEGIN"), ReadyForQuery.IN_TRANSACTION);
        client(new Query("INSERT INTO metrics (v, ts) VALUES (1, '2025-01-10 08:00:00+01')"));
        source(new CommandComplete("INSERT 0 1"), ReadyForQuery.IN_TRANSACTION);
        client(new Query("COMMIT"));
    }

    /**
     * The entry's range holds the rows of every write that may commit: the open transaction's, and those of a request
     * pipelined behind its COMMIT, which commits on its own, read under the settings it runs under.
     */
    @Test
    void theRowsOfEveryWriteThatMayCommitAreReadForTheEntrysRange() {
        commitOfATimedRow();
        client(new Query("INSERT INTO metrics (v, ts) VALUES (2, '2025-01-20 12:00:00')"));
        TimeRange range = ranges(endedWithOneUnknownOutcome(SHUTDOWN)).get(METRICS);
        assertThat(List.of(range.column(), range.start(), range.end()))
                .containsExactly("ts", "2025-01-10 07:00:00+00", "2025-01-20 12:00:00.000001+00");
    }

    /**
     * A request ahead of a write that may change the settings its values are read under (the capture follows a SET
     * only once the source completed it): its rows' times are not known, and its table gets no range.
     */
    @Test
    void aWriteBehindARequestThatMayChangeItsSettingsLeavesItsTableWithoutARange() {
        commitOfATimedRow();
        client(new Query("SET TIME ZONE 'Asia/Tokyo'"),
                new Query("INSERT INTO metrics (v, ts) VALUES (2, '2025-01-20 12:00:00')"));
        assertThat(ranges(endedWithOneUnknownOutcome(SHUTDOWN))).isEmpty();
    }

    /**
     * A SET in the open transaction ends with it (SET LOCAL) or is undone (ROLLBACK): a write pipelined behind its
     * COMMIT may run under other settings than the source reported, and its table gets no range.
     */
    @Test
    void aWriteBehindTheEndOfATransactionThatChangedItsSettingsLeavesItsTableWithoutARange() {
        client(new Query("SET TIME ZONE 'UTC'"));
        source(new CommandComplete("SET"), new ParameterStatus("TimeZone", "UTC"), ReadyForQuery.IDLE);
        client(new Query("BEGIN"));
        source(new CommandComplete("BEGIN"), ReadyForQuery.IN_TRANSACTION);
        client(new Query("SET LOCAL TIME ZONE 'Asia/Tokyo'"));
        source(new CommandComplete("SET"), new ParameterStatus("TimeZone", "Asia/Tokyo"),
                ReadyForQuery.IN_TRANSACTION);
        client(new Query("INSERT INTO metrics (v, ts) VALUES (1, '2025-01-10 08:00:00+01')"));
        source(new CommandComplete("INSERT 0 1"), ReadyForQuery.IN_TRANSACTION);
        client(new Query("COMMIT"), new Query("INSERT INTO metrics (v, ts) VALUES (2, '2025-01-20 12:00:00')"));
        assertThat(ranges(endedWithOneUnknownOutcome(SHUTDOWN))).isEmpty();
    }

    /** A write the source may skip or roll back is not counted, nor its rows. */
    @Test
    void aWriteThatCannotCommitIsNotInTheRange() {
        commitOfATimedRow();
        client(new Query("BEGIN"), new Query("INSERT INTO metrics (v, ts) VALUES (2, '2030-01-01 00:00:00+00')"),
                new Query("ROLLBACK"));
        TimeRange range = ranges(endedWithOneUnknownOutcome(SHUTDOWN)).get(METRICS);
        assertThat(List.of(range.start(), range.end()))
                .containsExactly("2025-01-10 07:00:00+00", "2025-01-10 07:00:00.000001+00");
    }

    /**
     * A FATAL error the source sends ends its transaction unfinished: when a commit may already be local (a backend
     * terminated while its COMMIT waits for a synchronous standby, or blocked writing the answer), PostgreSQL sends
     * the client nothing more (whereToSendOutput = DestNone, syncrep.c, postgres.c), and the session then ends with
     * the COMMIT unanswered, which is reported (see above). So a FATAL in answer to a COMMIT or an autocommit write
     * means it did not commit.
     */
    @Test
    void aFatalErrorInAnswerToACommitOrAnAutocommitWriteCommitsNothing() {
        transactionWithAnInsert();
        client(new Query("COMMIT"));
        source(ErrorResponse.of("FATAL", "57P01", "terminating connection due to administrator command", null));
        endedWithNone();
    }

    @Test
    void aCommitLeftUnansweredAfterAWarningThatItMayBeLocalIsReported() {
        transactionWithAnInsert();
        client(new Query("COMMIT"));
        source(new NoticeResponse(Map.of('S', "WARNING", 'V', "WARNING", 'C', "57P01", 'M', "canceling the wait for"
                + " synchronous replication and terminating connection due to administrator command", 'D', "The"
                + " transaction has already committed locally, but might not have been replicated to the standby.")));
        assertThat(endedWithOneUnknownOutcome(new SessionEnd("the source closed the connection", false)).awaited())
                .isEqualTo("a COMMIT");
    }

    @Test
    void anAutocommitInsertInFlightMayCommit() {
        client(new Query(INSERT + "; SELECT pg_sleep(10)"));
        source(new CommandComplete("INSERT 0 1"));
        assertThat(capture.awaitsOutcome()).isTrue();
        assertThat(endedWithOneUnknownOutcome(SHUTDOWN).awaited())
                .isEqualTo("the query that writes them, which commits as it ends");
    }

    /**
     * An EXECUTE of a PREPARE sent with it, in the same query string or pipelined behind it, writes what the PREPARE's
     * statement writes: the capture knows the PREPARE only once it completes, and the forecast walks the requests in
     * flight before that. Before, it saw no write: no in-flight trace, no outcome_unknown entry.
     */
    @ParameterizedTest
    @ValueSource(strings = {"one query string", "pipelined queries", "pipelined parse", "one extended batch"})
    void anExecuteOfAPrepareInFlightMayCommitItsWrite(String how) {
        String prepare = "PREPARE up (int) AS INSERT INTO metrics (v) VALUES ($1) ON CONFLICT (v) DO UPDATE SET v ="
                + " excluded.v";
        switch (how) {
            case "one query string" -> client(new Query(prepare + "; EXECUTE up(1)"));
            case "pipelined queries" -> client(new Query(prepare), new Query("EXECUTE up(1)"));
            case "one extended batch" -> client(new Parse("", prepare, List.of()),
                    new Bind("", "", List.of(), List.of(), List.of()), new Execute("", 0),
                    new Parse("", "EXECUTE up(1)", List.of()), new Bind("", "", List.of(), List.of(), List.of()),
                    new Execute("", 0), Sync.INSTANCE);
            default -> client(new Query(prepare), new Parse("", "EXECUTE up(1)", List.of()),
                    new Bind("", "", List.of(), List.of(), List.of()), new Execute("", 0), Sync.INSTANCE);
        }
        assertThat(capture.awaitsOutcome()).isTrue();
        assertThat(slot.marked()).as("in the in-flight trace").isTrue();
        UnknownOutcome outcome = endedWithOneUnknownOutcome(SHUTDOWN);
        assertThat(outcome.tables()).containsExactly(METRICS);
        assertThat(outcome.statements()).containsExactly("EXECUTE up(1)");
    }

    /** Likewise a Bind of the name: the capture holds no statement under it until the PREPARE completes. */
    @Test
    void aBindOfAPrepareInFlightMayCommitItsWrite() {
        client(new Query("PREPARE ins AS " + INSERT), new Bind("", "ins", List.of(), List.of(), List.of()),
                new Execute("", 0), Sync.INSTANCE);
        assertThat(capture.awaitsOutcome()).isTrue();
        assertThat(slot.marked()).as("in the in-flight trace").isTrue();
        assertThat(endedWithOneUnknownOutcome(SHUTDOWN).tables()).containsExactly(METRICS);
    }

    /** A PREPARE alone writes nothing, nor does an EXECUTE of it inside a transaction without a COMMIT in flight. */
    @Test
    void aPrepareInFlightWithoutAnExecuteThatMayCommitCommitsNothing() {
        client(new Query("PREPARE ins AS " + INSERT));
        assertThat(capture.awaitsOutcome()).isFalse();
        client(new Query("BEGIN; EXECUTE ins"));
        endedWithNone();
    }

    @Test
    void anOpenTransactionCommitsNothingWithoutACommitInFlight() {
        transactionWithAnInsert();
        assertThat(capture.awaitsOutcome()).as("nothing pending").isFalse();
        client(new Query("SELECT pg_sleep(10)"), new Query("INSERT INTO metrics (v) VALUES (2)"));
        endedWithNone();
    }

    @Test
    void aTransactionRolledBackOrFailedCommitsNothing() {
        client(new Query("BEGIN; " + INSERT + "; ROLLBACK"));
        assertThat(capture.awaitsOutcome()).isFalse();
        source(new CommandComplete("BEGIN"), new CommandComplete("INSERT 0 1"), new CommandComplete("ROLLBACK"),
                ReadyForQuery.IDLE);
        transactionWithAnInsert();
        client(new Query("SELECT 1/0"));
        source(ErrorResponse.of("ERROR", "22012", "division by zero", null), ReadyForQuery.FAILED);
        client(new Query("COMMIT"));
        endedWithNone();
    }

    /** If the SELECT fails, the source skips the BEGIN, and the pipelined INSERT behind it commits on its own. */
    @Test
    void aBeginBehindAStatementThatMayFailDoesNotHideThePipelinedWritesAfterIt() {
        client(new Query("SELECT 1/0; BEGIN"), new Query(INSERT));
        assertThat(capture.awaitsOutcome()).isTrue();
        assertThat(endedWithOneUnknownOutcome(SHUTDOWN).statements()).containsExactly(INSERT);
    }

    /** An Execute of a portal the proxy does not know fails on the source too, and the BEGIN behind it is skipped. */
    @Test
    void aBeginBehindAnExecuteOfAnUnknownPortalDoesNotHideThePipelinedWritesAfterIt() {
        client(new Execute("p1", 0), new Parse("", "BEGIN", List.of()),
                new Bind("", "", List.of(), List.of(), List.of()), new Execute("", 0), Sync.INSTANCE,
                new Query(INSERT));
        assertThat(capture.awaitsOutcome()).isTrue();
        assertThat(endedWithOneUnknownOutcome(SHUTDOWN).statements()).containsExactly(INSERT);
    }

    /**
     * A pipelined Bind of a name whose Parse the source has skipped since (an error ahead of it in its batch) fails:
     * the BEGIN the client meant to run is not one the forecast may assume, and the INSERT pipelined after commits.
     */
    @Test
    void aBeginWhoseParseTheSourceSkippedDoesNotHideThePipelinedWritesAfterIt() {
        client(new Parse("", "SELECT 1/0", List.of()), new Bind("", "", List.of(), List.of(), List.of()),
                new Execute("", 0), new Parse("b", "BEGIN", List.of()), Sync.INSTANCE);
        client(new Bind("", "b", List.of(), List.of(), List.of()), new Execute("", 0), Sync.INSTANCE,
                new Query(INSERT));
        source(ParseComplete.INSTANCE, BindComplete.INSTANCE,
                ErrorResponse.of("ERROR", "22012", "division by zero", null), ReadyForQuery.IDLE);
        assertThat(capture.awaitsOutcome()).isTrue();
        assertThat(endedWithOneUnknownOutcome(SHUTDOWN).statements()).containsExactly(INSERT);
    }

    /**
     * A COMMIT amid a pipelined batch drops every portal of its transaction: the Execute of the BEGIN portal bound
     * before it fails, and the INSERT pipelined after commits on its own.
     */
    @Test
    void aBeginWhosePortalACommitDroppedDoesNotHideThePipelinedWritesAfterIt() {
        client(new Parse("", "BEGIN", List.of()), new Bind("", "", List.of(), List.of(), List.of()),
                new Parse("c", "COMMIT", List.of()), new Bind("p", "c", List.of(), List.of(), List.of()),
                new Execute("p", 0));
        source(ParseComplete.INSTANCE, BindComplete.INSTANCE, ParseComplete.INSTANCE, BindComplete.INSTANCE,
                new CommandComplete("COMMIT"));
        client(new Execute("", 0), Sync.INSTANCE, new Query(INSERT));
        assertThat(capture.awaitsOutcome()).isTrue();
        assertThat(endedWithOneUnknownOutcome(SHUTDOWN).statements()).containsExactly(INSERT);
    }

    /**
     * What the source may commit can change at a COMMIT or ROLLBACK amid a batch, as the portals it drops no longer
     * run: here the second Execute of the ROLLBACK portal, which no longer counts as a ROLLBACK of the INSERT before
     * it. The trace follows.
     */
    @Test
    void theTraceFollowsWhatTheSourceMayCommitWhenAPortalIsDropped() {
        client(new Parse("", "ROLLBACK", List.of()), new Bind("", "", List.of(), List.of(), List.of()),
                new Execute("", 0), new Parse("", INSERT, List.of()), new Bind("p", "", List.of(), List.of(), List.of()),
                new Execute("p", 0), new Execute("", 0), Sync.INSTANCE);
        source(ParseComplete.INSTANCE, BindComplete.INSTANCE, new CommandComplete("ROLLBACK"));
        assertThat(!capture.awaitsOutcome() || slot.marked()).as("marked whenever the source may commit").isTrue();
    }

    /**
     * A simple Query drops the unnamed statement and portal on the source (exec_simple_query): a Bind of the unnamed
     * BEGIN parsed before it fails (26000), and the INSERT pipelined after commits on its own. Before, the capture
     * still held that BEGIN as the source's, took its Bind and Execute for sure, and reported nothing.
     */
    @Test
    void aBeginParsedBeforeASimpleQueryDoesNotHideThePipelinedWritesAfterIt() {
        client(new Parse("", "BEGIN", List.of()), Sync.INSTANCE);
        source(ParseComplete.INSTANCE, ReadyForQuery.IDLE);
        client(new Query("SELECT 1"));
        source(new CommandComplete("SELECT 1"), ReadyForQuery.IDLE);
        client(new Bind("", "", List.of(), List.of(), List.of()), new Execute("", 0), Sync.INSTANCE,
                new Parse("", INSERT, List.of()), new Bind("", "", List.of(), List.of(), List.of()),
                new Execute("", 0), Sync.INSTANCE);
        assertThat(capture.awaitsOutcome()).isTrue();
        assertThat(endedWithOneUnknownOutcome(SHUTDOWN).statements()).containsExactly(INSERT);
    }

    /** Likewise DEALLOCATE ALL and DISCARD ALL drop the named statements, and DEALLOCATE the one it names. */
    @ParameterizedTest
    @ValueSource(strings = {"DEALLOCATE ALL", "DISCARD ALL", "DEALLOCATE b", "DEALLOCATE PREPARE b"})
    void aBeginDeallocatedDoesNotHideThePipelinedWritesAfterIt(String deallocate) {
        client(new Parse("b", "BEGIN", List.of()), Sync.INSTANCE);
        source(ParseComplete.INSTANCE, ReadyForQuery.IDLE);
        client(new Query(deallocate));
        source(new CommandComplete(deallocate.startsWith("DISCARD") ? "DISCARD ALL" : "DEALLOCATE"),
                ReadyForQuery.IDLE);
        client(new Bind("", "b", List.of(), List.of(), List.of()), new Execute("", 0), Sync.INSTANCE,
                new Parse("", INSERT, List.of()), new Bind("", "", List.of(), List.of(), List.of()),
                new Execute("", 0), Sync.INSTANCE);
        assertThat(capture.awaitsOutcome()).isTrue();
        assertThat(endedWithOneUnknownOutcome(SHUTDOWN).statements()).containsExactly(INSERT);
    }

    /**
     * ROLLBACK TO SAVEPOINT drops the portals created since the savepoint: the Execute of the ROLLBACK portal bound
     * after it fails (34000) and leaves a failed transaction, which the pipelined ROLLBACK TO revives and the COMMIT
     * commits, with the INSERT before the savepoint. Before, the capture still held the portal, took the ROLLBACK for
     * sure, and reported nothing.
     */
    @Test
    void aRollbackWhosePortalARollbackToSavepointDroppedDoesNotHideTheWritesBeforeIt() {
        transactionWithAnInsert();
        client(new Query("SAVEPOINT a"));
        source(new CommandComplete("SAVEPOINT"), ReadyForQuery.IN_TRANSACTION);
        client(new Parse("", "ROLLBACK", List.of()), new Bind("p", "", List.of(), List.of(), List.of()),
                Sync.INSTANCE);
        source(ParseComplete.INSTANCE, BindComplete.INSTANCE, ReadyForQuery.IN_TRANSACTION);
        client(new Query("ROLLBACK TO a"));
        source(new CommandComplete("ROLLBACK"), ReadyForQuery.IN_TRANSACTION);
        client(new Execute("p", 0), Sync.INSTANCE, new Query("ROLLBACK TO a; COMMIT"));
        assertThat(capture.awaitsOutcome()).isTrue();
        assertThat(endedWithOneUnknownOutcome(SHUTDOWN).statements()).containsExactly(INSERT);
    }

    /** A portal created before the savepoint stays: here its ROLLBACK runs, and nothing is left to commit. */
    @Test
    void aRollbackWhosePortalWasCreatedBeforeTheSavepointStillRuns() {
        transactionWithAnInsert();
        client(new Parse("", "ROLLBACK", List.of()), new Bind("p", "", List.of(), List.of(), List.of()),
                Sync.INSTANCE);
        source(ParseComplete.INSTANCE, BindComplete.INSTANCE, ReadyForQuery.IN_TRANSACTION);
        client(new Query("SAVEPOINT a"));
        source(new CommandComplete("SAVEPOINT"), ReadyForQuery.IN_TRANSACTION);
        client(new Query("ROLLBACK TO a"));
        source(new CommandComplete("ROLLBACK"), ReadyForQuery.IN_TRANSACTION);
        client(new Execute("p", 0), Sync.INSTANCE, new Query("COMMIT"));
        endedWithNone();
    }

    /** A Parse that is not the BEGIN's own may fail (here: its name is in use), and then the source skips the BEGIN. */
    @Test
    void aBeginBehindAParseThatMayFailDoesNotHideThePipelinedWritesAfterIt() {
        client(new Parse("s", "SELECT 1", List.of()), Sync.INSTANCE);
        source(ParseComplete.INSTANCE, ReadyForQuery.IDLE);
        client(new Parse("s", "SELECT 2", List.of()), new Parse("", "BEGIN", List.of()),
                new Bind("", "", List.of(), List.of(), List.of()), new Execute("", 0), Sync.INSTANCE,
                new Query(INSERT));
        assertThat(capture.awaitsOutcome()).isTrue();
        assertThat(endedWithOneUnknownOutcome(SHUTDOWN).statements()).containsExactly(INSERT);
    }

    /** A BEGIN takes no parameters: a Bind that gives it one fails, and the source skips the BEGIN. */
    @Test
    void aBeginWhoseBindGivesItAParameterDoesNotHideThePipelinedWritesAfterIt() {
        client(new Parse("", "BEGIN", List.of()),
                new Bind("", "", List.of(), List.of("1".getBytes(StandardCharsets.UTF_8)), List.of()),
                new Execute("", 0), Sync.INSTANCE, new Query(INSERT));
        assertThat(capture.awaitsOutcome()).isTrue();
        assertThat(endedWithOneUnknownOutcome(SHUTDOWN).statements()).containsExactly(INSERT);
    }

    /**
     * The Parse of a BEGIN behind a statement that may fail may be skipped, whichever batch binds it: the Execute of
     * it in the next batch then fails, and the INSERT pipelined after commits on its own.
     */
    @Test
    void aBeginWhoseParseMayBeSkippedDoesNotHideThePipelinedWritesAfterIt() {
        client(new Parse("", "SELECT 1/0", List.of()), new Bind("", "", List.of(), List.of(), List.of()),
                new Execute("", 0), new Parse("b", "BEGIN", List.of()), Sync.INSTANCE);
        client(new Bind("", "b", List.of(), List.of(), List.of()), new Execute("", 0), Sync.INSTANCE,
                new Query(INSERT));
        assertThat(capture.awaitsOutcome()).isTrue();
        assertThat(endedWithOneUnknownOutcome(SHUTDOWN).statements()).containsExactly(INSERT);
    }

    /**
     * After an error in a batch the source skips everything up to its Sync, a Query in it too: the BEGIN behind that
     * Query is skipped with it, although nothing in the Query itself may fail.
     */
    @Test
    void aBeginBehindAQueryAmidABatchThatMayFailDoesNotHideThePipelinedWritesAfterIt() {
        client(new Parse("", "SELECT 1/0", List.of()), new Bind("", "", List.of(), List.of(), List.of()),
                new Execute("", 0), new Query("SELECT 1"), new Parse("", "BEGIN", List.of()),
                new Bind("", "", List.of(), List.of(), List.of()), new Execute("", 0), Sync.INSTANCE,
                new Query(INSERT));
        assertThat(capture.awaitsOutcome()).isTrue();
        assertThat(endedWithOneUnknownOutcome(SHUTDOWN).statements()).containsExactly(INSERT);
    }

    /**
     * A ROLLBACK behind a statement that may fail may be skipped: the transaction is then a failed one, which a
     * ROLLBACK TO SAVEPOINT makes one that commits again.
     */
    @Test
    void aRollbackThatMayBeSkippedDoesNotDropTheWritesARollbackToSavepointMayKeep() {
        transactionWithAnInsert();
        client(new Query("SAVEPOINT a"));
        source(new CommandComplete("SAVEPOINT"), ReadyForQuery.IN_TRANSACTION);
        client(new Query("SELECT 1/0; ROLLBACK"), new Query("ROLLBACK TO SAVEPOINT a; COMMIT"));
        assertThat(capture.awaitsOutcome()).isTrue();
        assertThat(endedWithOneUnknownOutcome(SHUTDOWN).statements()).containsExactly(INSERT);
    }

    /** As drivers send it: an unnamed Parse, Bind and Execute of a BEGIN, before or after the source answered them. */
    @Test
    void aBeginFirstInItsBatchIsAssumedToRun() {
        client(new Parse("", "BEGIN", List.of()), new Bind("", "", List.of(), List.of(), List.of()),
                new Execute("", 0), new Parse("", INSERT, List.of()), new Bind("", "", List.of(), List.of(), List.of()),
                new Execute("", 0), Sync.INSTANCE, new Query(INSERT));
        assertThat(capture.awaitsOutcome()).isFalse();
        source(ParseComplete.INSTANCE);
        assertThat(capture.awaitsOutcome()).isFalse();
        source(BindComplete.INSTANCE);
        endedWithNone();
    }

    @Test
    void aBeginFirstInItsQueryIsAssumedToRun() {
        client(new Query("BEGIN"), new Query(INSERT));
        endedWithNone();
    }

    /** Any message but CopyData, CopyDone, CopyFail, Sync and Flush fails a COPY in progress (08P01): none commits. */
    @Test
    void aCopyFailedByAnotherMessageOfTheClientCommitsNothing() {
        client(new Parse("c", "COPY metrics (v) FROM STDIN", List.of()), Sync.INSTANCE);
        source(ParseComplete.INSTANCE, ReadyForQuery.IDLE);
        client(new Bind("", "c", List.of(), List.of(), List.of()), new Execute("", 0));
        source(BindComplete.INSTANCE, new CopyInResponse((byte) 0, List.of((short) 0)));
        CopyData data = new CopyData(Unpooled.wrappedBuffer("1\n".getBytes(StandardCharsets.UTF_8)));
        try {
            client(data);
        } finally {
            data.release();
        }
        client(new Query("SELECT 1"), Sync.INSTANCE);
        endedWithNone();
    }

    @Test
    void writesToTablesThatAreNotMirroredNeverCount() {
        client(new Query("INSERT INTO other (v) VALUES (1)"));
        endedWithNone();
    }

    @Test
    void anExtendedProtocolInsertMayCommitOnlyOnceItsSyncWasSent() {
        client(new Parse("", INSERT, List.of()), new Bind("", "", List.of(), List.of(), List.of()),
                new Execute("", 0));
        source(ParseComplete.INSTANCE, BindComplete.INSTANCE);
        assertThat(capture.awaitsOutcome()).as("no Sync: the source rolls the batch back when the session ends")
                .isFalse();
        client(Sync.INSTANCE);
        assertThat(endedWithOneUnknownOutcome(SHUTDOWN).awaited())
                .isEqualTo("the Sync that commits the batch that writes them");
    }

    @Test
    void aCopyMayCommitOnlyOnceTheClientEndedItsData() {
        client(new Query("COPY metrics (v) FROM STDIN"));
        source(new CopyInResponse((byte) 0, List.of((short) 0)));
        CopyData data = new CopyData(Unpooled.wrappedBuffer("1\n".getBytes(StandardCharsets.UTF_8)));
        try {
            client(data);
        } finally {
            data.release();
        }
        assertThat(capture.awaitsOutcome()).as("without CopyDone the source fails the COPY").isFalse();
        client(CopyDone.INSTANCE);
        UnknownOutcome outcome = endedWithOneUnknownOutcome(SHUTDOWN);
        assertThat(outcome.tables()).containsExactly(METRICS);
        assertThat(outcome.statements()).containsExactly("COPY metrics (v) FROM STDIN");
    }

    @Test
    void afterAnInternalErrorEveryPendingWriteCountsWhateverWouldEndItsTransaction() {
        transactionWithAnInsert();
        client(new Query("INSERT INTO metrics (v) VALUES (2)"));
        assertThat(capture.awaitsOutcome()).as("no COMMIT follows").isFalse();
        UnknownOutcome outcome = endedWithOneUnknownOutcome(INTERNAL_ERROR);
        assertThat(outcome.statements()).containsExactly(INSERT, "INSERT INTO metrics (v) VALUES (2)");
        assertThat(outcome.awaited()).startsWith("requests that write them");
    }

    /**
     * A pipelined batch of plain INSERTs (pgjdbc's executeBatch, a psycopg 3 pipeline): each row binds the unnamed
     * portal, and the in-flight trace walks the batch at its Sync, asking for each Execute whether the source may still
     * run the portal it bound. Before, that looked through every unnamed portal of the batch the source had not
     * answered: a batch of 16,000 rows held its event loop for a third of a second, one of 64,000 for seconds.
     */
    @Test
    void aBatchOfInsertsIsWalkedAtItsSyncWithoutLookingThroughItsPortalsAtEachExecute() {
        int rows = 2_000;
        client(new Parse("ins", "INSERT INTO metrics (v) VALUES ($1)", List.of()));
        for (int i = 0; i < rows; i++) {
            client(new Bind("", "ins", List.of(), List.of(Integer.toString(i).getBytes(StandardCharsets.US_ASCII)),
                    List.of()), new Execute("", 0));
        }
        client(Sync.INSTANCE);
        assertThat(capture.requestsWalked()).as("the trace walked the batch at its Sync").isGreaterThan(rows);
        source(ParseComplete.INSTANCE);
        for (int i = 0; i < rows; i++) {
            source(BindComplete.INSTANCE, new CommandComplete("INSERT 0 1"));
        }
        source(ReadyForQuery.IDLE);
        assertThat(capture.requestedExamined()).as("a few looks per row, not one per row bound before it")
                .isLessThan(4L * rows);
    }
}
