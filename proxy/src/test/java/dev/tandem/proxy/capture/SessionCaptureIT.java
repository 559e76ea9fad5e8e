package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.config.TableFilter;
import dev.tandem.proxy.config.TablePattern;
import dev.tandem.proxy.config.TargetConfig;
import dev.tandem.proxy.config.TlsMode;
import dev.tandem.proxy.relay.ProxyServer;
import dev.tandem.proxy.relay.RelayMetrics;
import dev.tandem.proxy.relay.RelaySettings;
import dev.tandem.proxy.relay.WireClient;
import dev.tandem.testing.PostgresPairExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;

/**
 * Real pgjdbc sessions through the proxy with the capture tapped in: exactly the committed writes to mirrored tables
 * reach the sink, whatever the transaction shape.
 */
class SessionCaptureIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    static final List<CapturedTransaction> committed = new CopyOnWriteArrayList<>();
    static final List<UnknownOutcome> unknown = new CopyOnWriteArrayList<>();
    static final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    static final CaptureBudget budget = CaptureBudget.unlimited();
    static ProxyServer proxy;
    static RelayMetrics relayMetrics;
    static String db;

    @BeforeAll
    static void start() throws Exception {
        db = PG.pair().freshDatabase("capture");
        PG.source().execute(db, "CREATE TABLE metrics (t timestamptz, v int PRIMARY KEY, note text);"
                + "CREATE TABLE other (v int); CREATE SCHEMA s2; CREATE TABLE s2.metrics (v int)");
        MirroredTables tables = new MirroredTables(
                new TableFilter(List.of(TablePattern.parse("public.metrics")), List.of()), Set::of);
        CaptureMetrics metrics = new CaptureMetrics(registry);
        UpsertWindows upsertWindows = new UpsertWindows();
        SessionCapture.Sink sink = new SessionCapture.Sink() {
            @Override
            public CompletableFuture<Void> committed(CapturedTransaction tx) {
                committed.add(tx);
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public void outcomeUnknown(UnknownOutcome outcome) {
                unknown.add(outcome);
            }
        };
        RelaySettings settings = RelaySettings.plain(new InetSocketAddress("127.0.0.1", 0),
                new InetSocketAddress("127.0.0.1", PG.source().port()));
        relayMetrics = new RelayMetrics(registry);
        proxy = new ProxyServer(settings, relayMetrics,
                ctx -> new SessionCapture(ctx, tables, Map::of, metrics, upsertWindows, sink, 1 << 20,
                        budget, false, null, null, null)).start();
    }

    @AfterAll
    static void stop() {
        proxy.close(Duration.ofSeconds(2));
    }

    @BeforeEach
    void clear() {
        PG.source().execute(db, "TRUNCATE metrics, other, s2.metrics");
        committed.clear();
        unknown.clear();
    }

    private static Connection connect(String... props) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        for (int i = 0; i < props.length; i += 2) {
            p.setProperty(props[i], props[i + 1]);
        }
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + proxy.address().getPort() + "/" + db, p);
    }

    /** Each committed transaction as "sql:rows" of its statements. */
    private static List<List<String>> transactions() {
        return committed.stream().map(tx -> tx.statements().stream()
                .map(s -> s.sql() + ":" + s.sourceRows()).toList()).toList();
    }

    @Test
    void autocommitInsertsEachCommitAlone() throws SQLException {
        try (Connection c = connect("preferQueryMode", "simple"); Statement s = c.createStatement()) {
            s.execute("INSERT INTO metrics VALUES (now(), 1, 'a')");
            s.execute("INSERT INTO other VALUES (1)");
            s.execute("insert into METRICS (t, v) values (now(), 2), (now(), 3)");
        }
        assertThat(transactions()).containsExactly(
                List.of("INSERT INTO metrics VALUES (now(), 1, 'a'):1"),
                List.of("insert into METRICS (t, v) values (now(), 2), (now(), 3):2"));
        assertThat(committed.get(0).database()).isEqualTo(db);
        assertThat(committed.get(0).user()).isEqualTo("postgres");
        assertThat(committed.get(0).statements().get(0).table()).isEqualTo(new TableName("public", "metrics"));
    }

    @Test
    void aMultiStatementQueryIsOneTransactionAndAnErrorRollsItAllBack() throws SQLException {
        try (Connection c = connect("preferQueryMode", "simple"); Statement s = c.createStatement()) {
            s.execute("INSERT INTO metrics VALUES (now(), 1); INSERT INTO other VALUES (1); INSERT INTO metrics VALUES (now(), 2)");
            assertThatThrownBy(() -> s.execute("INSERT INTO metrics VALUES (now(), 3); INSERT INTO metrics VALUES (now(), 1)"))
                    .isInstanceOf(SQLException.class);
        }
        assertThat(transactions()).containsExactly(List.of("INSERT INTO metrics VALUES (now(), 1):1",
                "INSERT INTO metrics VALUES (now(), 2):1"));
        assertThat(PG.source().queryValue(db, "SELECT count(*) FROM metrics")).isEqualTo("2");
    }

    @Test
    void explicitTransactionsCommitAtCommitAndVanishOnRollback() throws SQLException {
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement("INSERT INTO metrics (v) VALUES (?)")) {
            c.setAutoCommit(false);
            ps.setInt(1, 1);
            ps.executeUpdate();
            ps.setInt(1, 2);
            ps.executeUpdate();
            assertThat(committed).isEmpty();
            c.commit();
            ps.setInt(1, 3);
            ps.executeUpdate();
            c.rollback();
            ps.setInt(1, 4);
            ps.executeUpdate();
            var sp = c.setSavepoint();
            ps.setInt(1, 5);
            ps.executeUpdate();
            c.rollback(sp);
            ps.setInt(1, 6);
            ps.executeUpdate();
            c.commit();
        }
        assertThat(committed).hasSize(2);
        assertThat(committed.get(0).statements()).hasSize(2);
        assertThat(committed.get(1).statements()).hasSize(2);
        // pgjdbc sends setInt as a binary int4: the capture keeps the bytes and the format as sent
        assertThat(committed.stream().flatMap(tx -> tx.statements().stream()).map(s -> (CapturedStatement.Extended) s)
                .map(e -> {
                    assertThat(e.parameterFormats()).containsExactly((short) 1);
                    return java.nio.ByteBuffer.wrap(e.parameters()[0]).getInt();
                }).toList())
                .containsExactly(1, 2, 4, 6);
    }

    @Test
    void aFailedTransactionCommitsNothing() throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("INSERT INTO metrics (v) VALUES (1)");
            assertThatThrownBy(() -> s.execute("INSERT INTO metrics (v) VALUES (1)")).isInstanceOf(SQLException.class);
            c.commit(); // the source answers ROLLBACK
        }
        assertThat(committed).isEmpty();
    }

    @Test
    void batchesAreCapturedWithTheirParametersWithAndWithoutRewrite() throws SQLException {
        for (String rewrite : List.of("false", "true")) {
            committed.clear();
            PG.source().execute(db, "TRUNCATE metrics");
            try (Connection c = connect("reWriteBatchedInserts", rewrite);
                 PreparedStatement ps = c.prepareStatement("INSERT INTO metrics (v, note) VALUES (?, ?)")) {
                for (int i = 0; i < 10; i++) {
                    ps.setInt(1, i);
                    ps.setString(2, i % 2 == 0 ? null : "n" + i);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            long rows = committed.stream().flatMap(tx -> tx.statements().stream()).mapToLong(CapturedStatement::sourceRows).sum();
            assertThat(rows).as("rewrite=%s", rewrite).isEqualTo(10);
            assertThat(committed).as("an autocommit batch is one implicit transaction").hasSize(1);
        }
    }

    @Test
    void copyInEveryFormatIsCapturedWithItsData() throws Exception {
        try (Connection c = connect()) {
            var copy = c.unwrap(PGConnection.class).getCopyAPI();
            copy.copyIn("COPY metrics (v, note) FROM STDIN", new ByteArrayInputStream("1\ta\n2\t\\N\n".getBytes()));
            copy.copyIn("COPY metrics (v, note) FROM STDIN (FORMAT csv)", new ByteArrayInputStream("3,c\n".getBytes()));
            copy.copyIn("COPY other FROM STDIN", new ByteArrayInputStream("9\n".getBytes()));
        }
        assertThat(committed).hasSize(2);
        CapturedStatement.Copy text = (CapturedStatement.Copy) committed.get(0).statements().get(0);
        assertThat(text.sourceRows()).isEqualTo(2);
        assertThat(new String(concat(text.data()), StandardCharsets.UTF_8)).isEqualTo("1\ta\n2\t\\N\n");
        assertThat(committed.get(1).statements().get(0).sourceRows()).isEqualTo(1);
    }

    @Test
    void aClientThatLeavesMidTransactionCommitsNothing() throws Exception {
        Connection c = connect();
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("INSERT INTO metrics (v) VALUES (1)");
        }
        c.unwrap(PGConnection.class).cancelQuery();
        c.abort(Runnable::run);
        Thread.sleep(300);
        assertThat(committed).isEmpty();
        assertThat(PG.source().queryValue(db, "SELECT count(*) FROM metrics")).isEqualTo("0");
    }

    @Test
    void aCommitSentJustBeforeTheClientLeavesIsCapturedOnceTheSourceAnswersIt() throws Exception {
        try (WireClient client = new WireClient(proxy.address().getPort())) {
            client.login("postgres", db);
            client.send(WireClient.query("BEGIN; INSERT INTO metrics (v) VALUES (50)"));
            client.readUntilReady();
            client.send(WireClient.query("COMMIT"));
        } // gone without waiting for the answer: the proxy still reads it from the source
        awaitCommitted();
        assertThat(PG.source().queryValue(db, "SELECT count(*) FROM metrics WHERE v = 50")).isEqualTo("1");
        assertThat(transactions()).containsExactly(List.of("INSERT INTO metrics (v) VALUES (50):1"));
    }

    @Test
    void aQueryTheCaptureCannotReadEndsTheSessionWithAProtocolViolation() throws Exception {
        try (WireClient client = new WireClient(proxy.address().getPort())) {
            client.login("postgres", db);
            client.send(WireClient.frame('Q', "SELECT 1".getBytes(StandardCharsets.UTF_8))); // no NUL at the end
            WireClient.Message error = client.read();
            assertThat(error.type()).isEqualTo('E');
            assertThat(error.field('S')).isEqualTo("FATAL");
            assertThat(error.field('C')).isEqualTo("08P01");
            assertThat(error.field('M')).isEqualTo("invalid message from the client: Query: query string is not"
                    + " NUL-terminated (at offset 5)");
            assertThat(client.readToEnd()).as("then the proxy closes").isEmpty();
        }
    }

    /**
     * Found by ProtocolFuzzIT: an INSERT and, in the same read, a frame with a bad length. The INSERT went to the source
     * before the proxy saw the bad frame, and the source commits it whatever the proxy does next; before, the proxy
     * closed the source connection at once, never saw the commit, and the row was not mirrored.
     */
    @Test
    void whatTheSourceGotBeforeAProtocolViolationIsStillCapturedWhenItCommits() throws Exception {
        try (WireClient client = new WireClient(proxy.address().getPort())) {
            client.login("postgres", db);
            client.send(WireClient.concat(WireClient.query("INSERT INTO metrics (v) VALUES (60)"),
                    new byte[] {'Q', -1, -1, -1, -1}));
            WireClient.Message error = client.read();
            assertThat(error.field('C')).isEqualTo("08P01");
            assertThat(error.field('M')).isEqualTo("invalid message length -1 from the client (message type 'Q')");
            assertThat(client.readToEnd()).as("then the proxy closes").isEmpty();
        }
        awaitCommitted();
        assertThat(PG.source().queryValue(db, "SELECT count(*) FROM metrics WHERE v = 60")).isEqualTo("1");
        assertThat(transactions()).containsExactly(List.of("INSERT INTO metrics (v) VALUES (60):1"));
    }

    @Test
    void aSyncSentDuringAnExtendedCopyIsNotTakenForOneTheServerAnswers() throws Exception {
        try (WireClient client = new WireClient(proxy.address().getPort())) {
            client.login("postgres", db);
            // as libpq's PQexecParams sends a COPY: the Sync after Execute reaches the server in COPY mode, which
            // ignores it; only the Sync after CopyDone is answered
            java.io.ByteArrayOutputStream start = new java.io.ByteArrayOutputStream();
            start.write(WireClient.frame('P', concat(WireClient.cstrings("", "COPY metrics (v) FROM STDIN"),
                    new byte[] {0, 0})));
            start.write(WireClient.frame('B', concat(WireClient.cstrings("", ""), new byte[] {0, 0, 0, 0, 0, 0})));
            start.write(WireClient.frame('D', concat(new byte[] {'P'}, WireClient.cstrings(""))));
            start.write(WireClient.frame('E', new byte[] {0, 0, 0, 0, 0}));
            start.write(WireClient.frame('S', new byte[0]));
            client.send(start.toByteArray());
            while (client.read().type() != 'G') {
                // ParseComplete, BindComplete, NoData
            }
            client.send(concat(WireClient.frame('d', "60\n".getBytes(StandardCharsets.UTF_8)),
                    WireClient.frame('c', new byte[0]), WireClient.frame('S', new byte[0])));
            client.readUntilReady();
            for (String sql : List.of("BEGIN", "INSERT INTO metrics (v) VALUES (61)", "ROLLBACK",
                    "INSERT INTO metrics (v) VALUES (62)")) {
                client.send(WireClient.query(sql));
                client.readUntilReady();
            }
        }
        assertThat(transactions()).containsExactly(List.of("COPY metrics (v) FROM STDIN:1"),
                List.of("INSERT INTO metrics (v) VALUES (62):1"));
        assertThat(PG.source().query(db, "SELECT v FROM metrics ORDER BY v")).containsExactly(List.of("60"),
                List.of("62"));
    }

    @Test
    void aPortalBoundAfterASyncSurvivesThatSyncsReadyForQuery() throws Exception {
        try (WireClient client = new WireClient(proxy.address().getPort())) {
            client.login("postgres", db);
            // batch 1 whole, then batch 2's Parse and Bind: the source answers batch 1 before batch 2's Execute
            client.send(concat(extendedInsert(70, true), extendedInsert(71, false)));
            client.readUntilReady();
            client.send(concat(WireClient.frame('E', new byte[] {0, 0, 0, 0, 0}), WireClient.frame('S', new byte[0])));
            client.readUntilReady();
        }
        assertThat(transactions()).containsExactly(List.of("INSERT INTO metrics (v) VALUES (70):1"),
                List.of("INSERT INTO metrics (v) VALUES (71):1"));
    }

    /** Parse and Bind of a one-row INSERT, with Execute and Sync when {@code complete}. */
    private static byte[] extendedInsert(int v, boolean complete) {
        String sql = "INSERT INTO metrics (v) VALUES (" + v + ")";
        return complete ? extended(sql) : parseAndBind(sql);
    }

    /** Parse, Bind, Execute and Sync of {@code sql}, unnamed. */
    private static byte[] extended(String sql) {
        return concat(parseAndBind(sql), WireClient.frame('E', new byte[5]), WireClient.frame('S', new byte[0]));
    }

    private static byte[] parseAndBind(String sql) {
        return concat(WireClient.frame('P', concat(WireClient.cstrings("", sql), new byte[] {0, 0})),
                WireClient.frame('B', concat(WireClient.cstrings("", ""), new byte[] {0, 0, 0, 0, 0, 0})));
    }

    @Test
    void copyDataSentBeforeTheServersCopyInResponseIsCaptured() throws Exception {
        try (WireClient client = new WireClient(proxy.address().getPort())) {
            client.login("postgres", db);
            // as pgx's CopyFrom does: the data follows the statement at once, before the server said it is ready
            client.send(concat(WireClient.query("COPY metrics (v) FROM STDIN"),
                    WireClient.frame('d', "80\n81\n".getBytes(StandardCharsets.UTF_8)), WireClient.frame('c', new byte[0])));
            client.readUntilReady();
            client.send(WireClient.query("COPY metrics (v) FROM STDIN"));
            while (client.read().type() != 'G') {
                // the next COPY the usual way: data only after CopyInResponse
            }
            client.send(concat(WireClient.frame('d', "82\n".getBytes(StandardCharsets.UTF_8)),
                    WireClient.frame('c', new byte[0])));
            client.readUntilReady();
        }
        assertThat(committed).hasSize(2);
        assertThat(copied(committed.get(0))).isEqualTo("80\n81\n");
        assertThat(copied(committed.get(1))).isEqualTo("82\n");
        assertThat(PG.source().queryValue(db, "SELECT count(*) FROM metrics")).isEqualTo("3");
    }

    private static String copied(CapturedTransaction tx) {
        StringBuilder text = new StringBuilder();
        for (byte[] chunk : ((CapturedStatement.Copy) tx.statements().get(0)).data()) {
            text.append(new String(chunk, StandardCharsets.UTF_8));
        }
        return text.toString();
    }

    @Test
    void aFunctionCallIsAnsweredLikeAQuerySoTheRequestAfterItKeepsItsAnswer() throws Exception {
        int backendPid = Integer.parseInt(PG.source().queryValue(db, "SELECT 'pg_backend_pid'::regproc::oid"));
        try (WireClient client = new WireClient(proxy.address().getPort())) {
            client.login("postgres", db);
            // FunctionCall (no arguments, text result) pipelined before an INSERT
            byte[] call = WireClient.frame('F', java.nio.ByteBuffer.allocate(10).putInt(backendPid).putShort((short) 0)
                    .putShort((short) 0).putShort((short) 0).array());
            client.send(concat(call, WireClient.query("INSERT INTO metrics (v) VALUES (110)")));
            client.readUntilReady();
            client.readUntilReady();
        }
        assertThat(transactions()).containsExactly(List.of("INSERT INTO metrics (v) VALUES (110):1"));
    }

    /**
     * A client that did not expect its query to be a COPY pipelines requests behind it. PostgreSQL reads the first in
     * COPY IN and fails the COPY at it (08P01). From 14 on it had read only that message's type, and so ends the
     * connection (FATAL 08P01): no request runs. Before, the capture still expected their answers, and the session
     * ended with their INSERTs reported as writes the source may have committed unseen (a false outcome_unknown ledger
     * entry). PostgreSQL 13 read the whole message, which never runs, answers ReadyForQuery and goes on with the next
     * request: the capture paired INSERT 121's answer with INSERT 120 and mirrored 120, which the source never ran.
     */
    @Test
    void requestsPipelinedBehindACopyTheClientDidNotExpectNeverRun() throws Exception {
        behindAnUnexpectedCopy(concat(WireClient.query("COPY metrics (v) FROM STDIN"),
                WireClient.query("INSERT INTO metrics (v) VALUES (120)"),
                WireClient.query("INSERT INTO metrics (v) VALUES (121)")), 'Q', "G E Z C Z",
                "INSERT INTO metrics (v) VALUES (121)");
    }

    /** The same in the extended protocol: before 14 the COPY takes the next batch's Parse, and its Sync ends it. */
    @Test
    void aBatchPipelinedBehindAnExecutedCopyTheClientDidNotExpectNeverRuns() throws Exception {
        behindAnUnexpectedCopy(concat(extended("COPY metrics (v) FROM STDIN"), extendedInsert(120, true),
                extendedInsert(121, true)), 'P', "1 2 G E Z 1 2 C Z",
                "INSERT INTO metrics (v) VALUES (121)");
    }

    /**
     * Before 14 the COPY takes a Bind of a statement prepared before; the Execute and Sync behind it end that batch, and
     * the next one binds the statement again.
     */
    @Test
    void aBindBehindAnExecutedCopyTheClientDidNotExpectNeverRuns() throws Exception {
        behindAnUnexpectedCopy(concat(
                WireClient.frame('P', concat(WireClient.cstrings("ins", "INSERT INTO metrics (v) VALUES ($1)"),
                        new byte[] {0, 0})), WireClient.frame('S', new byte[0]),
                extended("COPY metrics (v) FROM STDIN"), bindInsert(120), WireClient.frame('E', new byte[5]),
                WireClient.frame('S', new byte[0]), bindInsert(121), WireClient.frame('E', new byte[5]),
                WireClient.frame('S', new byte[0])), 'B', "1 Z 1 2 G E Z 2 C Z",
                "INSERT INTO metrics (v) VALUES ($1)");
    }

    /**
     * Before 14 a simple Query's COPY takes the Parse sent behind it and answers ReadyForQuery, as after any Query: the
     * source then answers the Sync behind the Parse and runs the Query after it. Before, the capture still awaited the
     * ParseComplete, took the Sync's ReadyForQuery for the Parse's batch and INSERT 121's answers for the Sync's.
     */
    @Test
    void aParseBehindACopyQueryTheClientDidNotExpectNeverRuns() throws Exception {
        behindAnUnexpectedCopy(concat(WireClient.query("COPY metrics (v) FROM STDIN"),
                WireClient.frame('P', concat(WireClient.cstrings("ins", "INSERT INTO metrics (v) VALUES (120)"),
                        new byte[] {0, 0})), WireClient.frame('S', new byte[0]),
                WireClient.query("INSERT INTO metrics (v) VALUES (121)")), 'P', "G E Z Z C Z",
                "INSERT INTO metrics (v) VALUES (121)");
    }

    /**
     * Sends {@code requests}, a COPY the client does not feed and requests behind it, and checks the source's answers
     * (on 13: {@code answersOn13}, the type of each) and that exactly what it committed reached the sink: on 13 the
     * INSERT of 121 ({@code committedOn13}), behind the request the COPY failed at ({@code consumed}); from 14 on
     * nothing.
     */
    private void behindAnUnexpectedCopy(byte[] requests, char consumed, String answersOn13, String committedOn13)
            throws Exception {
        String failure = String.format("unexpected message type 0x%02X during COPY from stdin", (int) consumed);
        try (WireClient client = new WireClient(proxy.address().getPort())) {
            client.login("postgres", db);
            client.send(requests);
            if (PG.source().majorVersion() < 14) {
                List<WireClient.Message> answers = new ArrayList<>();
                for (int i = 0; i < answersOn13.split(" ").length; i++) {
                    answers.add(client.read());
                }
                assertThat(answers.stream().map(m -> String.valueOf(m.type())).toList())
                        .containsExactly(answersOn13.split(" "));
                WireClient.Message error = answers.stream().filter(m -> m.type() == 'E').findFirst().orElseThrow();
                assertThat(List.of(error.field('V'), error.field('C'), error.field('M'))).containsExactly("ERROR",
                        "08P01", failure);
                assertThat(committed).hasSize(1);
                assertThat(transactions()).containsExactly(List.of(committedOn13 + ":1"));
                assertThat(unknown).isEmpty();
                assertThat(PG.source().query(db, "SELECT v FROM metrics")).containsExactly(List.of("121"));
                return;
            }
            while (client.read().type() != 'G') {
                // ParseComplete, BindComplete, ReadyForQuery of what ran before the COPY
            }
            WireClient.Message error = client.read();
            assertThat(List.of(error.field('V'), error.field('C'), error.field('M'))).containsExactly("ERROR", "08P01",
                    failure);
            WireClient.Message fatal = client.read();
            assertThat(List.of(fatal.field('V'), fatal.field('C'))).containsExactly("FATAL", "08P01");
            assertThat(client.readToEnd()).as("then the source closes").isEmpty();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (relayMetrics.activeConnections() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(relayMetrics.activeConnections()).as("the session ended").isZero();
        assertThat(unknown).isEmpty();
        assertThat(committed).isEmpty();
        assertThat(PG.source().queryValue(db, "SELECT count(*) FROM metrics")).isEqualTo("0");
    }

    /** A Bind of the statement "ins" (one int parameter, in text) to the unnamed portal. */
    private static byte[] bindInsert(int v) {
        byte[] value = Integer.toString(v).getBytes(StandardCharsets.US_ASCII);
        return WireClient.frame('B', java.nio.ByteBuffer.allocate(15 + value.length).put(WireClient.cstrings("", "ins"))
                .putShort((short) 0).putShort((short) 1).putInt(value.length).put(value).putShort((short) 0).array());
    }

    /** Waits up to 10 s for a transaction to reach the sink (a session that ended while its answer was on the way). */
    private static void awaitCommitted() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (committed.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    /**
     * A COPY Query pipelined into an extended-protocol batch that fails: the source skips it and its data up to the
     * Sync. Before, the data it sent early stayed held by the open transaction (against its limit and the shared
     * budget), and the COPY never left the session's queue of COPYs, which then kept the data of every later COPY for
     * the rest of the session.
     */
    @Test
    void theEarlyDataOfACopyQuerySkippedInAFailedBatchIsLetGo() throws Exception {
        try (WireClient client = new WireClient(proxy.address().getPort())) {
            client.login("postgres", db);
            client.send(WireClient.query("BEGIN; SAVEPOINT s"));
            client.readUntilReady();
            client.send(concat(WireClient.frame('P', concat(WireClient.cstrings("", "SELECT 1/0"), new byte[] {0, 0})),
                    WireClient.frame('B', concat(WireClient.cstrings("", ""), new byte[] {0, 0, 0, 0, 0, 0})),
                    WireClient.frame('E', new byte[] {0, 0, 0, 0, 0}), WireClient.query("COPY metrics (v) FROM STDIN"),
                    WireClient.frame('d', "140\n".getBytes(StandardCharsets.UTF_8)), WireClient.frame('c', new byte[0]),
                    WireClient.frame('S', new byte[0])));
            assertThat(client.readUntilReady()).extracting(WireClient.Message::type).containsExactly('1', 'E', 'Z');
            client.send(WireClient.query("ROLLBACK TO s"));
            client.readUntilReady();
            assertThat(budget.used()).as("nothing held for the skipped COPY").isZero();
            client.send(concat(WireClient.query("COPY metrics (v) FROM STDIN"),
                    WireClient.frame('d', "141\n".getBytes(StandardCharsets.UTF_8)), WireClient.frame('c', new byte[0])));
            client.readUntilReady();
            assertThat(budget.used()).isEqualTo(4);
            client.send(WireClient.query("COMMIT"));
            client.readUntilReady();
        }
        assertThat(committed).hasSize(1);
        assertThat(copied(committed.get(0))).isEqualTo("141\n");
        assertThat(PG.source().query(db, "SELECT v FROM metrics")).containsExactly(List.of("141"));
    }

    /**
     * A prepared statement made where the capture cannot see it (a PREPARE a DO block runs) writes rows when a Bind or
     * an SQL EXECUTE runs it: the capture cannot tell into which table, so it mirrors nothing, but counts the write
     * (its INSERT tag) under an unknown table once it commits. Before, nothing was counted. Writes it can attribute,
     * into a table it does not mirror, are not.
     */
    @Test
    void aWriteByAPreparedStatementTheCaptureNeverSawMadeIsCountedUnderAnUnknownTable() throws Exception {
        double before = unknownPrepared();
        try (WireClient client = new WireClient(proxy.address().getPort())) {
            client.login("postgres", db);
            client.send(WireClient.query("DO $$ BEGIN EXECUTE 'PREPARE hidden (int) AS INSERT INTO metrics (v)"
                    + " VALUES ($1)'; END $$"));
            client.readUntilReady();
            byte[] value = "140".getBytes(StandardCharsets.US_ASCII);
            java.nio.ByteBuffer bind = java.nio.ByteBuffer.allocate(32).put(WireClient.cstrings("", "hidden"))
                    .putShort((short) 0).putShort((short) 1).putInt(value.length).put(value).putShort((short) 0);
            client.send(concat(WireClient.frame('B', java.util.Arrays.copyOf(bind.array(), bind.position())),
                    WireClient.frame('E', new byte[] {0, 0, 0, 0, 0}), WireClient.frame('S', new byte[0])));
            assertThat(client.readUntilReady()).extracting(WireClient.Message::type).containsExactly('2', 'C', 'Z');
            client.send(WireClient.query("EXECUTE hidden(141)"));
            client.readUntilReady();
            client.send(WireClient.query("BEGIN; EXECUTE hidden(142); ROLLBACK")); // rolled back: changed nothing
            client.readUntilReady();
            client.send(WireClient.query("PREPARE known AS INSERT INTO other VALUES (1); EXECUTE known"));
            client.readUntilReady();
        }
        assertThat(PG.source().queryValue(db, "SELECT count(*) FROM metrics")).isEqualTo("2");
        assertThat(committed).isEmpty();
        assertThat(unknownPrepared() - before).isEqualTo(2);
        assertThat(registry.find("tandem.unmirrored.writes").tag("table", "public.other").counter()).isNull();
    }

    private static double unknownPrepared() {
        var c = registry.find("tandem.unmirrored.writes").tag("table", "?").tag("kind", "unknown_prepared").counter();
        return c == null ? 0 : c.count();
    }

    /**
     * A Bind of a statement an SQL PREPARE pipelined right before it makes: when the client sends it, the capture does
     * not know the name yet (the PREPARE counts once it completes), and before, it kept no values for it, so the INSERT
     * the source ran was neither mirrored nor counted.
     */
    @Test
    void aBindOfAStatementPreparedByAPipelinedPrepareIsCaptured() throws Exception {
        try (WireClient client = new WireClient(proxy.address().getPort())) {
            client.login("postgres", db);
            byte[] value = "130".getBytes(StandardCharsets.US_ASCII);
            java.nio.ByteBuffer bind = java.nio.ByteBuffer.allocate(32).put(WireClient.cstrings("", "p130"))
                    .putShort((short) 0).putShort((short) 1).putInt(value.length).put(value).putShort((short) 0);
            client.send(concat(WireClient.query("PREPARE p130 (int) AS INSERT INTO metrics (v) VALUES ($1)"),
                    WireClient.frame('B', java.util.Arrays.copyOf(bind.array(), bind.position())),
                    WireClient.frame('E', new byte[] {0, 0, 0, 0, 0}), WireClient.frame('S', new byte[0])));
            client.readUntilReady();
            assertThat(client.readUntilReady()).extracting(WireClient.Message::type).containsExactly('2', 'C', 'Z');
            client.send(WireClient.query("DEALLOCATE p130"));
            client.readUntilReady();
        }
        assertThat(transactions()).containsExactly(List.of("INSERT INTO metrics (v) VALUES ((($1)::int)):1"));
        assertThat(((CapturedStatement.Extended) committed.get(0).statements().get(0)).parameters()[0])
                .isEqualTo("130".getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * A Bind pipelined behind a Query that gives its statement's name to another PREPARE: when the client sends it, the
     * capture still holds the first statement (into a table that is not mirrored), and before, it kept no values; the
     * source bound the second, into a mirrored table, and its row was neither mirrored nor counted.
     */
    @Test
    void aBindBehindAPipelinedRePrepareOfItsNameIsCaptured() throws Exception {
        try (WireClient client = new WireClient(proxy.address().getPort())) {
            client.login("postgres", db);
            client.send(WireClient.query("PREPARE p150 (int) AS INSERT INTO other (v) VALUES ($1)"));
            client.readUntilReady();
            byte[] value = "150".getBytes(StandardCharsets.US_ASCII);
            java.nio.ByteBuffer bind = java.nio.ByteBuffer.allocate(32).put(WireClient.cstrings("", "p150"))
                    .putShort((short) 0).putShort((short) 1).putInt(value.length).put(value).putShort((short) 0);
            client.send(concat(WireClient.query("DEALLOCATE p150; PREPARE p150 (int) AS INSERT INTO metrics (v)"
                            + " VALUES ($1)"),
                    WireClient.frame('B', java.util.Arrays.copyOf(bind.array(), bind.position())),
                    WireClient.frame('E', new byte[] {0, 0, 0, 0, 0}), WireClient.frame('S', new byte[0])));
            client.readUntilReady();
            assertThat(client.readUntilReady()).extracting(WireClient.Message::type).containsExactly('2', 'C', 'Z');
            client.send(WireClient.query("DEALLOCATE p150"));
            client.readUntilReady();
        }
        assertThat(transactions()).containsExactly(List.of("INSERT INTO metrics (v) VALUES ((($1)::int)):1"));
        assertThat(PG.source().query(db, "SELECT v FROM metrics")).containsExactly(List.of("150"));
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    @Test
    void aClientThatResetsItsConnectionAfterSendingCommitStillHasItCaptured() throws Exception {
        WireClient client = new WireClient(proxy.address().getPort());
        client.login("postgres", db);
        client.send(WireClient.query("BEGIN; INSERT INTO metrics (v) VALUES (90); SELECT pg_sleep(1); COMMIT"));
        Thread.sleep(200); // the proxy has passed the query on; the source is still sleeping
        client.reset();
        awaitCommitted();
        assertThat(PG.source().queryValue(db, "SELECT count(*) FROM metrics WHERE v = 90")).isEqualTo("1");
        assertThat(transactions()).containsExactly(List.of("INSERT INTO metrics (v) VALUES (90):1"));
    }

    @Test
    void writesThatAreNotMirroredAreCountedPerTableAndKind() throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO metrics (v) VALUES (1)");
            s.execute("UPDATE metrics SET note = 'x'");
            s.execute("DELETE FROM metrics WHERE v = 1");
            s.execute("INSERT INTO metrics (v) SELECT count(*) FROM other");
            s.execute("INSERT INTO s2.metrics VALUES (1)");
            s.execute("UPDATE other SET v = 2");
        }
        assertThat(count("update")).isEqualTo(1);
        assertThat(count("delete")).isEqualTo(1);
        assertThat(count("insert_select")).isEqualTo(1);
        assertThat(registry.find("tandem.unmirrored.writes").tag("table", "public.other").counter()).isNull();
        assertThat(transactions()).containsExactly(List.of("INSERT INTO metrics (v) VALUES (1):1"));
    }

    @Test
    void aServerSideCopyFromIntoAMirroredTableIsCountedNotCaptured() throws SQLException {
        double copyTo = statements("copy_to");
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("COPY metrics (v) FROM PROGRAM 'echo 5'");
            s.execute("COPY other FROM PROGRAM 'echo 7'");
        }
        try (Connection c = connect("preferQueryMode", "simple"); Statement s = c.createStatement()) {
            s.execute("COPY /* FROM STDIN */ public.metrics (v, note) FROM PROGRAM 'echo 6,x' WITH (FORMAT csv)");
        }
        assertThat(PG.source().queryValue(db, "SELECT string_agg(v || coalesce(note, ''), ',' ORDER BY v) FROM metrics"))
                .isEqualTo("5,6x");
        assertThat(count("copy_from_file")).isEqualTo(2);
        assertThat(registry.find("tandem.unmirrored.writes").tag("table", "public.other").counter()).isNull();
        assertThat(statements("copy_from_file")).isEqualTo(3);
        assertThat(statements("copy_to")).isEqualTo(copyTo);
        assertThat(committed).isEmpty();
    }

    @Test
    void unmirroredWritesCountOnlyWhenTheirTransactionCommits() throws SQLException {
        // TRUNCATE: a kind no other test here counts (the registry is shared)
        try (Connection c = connect("preferQueryMode", "simple"); Statement s = c.createStatement()) {
            s.execute("BEGIN; TRUNCATE metrics; ROLLBACK");
            s.execute("BEGIN; SAVEPOINT a; TRUNCATE metrics; ROLLBACK TO SAVEPOINT a; COMMIT");
            assertThatThrownBy(() -> s.execute("TRUNCATE metrics; SELECT 1 / 0")).isInstanceOf(SQLException.class);
            assertThat(count("truncate")).isZero();
            s.execute("BEGIN; TRUNCATE metrics; COMMIT");
        }
        assertThat(count("truncate")).isEqualTo(1);
    }

    @Test
    void writesHiddenInExplainAnalyzeSqlExecuteOrAWithClauseAreCounted() throws SQLException {
        try (Connection c = connect("preferQueryMode", "simple"); Statement s = c.createStatement()) {
            s.execute("EXPLAIN ANALYZE INSERT INTO metrics (v) VALUES (100)");
            s.execute("PREPARE bump (int) AS UPDATE metrics SET note = 'bumped' WHERE v = $1");
            s.execute("EXECUTE bump(100)");
            s.execute("EXECUTE bump(103)");
            s.execute("PREPARE copy_metric (int) AS INSERT INTO metrics (v) SELECT v + $1 FROM metrics WHERE v = 100");
            s.execute("EXECUTE copy_metric(1)");
            s.execute("WITH w AS (INSERT INTO metrics (v) VALUES (103) RETURNING v) SELECT count(*) FROM w");
        }
        assertThat(count("explain_analyze")).isEqualTo(1);
        assertThat(count("execute")).isEqualTo(3);
        assertThat(count("with_write")).isEqualTo(1);
        assertThat(PG.source().queryValue(db, "SELECT count(*) FROM metrics")).isEqualTo("3");
        assertThat(transactions()).isEmpty();
    }

    @Test
    void sqlExecuteOfAPreparedInsertIsCapturedAsTheInsertItRuns() throws SQLException {
        double nonDeterministic = nonDeterministicInserts();
        for (String mode : List.of("simple", "extended")) {
            int v = mode.equals("simple") ? 200 : 300;
            try (Connection c = connect("preferQueryMode", mode); Statement s = c.createStatement()) {
                s.execute("PREPARE add (int, text) AS INSERT INTO metrics (v, note) VALUES ($1, $2)");
                s.execute("PREPARE add_other (int) AS INSERT INTO other VALUES ($1)");
                s.execute("EXECUTE add (" + v + ", 'a')");
                s.execute("EXECUTE add_other (1)");
                c.setAutoCommit(false);
                s.execute("EXECUTE add (" + (v + 1) + ", 'rolled back')");
                c.rollback();
                s.execute("EXECUTE add (" + (v + 2) + ", lower('B, $2'))");
                c.commit();
                c.setAutoCommit(true);
                assertThatThrownBy(() -> s.execute("EXECUTE add (" + (v + 3) + ")")).isInstanceOf(SQLException.class);
                s.execute("PREPARE add_at (timestamptz, int) AS INSERT INTO metrics (t, v) VALUES ($1, $2)");
                s.execute("EXECUTE add_at (clock_timestamp(), " + (v + 4) + ")");
                s.execute("DEALLOCATE add");
                s.execute("PREPARE add (int) AS INSERT INTO metrics (v) VALUES ($1 * 2)");
                s.execute("EXECUTE add (" + (v + 5) + ")");
                s.execute("DEALLOCATE ALL");
                assertThatThrownBy(() -> s.execute("EXECUTE add (" + (v + 6) + ")")).isInstanceOf(SQLException.class);
            }
        }
        List<List<String>> expected = new ArrayList<>();
        for (int v : new int[] {200, 300}) {
            expected.add(List.of("INSERT INTO metrics (v, note) VALUES (((" + v + ")::int), (('a')::text)):1"));
            expected.add(List.of("INSERT INTO metrics (v, note) VALUES (((" + (v + 2) + ")::int), ((lower('B, $2'))::text)):1"));
            expected.add(List.of("INSERT INTO metrics (t, v) VALUES (((clock_timestamp())::timestamptz), (("
                    + (v + 4) + ")::int)):1"));
            expected.add(List.of("INSERT INTO metrics (v) VALUES (((" + (v + 5) + ")::int) * 2):1"));
        }
        assertThat(transactions()).isEqualTo(expected);
        assertThat(nonDeterministicInserts() - nonDeterministic).isEqualTo(2);
    }

    /**
     * {@code 'now'}, {@code 'today'}, ... as the text of a date/time parameter (or one the server types) are read as
     * the clock when the statement runs: on the target, at another time.
     */
    @Test
    void aParameterTheServerReadsAsTheClockIsCountedAsNonDeterministic() throws SQLException {
        double nonDeterministic = nonDeterministicInserts();
        try (Connection c = connect("stringtype", "unspecified");
             PreparedStatement typed = c.prepareStatement("INSERT INTO metrics (t, v, note) VALUES (?, ?, ?)");
             PreparedStatement declared = c.prepareStatement("INSERT INTO metrics (t, v) VALUES (?::timestamptz, ?)")) {
            typed.setString(1, " Now ");
            typed.setInt(2, 1);
            typed.setString(3, "a note");
            typed.executeUpdate();
            typed.setString(1, "2026-01-01 00:00:00+00");
            typed.setInt(2, 2);
            typed.setString(3, "today");
            typed.executeUpdate();
            declared.setObject(1, "yesterday", java.sql.Types.OTHER);
            declared.setInt(2, 3);
            declared.executeUpdate();
        }
        try (Connection c = connect(); PreparedStatement text = c.prepareStatement(
                "INSERT INTO metrics (v, note) VALUES (?, ?)")) {
            // a varchar parameter cannot be a time: a note that says "tomorrow" is not the clock
            text.setInt(1, 4);
            text.setString(2, "tomorrow");
            text.executeUpdate();
        }
        // the first and third read the clock; the second's "today" is a parameter the server typed as text, but the
        // proxy cannot tell it from a time's, so it counts too
        assertThat(nonDeterministicInserts() - nonDeterministic).isEqualTo(3);
    }

    private static double nonDeterministicInserts() {
        var c = registry.find("tandem.nondeterministic.inserts").tag("table", "public.metrics").counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void searchPathDecidesWhichTableAnUnqualifiedNameMeans() throws SQLException {
        try (Connection c = connect("preferQueryMode", "simple"); Statement s = c.createStatement()) {
            s.execute("SET search_path TO s2");
            s.execute("INSERT INTO metrics VALUES (5)");
            s.execute("SET search_path TO public");
            s.execute("INSERT INTO metrics (v) VALUES (6)");
        }
        assertThat(transactions()).containsExactly(List.of("INSERT INTO metrics (v) VALUES (6):1"));
        assertThat(committed.get(0).searchPath()).containsExactly("public");
    }

    @Test
    void aSearchPathSetInARolledBackTransactionOrFailedQueryIsUndone() throws SQLException {
        try (Connection c = connect("preferQueryMode", "simple"); Statement s = c.createStatement()) {
            s.execute("BEGIN; SET search_path TO s2; ROLLBACK");
            s.execute("INSERT INTO metrics (v) VALUES (7)");
            assertThatThrownBy(() -> s.execute("SET search_path TO s2; SELECT 1 / 0")).isInstanceOf(SQLException.class);
            s.execute("INSERT INTO metrics (v) VALUES (8)");
            s.execute("BEGIN; SAVEPOINT a; SET search_path TO s2; ROLLBACK TO SAVEPOINT a;"
                    + " INSERT INTO metrics (v) VALUES (9); COMMIT");
            s.execute("BEGIN; SET LOCAL search_path TO s2; COMMIT");
            s.execute("INSERT INTO metrics (v) VALUES (10)");
            // and one that sticks: committed, so the next insert means s2.metrics (not mirrored)
            s.execute("BEGIN; SET search_path TO s2; COMMIT");
            s.execute("INSERT INTO metrics VALUES (11)");
        }
        assertThat(transactions()).containsExactly(List.of("INSERT INTO metrics (v) VALUES (7):1"),
                List.of("INSERT INTO metrics (v) VALUES (8):1"), List.of("INSERT INTO metrics (v) VALUES (9):1"),
                List.of("INSERT INTO metrics (v) VALUES (10):1"));
        assertThat(PG.source().queryValue(db, "SELECT count(*) FROM public.metrics WHERE v BETWEEN 7 AND 10"))
                .isEqualTo("4");
    }

    @Test
    void theStartupMessagesSearchPathDecidesTooAsPgjdbcsCurrentSchemaAndLibpqsOptionsSendIt() throws SQLException {
        try (Connection c = connect("currentSchema", "s2"); Statement s = c.createStatement()) {
            s.execute("INSERT INTO metrics VALUES (20)");
        }
        try (Connection c = connect("options", "-c search_path=s2"); Statement s = c.createStatement()) {
            s.execute("INSERT INTO metrics VALUES (21)");
        }
        try (Connection c = connect("currentSchema", "public"); Statement s = c.createStatement()) {
            s.execute("INSERT INTO metrics (v) VALUES (22)");
        }
        assertThat(PG.source().queryValue(db, "SELECT count(*) FROM s2.metrics WHERE v IN (20, 21)")).isEqualTo("2");
        assertThat(transactions()).containsExactly(List.of("INSERT INTO metrics (v) VALUES (22):1"));
    }

    @Test
    void withHypertablesAsTheDefaultWritesBeforeTheTargetAnsweredAreCapturedAndDecidedAtCommit() throws Exception {
        AtomicReference<Set<TableName>> hypertables = new AtomicReference<>(); // null: the target has not answered
        MirroredTables tables = new MirroredTables(TableFilter.allHypertables(), hypertables::get);
        List<CapturedTransaction> seen = new CopyOnWriteArrayList<>();
        ProxyServer own = new ProxyServer(RelaySettings.plain(new InetSocketAddress("127.0.0.1", 0),
                new InetSocketAddress("127.0.0.1", PG.source().port())), new RelayMetrics(new SimpleMeterRegistry()),
                ctx -> new SessionCapture(ctx, tables, Map::of, new CaptureMetrics(new SimpleMeterRegistry()),
                        new UpsertWindows(), tx -> {
                    seen.add(tx);
                    return CompletableFuture.completedFuture(null);
                }, 1 << 20, CaptureBudget.unlimited(), false, null, null, null)).start();
        TableName metrics = new TableName("public", "metrics");
        TableName other = new TableName("public", "other");
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + own.address().getPort()
                + "/" + db, "postgres", ""); Statement s = c.createStatement()) {
            s.execute("INSERT INTO metrics (v) VALUES (1)");
            s.execute("INSERT INTO other VALUES (1)");
            c.setAutoCommit(false);
            s.execute("INSERT INTO metrics (v) VALUES (2)");
            s.execute("INSERT INTO other VALUES (2)");
            hypertables.set(Set.of(metrics)); // the answer comes before the commit
            c.commit();
            c.setAutoCommit(true);
            s.execute("INSERT INTO other VALUES (3)");
        } finally {
            own.close(Duration.ofSeconds(2));
        }
        assertThat(seen).extracting(tx -> tx.statements().stream().map(CapturedStatement::sql).toList())
                .containsExactly(List.of("INSERT INTO metrics (v) VALUES (1)"), List.of("INSERT INTO other VALUES (1)"),
                        List.of("INSERT INTO metrics (v) VALUES (2)"));
        assertThat(seen).extracting(CapturedTransaction::unconfirmed)
                .containsExactly(Set.of(metrics), Set.of(other), Set.of());
    }

    @Test
    void resettingTheSearchPathReturnsToTheStartupMessagesValue() throws SQLException {
        try (Connection c = connect("currentSchema", "s2"); Statement s = c.createStatement()) {
            s.execute("SET search_path TO public");
            s.execute("RESET search_path");
            s.execute("INSERT INTO metrics VALUES (23)");
            s.execute("SET search_path TO public");
            s.execute("SET search_path TO DEFAULT");
            s.execute("INSERT INTO metrics VALUES (24)");
            s.execute("SET search_path TO public");
            s.execute("DISCARD ALL");
            s.execute("INSERT INTO metrics VALUES (25)");
        }
        assertThat(PG.source().queryValue(db, "SELECT count(*) FROM s2.metrics WHERE v IN (23, 24, 25)"))
                .isEqualTo("3");
        assertThat(transactions()).isEmpty();
    }

    @Test
    void aSetSearchPathEarlierInTheSameQueryStringDecidesForTheStatementsAfterIt() throws SQLException {
        try (Connection c = connect("preferQueryMode", "simple"); Statement s = c.createStatement()) {
            s.execute("SET search_path TO s2; INSERT INTO metrics VALUES (30);"
                    + " SET search_path TO public; INSERT INTO metrics (v) VALUES (31)");
        }
        assertThat(PG.source().queryValue(db, "SELECT count(*) FROM s2.metrics WHERE v = 30")).isEqualTo("1");
        assertThat(transactions()).containsExactly(List.of("INSERT INTO metrics (v) VALUES (31):1"));
    }

    @Test
    void aPreparedStatementFollowsASearchPathChangedAfterItsParseAsTheServerDoes() throws SQLException {
        try (Connection c = connect("prepareThreshold", "1"); Statement s = c.createStatement();
             PreparedStatement ps = c.prepareStatement("INSERT INTO metrics (v) VALUES (?)")) {
            s.execute("SET search_path TO s2");
            for (int v = 40; v <= 41; v++) {
                ps.setInt(1, v);
                ps.executeUpdate();
            }
            s.execute("SET search_path TO public");
            ps.setInt(1, 42);
            ps.executeUpdate();
            s.execute("SET search_path TO s2");
            ps.setInt(1, 43);
            ps.executeUpdate();
        }
        assertThat(PG.source().queryValue(db, "SELECT string_agg(v::text, ',' ORDER BY v) FROM s2.metrics"))
                .isEqualTo("40,41,43");
        assertThat(transactions()).containsExactly(List.of("INSERT INTO metrics (v) VALUES ($1):1"));
    }

    /**
     * The commit-order hazard of upserts: B's upsert of a key waits for A's lock, so B commits after A on the source,
     * but the proxy may read B's answer first and spool B first, and then the target keeps A's value. The proxy cannot
     * tell which order the source had, so the pair counts as uncertain (once or, when both answers are read at the
     * same time, twice).
     */
    @Test
    void upsertsOfOneKeyCommittingTogetherCountAsCommitOrderUncertain() throws Exception {
        double before = commitOrderUncertain();
        String upsert = "INSERT INTO metrics (v, note) VALUES (1, ?) ON CONFLICT (v) DO UPDATE SET note = EXCLUDED.note";
        try (Connection a = connect(); Connection b = connect();
             PreparedStatement pa = a.prepareStatement(upsert); PreparedStatement pb = b.prepareStatement(upsert)) {
            a.setAutoCommit(false);
            pa.setString(1, "a");
            pa.executeUpdate(); // A holds the row's lock until it commits
            pb.setString(1, "b");
            CompletableFuture<Integer> blocked = inBackground(pb::executeUpdate);
            waitForLockWait();
            a.commit();
            assertThat(blocked.get(30, TimeUnit.SECONDS)).isEqualTo(1);
        }
        assertThat(PG.source().queryValue(db, "SELECT note FROM metrics WHERE v = 1")).isEqualTo("b");
        assertThat(committed).hasSize(2);
        assertThat(commitOrderUncertain() - before).isBetween(1.0, 2.0);
    }

    /**
     * The same hazard with an SQL-level EXECUTE of a PREPAREd upsert, which the mirror replays as the upsert it runs:
     * in a session that PREPAREd it before, in the simple and the extended protocol, and in a query string that
     * PREPAREs it first.
     */
    @Test
    void upsertsRunByExecuteOfAPrepareCountAsCommitOrderUncertain() throws Exception {
        String prepare = "PREPARE up (int, text) AS INSERT INTO metrics (v, note) VALUES ($1, $2)"
                + " ON CONFLICT (v) DO UPDATE SET note = EXCLUDED.note";
        for (String mode : List.of("simple", "extended")) {
            double before = commitOrderUncertain();
            try (Connection a = connect("preferQueryMode", mode); Connection b = connect("preferQueryMode", mode);
                 Statement sa = a.createStatement(); Statement sb = b.createStatement()) {
                sa.execute(prepare);
                a.setAutoCommit(false);
                sa.execute("EXECUTE up(5, 'a')"); // A holds the row's lock until it commits
                CompletableFuture<Integer> blocked = inBackground(() -> {
                    sb.execute(prepare + "; EXECUTE up(5, 'b')");
                    return 1;
                });
                waitForLockWait();
                a.commit();
                blocked.get(30, TimeUnit.SECONDS);
            }
            assertThat(PG.source().queryValue(db, "SELECT note FROM metrics WHERE v = 5")).isEqualTo("b");
            assertThat(committed).hasSize(2);
            assertThat(commitOrderUncertain() - before).as(mode).isBetween(1.0, 2.0);
            committed.clear();
        }
    }

    /**
     * A partition written by its own name holds the rows of its partitioned table: an upsert through the root and one
     * straight into the partition write the same key, in either order.
     */
    @Test
    void upsertsThroughAPartitionAndItsRootCountAsCommitOrderUncertain() throws Exception {
        PG.source().execute(db, "CREATE TABLE parts (k int PRIMARY KEY, v text) PARTITION BY RANGE (k);"
                + " CREATE TABLE parts_low PARTITION OF parts FOR VALUES FROM (0) TO (10)");
        TableName parts = new TableName("public", "parts");
        TableName low = new TableName("public", "parts_low");
        MirroredTables tables = new MirroredTables(new TableFilter(List.of(TablePattern.parse("public.parts")),
                List.of()), Set::of, () -> new PartitionDirectory.Partitions(Map.of(low, parts), Set.of(parts)));
        SimpleMeterRegistry own = new SimpleMeterRegistry();
        CaptureMetrics metrics = new CaptureMetrics(own);
        UpsertWindows windows = new UpsertWindows();
        ProxyServer proxy = new ProxyServer(RelaySettings.plain(new InetSocketAddress("127.0.0.1", 0),
                new InetSocketAddress("127.0.0.1", PG.source().port())), new RelayMetrics(own),
                ctx -> new SessionCapture(ctx, tables, Map::of, metrics, windows,
                        tx -> CompletableFuture.completedFuture(null), 1 << 20, CaptureBudget.unlimited(), false,
                        null, null, null)).start();
        String upsert = "INSERT INTO %s (k, v) VALUES (1, ?) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v";
        String url = "jdbc:postgresql://127.0.0.1:" + proxy.address().getPort() + "/" + db;
        try {
            for (List<String> names : List.of(List.of("parts", "parts_low"), List.of("parts_low", "parts"))) {
                double before = own.find("tandem.mirror.commit.order.uncertain").counters().stream()
                        .mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
                try (Connection a = DriverManager.getConnection(url, "postgres", "");
                     Connection b = DriverManager.getConnection(url, "postgres", "");
                     PreparedStatement pa = a.prepareStatement(upsert.formatted(names.get(0)));
                     PreparedStatement pb = b.prepareStatement(upsert.formatted(names.get(1)))) {
                    a.setAutoCommit(false);
                    pa.setString(1, "a");
                    pa.executeUpdate(); // A holds the row's lock until it commits
                    pb.setString(1, "b");
                    CompletableFuture<Integer> blocked = inBackground(pb::executeUpdate);
                    waitForLockWait();
                    a.commit();
                    assertThat(blocked.get(30, TimeUnit.SECONDS)).isEqualTo(1);
                }
                assertThat(PG.source().queryValue(db, "SELECT v FROM parts WHERE k = 1")).isEqualTo("b");
                assertThat(own.find("tandem.mirror.commit.order.uncertain").counters().stream()
                        .mapToDouble(io.micrometer.core.instrument.Counter::count).sum() - before)
                        .as("A through %s, B through %s", names.get(0), names.get(1)).isBetween(1.0, 2.0);
            }
        } finally {
            proxy.close(Duration.ofSeconds(2));
            PG.source().execute(db, "DROP TABLE parts");
        }
    }

    /**
     * A named statement keeps the table PostgreSQL planned it with when a table of its name appears in a schema the
     * path lists earlier, until something invalidates the plan (here an ANALYZE; autovacuum's does it unseen): once
     * the catalog look-up (a real {@link PartitionDirectory}, refreshed by hand) shows the new table, which of the two
     * the source writes cannot be told, and its executions are not replayed. Before, they went on to be replayed into
     * the old table after the source had moved to the new one. A statement prepared again resolves to the new table.
     */
    @Test
    void aTableCreatedEarlierInThePathAfterANamedStatementWasPreparedMakesItsTableAmbiguous() throws Exception {
        CatalogRun run = withCatalogLookUps((c, lookUp) -> {
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO readings VALUES (?)")) {
                insert.setInt(1, 1);
                insert.executeUpdate();
                PG.source().execute(db, "CREATE TABLE early.readings (id int)");
                lookUp.run();
                insert.setInt(1, 2);
                insert.executeUpdate(); // still planned for public.readings
                PG.source().execute(db, "ANALYZE public.readings");
                insert.setInt(1, 3);
                insert.executeUpdate(); // planned again: early.readings
            }
            try (PreparedStatement again = c.prepareStatement("INSERT INTO readings VALUES (?) -- again")) {
                again.setInt(1, 4);
                again.executeUpdate();
            }
        });
        run.assertSecondAndThirdAmbiguous(CapturedStatement.Extended.class);
    }

    /**
     * The same for a statement prepared with SQL's PREPARE and run by EXECUTE, which PostgreSQL keeps planned the same
     * way. Before, its executions were replayed into the table the new look-up showed first, early.readings, while the
     * source still wrote public.readings.
     */
    @Test
    void aTableCreatedEarlierInThePathAfterAPrepareMakesTheTableOfItsExecuteAmbiguous() throws Exception {
        CatalogRun run = withCatalogLookUps((c, lookUp) -> {
            try (Statement s = c.createStatement()) {
                s.execute("PREPARE ins (int) AS INSERT INTO readings VALUES ($1)");
                s.execute("EXECUTE ins(1)");
                PG.source().execute(db, "CREATE TABLE early.readings (id int)");
                lookUp.run();
                s.execute("EXECUTE ins(2)"); // still planned for public.readings
                PG.source().execute(db, "ANALYZE public.readings");
                s.execute("EXECUTE ins(3)"); // planned again: early.readings
                s.execute("PREPARE again (int) AS INSERT INTO readings VALUES ($1)");
                s.execute("EXECUTE again(4)");
            }
        });
        run.assertSecondAndThirdAmbiguous(CapturedStatement.Simple.class);
    }

    /** What a session committed through a proxy of its own, and which of the two tables the source wrote each id to. */
    private record CatalogRun(List<CapturedTransaction> seen, List<List<String>> written) {

        /**
         * Ids 1 and 2 went to public.readings, 3 and 4 to early.readings; the first is replayed into public.readings
         * and the last into early.readings, the two between are not replayed.
         */
        void assertSecondAndThirdAmbiguous(Class<? extends CapturedStatement> replayed) {
            assertThat(written).as("what the source wrote").containsExactly(
                    List.of("public", "1"), List.of("public", "2"), List.of("early", "3"), List.of("early", "4"));
            assertThat(seen).hasSize(4);
            assertThat(seen.get(0).statements().get(0)).isInstanceOf(replayed)
                    .extracting(CapturedStatement::table).isEqualTo(new TableName("public", "readings"));
            for (CapturedTransaction ambiguous : seen.subList(1, 3)) {
                assertThat(ambiguous.statements().get(0)).isInstanceOfSatisfying(CapturedStatement.Unreplayable.class,
                        u -> assertThat(u.reason()).contains("public.readings", "early.readings", "cannot tell which"));
            }
            assertThat(seen.get(3).statements().get(0)).isInstanceOf(replayed)
                    .extracting(CapturedStatement::table).isEqualTo(new TableName("early", "readings"));
        }
    }

    /** A session's work; {@code lookUp} reads the catalog again. */
    @FunctionalInterface
    private interface CatalogSession {
        void run(Connection c, Runnable lookUp) throws Exception;
    }

    /**
     * Runs {@code session} under {@code search_path} early, public, through a proxy of its own whose capture mirrors
     * public.readings and early.readings and reads the catalog with a real {@link PartitionDirectory}, only when told
     * (the source's own catalog stands for the target's here). Schema early has no readings table when it starts.
     */
    private static CatalogRun withCatalogLookUps(CatalogSession session) throws Exception {
        PG.source().execute(db, "CREATE SCHEMA early; CREATE TABLE readings (id int)");
        TargetConfig catalog = new TargetConfig("127.0.0.1", PG.source().port(), "postgres", "UNUSED",
                Optional.empty(), TlsMode.DISABLE, Map.of(), Duration.ofSeconds(5), Optional.empty());
        List<CapturedTransaction> seen = new CopyOnWriteArrayList<>();
        try (PartitionDirectory directory = new PartitionDirectory(catalog, Duration.ofHours(1))) {
            MirroredTables tables = new MirroredTables(new TableFilter(List.of(TablePattern.parse("public.readings"),
                    TablePattern.parse("early.readings")), List.of()), Set::of, directory.forSourceDatabase(db),
                    directory::changes);
            directory.lookUpNow(db);
            ProxyServer own = new ProxyServer(RelaySettings.plain(new InetSocketAddress("127.0.0.1", 0),
                    new InetSocketAddress("127.0.0.1", PG.source().port())), new RelayMetrics(new SimpleMeterRegistry()),
                    ctx -> new SessionCapture(ctx, tables, Map::of, new CaptureMetrics(new SimpleMeterRegistry()),
                            new UpsertWindows(), tx -> {
                                seen.add(tx);
                                return CompletableFuture.completedFuture(null);
                            }, 1 << 20, CaptureBudget.unlimited(), false, null, null, null)).start();
            Properties p = new Properties();
            p.setProperty("user", "postgres");
            p.setProperty("options", "-c search_path=early,public");
            p.setProperty("prepareThreshold", "1"); // a named statement from the first execution on
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + own.address().getPort()
                    + "/" + db, p)) {
                session.run(c, () -> directory.lookUpNow(db));
            } finally {
                own.close(Duration.ofSeconds(2));
            }
            return new CatalogRun(seen, PG.source().query(db, "SELECT 'public', id FROM public.readings UNION ALL"
                    + " SELECT 'early', id FROM early.readings ORDER BY 2"));
        } finally {
            PG.source().execute(db, "DROP TABLE IF EXISTS readings, early.readings; DROP SCHEMA IF EXISTS early");
        }
    }

    /** An upsert rolled back to a savepoint is not part of what commits: its transaction has no commit order to doubt. */
    @Test
    void anUpsertUndoneByRollbackToSavepointIsNotCounted() throws Exception {
        String upsert = "INSERT INTO metrics (v, note) VALUES (%d, '%s') ON CONFLICT (v) DO UPDATE SET note = EXCLUDED.note";
        try (Connection a = connect(); Connection b = connect(); Connection c = connect();
             Statement sa = a.createStatement(); Statement sb = b.createStatement(); Statement sc = c.createStatement()) {
            c.setAutoCommit(false);
            sc.execute(upsert.formatted(7, "c")); // C holds the row's lock, B's upsert waits in flight
            CompletableFuture<Integer> blocked = inBackground(() -> sb.executeUpdate(upsert.formatted(7, "b")));
            waitForLockWait();
            double before = commitOrderUncertain();
            a.setAutoCommit(false);
            Savepoint savepoint = a.setSavepoint();
            sa.execute(upsert.formatted(8, "a"));
            a.rollback(savepoint);
            sa.execute("INSERT INTO metrics (v) VALUES (9)");
            a.commit();
            assertThat(commitOrderUncertain() - before).isZero();
            c.commit();
            blocked.get(30, TimeUnit.SECONDS);
        }
        assertThat(PG.source().queryValue(db, "SELECT count(*) FROM metrics WHERE v = 8")).isEqualTo("0");
    }

    @Test
    void upsertsThatCannotBeReorderedAreNotCounted() throws Exception {
        double before = commitOrderUncertain();
        String upsert = "INSERT INTO metrics (v, note) VALUES (2, ?) ON CONFLICT (v) DO UPDATE SET note = EXCLUDED.note";
        try (Connection a = connect(); Connection b = connect();
             PreparedStatement pa = a.prepareStatement(upsert); PreparedStatement pb = b.prepareStatement(upsert)) {
            // one after the other, and each committing while the other's transaction is open but idle: each commit
            // was read before the other's was sent
            pa.setString(1, "a");
            pa.executeUpdate();
            pb.setString(1, "b");
            pb.executeUpdate();
            a.setAutoCommit(false);
            b.setAutoCommit(false);
            pa.setString(1, "a2");
            pa.executeUpdate();
            try (PreparedStatement other = b.prepareStatement(upsert.replace("(2, ?)", "(4, ?)"))) {
                other.setString(1, "b2");
                other.executeUpdate();
            }
            b.commit();
            a.commit();
        }
        // DO NOTHING overlapping the same way is not counted here: its row counts tell (row count mismatches)
        try (Connection a = connect(); Connection b = connect(); Statement sa = a.createStatement();
             Statement sb = b.createStatement()) {
            a.setAutoCommit(false);
            sa.executeUpdate("INSERT INTO metrics (v) VALUES (3) ON CONFLICT DO NOTHING");
            CompletableFuture<Integer> blocked = inBackground(
                    () -> sb.executeUpdate("INSERT INTO metrics (v) VALUES (3) ON CONFLICT DO NOTHING"));
            waitForLockWait();
            a.commit();
            assertThat(blocked.get(30, TimeUnit.SECONDS)).isZero();
        }
        assertThat(commitOrderUncertain() - before).isZero();
    }

    private interface Update {
        int run() throws SQLException;
    }

    /** Runs a statement that is going to wait for a lock, on another thread. */
    private static CompletableFuture<Integer> inBackground(Update update) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return update.run();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** Until a session waits for a lock on the source. */
    private static void waitForLockWait() throws InterruptedException {
        for (int i = 0; i < 300; i++) {
            if (!"0".equals(PG.source().queryValue(db,
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"))) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no session waited for a lock within 6 s");
    }

    private static double commitOrderUncertain() {
        var c = registry.find("tandem.mirror.commit.order.uncertain").tag("table", "public.metrics").counter();
        return c == null ? 0 : c.count();
    }

    private static double count(String kind) {
        var c = registry.find("tandem.unmirrored.writes").tag("table", "public.metrics").tag("kind", kind).counter();
        return c == null ? 0 : c.count();
    }

    private static double statements(String kind) {
        return registry.find("tandem.statements").tag("kind", kind).counter().count();
    }

    private static byte[] concat(List<byte[]> parts) {
        var out = new java.io.ByteArrayOutputStream();
        parts.forEach(out::writeBytes);
        return out.toByteArray();
    }
}
