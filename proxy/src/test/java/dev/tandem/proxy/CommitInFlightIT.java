package dev.tandem.proxy;

import static dev.tandem.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.frame.FrameObserver;
import dev.tandem.proxy.config.ProxyConfig;
import dev.tandem.proxy.config.ProxyOptions;
import dev.tandem.proxy.demo.BackfillRunner;
import dev.tandem.proxy.relay.ProxyServer;
import dev.tandem.proxy.relay.RelayMetrics;
import dev.tandem.proxy.relay.RelaySettingsFactory;
import dev.tandem.proxy.relay.SessionEnd;
import dev.tandem.proxy.relay.SessionTap;
import dev.tandem.proxy.relay.Transport;
import dev.tandem.proxy.relay.WireClient;
import dev.tandem.testing.PostgresPairExtension;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Sessions the proxy ends while the source still owes the answer to a COMMIT of mirrored writes. The COMMIT is held
 * on the source by a deferred trigger that waits for an advisory lock the test holds, so it is in flight for as long as
 * the test wants. A forced shutdown waits for that answer and mirrors the commit; a session given up on (drain timeout,
 * also at shutdown, internal error) leaves exactly one {@code outcome_unknown} entry in the divergence ledger.
 */
class CommitInFlightIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static final int GATE = 4711;
    private static final String INSERT = "INSERT INTO m (id) VALUES (1)";

    @TempDir
    Path spool;
    private String db;

    @BeforeEach
    void tables() {
        db = PG.pair().freshDatabase("in_flight");
        PG.pair().executeOnBoth(db, "CREATE TABLE m (id int PRIMARY KEY)");
        // on the source only: every commit that inserted into m first waits for the gate
        PG.source().execute(db, "CREATE FUNCTION wait_for_gate() RETURNS trigger LANGUAGE plpgsql AS"
                + " $$ BEGIN PERFORM pg_advisory_xact_lock(" + GATE + "); RETURN NULL; END $$;"
                + " CREATE CONSTRAINT TRIGGER gate AFTER INSERT ON m DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
                + " EXECUTE FUNCTION wait_for_gate()");
    }

    private ProxyConfig config(String... extraArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of("--listen", "127.0.0.1:0",
                "--source", "127.0.0.1:" + PG.source().port(), "--source-tls", "disable",
                "--target", "127.0.0.1:" + PG.target().port(), "--target-user", "postgres", "--target-tls", "disable",
                "--spool-dir", spool.toString(), "--admin-listen", "127.0.0.1:0", "--mirror-table", "public.m",
                "--set", "mirror.retry.min-backoff=50ms", "--set", "mirror.retry.max-backoff=500ms"));
        args.addAll(List.of(extraArgs));
        ProxyOptions options = new ProxyOptions();
        new CommandLine(options).parseArgs(args.toArray(String[]::new));
        return options.load(Map.of());
    }

    /** A connection to the source holding the gate: commits into m wait until it is {@link #open}ed. */
    private Connection closedGate() throws Exception {
        Connection gate = PG.source().connect(db);
        try (Statement s = gate.createStatement()) {
            s.execute("SELECT pg_advisory_lock(" + GATE + ")");
        }
        return gate;
    }

    private static void open(Connection gate) throws Exception {
        try (Statement s = gate.createStatement()) {
            s.execute("SELECT pg_advisory_unlock(" + GATE + ")");
        }
    }

    /** Through the proxy: a transaction that inserts a row, and its COMMIT, which the source holds at the gate. */
    private WireClient commitInFlight(int port) throws Exception {
        WireClient client = new WireClient(port);
        client.login("postgres", db);
        client.send(WireClient.query("BEGIN"));
        client.readUntilReady();
        client.send(WireClient.query(INSERT));
        client.readUntilReady();
        client.send(WireClient.query("COMMIT"));
        eventually("the COMMIT waits at the gate", () -> "1".equals(PG.source().queryValue(db,
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query = 'COMMIT'"
                        + " AND wait_event = 'advisory'")));
        return client;
    }

    private static double outcomeUnknownEntries(MeterRegistry registry) {
        return registry.find("tandem.ledger.entries").tag("reason", "outcome_unknown").counters().stream()
                .mapToDouble(Counter::count).sum();
    }

    /** Waits for the ledger entry to be written, opens the gate, and checks the row and the ledger. */
    private void assertOneOutcomeUnknownEntry(MeterRegistry registry, Connection gate, String cause) throws Exception {
        eventually("an outcome_unknown ledger entry is written", () -> outcomeUnknownEntries(registry) == 1);
        open(gate);
        eventually("the source commits the row after the proxy let go", () -> "1".equals(PG.source().queryValue(db,
                "SELECT count(*) FROM m")));
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM m")).isEqualTo("0");
        List<List<String>> ledger = PG.target().query(db, "SELECT table_schema, table_name, session IS NOT NULL,"
                + " statement, message FROM tandem.divergence");
        assertThat(ledger).hasSize(1);
        assertThat(ledger.get(0).subList(0, 4)).containsExactly("public", "m", "t", INSERT);
        assertThat(ledger.get(0).get(4)).startsWith("outcome_unknown: the session ended because " + cause)
                .contains("the source may have committed this transaction after the proxy closed the connection")
                .endsWith("compare the table with tandem-backfill verify");
        assertThat(outcomeUnknownEntries(registry)).isEqualTo(1);
    }

    @Test
    void aForcedShutdownWaitsForTheCommitInFlightAndMirrorsIt() throws Exception {
        ProxyApplication app = new ProxyApplication(config("--set", "shutdown.grace-period=0s"))
                .start(Transport.choose("auto"));
        CompletableFuture<Void> closing = null;
        try (Connection gate = closedGate(); WireClient client = commitInFlight(app.relayAddress().getPort())) {
            closing = CompletableFuture.runAsync(app::close);
            WireClient.Message fatal = client.read();
            assertThat(fatal.field('C')).as("the client is told as on a fast shutdown").isEqualTo("57P01");
            assertThat(closing).as("the proxy waits for the source's answer").isNotDone();
            open(gate);
        } finally {
            if (closing == null) {
                app.close();
            } else {
                closing.get(60, TimeUnit.SECONDS);
            }
        }
        assertThat(PG.source().queryValue(db, "SELECT count(*) FROM m")).isEqualTo("1");
        // the commit was captured and spooled before the mirror stopped: the next start applies it
        try (ProxyApplication again = new ProxyApplication(config()).start(Transport.choose("auto"))) {
            eventually("the mirror caught up", again::mirrorCaughtUp);
            assertThat(PG.target().queryValue(db, "SELECT count(*) FROM m")).isEqualTo("1");
            assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence")).isEqualTo("0");
        }
    }

    /**
     * The source itself ends the session while the COMMIT waits for a synchronous standby (here one that never
     * comes): the transaction is committed locally, the client gets only a warning saying so, and the connection
     * closes. The row is on the source; the proxy must not take the missing answer for a rollback: the transaction is
     * ledgered as outcome_unknown for verify and repair.
     */
    @Test
    void aCommitTheSourceEndsWhileItWaitsForASynchronousStandbyIsLedgeredAsOutcomeUnknown() throws Exception {
        PG.source().execute("postgres", "ALTER SYSTEM SET synchronous_standby_names = 'tandem_no_such_standby';"
                + " SELECT pg_reload_conf()");
        try (ProxyApplication app = new ProxyApplication(config()).start(Transport.choose("auto"));
             WireClient client = new WireClient(app.relayAddress().getPort())) {
            eventually("the source waits for the standby", () -> "tandem_no_such_standby".equals(
                    PG.source().queryValue(db, "SHOW synchronous_standby_names")));
            client.login("postgres", db);
            client.send(WireClient.query("SET synchronous_commit = on")); // the test servers run with it off
            client.readUntilReady();
            client.send(WireClient.query("BEGIN"));
            client.readUntilReady();
            client.send(WireClient.query(INSERT));
            client.readUntilReady();
            client.send(WireClient.query("COMMIT"));
            eventually("the COMMIT waits for the standby", () -> "1".equals(PG.source().queryValue(db,
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query = 'COMMIT'"
                            + " AND wait_event = 'SyncRep'")));
            PG.source().execute(db, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    + " WHERE datname = current_database() AND query = 'COMMIT' AND wait_event = 'SyncRep'");
            WireClient.Message warning = client.read();
            assertThat(warning.type()).isEqualTo('N');
            assertThat(warning.field('D')).contains("already committed locally");
            eventually("an outcome_unknown ledger entry is written", () -> outcomeUnknownEntries(app.registry()) == 1);
            assertThat(PG.source().queryValue(db, "SELECT count(*) FROM m")).isEqualTo("1");
            assertThat(PG.target().queryValue(db, "SELECT count(*) FROM m")).isEqualTo("0");
            assertThat(PG.target().queryValue(db, "SELECT message FROM tandem.divergence"))
                    .startsWith("outcome_unknown: the session ended because").contains("a COMMIT");
        } finally {
            PG.source().execute("postgres", "ALTER SYSTEM RESET synchronous_standby_names; SELECT pg_reload_conf()");
        }
    }

    /**
     * The entry of a table says where the rows that may have committed lie on its time column, read from what the
     * proxy held of them: the open transaction's statements, and the requests pipelined behind its COMMIT, which commit
     * on their own once the source gets to them (a Query's literal, a COPY's data sent before the source answered, a
     * Bind's values). A table with a write whose time only the source knows (now()), and one without a time column,
     * keep no range.
     */
    @Test
    void anOutcomeUnknownEntryHasTheTimeRangeOfTheRowsThatMayHaveCommittedWhereAllWereRead() throws Exception {
        PG.pair().executeOnBoth(db, "CREATE TABLE t (id int PRIMARY KEY, at timestamptz NOT NULL);"
                + " CREATE TABLE u (id int PRIMARY KEY, at timestamptz NOT NULL)");
        try (ProxyApplication app = new ProxyApplication(config("--set", "limits.drain-timeout=1s",
                "--mirror-table", "public.t", "--mirror-table", "public.u", "--set", "verifier.enabled=false",
                "--set", "verifier.time-columns.public.t=at", "--set", "verifier.time-columns.public.u=at"))
                .start(Transport.choose("auto"));
             Connection gate = closedGate()) {
            app.lookUpTimeColumns(db);
            WireClient client = new WireClient(app.relayAddress().getPort());
            client.login("postgres", db);
            // a time without an offset is the session's TimeZone's
            for (String sql : List.of("SET TIME ZONE 'America/New_York'", "BEGIN",
                    "INSERT INTO t VALUES (1, '2025-01-10 08:00:00+01'), (2, timestamptz '2025-01-12 00:00:00+00')",
                    "INSERT INTO u VALUES (1, '2025-01-11 00:00:00+00')", "INSERT INTO u VALUES (2, now())", INSERT)) {
                client.send(WireClient.query(sql));
                client.readUntilReady();
            }
            client.send(WireClient.concat(WireClient.query("COMMIT"),
                    WireClient.query("INSERT INTO t VALUES (3, '2025-01-20 12:00:00')"),
                    WireClient.query("COPY t (at, id) FROM STDIN (FORMAT csv)"),
                    WireClient.frame('d', "\"2025-01-05 00:00:00+00\",4\n".getBytes(StandardCharsets.UTF_8)),
                    WireClient.frame('c', new byte[0]),
                    parse("INSERT INTO t (id, at) VALUES ($1, $2)"), bind("5", "2025-01-25 06:00:00+00"),
                    execute(), sync()));
            eventually("the COMMIT waits at the gate", () -> "1".equals(PG.source().queryValue(db,
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query = 'COMMIT'"
                            + " AND wait_event = 'advisory'")));
            client.close(); // the client leaves while its COMMIT waits
            eventually("the outcome_unknown ledger entries are written, one per table",
                    () -> outcomeUnknownEntries(app.registry()) == 3);
            open(gate);
            assertThat(PG.target().query(db, "SELECT table_name, coalesce(time_column, '-'),"
                    + " coalesce(range_start, '-'), coalesce(range_end, '-') FROM tandem.divergence"
                    + " ORDER BY table_name")).containsExactly(
                    List.of("m", "-", "-", "-"),
                    List.of("t", "at", "2025-01-05 00:00:00+00", "2025-01-25 06:00:00.000001+00"),
                    List.of("u", "-", "-", "-"));
            assertThat(PG.target().queryValue(db, "SELECT message FROM tandem.divergence WHERE table_name = 't'"))
                    .startsWith("outcome_unknown: the session ended because")
                    .endsWith(": tandem-backfill repair re-copies the time range of its rows");
        }
    }

    /**
     * End to end: the rows of a COMMIT the source held while the proxy let the session go are on the source only;
     * {@code tandem-backfill repair} re-copies the entry's range, and source and target are equal.
     */
    @Test
    void repairReCopiesTheRangeOfAnOutcomeUnknownEntryAndTheTablesAreEqual() throws Exception {
        PG.pair().executeOnBoth(db, "CREATE TABLE t (id int PRIMARY KEY, at timestamptz NOT NULL);"
                + " INSERT INTO t SELECT i, '2025-01-01 00:00:00+00'::timestamptz + i * interval '1 hour'"
                + " FROM generate_series(1, 100) i");
        PG.source().execute(db, "CREATE CONSTRAINT TRIGGER gate AFTER INSERT ON t DEFERRABLE INITIALLY DEFERRED"
                + " FOR EACH ROW EXECUTE FUNCTION wait_for_gate()");
        try (ProxyApplication app = new ProxyApplication(config("--set", "limits.drain-timeout=1s",
                "--mirror-table", "public.t", "--set", "verifier.enabled=false",
                "--set", "verifier.time-columns.public.t=at")).start(Transport.choose("auto"));
             Connection gate = closedGate()) {
            app.lookUpTimeColumns(db);
            WireClient client = new WireClient(app.relayAddress().getPort());
            client.login("postgres", db);
            // rows dated around ones the table had, a day apart
            StringBuilder load = new StringBuilder("INSERT INTO t VALUES ");
            for (int i = 1; i <= 10; i++) {
                load.append(i == 1 ? "" : ", ").append("(").append(1000 + i).append(", '2025-01-02 00:3").append(i - 1)
                        .append(":00+00')");
            }
            for (String sql : List.of("BEGIN", load.toString(),
                    "INSERT INTO t VALUES (2001, '2025-01-02 03:00:00+00'), (2002, '2025-01-03 04:00:00+00')")) {
                client.send(WireClient.query(sql));
                client.readUntilReady();
            }
            client.send(WireClient.query("COMMIT"));
            eventually("the COMMIT waits at the gate", () -> "1".equals(PG.source().queryValue(db,
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query = 'COMMIT'"
                            + " AND wait_event = 'advisory'")));
            client.close();
            eventually("an outcome_unknown ledger entry is written", () -> outcomeUnknownEntries(app.registry()) == 1);
            open(gate);
            eventually("the source commits the rows after the proxy let go", () -> "112".equals(
                    PG.source().queryValue(db, "SELECT count(*) FROM t")));
            assertThat(PG.target().queryValue(db, "SELECT count(*) FROM t")).isEqualTo("100");
            ByteArrayOutputStream output = new ByteArrayOutputStream();
            int exit = BackfillRunner.locate(new PrintStream(output, true, StandardCharsets.UTF_8)).run("repair",
                    "--source", PG.source().jdbcUrl(db) + "?user=" + PG.source().user(),
                    "--target", PG.target().jdbcUrl(db) + "?user=" + PG.target().user());
            assertThat(exit).as(output.toString(StandardCharsets.UTF_8)).isZero();
            String rows = "SELECT string_agg(id || ' ' || at, ', ' ORDER BY id) FROM t";
            assertThat(PG.target().queryValue(db, rows)).isEqualTo(PG.source().queryValue(db, rows));
        }
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence WHERE repaired_at IS NULL"))
                .isEqualTo("0");
    }

    private static byte[] parse(String sql) {
        return WireClient.frame('P', WireClient.concat(WireClient.cstrings("", sql), new byte[] {0, 0}));
    }

    /** An unnamed portal of the unnamed statement, with text values. */
    private static byte[] bind(String... values) {
        ByteBuffer body = ByteBuffer.allocate(1024);
        body.put(WireClient.cstrings("", "")).putShort((short) 0).putShort((short) values.length);
        for (String v : values) {
            byte[] bytes = v.getBytes(StandardCharsets.UTF_8);
            body.putInt(bytes.length).put(bytes);
        }
        body.putShort((short) 0);
        return WireClient.frame('B', Arrays.copyOf(body.array(), body.position()));
    }

    private static byte[] execute() {
        return WireClient.frame('E', WireClient.concat(WireClient.cstrings(""), new byte[4]));
    }

    private static byte[] sync() {
        return WireClient.frame('S', new byte[0]);
    }

    /** The stop is bounded by the drain timeout, and the mirror, stopped after the relay, still writes the entry. */
    @Test
    void aForcedShutdownWhoseCommitIsNotAnsweredWithinTheDrainTimeoutEndsAndLedgersIt() throws Exception {
        ProxyApplication app = new ProxyApplication(config("--set", "shutdown.grace-period=0s",
                "--set", "limits.drain-timeout=1s")).start(Transport.choose("auto"));
        try (Connection gate = closedGate(); WireClient client = commitInFlight(app.relayAddress().getPort())) {
            app.close();
            assertThat(client.read().field('C')).isEqualTo("57P01");
            assertOneOutcomeUnknownEntry(app.registry(), gate,
                    "the proxy shut down and the source did not answer within 1 s (limits.drain-timeout)");
        }
    }

    @Test
    void aDrainThatTimesOutWithACommitInFlightIsLedgeredAsOutcomeUnknown() throws Exception {
        try (ProxyApplication app = new ProxyApplication(config("--set", "limits.drain-timeout=1s"))
                .start(Transport.choose("auto"));
             Connection gate = closedGate()) {
            commitInFlight(app.relayAddress().getPort()).close(); // the client leaves while its COMMIT waits
            assertOneOutcomeUnknownEntry(app.registry(), gate,
                    "the client left and the source did not answer within 1 s (limits.drain-timeout)");
        }
    }

    /**
     * A bug of the proxy's own while it reads the client's next query (simulated by a tap that throws on it, around the
     * mirror's real one): the session ends with XX000 and its COMMIT in flight is ledgered.
     */
    @Test
    void anInternalErrorWithACommitInFlightIsLedgeredAsOutcomeUnknown() throws Exception {
        ProxyConfig config = config();
        MeterRegistry registry = new SimpleMeterRegistry();
        try (MirrorRuntime mirror = new MirrorRuntime(config, registry, Transport.choose("auto"))) {
            SessionTap.Factory taps = mirror.taps();
            ProxyServer relay = new ProxyServer(RelaySettingsFactory.from(config, Transport.choose("auto"), 0),
                    new RelayMetrics(registry), context -> failingOnBoom(taps.open(context))).start();
            try (Connection gate = closedGate(); WireClient client = commitInFlight(relay.address().getPort())) {
                client.send(WireClient.query("SELECT 'boom'"));
                WireClient.Message error = client.read();
                assertThat(error.field('C')).isEqualTo("XX000");
                assertOneOutcomeUnknownEntry(registry, gate, "an internal error of the proxy");
            } finally {
                relay.close(Duration.ZERO);
            }
        }
    }

    /** {@code tap}, except that reading a client frame that says "boom" fails, as a bug would. */
    private static SessionTap failingOnBoom(SessionTap tap) {
        FrameObserver frontend = tap.frontend();
        FrameObserver failing = new FrameObserver() {
            @Override
            public boolean needsWholeFrame(byte type) {
                return frontend.needsWholeFrame(type);
            }

            @Override
            public void beforeHolding(byte type, int length) {
                frontend.beforeHolding(type, length);
            }

            @Override
            public boolean onFrame(byte type, ByteBuf frame) {
                if (frame.toString(StandardCharsets.UTF_8).contains("boom")) {
                    throw new IllegalStateException("a bug in reading the client's frames");
                }
                return frontend.onFrame(type, frame);
            }

            @Override
            public void onFrameStart(byte type, int length) {
                frontend.onFrameStart(type, length);
            }
        };
        return new SessionTap() {
            @Override
            public FrameObserver frontend() {
                return failing;
            }

            @Override
            public FrameObserver backend() {
                return tap.backend();
            }

            @Override
            public void authenticated() {
                tap.authenticated();
            }

            @Override
            public boolean awaitsOutcome() {
                return tap.awaitsOutcome();
            }

            @Override
            public void closed(SessionEnd end) {
                tap.closed(end);
            }
        };
    }
}
