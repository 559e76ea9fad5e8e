package dev.tandem.proxy.mirror;

import static dev.tandem.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.tandem.testing.PostgresPairExtension;
import java.io.StringReader;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.PGConnection;
import org.slf4j.LoggerFactory;

/**
 * What the target does to the mirror that the chaos soak ({@link MirrorSoakIT}) does not: a lock on a mirrored table,
 * timeouts and cancels, a read-only target, refused connections, revoked privileges, its {@code tandem} schema or
 * database dropped, its backend terminated mid-group. Each ends comparing the whole table on both sides: a condition
 * that passes is waited for and nothing is lost or applied twice; one that does not is ledgered with the server's
 * reason, logged without flooding, and the mirror moves on. One proxy for the class, whose mirror logs in as a plain
 * role of its own.
 */
class TargetFailuresIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    /** The mirror's user on the target: not a superuser, so privileges and role settings apply to it. */
    static final String MIRROR_USER = "tandem_tfail";

    static final ListAppender<ILoggingEvent> LOGGED = new ListAppender<>();
    static final Logger MIRROR_LOG = (Logger) LoggerFactory.getLogger(MirrorApplier.class.getPackageName());

    static String db;
    static RunningMirrorProxy proxy;

    @RegisterExtension
    static final MirrorProxyExtension MIRROR = MirrorProxyExtension.on(PG, "target_failures",
                    started -> proxy = started)
            .prepared(database -> {
                db = database;
                PG.target().execute(db, "CREATE ROLE " + MIRROR_USER + " LOGIN");
                own(db);
                LOGGED.start();
                MIRROR_LOG.addAppender(LOGGED);
                table(db, "t_probe");
            })
            .mirroringAs(MIRROR_USER)
            .flags("--mirror-table", "public.t_*", "--set", "verifier.time-columns.public.t_no_temporary=ts");

    @AfterAll
    static void stopListening() {
        MIRROR_LOG.detachAppender(LOGGED);
    }

    @BeforeEach
    void clearLog() {
        synchronized (LOGGED) {
            LOGGED.list.clear();
        }
    }

    /** The mirror's user owns the target database, so it may create its {@code tandem} schema there. */
    private static void own(String database) {
        PG.target().execute(database, "ALTER DATABASE " + database + " OWNER TO " + MIRROR_USER);
    }

    /** A mirrored table on both sides, into which the mirror's user may insert. */
    private static void table(String database, String name) {
        PG.pair().executeOnBoth(database, "CREATE TABLE " + name + " (id int, v text)");
        PG.target().execute(database, "GRANT SELECT, INSERT ON " + name + " TO " + MIRROR_USER);
    }

    private static Connection connect(String database) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + proxy.app.relayAddress().getPort() + "/"
                + database, PG.source().user(), PG.source().password());
    }

    /** One autocommit INSERT per id, through the proxy. */
    private static void insert(String database, String table, int from, int to) throws SQLException {
        try (Connection c = connect(database);
             PreparedStatement insert = c.prepareStatement("INSERT INTO " + table + " VALUES (?, 'row')")) {
            for (int id = from; id <= to; id++) {
                insert.setInt(1, id);
                insert.executeUpdate();
            }
        }
    }

    /** The target's own session holding {@code LOCK TABLE ... IN ACCESS EXCLUSIVE MODE} until it is closed. */
    private static Connection lock(String table) throws SQLException {
        Connection locker = PG.target().connect(db);
        locker.setAutoCommit(false);
        try (Statement s = locker.createStatement()) {
            s.execute("LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE");
        }
        return locker;
    }

    private static String mirrorBackends(String database) {
        return "FROM pg_stat_activity WHERE application_name LIKE 'tandem-mirror%' AND datname = '" + database + "'";
    }

    private static void awaitMirrorWaitingForALock() throws InterruptedException {
        eventually("the mirror waits for the table lock", () -> !"0".equals(PG.target().queryValue("postgres",
                "SELECT count(*) " + mirrorBackends(db) + " AND wait_event_type = 'Lock'")));
    }

    /** Ends the mirror's target connections; it connects again, under the role's settings of the moment. */
    private static void terminateMirror(String database) {
        PG.target().query("postgres", "SELECT pg_terminate_backend(pid) " + mirrorBackends(database));
    }

    private static double retries() {
        return proxy.app.registry().get("tandem.mirror.retries").counter().count();
    }

    private static double regressions() {
        return proxy.app.registry().get("tandem.mirror.target.regressions").counter().count();
    }

    private static long ledgered(String table) {
        return Long.parseLong(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence WHERE table_name = '"
                + table + "'"));
    }

    private static List<String> logged(Level level, String containing) {
        List<String> lines = new ArrayList<>();
        synchronized (LOGGED) {
            for (ILoggingEvent e : LOGGED.list) {
                // the tables are written without a column list by a proxy without source.user: each one's first such
                // write is logged as replayed by position ("t_timeouts" holds "timeout"), which is not looked at here
                if (e.getLevel() == level && e.getFormattedMessage().contains(containing)
                        && !e.getLoggerName().equals(ColumnOrders.class.getName())) {
                    lines.add(e.getFormattedMessage());
                }
            }
        }
        return lines;
    }

    /**
     * Resets the mirror's user's settings and has the mirror connect again with its own, before the next test: a
     * probe row has to reach the target.
     */
    private static void resetMirrorUser() throws Exception {
        PG.target().execute(db, "ALTER ROLE " + MIRROR_USER + " RESET ALL; ALTER ROLE " + MIRROR_USER
                + " CONNECTION LIMIT -1");
        terminateMirror(db);
        insert(db, "t_probe", 1, 1);
        proxy.awaitCaughtUp(Duration.ofSeconds(60));
    }

    @Test
    void aLockOnTheTargetTableHoldsTheMirrorBackUntilItIsReleased() throws Exception {
        table(db, "t_lock");
        double retriesBefore = retries();
        try (Connection locker = lock("t_lock")) {
            insert(db, "t_lock", 1, 20);
            awaitMirrorWaitingForALock();
            eventually("the lag shows",
                    () -> proxy.app.registry().get("tandem.mirror.lag.seconds").gauge().value() > 0);
            assertThat(proxy.app.mirrorCaughtUp()).isFalse();
        }
        proxy.awaitCaughtUp(Duration.ofSeconds(60));
        proxy.assertIdentical("t_lock");
        assertThat(ledgered("t_lock")).isZero();
        assertThat(retries()).as("the mirror waited; nothing failed").isEqualTo(retriesBefore);
    }

    /**
     * A {@code statement_timeout} (or {@code lock_timeout}, {@code idle_in_transaction_session_timeout},
     * {@code idle_session_timeout}, {@code transaction_timeout}) the target gives the mirror's user is for
     * applications. Applied to the mirror, a replay that waits for a lock, or takes long, is cancelled or its
     * connection ended: ledgered, rows the source committed would be lost; retried, a long one would fail for ever.
     */
    @Test
    void theTargetsTimeoutsForTheMirrorsUserDoNotCancelItsReplays() throws Exception {
        table(db, "t_timeouts");
        List<String> settings = new ArrayList<>(List.of("statement_timeout = '20ms'",
                "lock_timeout = '50ms'", "idle_in_transaction_session_timeout = '20ms'"));
        // each timeout the target's release has: idle_session_timeout came with 14, transaction_timeout with 17
        if (PG.target().majorVersion() >= 14) {
            settings.add("idle_session_timeout = '20ms'");
        }
        if (PG.target().majorVersion() >= 17) {
            settings.add("transaction_timeout = '100ms'");
        }
        for (String setting : settings) {
            PG.target().execute(db, "ALTER ROLE " + MIRROR_USER + " SET " + setting);
        }
        try {
            terminateMirror(db);
            try (Connection locker = lock("t_timeouts")) {
                insert(db, "t_timeouts", 1, 10);
                awaitMirrorWaitingForALock();
                Thread.sleep(300); // longer than every timeout above: the target would have ended the wait
            }
            // a transaction whose replay takes longer than all of them, lock or not
            StringBuilder rows = new StringBuilder();
            for (int i = 100; i < 200_100; i++) {
                rows.append(i).append("\trow\n");
            }
            try (Connection c = connect(db)) {
                c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY t_timeouts FROM STDIN",
                        new StringReader(rows.toString()));
            }
            proxy.awaitCaughtUp(Duration.ofSeconds(60));
            proxy.assertIdentical("t_timeouts");
            assertThat(ledgered("t_timeouts")).isZero();
            assertThat(logged(Level.WARN, "timeout")).isEmpty();
        } finally {
            resetMirrorUser();
        }
    }

    /** A replay cancelled on the target ({@code pg_cancel_backend}, 57014) is retried, not ledgered. */
    @Test
    void aCancelledReplayIsRetried() throws Exception {
        table(db, "t_cancel");
        double retriesBefore = retries();
        try (Connection locker = lock("t_cancel")) {
            try (Connection c = connect(db); Statement s = c.createStatement()) {
                // one statement of two rows: applied alone, as a group of one
                s.execute("INSERT INTO t_cancel VALUES (1, 'a'), (2, 'b')");
            }
            awaitMirrorWaitingForALock();
            PG.target().query("postgres", "SELECT pg_cancel_backend(pid) " + mirrorBackends(db));
            eventually("the cancelled group retried or ledgered", () -> retries() > retriesBefore
                    || ledgered("t_cancel") > 0);
        }
        proxy.awaitCaughtUp(Duration.ofSeconds(60));
        proxy.assertIdentical("t_cancel");
        assertThat(ledgered("t_cancel")).isZero();
        assertThat(logged(Level.WARN, "canceling statement due to user request")).isNotEmpty();
    }

    @Test
    void aReadOnlyTargetIsWaitedForNotLedgered() throws Exception {
        table(db, "t_read_only");
        PG.target().execute(db, "ALTER ROLE " + MIRROR_USER + " SET default_transaction_read_only = on");
        try {
            terminateMirror(db);
            double retriesBefore = retries();
            insert(db, "t_read_only", 1, 5);
            eventually("the mirror retries", () -> retries() >= retriesBefore + 2);
            assertThat(PG.target().queryValue(db, "SELECT count(*) FROM t_read_only")).isEqualTo("0");
            assertThat(logged(Level.WARN, "read-only transaction")).isNotEmpty();
        } finally {
            resetMirrorUser();
        }
        proxy.awaitCaughtUp(Duration.ofSeconds(60));
        proxy.assertIdentical("t_read_only");
        assertThat(ledgered("t_read_only")).isZero();
    }

    /** 53300 as {@code max_connections} exhausted gives it (here through the role's own limit): waited for. */
    @Test
    void refusedConnectionsAreWaitedForMidRun() throws Exception {
        table(db, "t_connections");
        PG.target().execute(db, "ALTER ROLE " + MIRROR_USER + " CONNECTION LIMIT 0");
        try {
            terminateMirror(db);
            double retriesBefore = retries();
            insert(db, "t_connections", 1, 5);
            eventually("the mirror retries", () -> retries() >= retriesBefore + 2);
            assertThat(logged(Level.WARN, "too many connections for role")).isNotEmpty();
        } finally {
            resetMirrorUser();
        }
        proxy.awaitCaughtUp(Duration.ofSeconds(60));
        proxy.assertIdentical("t_connections");
        assertThat(ledgered("t_connections")).isZero();
    }

    /** A proxy started while the target refuses its connections serves its clients and mirrors once it may. */
    @Test
    void refusedConnectionsAreWaitedForFromTheStart(@TempDir Path ownSpool) throws Exception {
        String other = PG.pair().freshDatabase("target_refuses_at_start");
        PG.pair().executeOnBoth(other, "CREATE TABLE t_start (id int, v text)");
        PG.target().execute(other, "CREATE ROLE tandem_tfail_start LOGIN CONNECTION LIMIT 0; ALTER DATABASE " + other
                + " OWNER TO tandem_tfail_start; GRANT INSERT ON t_start TO tandem_tfail_start");
        try (RunningMirrorProxy refused = RunningMirrorProxy.startAs("tandem_tfail_start", PG.pair(), other, ownSpool,
                "--mirror-table", "public.t_*", "--instance-id", "refused-at-start");
             Connection c = refused.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO t_start VALUES (1, 'a')");
            eventually("the mirror retries", () -> refused.app.registry().get("tandem.mirror.retries").counter()
                    .count() >= 2);
            PG.target().execute(other, "ALTER ROLE tandem_tfail_start CONNECTION LIMIT -1");
            refused.awaitCaughtUp(Duration.ofSeconds(60));
            refused.assertIdentical("t_start");
        }
    }

    /**
     * The mirror's user loses INSERT on a table: each transaction is ledgered with the server's reason, the log says so
     * without a line per transaction, the proxy keeps serving, and once granted again the later ones are applied.
     */
    @Test
    void revokedPrivilegesLedgerTheTransactionsAndLaterOnesApplyOnceGranted() throws Exception {
        table(db, "t_privileges");
        insert(db, "t_privileges", 1, 5);
        proxy.awaitCaughtUp(Duration.ofSeconds(60));
        PG.target().execute(db, "REVOKE INSERT ON t_privileges FROM " + MIRROR_USER);
        ExecutorService writers = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 1; w <= 4; w++) {
                int first = w * 1000;
                done.add(writers.submit(() -> {
                    insert(db, "t_privileges", first, first + 49);
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(); // the applications did not notice
            }
        } finally {
            writers.shutdown();
        }
        proxy.awaitCaughtUp(Duration.ofSeconds(60));
        assertThat(PG.target().query(db, "SELECT sqlstate, message, count(*) FROM tandem.divergence"
                + " WHERE table_name = 't_privileges' GROUP BY 1, 2"))
                .containsExactly(List.of("42501", "permission denied for table t_privileges", "200"));
        assertThat(proxy.app.registry().get("tandem.ledger.entries").tags("table", "public.t_privileges", "reason",
                "rejected").counter().count()).isEqualTo(200);
        List<String> warnings = logged(Level.WARN, "public.t_privileges");
        assertThat(warnings).as("one line, not one per transaction").hasSize(1);
        assertThat(warnings.get(0)).contains("rejected, SQLSTATE 42501");

        PG.target().execute(db, "GRANT INSERT ON t_privileges TO " + MIRROR_USER);
        insert(db, "t_privileges", 6, 10);
        proxy.awaitCaughtUp(Duration.ofSeconds(60));
        assertThat(PG.target().query(db, "SELECT id FROM t_privileges ORDER BY id")).as("all but the ledgered ones")
                .isEqualTo(PG.source().query(db, "SELECT id FROM t_privileges WHERE id <= 10 ORDER BY id"));
    }

    /**
     * A hardened target revokes {@code TEMPORARY} from {@code PUBLIC}. A rejected transaction still gets the time range
     * of its rows, which {@code repair} re-copies: before, the range was read from a temporary scratch copy of the
     * table, the mirror's user could not create it, and every entry was ledgered without a range (the reason only at
     * debug level).
     */
    @Test
    void aRejectedTransactionGetsItsTimeRangeOnATargetWithoutTemporaryForTheMirrorsUser() throws Exception {
        PG.pair().executeOnBoth(db, "CREATE TABLE t_no_temporary (ts timestamptz NOT NULL, id int)");
        PG.target().execute(db, "GRANT SELECT ON t_no_temporary TO " + MIRROR_USER + ";"
                + " REVOKE TEMPORARY ON DATABASE " + db + " FROM PUBLIC, " + MIRROR_USER); // it owns the database
        try {
            try (Connection c = connect(db); Statement s = c.createStatement()) {
                s.execute("INSERT INTO t_no_temporary VALUES ('2026-03-01 10:00:00+00', 1),"
                        + " ('2026-03-01 12:30:00+00', 2)");
            }
            proxy.awaitCaughtUp(Duration.ofSeconds(60));
            assertThat(PG.target().query(db, "SELECT sqlstate, time_column, range_start, range_end"
                    + " FROM tandem.divergence WHERE table_name = 't_no_temporary'")).containsExactly(
                            List.of("42501", "ts", "2026-03-01 10:00:00+00", "2026-03-01 12:30:00.000001+00"));
            assertThat(PG.target().queryValue(db, "SELECT count(*) FROM pg_class WHERE relname = 'ledger_scratch'"))
                    .as("the scratch copy is rolled back").isEqualTo("0");
        } finally {
            PG.target().execute(db, "GRANT TEMPORARY ON DATABASE " + db + " TO PUBLIC, " + MIRROR_USER);
        }
    }

    /**
     * {@code DROP SCHEMA tandem CASCADE} takes the mirror's progress with it: the mirror recreates it, applies what
     * was not applied, once, and reports the lost progress as a regression of the target (had the spool still held
     * applied transactions, as after a restart, they would be applied again, as the error says).
     */
    @Test
    void aDroppedTandemSchemaIsRecreatedAndReported() throws Exception {
        table(db, "t_schema");
        insert(db, "t_schema", 1, 5);
        proxy.awaitCaughtUp(Duration.ofSeconds(60));
        double regressionsBefore = regressions();
        PG.target().execute(db, "DROP SCHEMA tandem CASCADE");
        insert(db, "t_schema", 6, 10);
        proxy.awaitCaughtUp(Duration.ofSeconds(60));
        proxy.assertIdentical("t_schema");
        assertThat(ledgered("t_schema")).isZero();
        assertThat(regressions()).isEqualTo(regressionsBefore + 1);
        assertThat(logged(Level.ERROR, "no longer has transactions this proxy applied there")).hasSize(1);
        // the mirror's own table was missing, not a transaction's: nothing was taken for rejected
        assertThat(logged(Level.WARN, "relation \"tandem.mirror_progress\" does not exist")).isNotEmpty();
        assertThat(logged(Level.ERROR, "divergence ledger")).isEmpty();
    }

    /**
     * The target database dropped and created again: what was written meanwhile waits for it and is applied into the
     * new one, once; what it had is gone with it, and the proxy says so.
     */
    @Test
    void aRecreatedTargetDatabaseGetsWhatCameAfterTheDropAndIsReported() throws Exception {
        String other = PG.pair().freshDatabase("target_recreated");
        own(other);
        table(other, "t_recreated");
        insert(other, "t_recreated", 1, 5);
        proxy.awaitCaughtUp(Duration.ofSeconds(60));
        double regressionsBefore = regressions();
        double retriesBefore = retries();
        PG.target().execute("postgres", "DROP DATABASE " + other + " WITH (FORCE)");
        insert(other, "t_recreated", 6, 10);
        eventually("the mirror retries", () -> retries() >= retriesBefore + 4);
        assertThat(logged(Level.WARN, "database \"" + other + "\" does not exist")).isNotEmpty();
        // the retries back off from 100 ms: a reason is said once (the first failure may be the drop ending the
        // connection, 57P01), and again a minute on, not at every attempt
        assertThat(logged(Level.WARN, "target database " + other + " still cannot be applied (SQLSTATE 3D000"))
                .hasSizeLessThanOrEqualTo(1);
        PG.target().execute("postgres", "CREATE DATABASE " + other);
        own(other);
        PG.target().execute(other, "CREATE TABLE t_recreated (id int, v text); GRANT SELECT, INSERT ON t_recreated TO "
                + MIRROR_USER);
        proxy.awaitCaughtUp(Duration.ofSeconds(60));
        assertThat(PG.target().query(other, "SELECT id FROM t_recreated ORDER BY id"))
                .isEqualTo(PG.source().query(other, "SELECT id FROM t_recreated WHERE id > 5 ORDER BY id"));
        assertThat(regressions()).isEqualTo(regressionsBefore + 1);
    }

    /** The target ends the mirror's backend in the middle of large groups, again and again: nothing lost or doubled. */
    @Test
    void terminatingTheMirrorsBackendMidGroupLosesAndRepeatsNothing() throws Exception {
        table(db, "t_terminated");
        double retriesBefore = retries();
        Set<Integer> terminated = ConcurrentHashMap.newKeySet();
        AtomicBoolean stop = new AtomicBoolean();
        Thread terminator = new Thread(() -> {
            try (Connection admin = PG.target().connect("postgres"); Statement s = admin.createStatement()) {
                while (!stop.get() && terminated.size() < 3) {
                    try (ResultSet rs = s.executeQuery("SELECT pid FROM (SELECT pid, pg_terminate_backend(pid) AS e "
                            + mirrorBackends(db) + " AND state = 'active' AND query LIKE 'COPY%') t WHERE e")) {
                        while (rs.next()) {
                            terminated.add(rs.getInt(1));
                        }
                    }
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        terminator.start();
        try (Connection c = connect(db)) {
            for (int copy = 0; copy < 6; copy++) {
                StringBuilder rows = new StringBuilder();
                for (int i = 0; i < 50_000; i++) {
                    rows.append(copy * 100_000 + i).append("\trow ").append(i).append('\n');
                }
                c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY t_terminated FROM STDIN",
                        new StringReader(rows.toString()));
            }
            proxy.awaitCaughtUp(Duration.ofSeconds(120));
        } finally {
            stop.set(true);
            terminator.join();
        }
        proxy.assertIdentical("t_terminated");
        assertThat(ledgered("t_terminated")).isZero();
        assertThat(terminated.size()).as("backends ended mid-COPY").isPositive();
        assertThat(retries()).as("the groups cut short were retried").isGreaterThan(retriesBefore);
    }
}
