package dev.tandem.proxy.capture;

import static dev.tandem.protocol.backend.WireFixtures.bytes;
import static dev.tandem.protocol.backend.WireFixtures.cstr;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.protocol.backend.BackendMessage;
import dev.tandem.protocol.backend.BindComplete;
import dev.tandem.protocol.backend.CommandComplete;
import dev.tandem.protocol.backend.ErrorResponse;
import dev.tandem.protocol.backend.ParseComplete;
import dev.tandem.protocol.backend.ParameterStatus;
import dev.tandem.protocol.backend.ReadyForQuery;
import dev.tandem.protocol.frame.FrameObserver;
import dev.tandem.protocol.frame.ProtocolViolationException;
import dev.tandem.protocol.frontend.Bind;
import dev.tandem.protocol.frontend.Close;
import dev.tandem.protocol.frontend.CopyData;
import dev.tandem.protocol.frontend.CopyDone;
import dev.tandem.protocol.frontend.CopyFail;
import dev.tandem.protocol.frontend.Describe;
import dev.tandem.protocol.frontend.Execute;
import dev.tandem.protocol.frontend.FrontendMessage;
import dev.tandem.protocol.frontend.Parse;
import dev.tandem.protocol.frontend.Query;
import dev.tandem.protocol.frontend.StatementOrPortal;
import dev.tandem.protocol.frontend.Sync;
import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.config.TableFilter;
import dev.tandem.proxy.config.TablePattern;
import dev.tandem.proxy.relay.SessionContext;
import dev.tandem.proxy.relay.SessionEnd;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Sessions, as the bytes each side sends, in the order the proxy sees them, that {@link SessionCaptureFuzzTest} found
 * the capture getting wrong. Each frame is shown to the capture as the relay does: whole if it asks for it, else only
 * its start.
 */
class SessionCaptureTest {

    private static final String READY_IDLE = "5a 00000005 49";
    private static final String PARSE_COMPLETE = "31 00000004";
    private static final String BIND_COMPLETE = "32 00000004";
    private static final String EXECUTE_UNNAMED = "45 00000009 00 00000000";
    private static final String SYNC = "53 00000004";
    private static final String INSERT_0_1 = "43 0000000f" + cstr("INSERT 0 1");
    private static final TableName TENANT_METRICS = new TableName("tenant_42", "metrics");
    private static final TableName PUBLIC_METRICS = new TableName("public", "metrics");

    private final List<CapturedTransaction> released = new ArrayList<>();
    /** What the sink answers the next commits with; completed stages once empty. */
    private final Deque<CompletableFuture<Void>> stages = new ArrayDeque<>();
    private boolean resumed;
    /** The session's event loop: runs what the capture continues later when told to (runPendingTasks). */
    private final EmbeddedChannel loop = new EmbeddedChannel();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    /** Shared by the sessions of a test, as by the proxy's. */
    private final UpsertWindows windows = new UpsertWindows();
    private final SessionCapture capture = capture(null);

    /** @param replicationRole the session_replication_role the session's StartupMessage sets, or null */
    private SessionCapture capture(String replicationRole) {
        return capture(replicationRole, null);
    }

    /** @param role the role the session's StartupMessage sets, or null */
    private SessionCapture capture(String replicationRole, String role) {
        return new SessionCapture(new SessionContext(1, "db", "app", null, replicationRole, role, () -> resumed = true,
                loop.eventLoop()),
                new MirroredTables(new TableFilter(List.of(TablePattern.parse("public.metrics")), List.of()), Set::of),
                Map::of, new CaptureMetrics(registry), windows, tx -> {
                    released.add(tx);
                    return stages.isEmpty() ? CompletableFuture.completedFuture(null) : stages.poll();
                }, 1 << 20, CaptureBudget.unlimited(), false, null, null, null);
    }

    private void client(String hex) {
        assertThat(show(capture.frontend(), hex)).as("the client's frames pass").isTrue();
    }

    private void source(String hex) {
        assertThat(show(capture.backend(), hex)).as("the source's frames pass").isTrue();
    }

    /** @return whether the last frame passes (false: the capture holds it back) */
    private static boolean show(FrameObserver observer, String hex) {
        ByteBuf frames = Unpooled.wrappedBuffer(bytes(hex));
        boolean passes = true;
        while (frames.isReadable()) {
            byte type = frames.getByte(frames.readerIndex());
            int length = frames.getInt(frames.readerIndex() + 1);
            ByteBuf frame = frames.readSlice(1 + length);
            if (observer.needsWholeFrame(type)) {
                passes = observer.onFrame(type, frame);
            } else {
                observer.onFrameStart(type, length);
                passes = true;
            }
        }
        frames.release();
        return passes;
    }

    /** Each released transaction as "sql:rows" of its statements. */
    private List<List<String>> releasedStatements() {
        return released.stream().map(tx -> tx.statements().stream().map(s -> s.sql() + ":" + s.sourceRows()).toList())
                .toList();
    }

    private void startUp() {
        source("52 00000008 00000000" + READY_IDLE);
    }

    /**
     * A batch whose first Execute fails: the source skips the rest up to Sync, also the part of the batch the proxy
     * sees only after the error (a large pgjdbc batch is written while the source already answers its start). Before,
     * the capture queued that part as if it would be answered: the mirrored INSERT the source skipped was paired with
     * the next batch's answers and mirrored as committed (a row the source never had), and the queue never recovered.
     */
    @Test
    void requestsSeenAfterAnExtendedProtocolErrorAreSkippedUpToTheSync() {
        startUp();
        client("50 00000012 00" + cstr("SELECT 1/0") + "0000" + "42 0000000c 00 00 0000 0000 0000" + EXECUTE_UNNAMED);
        source(PARSE_COMPLETE + BIND_COMPLETE
                + "45 00000025 53" + cstr("ERROR") + "43" + cstr("22012") + "4d" + cstr("division by zero") + "00");
        // the rest of the batch: a mirrored INSERT the source skips
        client("50 0000002d" + cstr("s1") + cstr("INSERT INTO metrics (v) VALUES ($1)") + "0000"
                + "42 00000013 00" + cstr("s1") + "0000 0001 00000001 37 0000" + EXECUTE_UNNAMED + SYNC);
        source(READY_IDLE);
        // the next batch writes a table that is not mirrored
        client("50 00000029 00" + cstr("INSERT INTO other (v) VALUES ($1)") + "0000"
                + "42 00000011 00 00 0000 0001 00000001 38 0000" + EXECUTE_UNNAMED + SYNC);
        source(PARSE_COMPLETE + BIND_COMPLETE + INSERT_0_1 + READY_IDLE);
        assertThat(releasedStatements()).as("the skipped INSERT is not mirrored").isEmpty();

        client("51 00000023" + cstr("INSERT INTO metrics VALUES (9)"));
        source(INSERT_0_1 + READY_IDLE);
        assertThat(releasedStatements()).containsExactly(List.of("INSERT INTO metrics VALUES (9):1"));
    }

    /**
     * A client may send its first query right behind its StartupMessage, without waiting for the ReadyForQuery that
     * ends start-up (the source reads it then). Before, that ReadyForQuery was taken for the query's answer, and the
     * query's write was not mirrored.
     */
    @Test
    void aQuerySentBeforeStartUpEndedIsCapturedWhenItsOwnAnswerComes() {
        client("51 00000023" + cstr("INSERT INTO metrics VALUES (1)"));
        startUp();
        source(INSERT_0_1 + READY_IDLE);
        assertThat(releasedStatements()).containsExactly(List.of("INSERT INTO metrics VALUES (1):1"));
    }

    private static final String COPY_IN_RESPONSE = "47 00000009 00 0001 0000";
    private static final String COPY_DONE = "63 00000004";

    /** Each released COPY as "sql:rows:data". */
    private List<String> releasedCopies() {
        return released.stream().flatMap(tx -> tx.statements().stream())
                .map(s -> s.sql() + ":" + s.sourceRows() + ":" + (s instanceof CapturedStatement.Copy c
                        ? c.data().stream().map(d -> new String(d, StandardCharsets.US_ASCII))
                                .collect(Collectors.joining())
                        : "not a copy")).toList();
    }

    /**
     * A client that sends COPY data without waiting for CopyInResponse (as pgx does), and its next COPY before the
     * source answered the first. Before, the data of the second COPY (into a table that is not mirrored) was added to
     * the first's and mirrored with it.
     */
    @Test
    void dataSentBeforeTheAnswerStaysWithItsOwnCopy() {
        startUp();
        client("51 00000020" + cstr("COPY metrics (v) FROM STDIN") + COPY_DONE
                + "51 0000001e" + cstr("COPY other (v) FROM STDIN") + "64 00000006 310a" + COPY_DONE);
        source(COPY_IN_RESPONSE + "43 0000000b" + cstr("COPY 0") + READY_IDLE
                + COPY_IN_RESPONSE + "43 0000000b" + cstr("COPY 1") + READY_IDLE);
        assertThat(releasedCopies()).containsExactly("COPY metrics (v) FROM STDIN:0:");
    }

    /**
     * The same client, when the query before its COPY fails: the failed query's COPY never starts, and the data sent
     * behind the next query's COPY is that one's. Before, the data was dropped with the failed query's, and the next
     * COPY was mirrored without its rows.
     */
    @Test
    void dataSentBeforeTheAnswerSurvivesTheFailureOfAnEarlierCopy() {
        startUp();
        client("51 0000002c" + cstr("SELECT 1/0; COPY metrics (v) FROM STDIN") + COPY_DONE
                + "51 00000020" + cstr("COPY metrics (v) FROM STDIN") + "64 00000006 370a" + COPY_DONE);
        source("45 00000025 53" + cstr("ERROR") + "43" + cstr("22012") + "4d" + cstr("division by zero") + "00"
                + READY_IDLE + COPY_IN_RESPONSE + "43 0000000b" + cstr("COPY 1") + READY_IDLE);
        assertThat(releasedCopies()).containsExactly("COPY metrics (v) FROM STDIN:1:7\n");
    }

    /**
     * CSV data with a {@code \.} line, which a source before PostgreSQL 18 takes for the end of the data (it ignores
     * the rows after it) and 18 for a value: the capture keeps what the source read. Before, the whole data was
     * mirrored, and a target on 18 read the line as a row (and rejected the COPY, a table of more columns).
     */
    @ParameterizedTest
    @ValueSource(strings = {"17.6", "18.1"})
    void copyDataIsMirroredUpToTheEndMarkerOfASourceBefore18(String version) {
        source(source(new ParameterStatus("server_version", version)));
        startUp();
        // the marker split across two CopyData messages
        client(client(new Query("COPY metrics (v) FROM STDIN (FORMAT csv)"), copyData("1\n\\"), copyData(".\n2\n"),
                CopyDone.INSTANCE));
        boolean old = version.startsWith("17");
        source(COPY_IN_RESPONSE + source(new CommandComplete(old ? "COPY 1" : "COPY 3")) + READY_IDLE);
        assertThat(releasedCopies()).containsExactly("COPY metrics (v) FROM STDIN (FORMAT csv):"
                + (old ? "1:1\n" : "3:1\n\\.\n2\n"));
    }

    /**
     * A COPY that passes the transaction's capture limit: its data is dropped, but its rows' times are read, what it
     * sent before the limit on the reading thread (more than is read at once); the transaction is spooled, and its
     * ReadyForQuery passes, once that is done, with the range in the statement the mirror ledgers.
     */
    @Test
    void aCopyOverTheLimitIsSpooledWithItsRowsTimesOnceTheReadingThreadReadThem() throws Exception {
        TableTimeColumn ts = new TableTimeColumn("ts", dev.tandem.protocol.state.TimeType.TIMESTAMPTZ, -1,
                List.of("v", "ts"), List.of("v", "ts"));
        java.util.concurrent.CountDownLatch busy = new java.util.concurrent.CountDownLatch(1);
        try (RowTimesReading reading = new RowTimesReading(db -> db.equals("db")
                ? Map.of(new TableName("public", "metrics"), ts) : null)) {
            SessionCapture limited = new SessionCapture(new SessionContext(1, "db", "app", null, null, null,
                    () -> resumed = true, loop.eventLoop()),
                    new MirroredTables(new TableFilter(List.of(TablePattern.parse("public.metrics")), List.of()),
                            Set::of), Map::of, new CaptureMetrics(registry), windows, tx -> {
                                released.add(tx);
                                return CompletableFuture.completedFuture(null);
                            }, 300 * 1024, CaptureBudget.unlimited(), false, null, null, reading);
            // the reading thread is busy: the COPY's commit must wait for it
            reading.submit(0, () -> {
                try {
                    busy.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertThat(show(limited.backend(), "52 00000008 00000000" + READY_IDLE)).isTrue();
            assertThat(show(limited.frontend(), client(new Query("COPY metrics (v, ts) FROM STDIN")))).isTrue();
            assertThat(show(limited.backend(), COPY_IN_RESPONSE)).isTrue();
            StringBuilder rows = new StringBuilder();
            while (rows.length() < 290 * 1024) {
                rows.append("1\t2025-01-10 00:00:00+00\n");
            }
            assertThat(show(limited.frontend(), client(copyData(rows.toString()),
                    copyData("2\t2025-01-09 10:00:00+00\n"), copyData("3\t2025-01-11 10:00:00+02\n".repeat(1000)),
                    CopyDone.INSTANCE))).isTrue();
            assertThat(show(limited.backend(), source(new CommandComplete("COPY 11000"), ReadyForQuery.IDLE)))
                    .as("the ReadyForQuery waits for the reading").isFalse();
            assertThat(released).isEmpty();
            busy.countDown();
            // the reading thread runs its parts in order: past this one, it has read the COPY and handed the commit
            // back to the session's event loop
            java.util.concurrent.CountDownLatch read = new java.util.concurrent.CountDownLatch(1);
            reading.submit(0, read::countDown);
            assertThat(read.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            loop.runPendingTasks();
            assertThat(released).singleElement().extracting(tx -> tx.statements().get(0))
                    .isInstanceOfSatisfying(CapturedStatement.Unreplayable.class, u -> {
                        assertThat(u.reason()).contains("mirror.max-transaction-bytes");
                        assertThat(u.timesRead()).isTrue();
                        assertThat(u.times().start()).isEqualTo("2025-01-09 10:00:00+00");
                        assertThat(u.times().end()).isEqualTo("2025-01-11 08:00:00.000001+00");
                    });
            assertThat(resumed).as("the source stream resumed").isTrue();
        }
    }

    /**
     * A transaction of many one-row INSERTs left open: what the proxy holds for it is bounded by the capture limits in
     * heap bytes, not in text bytes. 1,000 INSERTs of 36 bytes of text each hold about 680 KB of the proxy's heap
     * (classification, table names, capture records), 1,000 executions of a prepared one about 350 KB; before, the
     * limits counted only their text and values, so {@code mirror.max-transaction-bytes} and
     * {@code mirror.max-captured-bytes} let a transaction hold up to nine times the memory they were set to (measured:
     * 48,000 open INSERTs counted 3.7 MB and held 33 MB).
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void manySmallInsertsCountWhatTheyHoldInTheHeapNotOnlyTheirText(boolean prepared) {
        CaptureBudget budget = new CaptureBudget(1 << 30);
        SessionCapture session = new SessionCapture(new SessionContext(1, "db", "app", null, null, null,
                () -> resumed = true, loop.eventLoop()),
                new MirroredTables(new TableFilter(List.of(TablePattern.parse("public.metrics")), List.of()), Set::of),
                Map::of, new CaptureMetrics(registry), windows, tx -> {
                    released.add(tx);
                    return CompletableFuture.completedFuture(null);
                }, 256 * 1024, budget, false, null, null, null);
        assertThat(answer(session, ReadyForQuery.IDLE)).isTrue();
        send(session, "BEGIN");
        answer(session, new CommandComplete("BEGIN"), ReadyForQuery.IN_TRANSACTION);
        if (prepared) {
            show(session.frontend(), client(new Parse("s", "INSERT INTO metrics (v) VALUES ($1)", List.of()),
                    Sync.INSTANCE));
            answer(session, ParseComplete.INSTANCE, ReadyForQuery.IN_TRANSACTION);
        }
        for (int i = 0; i < 1_000; i++) {
            if (prepared) {
                show(session.frontend(), client(bind("", "s", "%05d".formatted(i)), new Execute("", 0),
                        Sync.INSTANCE));
                answer(session, BindComplete.INSTANCE, new CommandComplete("INSERT 0 1"),
                        ReadyForQuery.IN_TRANSACTION);
            } else {
                send(session, "INSERT INTO metrics (v) VALUES (%05d)".formatted(i));
                answer(session, new CommandComplete("INSERT 0 1"), ReadyForQuery.IN_TRANSACTION);
            }
        }
        assertThat(budget.used()).as("held while the transaction is open, up to its limit")
                .isGreaterThan(200 * 1024);
        send(session, "COMMIT");
        answer(session, new CommandComplete("COMMIT"), ReadyForQuery.IDLE);
        assertThat(budget.used()).isZero();
        assertThat(released).singleElement().satisfies(tx -> assertThat(tx.statements())
                .anySatisfy(s -> assertThat(s).isInstanceOfSatisfying(CapturedStatement.Unreplayable.class,
                        u -> assertThat(u.reason()).contains("mirror.max-transaction-bytes (262144 bytes)"))));
    }

    /** A buffer that needs no release: the leak detector watches only those of an allocator. */
    private static CopyData copyData(String data) {
        return new CopyData(Unpooled.wrappedBuffer(data.getBytes(StandardCharsets.US_ASCII)));
    }

    /**
     * Two commits before one ReadyForQuery (a COMMIT inside a query string, then the implicit transaction after it),
     * whose stages complete out of order: the ReadyForQuery waits for both. Before, it waited for the last one only.
     */
    @Test
    void theReadyForQueryWaitsForEveryCommitBeforeIt() {
        startUp();
        CompletableFuture<Void> first = new CompletableFuture<>();
        stages.add(first);
        client("51 0000004b" + cstr("INSERT INTO metrics VALUES (1); COMMIT; INSERT INTO metrics VALUES (2)"));
        source(INSERT_0_1 + "43 0000000b" + cstr("COMMIT") + INSERT_0_1);
        assertThat(show(capture.backend(), READY_IDLE)).as("the ReadyForQuery passes").isFalse();
        assertThat(releasedStatements()).containsExactly(List.of("INSERT INTO metrics VALUES (1):1"),
                List.of("INSERT INTO metrics VALUES (2):1"));
        assertThat(resumed).isFalse();
        first.complete(null);
        assertThat(resumed).as("the source stream resumed once the first commit is durable too").isTrue();
    }

    /**
     * A batch that starts with a Describe of a portal that does not exist: the source fails it and skips the rest of
     * the batch, which the proxy sees only after the error. Before, Describe was not queued, so the error found no
     * request to fail, the rest of the batch was queued as if answered and the queue never recovered: the next
     * query's INSERT was not mirrored.
     */
    @Test
    void aFailedDescribeSkipsTheRestOfItsBatch() {
        startUp();
        client("44 00000008 50" + cstr("p1"));
        source("45 0000002f 53" + cstr("ERROR") + "43" + cstr("34000") + "4d" + cstr("portal \"p1\" does not exist")
                + "00");
        client("45 0000000b" + cstr("p1") + "00000000" + "43 00000008 50" + cstr("p1") + SYNC);
        source(READY_IDLE);
        client("51 00000023" + cstr("INSERT INTO metrics VALUES (9)"));
        source(INSERT_0_1 + READY_IDLE);
        assertThat(releasedStatements()).containsExactly(List.of("INSERT INTO metrics VALUES (9):1"));
    }

    /**
     * Frames the capture must read but cannot (found by SessionCaptureFuzzTest): they are protocol violations, which
     * the relay answers with a FATAL 08P01 naming the problem. Before, the decoders' IllegalArgumentException, or an
     * IndexOutOfBoundsException for a ReadyForQuery without its status byte, reached the relay as an unexpected
     * error: a client's session ended without a word, a source's with 08006.
     */
    @Test
    void framesItCannotReadAreProtocolViolations() {
        startUp();
        assertThatThrownBy(() -> client("51 00000005 41")).isInstanceOf(ProtocolViolationException.class)
                .hasMessage("invalid message from the client: Query: query string is not NUL-terminated"
                        + " (at offset 5)");
        assertThatThrownBy(() -> client("45 00000006 00 00")).isInstanceOf(ProtocolViolationException.class)
                .hasMessageStartingWith("invalid message from the client: Execute: truncated");
        assertThatThrownBy(() -> source("43 0000000c 494e534552542030")).isInstanceOf(ProtocolViolationException.class)
                .hasMessage("CommandComplete: command tag is not NUL-terminated (at offset 5)");
        assertThatThrownBy(() -> source("5a 00000004")).isInstanceOf(ProtocolViolationException.class)
                .hasMessageStartingWith("ReadyForQuery: truncated");
        assertThatThrownBy(() -> source("5a 00000005 58")).isInstanceOf(ProtocolViolationException.class)
                .hasMessageContaining("transaction status byte 0x58 is none of 'I', 'T', 'E'");
    }

    /**
     * A source that answers an INSERT with CopyInResponse (found by SessionCaptureFuzzTest with a mutated source
     * stream). Before, the capture failed with a NullPointerException on the INSERT's missing COPY data.
     */
    @Test
    void aCopyInResponseToAnInsertIsAProtocolViolation() {
        startUp();
        client("51 00000040" + cstr("INSERT INTO metrics VALUES (1); COPY metrics (v) FROM STDIN"));
        assertThatThrownBy(() -> source(COPY_IN_RESPONSE)).isInstanceOf(ProtocolViolationException.class)
                .hasMessage("CopyInResponse answers a statement that is not a COPY FROM STDIN");
    }

    private static final String UPSERT = "INSERT INTO metrics (v, note) VALUES (1, '%s') ON CONFLICT (v)"
            + " DO UPDATE SET note = EXCLUDED.note";

    /** A second session of the same proxy, through the same windows and sequencer, with its own event loop. */
    private SessionCapture otherSession() {
        SessionCapture other = capture(null);
        show(other.backend(), "52 00000008 00000000" + READY_IDLE);
        return other;
    }

    /** @return whether the last frame passes */
    private static boolean answer(SessionCapture session, BackendMessage... messages) {
        return show(session.backend(), source(messages));
    }

    private static void send(SessionCapture session, String sql) {
        assertThat(show(session.frontend(), client(new Query(sql)))).isTrue();
    }

    /** {@code session} begins an explicit transaction and upserts the key with note {@code note}, answered. */
    private static void beginAndUpsert(SessionCapture session, String note) {
        send(session, "BEGIN");
        answer(session, new CommandComplete("BEGIN"), ReadyForQuery.IN_TRANSACTION);
        send(session, UPSERT.formatted(note));
        answer(session, new CommandComplete("INSERT 0 1"), ReadyForQuery.IN_TRANSACTION);
    }

    /** Both sessions in an explicit transaction: {@code a} upserted the key, {@code b}'s upsert waits for its lock. */
    private static void aHoldsTheKeyBWaits(SessionCapture a, SessionCapture b) {
        for (SessionCapture s : List.of(a, b)) {
            send(s, "BEGIN");
            answer(s, new CommandComplete("BEGIN"), ReadyForQuery.IN_TRANSACTION);
        }
        send(a, UPSERT.formatted("a"));
        answer(a, new CommandComplete("INSERT 0 1"), ReadyForQuery.IN_TRANSACTION);
        send(b, UPSERT.formatted("b"));
    }

    private double orderUncertain() {
        return registry.find("tandem.mirror.commit.order.uncertain").counters().stream()
                .mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
    }

    /**
     * Two explicit transactions upsert one key; B's upsert waits for A's lock, so B's client sends COMMIT after A's
     * committed, and the source commits A first; but B's answer is read first. Before, B was spooled first (the
     * target kept A's value) and counted as order uncertain; now B waits for A's turn, holding its ReadyForQuery, and
     * nothing is uncertain.
     */
    @Test
    void explicitTransactionsAreSpooledInTheOrderTheirCommitsWereForwarded() {
        startUp();
        SessionCapture a = capture;
        SessionCapture b = otherSession();
        aHoldsTheKeyBWaits(a, b);
        send(a, "COMMIT");
        answer(b, new CommandComplete("INSERT 0 1"), ReadyForQuery.IN_TRANSACTION); // A committed on the source
        send(b, "COMMIT");
        assertThat(answer(b, new CommandComplete("COMMIT"), ReadyForQuery.IDLE)).as("B's ReadyForQuery waits")
                .isFalse();
        assertThat(released).isEmpty();
        assertThat(answer(a, new CommandComplete("COMMIT"), ReadyForQuery.IDLE)).isTrue();
        loop.runPendingTasks(); // B's turn, on its event loop
        assertThat(releasedStatements()).containsExactly(List.of(UPSERT.formatted("a") + ":1"),
                List.of(UPSERT.formatted("b") + ":1"));
        assertThat(resumed).as("B's ReadyForQuery goes on once B is spooled").isTrue();
        assertThat(orderUncertain()).isZero();
    }

    /**
     * An autocommit upsert has no such order (it is sent and committed in one go, maybe before the lock it waits for
     * is released): it is spooled as it is answered, and a reordering is counted as before.
     */
    @Test
    void anAutocommitUpsertIsNotHeldBackAndStillCounts() {
        startUp();
        SessionCapture a = capture;
        SessionCapture b = otherSession();
        beginAndUpsert(a, "a");
        send(b, UPSERT.formatted("b")); // waits for A's lock
        send(a, "COMMIT");
        assertThat(answer(b, new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE)).isTrue();
        assertThat(answer(a, new CommandComplete("COMMIT"), ReadyForQuery.IDLE)).isTrue();
        assertThat(releasedStatements()).containsExactly(List.of(UPSERT.formatted("b") + ":1"),
                List.of(UPSERT.formatted("a") + ":1"));
        assertThat(orderUncertain()).isEqualTo(1);
    }

    /** A's COMMIT fails (a deferred constraint): its ticket is released and B, waiting behind it, is spooled. */
    @Test
    void aCommitThatFailsLetsTheNextOneGo() {
        startUp();
        SessionCapture a = capture;
        SessionCapture b = otherSession();
        aHoldsTheKeyBWaits(a, b);
        send(a, "COMMIT");
        answer(b, new CommandComplete("INSERT 0 1"), ReadyForQuery.IN_TRANSACTION);
        send(b, "COMMIT");
        assertThat(answer(b, new CommandComplete("COMMIT"), ReadyForQuery.IDLE)).isFalse();
        answer(a, error("23503", "insert or update violates foreign key constraint"), ReadyForQuery.IDLE);
        loop.runPendingTasks();
        assertThat(releasedStatements()).containsExactly(List.of(UPSERT.formatted("b") + ":1"));
        assertThat(resumed).isTrue();
    }

    /**
     * A's source connection hangs after its COMMIT was forwarded: B waits for it only
     * {@link UpsertWindows#SEQUENCER_WAIT}, then is spooled and counted as order uncertain.
     */
    @Test
    void aCommitBehindOneThatIsNeverAnsweredGoesAfterTheWaitAndCounts() {
        loop.freezeTime();
        startUp();
        SessionCapture a = capture;
        SessionCapture b = otherSession();
        aHoldsTheKeyBWaits(a, b);
        send(a, "COMMIT");
        answer(b, new CommandComplete("INSERT 0 1"), ReadyForQuery.IN_TRANSACTION);
        send(b, "COMMIT");
        assertThat(answer(b, new CommandComplete("COMMIT"), ReadyForQuery.IDLE)).isFalse();
        loop.advanceTimeBy(UpsertWindows.SEQUENCER_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        loop.runPendingTasks();
        assertThat(releasedStatements()).containsExactly(List.of(UPSERT.formatted("b") + ":1"));
        assertThat(resumed).isTrue();
        assertThat(orderUncertain()).isEqualTo(1);
    }

    /**
     * A COMMIT pipelined behind the transaction's upsert (sent before the upsert was answered) takes no ticket: it may
     * have been sent before the lock the upsert waits for was released.
     */
    @Test
    void aCommitSentBeforeItsUpsertWasAnsweredIsNotSequenced() {
        startUp();
        SessionCapture a = capture;
        SessionCapture b = otherSession();
        aHoldsTheKeyBWaits(a, b);
        send(b, "COMMIT"); // pipelined: B's upsert still waits
        send(a, "COMMIT");
        answer(b, new CommandComplete("INSERT 0 1"), ReadyForQuery.IN_TRANSACTION);
        assertThat(answer(b, new CommandComplete("COMMIT"), ReadyForQuery.IDLE)).isTrue();
        assertThat(answer(a, new CommandComplete("COMMIT"), ReadyForQuery.IDLE)).isTrue();
        assertThat(releasedStatements()).containsExactly(List.of(UPSERT.formatted("b") + ":1"),
                List.of(UPSERT.formatted("a") + ":1"));
        assertThat(orderUncertain()).as("B, spooled first while A's COMMIT was in flight").isEqualTo(1);
    }

    /**
     * A's session ends while the source owes the answer to its COMMIT (its outcome is unknown, and ledgered so): its
     * ticket is released, and B, waiting behind it, is spooled.
     */
    @Test
    void aSessionEndingWithItsCommitUnansweredLetsTheNextOneGo() {
        startUp();
        SessionCapture a = capture;
        SessionCapture b = otherSession();
        aHoldsTheKeyBWaits(a, b);
        send(a, "COMMIT");
        answer(b, new CommandComplete("INSERT 0 1"), ReadyForQuery.IN_TRANSACTION);
        send(b, "COMMIT");
        assertThat(answer(b, new CommandComplete("COMMIT"), ReadyForQuery.IDLE)).isFalse();
        a.closed(new SessionEnd("the source connection was lost", false));
        loop.runPendingTasks();
        assertThat(releasedStatements()).containsExactly(List.of(UPSERT.formatted("b") + ":1"));
        assertThat(resumed).isTrue();
    }

    /** B's session ends while its commit, answered, waits for A's: it is spooled all the same, after A's. */
    @Test
    void aCommitWaitingItsTurnIsSpooledAfterItsSessionEnded() {
        startUp();
        SessionCapture a = capture;
        SessionCapture b = otherSession();
        aHoldsTheKeyBWaits(a, b);
        send(a, "COMMIT");
        answer(b, new CommandComplete("INSERT 0 1"), ReadyForQuery.IN_TRANSACTION);
        send(b, "COMMIT AND CHAIN");
        assertThat(answer(b, new CommandComplete("COMMIT"), ReadyForQuery.IN_TRANSACTION)).isFalse();
        b.closed(new SessionEnd("the client closed the connection", false));
        answer(a, new CommandComplete("COMMIT"), ReadyForQuery.IDLE);
        loop.runPendingTasks();
        assertThat(releasedStatements()).containsExactly(List.of(UPSERT.formatted("a") + ":1"),
                List.of(UPSERT.formatted("b") + ":1"));
    }

    /**
     * A's COMMIT AND CHAIN commits its upsert and starts a transaction that upserts nothing: that one's COMMIT takes no
     * ticket of the sequencer, so it is not held back behind B's COMMIT, whose answer does not come. Before, the
     * chained transaction kept the upsert tables of the one before it (forgotten only at ReadyForQuery 'I'): its
     * COMMIT waited behind B's, up to the sequencer's 2 s.
     */
    @Test
    void aChainedTransactionWithoutUpsertsCommitsWithoutATicket() {
        startUp();
        SessionCapture a = capture;
        SessionCapture b = otherSession();
        beginAndUpsert(a, "a");
        send(a, "COMMIT AND CHAIN");
        assertThat(answer(a, new CommandComplete("COMMIT"), ReadyForQuery.IN_TRANSACTION)).isTrue();
        beginAndUpsert(b, "b");
        send(b, "COMMIT"); // takes a ticket; its answer does not come
        send(a, "INSERT INTO metrics (v) VALUES (2)");
        answer(a, new CommandComplete("INSERT 0 1"), ReadyForQuery.IN_TRANSACTION);
        send(a, "COMMIT");
        assertThat(answer(a, new CommandComplete("COMMIT"), ReadyForQuery.IDLE)).as("A's ReadyForQuery goes on")
                .isTrue();
        assertThat(releasedStatements()).containsExactly(List.of(UPSERT.formatted("a") + ":1"),
                List.of("INSERT INTO metrics (v) VALUES (2):1"));
    }

    /**
     * The chained transaction upserts itself: its COMMIT is sequenced, behind B's, as any transaction's that upserts.
     * A upserts again in a query string sent with its COMMIT AND CHAIN, and only then in the chained transaction.
     */
    @Test
    void aChainedTransactionKeepsItsOwnUpserts() {
        startUp();
        SessionCapture a = capture;
        SessionCapture b = otherSession();
        beginAndUpsert(a, "a");
        send(a, "COMMIT AND CHAIN");
        send(a, UPSERT.formatted("a2")); // pipelined: runs in the chained transaction
        answer(a, new CommandComplete("COMMIT"), ReadyForQuery.IN_TRANSACTION);
        answer(a, new CommandComplete("INSERT 0 1"), ReadyForQuery.IN_TRANSACTION);
        beginAndUpsert(b, "b");
        send(b, "COMMIT");
        send(a, "COMMIT");
        assertThat(answer(a, new CommandComplete("COMMIT"), ReadyForQuery.IDLE)).as("A's commit waits for B's")
                .isFalse();
        assertThat(answer(b, new CommandComplete("COMMIT"), ReadyForQuery.IDLE)).isTrue();
        loop.runPendingTasks();
        assertThat(releasedStatements()).containsExactly(List.of(UPSERT.formatted("a") + ":1"),
                List.of(UPSERT.formatted("b") + ":1"), List.of(UPSERT.formatted("a2") + ":1"));
        assertThat(resumed).isTrue();
    }

    /**
     * A pipelined batch of autocommit upserts (pgjdbc's executeBatch of an INSERT ... ON CONFLICT DO UPDATE): what may
     * commit of the requests in flight, a walk of all of them, is asked only when a request may change it (the window
     * opens, the Sync), not at every Bind and Execute. Before, each frame walked the whole batch sent so far, and each
     * Execute in it the portals bound before it: a batch of 8,000 upserts held its event loop for about a minute.
     */
    @Test
    void aBatchOfUpsertsIsNotWalkedAgainAtEachFrame() {
        startUp();
        int upserts = 200;
        client(client(new Parse("up", "INSERT INTO metrics (v, note) VALUES ($1, 'x') ON CONFLICT (v)"
                + " DO UPDATE SET note = EXCLUDED.note", List.of())));
        for (int i = 0; i < upserts; i++) {
            client(client(bind("", "up", Integer.toString(i)), new Execute("", 0)));
        }
        client(client(Sync.INSTANCE));
        assertThat(capture.requestsWalked()).as("about the batch once, not its square").isLessThan(4L * upserts);
    }

    /**
     * An autocommit query string that PREPAREs an upsert and EXECUTEs it: the capture knows the PREPARE only once it
     * completes, but the forecast of what may commit walks it in flight and sees the upsert the EXECUTE runs; its
     * session counts as one that may commit outside the sequencer's order, and A's sequenced commit, read while it is
     * in flight, counts.
     */
    @Test
    void anUpsertRunByExecuteOfAPrepareInFlightMayCommitOutOfOrder() {
        startUp();
        SessionCapture a = capture;
        SessionCapture b = otherSession();
        beginAndUpsert(a, "a");
        send(b, "PREPARE up (int, text) AS INSERT INTO metrics (v, note) VALUES ($1, $2) ON CONFLICT (v)"
                + " DO UPDATE SET note = EXCLUDED.note; EXECUTE up(1, 'b')");
        send(a, "COMMIT");
        assertThat(answer(a, new CommandComplete("COMMIT"), ReadyForQuery.IDLE)).isTrue();
        assertThat(orderUncertain()).isEqualTo(1);
        answer(b, new CommandComplete("PREPARE"), new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE);
        assertThat(released).hasSize(2);
    }

    private static String client(FrontendMessage... messages) {
        ByteBuf out = Unpooled.buffer();
        for (FrontendMessage m : messages) {
            m.encode(out);
        }
        String hex = ByteBufUtil.hexDump(out);
        out.release();
        return hex;
    }

    private static String source(BackendMessage... messages) {
        ByteBuf out = Unpooled.buffer();
        for (BackendMessage m : messages) {
            m.encode(out);
        }
        String hex = ByteBufUtil.hexDump(out);
        out.release();
        return hex;
    }

    private static ErrorResponse error(String sqlState, String message) {
        return error("ERROR", sqlState, message);
    }

    private static ErrorResponse fatal(String sqlState, String message) {
        return error("FATAL", sqlState, message);
    }

    private static ErrorResponse error(String severity, String sqlState, String message) {
        Map<Character, String> fields = new LinkedHashMap<>();
        fields.put('S', severity);
        fields.put('V', severity);
        fields.put('C', sqlState);
        fields.put('M', message);
        return new ErrorResponse(fields);
    }

    private static Bind bind(String portal, String statement, String value) {
        return new Bind(portal, statement, List.of(), List.of(value.getBytes(StandardCharsets.US_ASCII)), List.of());
    }

    /**
     * A pipelining client gives prepared statement s1 another statement while its next batch, already sent, still
     * uses the name; the batch that redefines it fails before its Close and Parse run, so the source runs the next
     * batch's Bind with the old s1 and writes metrics. Before, the capture resolved the Bind when the client sent it,
     * to the new s1 (a table that is not mirrored), and the row was missing on the target.
     */
    @Test
    void aBindPipelinedBehindAFailedRedefinitionRunsTheOldStatement() {
        startUp();
        client(client(new Parse("s1", "INSERT INTO metrics (v) VALUES ($1)", List.of()), Sync.INSTANCE));
        source(source(ParseComplete.INSTANCE, ReadyForQuery.IDLE));
        client(client(new Parse("", "SELECT 1/0", List.of()), new Bind("", "", List.of(), List.of(), List.of()),
                new Execute("", 0), new Close(StatementOrPortal.STATEMENT, "s1"),
                new Parse("s1", "INSERT INTO other (v) VALUES ($1)", List.of()), Sync.INSTANCE,
                bind("", "s1", "7"), new Execute("", 0), Sync.INSTANCE));
        source(source(ParseComplete.INSTANCE, BindComplete.INSTANCE, error("22012", "division by zero"),
                ReadyForQuery.IDLE, BindComplete.INSTANCE, new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE));
        assertThat(releasedStatements()).containsExactly(List.of("INSERT INTO metrics (v) VALUES ($1):1"));
    }

    /**
     * The other way round, with the redefinition refused: a Parse of a name the client has not closed fails with
     * 42P05, and the next batch's Bind runs the old s1, which writes a table that is not mirrored. Before, the capture
     * took the new s1 and mirrored a row the source never wrote.
     */
    @Test
    void aBindPipelinedBehindARefusedParseOfTheSameNameRunsTheOldStatement() {
        startUp();
        client(client(new Parse("s1", "INSERT INTO other (v) VALUES ($1)", List.of()), Sync.INSTANCE));
        source(source(ParseComplete.INSTANCE, ReadyForQuery.IDLE));
        client(client(new Parse("s1", "INSERT INTO metrics (v) VALUES ($1)", List.of()), Sync.INSTANCE,
                bind("", "s1", "7"), new Execute("", 0), Sync.INSTANCE));
        source(source(error("42P05", "prepared statement \"s1\" already exists"), ReadyForQuery.IDLE,
                BindComplete.INSTANCE, new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE));
        client(client(new Query("INSERT INTO metrics VALUES (9)")));
        source(INSERT_0_1 + READY_IDLE);
        assertThat(releasedStatements()).containsExactly(List.of("INSERT INTO metrics VALUES (9):1"));
    }

    /**
     * The COPY case: s1 is to become a COPY, and the client sends the data right behind the pipelined Execute (as pgx
     * does), but the redefinition failed and the source runs the old s1, an INSERT, ignoring the data. The capture
     * mirrors the INSERT, drops that data, and gives the next COPY its own.
     */
    @Test
    void copyDataSentForAFailedRedefinitionIsDroppedAndTheOldStatementMirrored() {
        startUp();
        client(client(new Parse("s1", "INSERT INTO metrics (v) VALUES (1)", List.of()), Sync.INSTANCE));
        source(source(ParseComplete.INSTANCE, ReadyForQuery.IDLE));
        client(client(new Parse("", "SELECT 1/0", List.of()), new Bind("", "", List.of(), List.of(), List.of()),
                new Execute("", 0), new Close(StatementOrPortal.STATEMENT, "s1"),
                new Parse("s1", "COPY metrics (v) FROM STDIN", List.of()), Sync.INSTANCE,
                new Bind("", "s1", List.of(), List.of(), List.of()), new Execute("", 0))
                + "64 00000006 380a" + COPY_DONE + client(Sync.INSTANCE));
        source(source(ParseComplete.INSTANCE, BindComplete.INSTANCE, error("22012", "division by zero"),
                ReadyForQuery.IDLE, BindComplete.INSTANCE, new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE));
        client(client(new Query("COPY metrics (v) FROM STDIN")) + "64 00000006 390a" + COPY_DONE);
        source(COPY_IN_RESPONSE + source(new CommandComplete("COPY 1"), ReadyForQuery.IDLE));
        assertThat(releasedCopies()).containsExactly("INSERT INTO metrics (v) VALUES (1):1:not a copy",
                "COPY metrics (v) FROM STDIN:1:9\n");
    }

    /**
     * The same for a named portal, inside a transaction block: a Bind of p1 while p1 exists fails with 42P03, the
     * client rolls back to a savepoint taken before, and its next batch's Execute runs the old p1, which writes
     * metrics. Before, the capture took the new p1's statement, which writes a table that is not mirrored.
     */
    @Test
    void anExecutePipelinedBehindARefusedBindOfTheSamePortalRunsTheOldPortal() {
        startUp();
        client(client(new Query("BEGIN"), new Parse("", "INSERT INTO metrics (v) VALUES ($1)", List.of()),
                bind("p1", "", "1"), Sync.INSTANCE, new Query("SAVEPOINT a")));
        source(source(new CommandComplete("BEGIN"), ReadyForQuery.IN_TRANSACTION, ParseComplete.INSTANCE,
                BindComplete.INSTANCE, ReadyForQuery.IN_TRANSACTION, new CommandComplete("SAVEPOINT"),
                ReadyForQuery.IN_TRANSACTION));
        client(client(new Parse("", "INSERT INTO other (v) VALUES ($1)", List.of()), bind("p1", "", "2"),
                Sync.INSTANCE, new Query("ROLLBACK TO a"), new Execute("p1", 0), Sync.INSTANCE,
                new Query("COMMIT")));
        source(source(ParseComplete.INSTANCE, error("42P03", "cursor \"p1\" already exists"), ReadyForQuery.FAILED,
                new CommandComplete("ROLLBACK"), ReadyForQuery.IN_TRANSACTION, new CommandComplete("INSERT 0 1"),
                ReadyForQuery.IN_TRANSACTION, new CommandComplete("COMMIT"), ReadyForQuery.IDLE));
        assertThat(releasedStatements()).containsExactly(List.of("INSERT INTO metrics (v) VALUES ($1):1"));
        assertThat(released.get(0).statements().get(0)).isInstanceOfSatisfying(CapturedStatement.Extended.class,
                e -> assertThat(new String(e.parameters()[0], StandardCharsets.US_ASCII)).isEqualTo("1"));
    }

    /**
     * A SAVEPOINT whose name the capture cannot read (a frame mutated into "SAVEPOINT(a", which a real source refuses
     * with a syntax error), answered as if it ran: before, the next RELEASE threw a NullPointerException out of the
     * capture, which would end the session instead of relaying it.
     */
    @Test
    void aSavepointWhoseNameCannotBeReadDoesNotBreakTheCapture() {
        startUp();
        client(client(new Query("BEGIN"), new Query("SAVEPOINT(a"), new Query("INSERT INTO metrics VALUES (1)"),
                new Query("RELEASE a"), new Query("COMMIT")));
        source(source(new CommandComplete("BEGIN"), ReadyForQuery.IN_TRANSACTION, new CommandComplete("SAVEPOINT"),
                ReadyForQuery.IN_TRANSACTION, new CommandComplete("INSERT 0 1"), ReadyForQuery.IN_TRANSACTION,
                new CommandComplete("RELEASE"), ReadyForQuery.IN_TRANSACTION, new CommandComplete("COMMIT"),
                ReadyForQuery.IDLE));
        assertThat(releasedStatements()).containsExactly(List.of("INSERT INTO metrics VALUES (1):1"));
    }

    /**
     * A COPY the client did not ask for: its redefinition of s1 (a COPY) as an INSERT was refused (42P05), so the
     * pipelined Execute of s1 starts a COPY, and the source reads the rest of that batch in COPY IN. A line of data
     * there fails the COPY (22P02) before the Parse behind it is read (were the Parse read in COPY IN, the source would
     * end the connection, see noRequestBehindACopyTheClientInterruptedRuns): the source skips to the Sync and answers
     * it. Then the client, having read the CopyInResponse, ends the COPY as pgjdbc does (CopyFail, Sync: both answered
     * outside COPY) and sends a mirrored INSERT. Before, the capture took the batch's Sync, seen after the
     * CopyInResponse, for one the source ignores in COPY: the ReadyForQuery of the pgjdbc Sync was taken for the
     * INSERT's answer, and the INSERT was not mirrored. (PostgreSQL 17 answers so.)
     */
    @Test
    void aSyncBehindAnUnexpectedCopyThatFailedOnItsDataIsAnswered() {
        startUp();
        client(client(new Parse("s1", "COPY metrics (v) FROM STDIN", List.of()), Sync.INSTANCE));
        source(source(ParseComplete.INSTANCE, ReadyForQuery.IDLE));
        client(client(new Parse("s1", "INSERT INTO metrics (v) VALUES (1)", List.of()), Sync.INSTANCE,
                new Bind("", "s1", List.of(), List.of(), List.of()), new Execute("", 0)));
        source(source(error("42P05", "prepared statement \"s1\" already exists"), ReadyForQuery.IDLE,
                BindComplete.INSTANCE) + COPY_IN_RESPONSE);
        client("64 00000006 780a" + client(new Parse("", "INSERT INTO metrics (v) VALUES (2)", List.of()),
                new Bind("", "", List.of(), List.of(), List.of()), new Execute("", 0), Sync.INSTANCE,
                new CopyFail("COPY commands are only supported using the CopyManager API."), Sync.INSTANCE,
                new Query("INSERT INTO metrics VALUES (3)")));
        source(source(error("22P02", "invalid input syntax for type integer: \"x\""), ReadyForQuery.IDLE,
                ReadyForQuery.IDLE, new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE));
        assertThat(releasedStatements()).containsExactly(List.of("INSERT INTO metrics VALUES (3):1"));
    }

    /** The settings deciding how values are read, as each released statement of the session ran under them. */
    private List<Object> releasedSettings() {
        return released.stream().flatMap(tx -> tx.statements().stream())
                .map(st -> st instanceof CapturedStatement.Unreplayable u ? "unreplayable: " + u.reason()
                        : st.settings().timeZone() + " " + st.settings().dateStyle()).map(Object.class::cast).toList();
    }

    private void startUpIn(String timeZone) {
        source(source(new ParameterStatus("TimeZone", timeZone), new ParameterStatus("DateStyle", "ISO, MDY"),
                new ParameterStatus("IntervalStyle", "postgres"), new ParameterStatus("standard_conforming_strings",
                        "on"), ReadyForQuery.IDLE));
    }

    /**
     * A statement runs under the settings the source reported last, at start-up and after each request that changed
     * one, also when the client pipelined it behind that request. Before, the target read its values under its own.
     */
    @Test
    void eachWriteRunsUnderTheSettingsReportedBeforeItsRequest() {
        startUpIn("UTC");
        client(client(new Query("INSERT INTO metrics VALUES ('2026-03-01 10:00')"),
                new Query("SET TimeZone TO 'Asia/Tokyo'"), new Query("INSERT INTO metrics VALUES ('2026-03-01 11:00')")));
        source(source(new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE, new CommandComplete("SET"),
                new ParameterStatus("TimeZone", "Asia/Tokyo"), ReadyForQuery.IDLE, new CommandComplete("INSERT 0 1"),
                ReadyForQuery.IDLE));
        assertThat(releasedSettings()).containsExactly("UTC ISO, MDY", "Asia/Tokyo ISO, MDY");
    }

    /**
     * PostgreSQL before 14 reports a changed setting as soon as it changed, amid the request (measured on 13.22: before
     * the SET's CommandComplete, and a ROLLBACK's undoing before the ROLLBACK's). The writes after the SET run under
     * the new value as when the report comes just before ReadyForQuery, and a statement of the same batch that the
     * source read after a client_encoding change, the proxy before it, is ledgered all the same.
     */
    @Test
    void aSettingReportedAsSoonAsItChangedAppliesToTheWritesAfterItAsOneReportedAtTheEnd() {
        startUpIn("UTC");
        Bind bind = new Bind("", "", List.of(), List.of(), List.of());
        client(client(new Query("SET TIME ZONE 'Asia/Tokyo'; INSERT INTO metrics VALUES ('2026-03-01 10:00')"),
                new Query("BEGIN; SET DateStyle TO DMY; ROLLBACK; INSERT INTO metrics VALUES ('2026-03-01 11:00')"),
                new Parse("", "SET client_encoding TO 'LATIN1'", List.of()), bind, new Execute("", 0),
                new Parse("", "INSERT INTO metrics VALUES ('x\u00e9')", List.of()), bind, new Execute("", 0),
                Sync.INSTANCE));
        source(source(new ParameterStatus("TimeZone", "Asia/Tokyo"), new CommandComplete("SET"),
                new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE,
                new CommandComplete("BEGIN"), new ParameterStatus("DateStyle", "ISO, DMY"), new CommandComplete("SET"),
                new ParameterStatus("DateStyle", "ISO, MDY"), new CommandComplete("ROLLBACK"),
                new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE,
                ParseComplete.INSTANCE, BindComplete.INSTANCE, new ParameterStatus("client_encoding", "LATIN1"),
                new CommandComplete("SET"), ParseComplete.INSTANCE, BindComplete.INSTANCE,
                new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE));
        List<Object> settings = releasedSettings();
        assertThat(settings).hasSize(3);
        assertThat(settings.get(0)).isEqualTo("Asia/Tokyo ISO, MDY");
        // a transaction end after a SET in the same request: not followed, as when reported at the end
        assertThat(settings.get(1)).asString().startsWith("unreplayable: it ran after a statement of the same request");
        assertThat(settings.get(2)).asString().startsWith("unreplayable: client_encoding changed while this statement"
                + " was in flight");
    }

    /**
     * PostgreSQL reports a changed setting only just before the ReadyForQuery of the request that changed it: a write
     * after a SET in the same query string runs under the value the SET gave, followed here as the server applies it
     * (DateStyle merged, RESET to the start-up value). What cannot be followed exactly (set_config, a transaction end
     * after the SET, which may undo it) leaves the rest of the request unreplayable: ledgered, never replayed under
     * other settings than the source's.
     */
    @Test
    void aWriteAfterAChangeInItsOwnRequestRunsUnderTheNewSettingsOrIsNotReplayed() {
        startUpIn("UTC");
        client(client(new Query("SET statement_timeout = 0; INSERT INTO metrics VALUES ('2026-03-01 10:00')"),
                new Query("SET TIME ZONE 'Asia/Tokyo'; INSERT INTO metrics VALUES ('2026-03-01 10:00')"),
                new Query("SET DateStyle TO DMY; INSERT INTO metrics VALUES ('01/03/2026')"),
                new Query("BEGIN; SET LOCAL TimeZone = 'UTC'; INSERT INTO metrics VALUES ('2026-03-01 10:00');"
                        + " COMMIT; INSERT INTO metrics VALUES ('2026-03-01 11:00')"),
                new Query("SELECT set_config('DateStyle', 'MDY', false); INSERT INTO metrics VALUES ('01/03/2026')"),
                new Query("RESET TimeZone; INSERT INTO metrics VALUES ('2026-03-01 12:00')"),
                new Query("SET LOCAL TimeZone = 'Asia/Tokyo'; INSERT INTO metrics VALUES ('2026-03-01 13:00')"),
                new Query("INSERT INTO metrics VALUES ('2026-03-01 14:00')")));
        source(source(new CommandComplete("SET"), new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE,
                new CommandComplete("SET"), new CommandComplete("INSERT 0 1"),
                new ParameterStatus("TimeZone", "Asia/Tokyo"), ReadyForQuery.IDLE,
                new CommandComplete("SET"), new CommandComplete("INSERT 0 1"),
                new ParameterStatus("DateStyle", "ISO, DMY"), ReadyForQuery.IDLE,
                new CommandComplete("BEGIN"), new CommandComplete("SET"), new CommandComplete("INSERT 0 1"),
                new CommandComplete("COMMIT"), new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE,
                new CommandComplete("SELECT 1"), new CommandComplete("INSERT 0 1"),
                new ParameterStatus("DateStyle", "ISO, MDY"), ReadyForQuery.IDLE,
                new CommandComplete("RESET"), new CommandComplete("INSERT 0 1"),
                new ParameterStatus("TimeZone", "UTC"), ReadyForQuery.IDLE,
                new CommandComplete("SET"), new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE,
                new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE));
        List<Object> settings = releasedSettings();
        assertThat(settings).hasSize(9);
        assertThat(settings.subList(0, 4)).containsExactly("UTC ISO, MDY", "Asia/Tokyo ISO, MDY", "Asia/Tokyo ISO, DMY",
                "UTC ISO, DMY");
        assertThat(settings.get(4)).asString().startsWith("unreplayable: it ran after a statement of the same request"
                + " (query string or pipelined batch) that may have changed TimeZone");
        assertThat(settings.get(5)).asString().startsWith("unreplayable:");
        assertThat(settings.get(6)).isEqualTo("UTC ISO, MDY");
        // outside BEGIN a SET LOCAL lasts until the implicit transaction of the query string ends
        assertThat(settings.get(7)).isEqualTo("Asia/Tokyo ISO, MDY");
        assertThat(settings.get(8)).isEqualTo("UTC ISO, MDY");
    }

    /**
     * The same, with the data and the rest of the batch seen before the CopyInResponse and its Sync only after: the
     * data failed the COPY, the source skipped the rest of the batch, so that Sync is answered too. Before, the capture
     * took it for one the source ignores in COPY, paired the ReadyForQuery after the error with the pgjdbc Sync and
     * the next one with the next query, a COPY: that COPY, committed, was not mirrored (found by SessionCaptureFuzzTest
     * when its source answered a message read in COPY IN with an error only). (PostgreSQL 17 answers so.)
     */
    @Test
    void aSyncSentBeforeAnUnexpectedCopyThatFailedOnItsDataStartedIsAnswered() {
        startUp();
        client(client(new Parse("s1", "COPY metrics (v) FROM STDIN", List.of()), Sync.INSTANCE));
        source(source(ParseComplete.INSTANCE, ReadyForQuery.IDLE));
        client(client(new Parse("s1", "INSERT INTO metrics (v) VALUES (1)", List.of()), Sync.INSTANCE,
                new Bind("", "s1", List.of(), List.of(), List.of()), new Execute("", 0)) + "64 00000006 780a"
                + client(new Parse("", "INSERT INTO metrics (v) VALUES (2)", List.of()),
                new Bind("", "", List.of(), List.of(), List.of()), new Execute("", 0)));
        source(source(error("42P05", "prepared statement \"s1\" already exists"), ReadyForQuery.IDLE,
                BindComplete.INSTANCE) + COPY_IN_RESPONSE);
        client(client(Sync.INSTANCE, new CopyFail("COPY commands are only supported using the CopyManager API."),
                Sync.INSTANCE, new Query("COPY metrics (v) FROM STDIN")) + "64 00000006 390a" + COPY_DONE);
        source(source(error("22P02", "invalid input syntax for type integer: \"x\""), ReadyForQuery.IDLE,
                ReadyForQuery.IDLE) + COPY_IN_RESPONSE + source(new CommandComplete("COPY 1"), ReadyForQuery.IDLE));
        assertThat(releasedCopies()).containsExactly("COPY metrics (v) FROM STDIN:1:9\n");
    }

    /**
     * A client that did not expect its query to be a COPY (or a buggy one) pipelines requests behind it. PostgreSQL
     * 14 and later read the first one in COPY IN: any message but CopyData, CopyDone, CopyFail, Sync and Flush fails
     * the COPY (ERROR 08P01, copyfromparse.c) before its body is read, and so the server ends the connection (FATAL
     * 08P01, postgres.c: "protocol synchronization was lost"): none of the requests behind the COPY runs (seen on
     * PostgreSQL 14, 15 and 17, whatever the message). Before, the capture still expected their answers: the session
     * ended with the INSERTs behind the COPY reported as writes the source may have committed unseen.
     */
    @ParameterizedTest
    @ValueSource(strings = {"Query", "Parse", "Bind", "Execute", "Describe", "Close", "FunctionCall", "Unknown"})
    void noRequestBehindACopyTheClientInterruptedRuns(String interrupting) {
        startUp();
        client(client(new Query("COPY metrics (v) FROM STDIN")) + request(interrupting)
                + client(new Query("INSERT INTO metrics VALUES (2)")));
        source(COPY_IN_RESPONSE + source(error("08P01", "unexpected message type during COPY from stdin"),
                fatal("08P01", "terminating connection because protocol synchronization was lost")));
        assertThat(capture.awaitsOutcome()).as("the source ended the session: nothing it did not answer runs")
                .isFalse();
        client(client(new Query("INSERT INTO metrics VALUES (3)")));
        assertThat(capture.awaitsOutcome()).as("nor what the client sends after").isFalse();
        assertThat(released).isEmpty();
    }

    /**
     * PostgreSQL 13 reads the whole message in COPY IN before it fails the COPY at it (08P01, copy.c) and goes on: that
     * message never runs, a simple Query's COPY is answered with ReadyForQuery, and the requests behind run (a Bind or
     * Execute without what the message would have made fails on its own and skips to the Sync). Measured on 13.22.
     * Before, the capture paired INSERT 2's answer with a request the source never ran.
     */
    @ParameterizedTest
    @ValueSource(strings = {"Query", "Parse", "Bind", "Execute", "Describe", "Close", "FunctionCall", "Unknown"})
    void beforePostgres14TheRequestACopyFailsAtNeverRunsAndTheOnesBehindItDo(String interrupting) {
        startUp();
        client(client(new Query("COPY metrics (v) FROM STDIN")) + request(interrupting)
                + client(new Query("INSERT INTO metrics VALUES (2)")));
        String rest = switch (interrupting) {
            case "Query", "FunctionCall", "Unknown" -> "";
            case "Parse" -> source(error("26000", "unnamed prepared statement does not exist"), ReadyForQuery.IDLE);
            case "Bind" -> source(error("34000", "portal \"\" does not exist"), ReadyForQuery.IDLE);
            default -> source(ReadyForQuery.IDLE);
        };
        source(COPY_IN_RESPONSE + source(error("08P01", "unexpected message type during COPY from stdin"),
                ReadyForQuery.IDLE) + rest + source(new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE));
        assertThat(releasedStatements()).containsExactly(List.of("INSERT INTO metrics VALUES (2):1"));
        assertThat(capture.awaitsOutcome()).isFalse();
    }

    /**
     * Before 14, the Parse a simple Query's COPY took never makes its statement, and the Bind behind it in the same
     * batch still runs, binding what the name held before: the INSERT is to be expected as a commit from the error on,
     * and mirrored. Before, the capture took the Bind for one the source runs only if that Parse succeeded (found by
     * SessionCaptureFuzzTest).
     */
    @Test
    void beforePostgres14ABindBehindTheParseACopyTookBindsWhatTheNameHeldBefore() {
        startUp();
        client(client(new Parse("s1", "INSERT INTO metrics (v) VALUES (1)", List.of()), Sync.INSTANCE));
        source(source(ParseComplete.INSTANCE, ReadyForQuery.IDLE));
        client(client(new Query("COPY metrics (v) FROM STDIN"), new Parse("s1", "SELECT 1", List.of()),
                new Bind("", "s1", List.of(), List.of(), List.of()), new Execute("", 0), Sync.INSTANCE));
        source(COPY_IN_RESPONSE + source(error("08P01", "unexpected message type 0x50 during COPY from stdin"),
                ReadyForQuery.IDLE));
        assertThat(capture.awaitsOutcome()).isTrue();
        source(source(BindComplete.INSTANCE, new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE));
        assertThat(releasedStatements()).containsExactly(List.of("INSERT INTO metrics (v) VALUES (1):1"));
    }

    /**
     * Before 14 a COPY the client did not expect takes the request behind it, and the source goes on with the next: a
     * BEGIN in the request it takes never runs, so the writes behind it commit as their own requests end, and are to
     * be expected as commits from when they are sent. Before, the capture expected no commit until a COMMIT (found by
     * SessionCaptureFuzzTest).
     */
    @Test
    void aBeginACopyMayTakeDoesNotKeepTheWritesBehindItFromCommitting() {
        startUp();
        client(client(new Query("COPY metrics (v) FROM STDIN"), new Query("BEGIN; INSERT INTO metrics VALUES (1)"),
                new Parse("", "INSERT INTO metrics VALUES (2)", List.of()),
                new Bind("", "", List.of(), List.of(), List.of()), new Execute("", 0), Sync.INSTANCE));
        assertThat(capture.awaitsOutcome()).isTrue();
        source(COPY_IN_RESPONSE + source(error("08P01", "unexpected message type 0x51 during COPY from stdin"),
                ReadyForQuery.IDLE, ParseComplete.INSTANCE, BindComplete.INSTANCE, new CommandComplete("INSERT 0 1"),
                ReadyForQuery.IDLE));
        assertThat(releasedStatements()).containsExactly(List.of("INSERT INTO metrics VALUES (2):1"));
    }

    /** A request that writes the mirrored table, begun with a message of the given type, as a client sends it. */
    private static String request(String type) {
        String insert = "INSERT INTO metrics (v) VALUES (1)";
        Bind bind = new Bind("", "", List.of(), List.of(), List.of());
        return switch (type) {
            case "Query" -> client(new Query(insert));
            case "Parse" -> client(new Parse("", insert, List.of()), bind, new Execute("", 0), Sync.INSTANCE);
            case "Bind" -> client(bind, new Execute("", 0), Sync.INSTANCE);
            case "Execute" -> client(new Execute("", 0), Sync.INSTANCE);
            case "Describe" -> client(new Describe(StatementOrPortal.STATEMENT, ""), Sync.INSTANCE);
            case "Close" -> client(new Close(StatementOrPortal.STATEMENT, "s1"), Sync.INSTANCE);
            // pg_backend_pid(), no arguments
            case "FunctionCall" -> "46 0000000e 000007ea 0000 0000 0000";
            // a type no frontend message has (a CopyDone mangled on the way, say): it asks for nothing
            case "Unknown" -> "73 00000004";
            default -> throw new IllegalArgumentException(type);
        };
    }

    /** Each released statement's session_replication_role, or why it is not replayed. */
    private List<String> releasedRoles() {
        return released.stream().flatMap(tx -> tx.statements().stream())
                .map(st -> st instanceof CapturedStatement.Unreplayable u ? "unreplayable: " + u.reason()
                        : st.settings().replicationRole().setting()).toList();
    }

    /**
     * The source does not report session_replication_role: the capture follows it from what the source completed,
     * with its transaction rules (a SET rolled back, or one that failed, changes nothing), and a write after a change
     * it cannot follow is not replayed until a SET or RESET says the value again. Before, every write was replayed
     * under the target's own, origin, whose triggers and foreign-key checks the source had skipped.
     */
    @Test
    void eachWriteRunsUnderTheSessionReplicationRoleItRanUnderOnTheSource() {
        startUp();
        client(client(new Query("SET session_replication_role = replica; INSERT INTO metrics VALUES (1)"),
                new Query("BEGIN; SET session_replication_role = origin; INSERT INTO metrics VALUES (2); ROLLBACK"),
                new Query("INSERT INTO metrics VALUES (3)"),
                new Query("SET session_replication_role = origin; INSERT INTO metrics VALUES (4)"),
                new Query("INSERT INTO metrics VALUES (5)"),
                new Query("SELECT set_config('session_replication_role', 'origin', false)"),
                new Query("INSERT INTO metrics VALUES (6)"),
                new Query("RESET session_replication_role; INSERT INTO metrics VALUES (7)")));
        source(source(new CommandComplete("SET"), new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE,
                new CommandComplete("BEGIN"), new CommandComplete("SET"), new CommandComplete("INSERT 0 1"),
                new CommandComplete("ROLLBACK"), ReadyForQuery.IDLE,
                new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE,
                // refused: a SET that fails has no effect, and the INSERT behind it does not run
                error("42501", "permission denied to set parameter \"session_replication_role\""), ReadyForQuery.IDLE,
                new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE,
                new CommandComplete("SELECT 1"), ReadyForQuery.IDLE,
                new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE,
                new CommandComplete("RESET"), new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE));
        List<String> roles = releasedRoles();
        assertThat(roles).hasSize(5);
        assertThat(roles.subList(0, 3)).containsExactly("replica", "replica", "replica");
        assertThat(roles.get(3)).startsWith("unreplayable: the session's session_replication_role, which decides"
                + " whether the target fires its triggers, rules and foreign-key checks for this write, is not known"
                + " to the proxy (a set_config call may have changed it)");
        assertThat(roles.get(4)).isEqualTo("origin");
    }

    /** A bulk loader's {@code options=-c session_replication_role=replica}: its writes run under replica from the start. */
    @Test
    void aSessionReplicationRoleFromTheStartupMessageIsTheSessionsFromTheStart() {
        SessionCapture loader = capture("replica");
        assertThat(show(loader.backend(), source(ReadyForQuery.IDLE))).isTrue();
        show(loader.frontend(), client(new Query("INSERT INTO metrics VALUES (1); RESET session_replication_role;"
                + " INSERT INTO metrics VALUES (2)")));
        show(loader.backend(), source(new CommandComplete("INSERT 0 1"), new CommandComplete("RESET"),
                new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE));
        assertThat(releasedRoles()).as("RESET returns to the start-up value").containsExactly("replica", "replica");
    }

    /** Each released statement's search_path, or why it is not replayed. */
    private List<String> releasedPaths() {
        return released.stream().flatMap(tx -> tx.statements().stream())
                .map(st -> st instanceof CapturedStatement.Unreplayable u ? "unreplayable: " + u.reason()
                        : String.join(" ", st.searchPath())).toList();
    }

    /**
     * A search_path set by set_config is not known to the proxy: an unqualified write is not replayed, a qualified one
     * is. A server that reports the path (PostgreSQL 18 and later) says what it is at the ReadyForQuery of the
     * request that set it: the writes of later requests are replayed under it.
     */
    @Test
    void aSearchPathSetBySetConfigIsKnownOnlyFromAServerThatReportsIt() {
        String setConfig = "SELECT set_config('search_path', 'public, tenant', false)";
        startUp(); // PostgreSQL 17 does not report search_path
        client(client(new Query(setConfig), new Query("INSERT INTO metrics VALUES (1)"),
                new Query("INSERT INTO public.metrics VALUES (2)")));
        source(source(new CommandComplete("SELECT 1"), ReadyForQuery.IDLE, new CommandComplete("INSERT 0 1"),
                ReadyForQuery.IDLE, new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE));
        SessionCapture reporting = capture(null);
        show(reporting.backend(), source(new ParameterStatus("search_path", "\"$user\", public"), ReadyForQuery.IDLE));
        show(reporting.frontend(), client(new Query(setConfig), new Query("INSERT INTO metrics VALUES (3)")));
        show(reporting.backend(), source(new CommandComplete("SELECT 1"),
                new ParameterStatus("search_path", "public, tenant"), ReadyForQuery.IDLE,
                new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE));
        List<String> paths = releasedPaths();
        assertThat(paths).hasSize(3);
        assertThat(paths.get(0)).startsWith("unreplayable: the session's search_path, which decides which table an"
                + " unqualified name means, is not known to the proxy (a set_config call changed it)");
        assertThat(paths.subList(1, 3)).containsExactly("", "public tenant");
    }

    /**
     * A path the capture followed and the server's report contradicts (PostgreSQL 18 and later: a function set it
     * where the proxy cannot see) is replaced by the reported one. In an explicit transaction, the unqualified write of
     * the request at whose end the server reported it is ledgered when a later request commits it, and a qualified one
     * is not; the next request's write is replayed under the reported path. The ReadyForQuery of a failed transaction,
     * whose SET the server has undone already (at the error, the capture at the ROLLBACK), checks nothing. A COMMIT
     * earlier in the request than the report handed its writes to the mirror before the report: they are mirrored
     * (and warned about). Each contradiction is counted.
     */
    @Test
    void aPathTheServerContradictsIsReplacedAndTheWritesResolvedUnderItAreLedgered() {
        SessionCapture reporting = capture(null);
        show(reporting.backend(), source(new ParameterStatus("search_path", "\"$user\", public"), ReadyForQuery.IDLE));
        show(reporting.frontend(), client(new Query("BEGIN"), new Query("SELECT f(); INSERT INTO metrics VALUES (1);"
                + " INSERT INTO public.metrics VALUES (2)"), new Query("INSERT INTO metrics VALUES (3)"),
                new Query("COMMIT"), new Query("SET search_path = public"),
                new Query("BEGIN; SET search_path = tenant"), new Query("SELECT 1/0"), new Query("ROLLBACK"),
                new Query("INSERT INTO metrics VALUES (4)"),
                new Query("BEGIN; SELECT f(); INSERT INTO metrics VALUES (5); COMMIT")));
        show(reporting.backend(), source(new CommandComplete("BEGIN"), ReadyForQuery.IN_TRANSACTION,
                new CommandComplete("SELECT 1"), new CommandComplete("INSERT 0 1"), new CommandComplete("INSERT 0 1"),
                new ParameterStatus("search_path", "tenant, public"), ReadyForQuery.IN_TRANSACTION,
                new CommandComplete("INSERT 0 1"), ReadyForQuery.IN_TRANSACTION,
                new CommandComplete("COMMIT"), ReadyForQuery.IDLE,
                new CommandComplete("SET"), new ParameterStatus("search_path", "public"), ReadyForQuery.IDLE,
                new CommandComplete("BEGIN"), new CommandComplete("SET"), new ParameterStatus("search_path", "tenant"),
                ReadyForQuery.IN_TRANSACTION,
                error("22012", "division by zero"), new ParameterStatus("search_path", "public"), ReadyForQuery.FAILED,
                new CommandComplete("ROLLBACK"), ReadyForQuery.IDLE,
                new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE,
                new CommandComplete("BEGIN"), new CommandComplete("SELECT 1"), new CommandComplete("INSERT 0 1"),
                new CommandComplete("COMMIT"), new ParameterStatus("search_path", "tenant, public"),
                ReadyForQuery.IDLE));
        List<String> paths = releasedPaths();
        assertThat(paths).hasSize(5);
        assertThat(paths.get(0)).startsWith("unreplayable: the session's search_path, which decides which table an"
                + " unqualified name means, was not what the proxy had followed: at the end of the request (query"
                + " string or pipelined batch) that ran this write the source reported tenant, public where the proxy"
                + " had followed $user, public");
        assertThat(paths.subList(1, 5)).containsExactly("$user public", "tenant public", "public", "public");
        assertThat(registry.get("tandem.search.path.contradicted").counter().count()).isEqualTo(2);
    }

    /**
     * An SQL-level EXECUTE runs the PREPAREd statement's text: a set_config there changes the settings it names as one
     * written in the EXECUTE would, and the PREPARE itself changes nothing. Before, the proxy read the PREPARE as if it
     * ran its text, and did not look through the EXECUTE.
     */
    @Test
    void aSetConfigInAPreparedStatementChangesTheSettingWhenItIsExecuted() {
        startUp();
        client(client(new Query("PREPARE p AS SELECT set_config('search_path', 'public, tenant', false)"),
                new Query("INSERT INTO metrics VALUES (1)"), new Query("EXECUTE p"),
                new Query("INSERT INTO metrics VALUES (2)"),
                new Query("PREPARE r (text) AS SELECT set_config('session_replication_role', $1, false)"),
                new Query("SET search_path = public; EXECUTE r('replica')"), new Query("INSERT INTO metrics VALUES (3)")));
        source(source(new CommandComplete("PREPARE"), ReadyForQuery.IDLE, new CommandComplete("INSERT 0 1"),
                ReadyForQuery.IDLE, new CommandComplete("SELECT 1"), ReadyForQuery.IDLE,
                new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE, new CommandComplete("PREPARE"),
                ReadyForQuery.IDLE, new CommandComplete("SET"), new CommandComplete("SELECT 1"), ReadyForQuery.IDLE,
                new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE));
        assertThat(releasedPaths()).satisfiesExactly(
                path -> assertThat(path).isEmpty(),
                path -> assertThat(path).startsWith("unreplayable: the session's search_path"),
                path -> assertThat(path).startsWith("unreplayable: the session's session_replication_role"));
    }

    /**
     * {@code $user} in the path a write is replayed under is spelt out as the session's current user when that is not
     * the login user (the applier reads {@code $user} as the login user): here a role from the StartupMessage, then
     * none, then one a SET gave.
     */
    @Test
    void aWriteIsReplayedWithDollarUserSpeltOutAsTheRoleItRanAs() {
        SessionCapture tenant = capture(null, "tenant");
        assertThat(show(tenant.backend(), source(ReadyForQuery.IDLE))).isTrue();
        show(tenant.frontend(), client(new Query("INSERT INTO metrics VALUES (1); SET ROLE NONE;"
                + " INSERT INTO metrics VALUES (2); SET search_path = \"$user\", public; SET ROLE b;"
                + " INSERT INTO metrics VALUES (3)")));
        show(tenant.backend(), source(new CommandComplete("INSERT 0 1"), new CommandComplete("SET"),
                new CommandComplete("INSERT 0 1"), new CommandComplete("SET"), new CommandComplete("SET"),
                new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE));
        assertThat(released).singleElement().satisfies(tx -> assertThat(tx.statements().stream()
                .map(CapturedStatement::searchPath).toList()).containsExactly(List.of("tenant", "public"), List.of(),
                        List.of("b", "public")));
    }

    /**
     * The same client, when the data it sent before its next request fails the COPY: the source leaves COPY IN at
     * that line (22P02), before it reads the request, and runs that request as usual.
     */
    @Test
    void aRequestBehindACopyThatFailedOnItsDataRuns() {
        startUp();
        client(client(new Query("COPY metrics (v) FROM STDIN")) + "64 00000006 780a"
                + client(new Query("INSERT INTO metrics VALUES (2)")));
        source(COPY_IN_RESPONSE + source(error("22P02", "invalid input syntax for type integer: \"x\""),
                ReadyForQuery.IDLE, new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE));
        assertThat(releasedStatements()).containsExactly(List.of("INSERT INTO metrics VALUES (2):1"));
        assertThat(capture.awaitsOutcome()).isFalse();
    }

    /**
     * A session under {@code search_path = tenant_42, public}, whose catalog has {@code tables}: the unqualified name
     * {@code metrics} means the first of them along the path.
     */
    private SessionCapture tenantSession(TableName... tables) {
        return tenantSession(1 << 20, tables);
    }

    private SessionCapture tenantSession(long maxTransactionBytes, TableName... tables) {
        SessionCapture session = new SessionCapture(new SessionContext(1, "db", "app", "tenant_42, public", null, null,
                () -> resumed = true, loop.eventLoop()),
                new MirroredTables(new TableFilter(List.of(TablePattern.parse("public.metrics")), List.of()), Set::of,
                        () -> new PartitionDirectory.Partitions(Map.of(), Set.of(tables))),
                Map::of, new CaptureMetrics(registry), windows, tx -> {
                    released.add(tx);
                    return CompletableFuture.completedFuture(null);
                }, maxTransactionBytes, CaptureBudget.unlimited(), false, null, null, null);
        assertThat(show(session.backend(), source(ReadyForQuery.IDLE))).isTrue();
        return session;
    }

    /**
     * A pipelined batch runs a statement that makes the unqualified {@code metrics} mean the mirrored
     * {@code public.metrics} instead of {@code tenant_42.metrics} (which hid it), then, before the source answered it,
     * binds an INSERT of that name: the source runs the INSERT after it, into {@code public.metrics}. Before, the
     * capture resolved the Bind when the client sent it, to {@code tenant_42.metrics}, kept no values, and the row was
     * neither mirrored nor ledgered. A write into another table that is not mirrored stays so.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "DROP TABLE tenant_42.metrics|DROP TABLE",
        "ALTER TABLE metrics RENAME TO metrics_retired|ALTER TABLE",
        "ALTER TABLE tenant_42.metrics SET SCHEMA archive|ALTER TABLE",
        "DROP SCHEMA tenant_42 CASCADE|DROP SCHEMA",
        "SET search_path = public|SET"})
    void aWriteBoundBehindAChangeOfItsNameInFlightIsResolvedWhenTheSourceRunsIt(String change, String tag) {
        SessionCapture session = tenantSession(TENANT_METRICS, PUBLIC_METRICS, new TableName("tenant_42", "other"),
                new TableName("public", "other"));
        show(session.frontend(), client(new Parse("", change, List.of()), new Bind("", "", List.of(), List.of(), List.of()),
                new Execute("", 0), new Parse("", "INSERT INTO metrics (v) VALUES ($1)", List.of()),
                bind("", "", "7"), new Execute("", 0), new Parse("", "INSERT INTO other (v) VALUES ($1)", List.of()),
                bind("", "", "8"), new Execute("", 0), Sync.INSTANCE));
        show(session.backend(), source(ParseComplete.INSTANCE, BindComplete.INSTANCE, new CommandComplete(tag),
                ParseComplete.INSTANCE, BindComplete.INSTANCE, new CommandComplete("INSERT 0 1"),
                ParseComplete.INSTANCE, BindComplete.INSTANCE, new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE));
        assertThat(releasedStatements()).containsExactly(List.of("INSERT INTO metrics (v) VALUES ($1):1"));
        CapturedStatement.Extended insert = (CapturedStatement.Extended) released.get(0).statements().get(0);
        assertThat(insert.table()).isEqualTo(PUBLIC_METRICS);
        assertThat(insert.parameters()[0]).isEqualTo("7".getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * The other way round: {@code tenant_42.metrics} is created in a pipelined batch, ahead of a Bind of a statement
     * prepared before it, against {@code public.metrics}. The source keeps such a statement planned against the table
     * it had until something invalidates the plan, which the proxy does not see: which table it wrote cannot be told,
     * and the write is ledgered, as when the CREATE was answered before the Bind. Before, the capture resolved it
     * again at its answer, to {@code tenant_42.metrics}, and dropped it without a word. A statement parsed behind the
     * CREATE is the source's own parse of it: it writes {@code tenant_42.metrics} (not in the catalog the proxy holds,
     * so the target's decides whether it is mirrored), not ledgered as one that may write either.
     */
    @Test
    void aStatementPreparedBeforeATableCreatedAheadOfItsBindInFlightIsLedgered() {
        SessionCapture session = tenantSession(PUBLIC_METRICS);
        show(session.frontend(), client(new Parse("s1", "INSERT INTO metrics (v) VALUES ($1)", List.of()),
                Sync.INSTANCE));
        show(session.backend(), source(ParseComplete.INSTANCE, ReadyForQuery.IDLE));
        show(session.frontend(), client(new Query("BEGIN"), new Parse("", "CREATE TABLE tenant_42.metrics (v int)",
                List.of()), new Bind("", "", List.of(), List.of(), List.of()), new Execute("", 0),
                new Parse("s2", "INSERT INTO metrics (v) VALUES ($1)", List.of()), bind("", "s2", "1"),
                new Execute("", 0), bind("", "s1", "2"), new Execute("", 0), Sync.INSTANCE, new Query("COMMIT")));
        show(session.backend(), source(new CommandComplete("BEGIN"), ReadyForQuery.IN_TRANSACTION,
                ParseComplete.INSTANCE, BindComplete.INSTANCE, new CommandComplete("CREATE TABLE"),
                ParseComplete.INSTANCE, BindComplete.INSTANCE, new CommandComplete("INSERT 0 1"),
                BindComplete.INSTANCE, new CommandComplete("INSERT 0 1"), ReadyForQuery.IN_TRANSACTION,
                new CommandComplete("COMMIT"), ReadyForQuery.IDLE));
        assertThat(released).hasSize(1);
        List<CapturedStatement> written = released.get(0).statements();
        assertThat(written).hasSize(2);
        assertThat(written.get(0)).isInstanceOf(CapturedStatement.Extended.class)
                .extracting(CapturedStatement::table).isEqualTo(TENANT_METRICS);
        assertThat(written.get(1)).isInstanceOfSatisfying(CapturedStatement.Unreplayable.class, u -> {
            assertThat(u.table()).isEqualTo(PUBLIC_METRICS);
            assertThat(u.reason()).contains("a statement prepared while public.metrics was the first table");
        });
    }

    /**
     * An upsert bound behind such DDL in flight counts as in flight from its answer on, when its table is told: an
     * autocommit upsert of another session committed before its own commit is order uncertain, as for any upsert
     * whose transaction may commit without the sequencer. Before, it was not mirrored at all.
     */
    @Test
    void anUpsertBoundBehindAChangeOfItsNameInFlightCountsOnceItsTableIsTold() {
        startUp();
        SessionCapture tenant = tenantSession(TENANT_METRICS, PUBLIC_METRICS);
        show(tenant.frontend(), client(new Parse("", "DROP TABLE tenant_42.metrics", List.of()),
                new Bind("", "", List.of(), List.of(), List.of()), new Execute("", 0),
                new Parse("", UPSERT.formatted("tenant"), List.of()), new Bind("", "", List.of(), List.of(), List.of()),
                new Execute("", 0), Sync.INSTANCE));
        show(tenant.backend(), source(ParseComplete.INSTANCE, BindComplete.INSTANCE, new CommandComplete("DROP TABLE"),
                ParseComplete.INSTANCE, BindComplete.INSTANCE, new CommandComplete("INSERT 0 1")));
        send(capture, UPSERT.formatted("shared"));
        answer(capture, new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE);
        show(tenant.backend(), source(ReadyForQuery.IDLE));
        assertThat(releasedStatements()).containsExactly(List.of(UPSERT.formatted("shared") + ":1"),
                List.of(UPSERT.formatted("tenant") + ":1"));
        assertThat(released.get(1).statements().get(0).table()).isEqualTo(PUBLIC_METRICS);
        assertThat(orderUncertain()).isEqualTo(1);
    }

    /**
     * A COPY of the unqualified name, executed behind such DDL in flight, with its data sent before the source's
     * CopyInResponse and after it: the table is told when the source starts the COPY, and the data goes with it.
     * Before, nothing of it was kept.
     */
    @Test
    void aCopyExecutedBehindAChangeOfItsNameInFlightTakesItsDataWhereTheSourceRunsIt() {
        SessionCapture session = tenantSession(TENANT_METRICS, PUBLIC_METRICS);
        show(session.frontend(), client(new Parse("", "DROP TABLE tenant_42.metrics", List.of()),
                new Bind("", "", List.of(), List.of(), List.of()), new Execute("", 0),
                new Parse("", "COPY metrics (v) FROM STDIN", List.of()),
                new Bind("", "", List.of(), List.of(), List.of()), new Execute("", 0), copyData("1\n")));
        show(session.backend(), source(ParseComplete.INSTANCE, BindComplete.INSTANCE, new CommandComplete("DROP TABLE"),
                ParseComplete.INSTANCE, BindComplete.INSTANCE) + COPY_IN_RESPONSE);
        show(session.frontend(), client(copyData("2\n"), CopyDone.INSTANCE, Sync.INSTANCE));
        show(session.backend(), source(new CommandComplete("COPY 2"), ReadyForQuery.IDLE));
        assertThat(released).singleElement().satisfies(tx -> assertThat(tx.statements()).singleElement()
                .isInstanceOfSatisfying(CapturedStatement.Copy.class, copy -> {
                    assertThat(copy.table()).isEqualTo(PUBLIC_METRICS);
                    assertThat(copy.data()).extracting(d -> new String(d, StandardCharsets.US_ASCII))
                            .containsExactly("1\n", "2\n");
                }));
    }

    /**
     * The values of a write bound behind a change of what its name means are kept until the source runs it, and that
     * write turns out to be into {@code tenant_42.metrics}, not mirrored: they are none of the transaction's. Before,
     * they counted in its capture limit as they were kept, put it over {@code mirror.max-transaction-bytes}, and the
     * small mirrored INSERT behind them was ledgered as too large, though nothing mirrored was.
     */
    @Test
    void valuesKeptForAWriteThatTurnsOutUnmirroredCountInNoTransactionLimit() {
        SessionCapture session = tenantSession(TransactionHold.BOUND_BYTES + 200, TENANT_METRICS,
                PUBLIC_METRICS);
        String large = "x".repeat(1_000);
        show(session.frontend(), client(new Parse("", "SET search_path = tenant_42", List.of()),
                new Bind("", "", List.of(), List.of(), List.of()), new Execute("", 0),
                new Parse("", "INSERT INTO metrics (v) VALUES ($1)", List.of()), bind("", "", large),
                new Execute("", 0), new Parse("", "INSERT INTO public.metrics (v) VALUES ($1)", List.of()),
                bind("", "", "8"), new Execute("", 0), Sync.INSTANCE));
        show(session.backend(), source(ParseComplete.INSTANCE, BindComplete.INSTANCE, new CommandComplete("SET"),
                ParseComplete.INSTANCE, BindComplete.INSTANCE, new CommandComplete("INSERT 0 1"),
                ParseComplete.INSTANCE, BindComplete.INSTANCE, new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE));
        assertThat(released).hasSize(1);
        assertThat(released.get(0).statements()).singleElement()
                .isInstanceOfSatisfying(CapturedStatement.Extended.class, insert -> {
                    assertThat(insert.table()).isEqualTo(PUBLIC_METRICS);
                    assertThat(insert.parameters()[0]).isEqualTo("8".getBytes(StandardCharsets.US_ASCII));
                });
    }

    /** The other way round: kept so, and mirrored after all, its values count once its table is told. */
    @Test
    void valuesKeptForAWriteThatTurnsOutMirroredCountInItsTransactionLimit() {
        SessionCapture session = tenantSession(TransactionHold.BOUND_BYTES + 200, TENANT_METRICS,
                PUBLIC_METRICS);
        String large = "x".repeat(1_000);
        show(session.frontend(), client(new Parse("", "SET search_path = public", List.of()),
                new Bind("", "", List.of(), List.of(), List.of()), new Execute("", 0),
                new Parse("", "INSERT INTO metrics (v) VALUES ($1)", List.of()), bind("", "", large),
                new Execute("", 0), new Parse("", "INSERT INTO public.metrics (v) VALUES ($1)", List.of()),
                bind("", "", "8"), new Execute("", 0), Sync.INSTANCE));
        show(session.backend(), source(ParseComplete.INSTANCE, BindComplete.INSTANCE, new CommandComplete("SET"),
                ParseComplete.INSTANCE, BindComplete.INSTANCE, new CommandComplete("INSERT 0 1"),
                ParseComplete.INSTANCE, BindComplete.INSTANCE, new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE));
        assertThat(released).hasSize(1);
        List<CapturedStatement> written = released.get(0).statements();
        assertThat(written).hasSize(2);
        // one statement over the limit: the applier ledgers the transaction whole
        assertThat(written.get(0)).isInstanceOfSatisfying(CapturedStatement.Unreplayable.class, u -> {
            assertThat(u.table()).isEqualTo(PUBLIC_METRICS);
            assertThat(u.reason()).contains("mirror.max-transaction-bytes");
        });
    }

    /**
     * A DO block that sets the path, pipelined ahead of a Bind of an unqualified INSERT: the source runs the INSERT
     * under the path the block left, into the mirrored {@code public.metrics}. The proxy does not follow what the block
     * set, only that it set the path: the write is ledgered there rather than replayed. Before, a DO was no change of
     * what names mean: the Bind was resolved as it was read, to {@code tenant_42.metrics}, no values were kept, and
     * the row was neither mirrored nor ledgered.
     */
    @Test
    void aWriteBoundBehindADoBlockThatSetsThePathIsLedgeredWhereTheSourceMayHaveWrittenIt() {
        SessionCapture session = tenantSession(TENANT_METRICS, PUBLIC_METRICS);
        show(session.frontend(), client(new Parse("", "DO $$ BEGIN PERFORM set_config('search_path', 'public', false);"
                        + " END $$", List.of()), new Bind("", "", List.of(), List.of(), List.of()), new Execute("", 0),
                new Parse("", "INSERT INTO metrics (v) VALUES ($1)", List.of()), bind("", "", "7"),
                new Execute("", 0), Sync.INSTANCE));
        show(session.backend(), source(ParseComplete.INSTANCE, BindComplete.INSTANCE, new CommandComplete("DO"),
                ParseComplete.INSTANCE, BindComplete.INSTANCE, new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE));
        assertThat(released).hasSize(1);
        assertThat(released.get(0).statements()).singleElement()
                .isInstanceOfSatisfying(CapturedStatement.Unreplayable.class,
                        u -> assertThat(u.table()).isEqualTo(PUBLIC_METRICS));
    }

    /**
     * The session ends (the proxy shuts down) while the source still owes the answers to a pipelined batch or query
     * string that drops the table hiding {@code public.metrics} and then writes the unqualified name: the source may
     * have committed the row into {@code public.metrics}. Before, the write's table was taken as the name means before
     * the DROP ({@code tenant_42.metrics}, not mirrored), and no outcome_unknown entry named {@code public.metrics}
     * (none at all for the batch, whose values were kept for a table told only at the answer). Now the entry names the
     * mirrored tables the name may mean and says which name it could not resolve, under which path.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aSessionEndingWithAWriteBehindAChangeOfItsNameInFlightLedgersWhatItMayHaveWritten(boolean simple) {
        List<UnknownOutcome> unknown = new ArrayList<>();
        SessionCapture session = new SessionCapture(new SessionContext(1, "db", "app", "tenant_42, public", null, null,
                () -> resumed = true, loop.eventLoop()),
                new MirroredTables(new TableFilter(List.of(TablePattern.parse("public.metrics")), List.of()), Set::of,
                        () -> new PartitionDirectory.Partitions(Map.of(), Set.of(TENANT_METRICS, PUBLIC_METRICS))),
                Map::of, new CaptureMetrics(registry), windows, new SessionCapture.Sink() {
                    @Override
                    public CompletionStage<?> committed(CapturedTransaction transaction) {
                        return CompletableFuture.completedFuture(null);
                    }

                    @Override
                    public void outcomeUnknown(UnknownOutcome outcome) {
                        unknown.add(outcome);
                    }
                }, 1 << 20, CaptureBudget.unlimited(), false, null, null, null);
        assertThat(show(session.backend(), source(ReadyForQuery.IDLE))).isTrue();
        if (simple) {
            show(session.frontend(), client(new Query("DROP TABLE tenant_42.metrics;"
                    + " INSERT INTO metrics (v) VALUES (7)")));
        } else {
            show(session.frontend(), client(new Parse("", "DROP TABLE tenant_42.metrics", List.of()),
                    new Bind("", "", List.of(), List.of(), List.of()), new Execute("", 0),
                    new Parse("", "INSERT INTO metrics (v) VALUES ($1)", List.of()), bind("", "", "7"),
                    new Execute("", 0), Sync.INSTANCE));
        }
        session.closed(new SessionEnd("the proxy shut down", false));
        assertThat(unknown).singleElement().satisfies(outcome -> {
            assertThat(outcome.tables()).contains(PUBLIC_METRICS);
            assertThat(outcome.unresolved()).containsExactly("metrics (search_path as known: tenant_42, public)");
            assertThat(outcome.message()).contains("which table metrics (search_path as known: tenant_42, public)"
                    + " meant could not be told");
        });
    }
}
