package dev.tandem.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.tandem.protocol.frame.FrameObserver;
import dev.tandem.proxy.relay.WireClient.Message;
import dev.tandem.testing.EmbeddedPgServer;
import dev.tandem.testing.PostgresPairExtension;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/** Bad input, bad credentials and a missing source: each ends with a clear error and the proxy keeps serving. */
class RelayRobustnessIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    static RunningProxy proxy;
    static String db;

    @RegisterExtension
    static final RelayProxyExtension RELAY = RelayProxyExtension.on(PG, "relay_robust", (started, database) -> {
        proxy = started;
        db = database;
    }).settings(s -> s.withLimits(1L << 30, 1000, Duration.ofSeconds(2), Duration.ZERO));

    @BeforeAll
    static void sinkAndPasswordUsers() {
        PG.source().execute(db, "CREATE TABLE sink (line text)");
        PG.source().execute("postgres", "SET password_encryption = 'scram-sha-256';"
                + "DROP ROLE IF EXISTS u_scram; CREATE ROLE u_scram LOGIN PASSWORD 'right-scram';"
                + "SET password_encryption = 'md5';"
                + "DROP ROLE IF EXISTS u_md5; CREATE ROLE u_md5 LOGIN PASSWORD 'right-md5';"
                + "DROP ROLE IF EXISTS u_clear; CREATE ROLE u_clear LOGIN PASSWORD 'right-clear';"
                + "GRANT ALL ON DATABASE " + db + " TO u_scram, u_md5, u_clear");
        ((EmbeddedPgServer) PG.source()).setHbaRules(
                "host all u_scram 127.0.0.1/32 scram-sha-256",
                "host all u_md5 127.0.0.1/32 md5",
                "host all u_clear 127.0.0.1/32 password",
                "host all all 127.0.0.1/32 trust");
    }

    @AfterAll
    static void trustEveryone() {
        ((EmbeddedPgServer) PG.source()).setHbaRules("host all all 127.0.0.1/32 trust", "host all all ::1/128 trust");
    }

    private static void assertProxyStillServes() throws SQLException {
        try (Connection c = DriverManager.getConnection(proxy.jdbcUrl(db), PG.source().user(), "");
             Statement s = c.createStatement()) {
            assertThat(s.executeQuery("SELECT 1").next()).isTrue();
        }
    }

    private static Message fatal(WireClient client) throws Exception {
        Message m = client.read();
        assertThat(m.type()).as("an ErrorResponse, got %s", m).isEqualTo('E');
        assertThat(m.field('S')).isEqualTo("FATAL");
        assertThat(client.closedByPeer()).as("the proxy closes after a FATAL error").isTrue();
        return m;
    }

    @Test
    void randomBytesInsteadOfAStartupPacket() throws Exception {
        byte[] garbage = new byte[64];
        new Random(1).nextBytes(garbage);
        garbage[0] = 0x7f; // a length far beyond the startup packet limit
        try (WireClient client = new WireClient(proxy.port())) {
            client.send(garbage);
            Message error = fatal(client);
            assertThat(error.field('C')).isEqualTo("08P01");
            assertThat(error.field('M')).startsWith("invalid length of startup packet");
        }
        assertProxyStillServes();
    }

    @Test
    void unknownProtocolVersionIsRefusedWithTheSqlStateOfPostgreSql() throws Exception {
        try (WireClient direct = new WireClient(PG.source().port())) {
            direct.send(WireClient.startup(0x00040000, "user", "postgres"));
            assertThat(direct.read().field('C')).isEqualTo("0A000");
        }
        try (WireClient client = new WireClient(proxy.port())) {
            client.send(WireClient.startup(0x00040000, "user", "postgres"));
            Message error = fatal(client);
            assertThat(error.field('C')).isEqualTo("0A000");
            assertThat(error.field('M')).isEqualTo("unsupported frontend protocol 4.0: Tandem relays protocol 3.x");
        }
        assertProxyStillServes();
    }

    @Test
    void aProtocol2ClientIsRefusedInTheOnlyFormatItCanRead() throws Exception {
        byte[] startup = WireClient.startup(0x00020000, "user", "postgres");
        if (PG.source().majorVersion() < 14) {
            // PostgreSQL 13 still speaks 2.0: its start-up packet of fixed fields (length, version, database, user,
            // options, unused, tty) is answered with an authentication request; the proxy refuses it all the same
            try (WireClient direct = new WireClient(PG.source().port())) {
                direct.send(ByteBuffer.allocate(296).putInt(296).putInt(0x00020000)
                        .put(Arrays.copyOf(db.getBytes(StandardCharsets.US_ASCII), 64))
                        .put(Arrays.copyOf(PG.source().user().getBytes(StandardCharsets.US_ASCII), 32)).array());
                assertThat(direct.readByte()).as("AuthenticationRequest").isEqualTo('R');
            }
        } else {
            try (WireClient direct = new WireClient(PG.source().port())) {
                direct.send(startup);
                assertThat(new String(direct.readToEnd(), StandardCharsets.UTF_8))
                        .isEqualTo("EFATAL:  unsupported frontend protocol 2.0: server supports 3.0 to "
                                + (PG.source().majorVersion() >= 18 ? "3.2" : "3.0") + "\n\0");
            }
        }
        try (WireClient client = new WireClient(proxy.port())) {
            client.send(startup);
            assertThat(new String(client.readToEnd(), StandardCharsets.UTF_8))
                    .isEqualTo("EFATAL:  unsupported frontend protocol 2.0: Tandem relays protocol 3.x\n\0");
        }
        assertProxyStillServes();
    }

    @Test
    void theStartupPacketLimitCountsTheBytesAfterTheLengthWordAsPostgreSqlDoes() throws Exception {
        // application_name is cut to 63 bytes by the server, so a long one is harmless: 10004 bytes in all
        String name = "x".repeat(10004 - WireClient.startup(196608, "user", PG.source().user(), "database", db,
                "application_name", "").length);
        byte[] largest = WireClient.startup(196608, "user", PG.source().user(), "database", db, "application_name", name);
        assertThat(largest).hasSize(10004);
        try (WireClient client = new WireClient(proxy.port())) {
            client.send(largest);
            assertThat(client.readUntilReady()).last().extracting(Message::type).isEqualTo('Z');
        }
        byte[] tooLarge = WireClient.startup(196608, "user", PG.source().user(), "database", db, "application_name",
                name + "x");
        try (WireClient client = new WireClient(proxy.port())) {
            client.send(tooLarge);
            Message error = fatal(client);
            assertThat(error.field('C')).isEqualTo("08P01");
            assertThat(error.field('M')).isEqualTo("invalid length of startup packet: 10005 (expected 8 to 10004 bytes)");
        }
    }

    @Test
    void aMalformedStartupMessageGetsTheSourcesSqlStateWhenTheMirrorReadsIt() throws Exception {
        byte[] valid = WireClient.startup(PG.source().user(), db);
        byte[] unterminated = Arrays.copyOf(valid, valid.length - 1);
        ByteBuffer.wrap(unterminated).putInt(0, unterminated.length);
        try (WireClient direct = new WireClient(PG.source().port())) {
            direct.send(unterminated);
            Message error = fatal(direct);
            assertThat(error.field('C')).isEqualTo("08P01");
        }
        List<SessionContext> seen = new CopyOnWriteArrayList<>();
        try (RunningProxy tapped = RunningProxy.tapped(PG.source(), context -> {
            seen.add(context);
            return null;
        })) {
            try (WireClient client = new WireClient(tapped.port())) {
                client.send(unterminated);
                Message error = fatal(client);
                assertThat(error.field('C')).isEqualTo("08P01");
                assertThat(error.field('M')).startsWith("invalid startup packet layout: ");
            }
            try (WireClient client = new WireClient(tapped.port())) {
                assertThat(client.login(PG.source().user(), db)).last().extracting(Message::type).isEqualTo('Z');
            }
        }
        assertThat(seen).singleElement().satisfies(c -> {
            assertThat(c.user()).isEqualTo(PG.source().user());
            assertThat(c.database()).isEqualTo(db);
        });
    }

    @Test
    void truncatedStartupTimesOut() throws Exception {
        try (WireClient client = new WireClient(proxy.port())) {
            client.send(new byte[] {0, 0, 0, 40, 0, 3});
            Message error = fatal(client);
            assertThat(error.field('C')).isEqualTo("08P01");
            assertThat(error.field('M')).contains("authentication did not complete within 2 s");
        }
        assertProxyStillServes();
    }

    @Test
    void negativeFrameLengthAfterLogin() throws Exception {
        try (WireClient client = new WireClient(proxy.port())) {
            client.login(PG.source().user(), db);
            client.send(ByteBuffer.allocate(5).put((byte) 'Q').putInt(-1).array());
            Message error = fatal(client);
            assertThat(error.field('C')).isEqualTo("08P01");
            assertThat(error.field('M')).isEqualTo("invalid message length -1 from the client (message type 'Q')");
        }
        assertProxyStillServes();
    }

    @Test
    void hugeFrameLengthAfterLogin() throws Exception {
        try (WireClient client = new WireClient(proxy.port())) {
            client.login(PG.source().user(), db);
            client.send(ByteBuffer.allocate(5).put((byte) 'd').putInt(Integer.MAX_VALUE).array());
            Message error = fatal(client);
            assertThat(error.field('C')).isEqualTo("08P01");
            assertThat(error.field('M')).contains("exceeds the limit of 1073741824 bytes (limits.max-frame-bytes)");
        }
        assertProxyStillServes();
    }

    @Test
    void clientDisconnectingMidCopyLeavesNothingBehind() throws Exception {
        try (WireClient client = new WireClient(proxy.port())) {
            client.login(PG.source().user(), db);
            client.send(WireClient.query("COPY sink FROM STDIN"));
            assertThat(client.read().type()).isEqualTo('G');
            client.send(WireClient.frame('d', "half a line\n".getBytes()));
            client.send(new byte[] {'d', 0, 0, 0, 100, 'x'}); // a CopyData cut short
        }
        assertProxyStillServes();
        // the source rolled the COPY back and its backend went away
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!PG.source().queryValue(db, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'wire-client'")
                .equals("0") && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(PG.source().queryValue(db, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'wire-client'"))
                .isEqualTo("0");
        assertThat(PG.source().queryValue(db, "SELECT count(*) FROM sink")).isEqualTo("0");
    }

    @Test
    void passwordAuthenticationIsRelayedForEveryMethod() throws SQLException {
        for (String[] user : List.of(new String[] {"u_scram", "right-scram"}, new String[] {"u_md5", "right-md5"},
                new String[] {"u_clear", "right-clear"})) {
            try (Connection c = DriverManager.getConnection(proxy.jdbcUrl(db), user[0], user[1]);
                 Statement s = c.createStatement()) {
                var rs = s.executeQuery("SELECT current_user");
                rs.next();
                assertThat(rs.getString(1)).isEqualTo(user[0]);
            }
            assertThatThrownBy(() -> DriverManager.getConnection(proxy.jdbcUrl(db), user[0], "wrong").close())
                    .isInstanceOfSatisfying(SQLException.class, e -> {
                        assertThat(e.getSQLState()).isEqualTo("28P01");
                        assertThat(e.getMessage()).contains("password authentication failed for user \"" + user[0] + "\"");
                    });
        }
        assertProxyStillServes();
    }

    @Test
    void unknownDatabaseGivesTheSourcesError() {
        assertThatThrownBy(() -> DriverManager.getConnection(proxy.jdbcUrl("no_such_db"), PG.source().user(), "").close())
                .isInstanceOfSatisfying(SQLException.class, e -> {
                    assertThat(e.getSQLState()).isEqualTo("3D000");
                    assertThat(e.getMessage()).contains("database \"no_such_db\" does not exist");
                });
    }

    @Test
    void sourceDownAtConnectTime() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        RelaySettings settings = RelaySettings.plain(new InetSocketAddress("127.0.0.1", 0),
                new InetSocketAddress("127.0.0.1", closedPort));
        try (RunningProxy orphan = RunningProxy.with(settings)) {
            assertThatThrownBy(() -> DriverManager.getConnection(orphan.jdbcUrl("postgres"), "postgres", "").close())
                    .isInstanceOfSatisfying(SQLException.class, e -> {
                        assertThat(e.getSQLState()).isEqualTo("08006");
                        assertThat(e.getMessage()).contains("could not connect to the source server at 127.0.0.1:" + closedPort
                                + ": Connection refused").doesNotContain("(..)");
                    });
            assertThat(orphan.counter("tandem.connection.errors", "reason", "source_unreachable")).isEqualTo(1.0);
        }
    }

    @Test
    void aSourceThatCannotBeReachedIsLoggedOnceAndItsReturnToo() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        RelaySettings settings = RelaySettings.plain(new InetSocketAddress("127.0.0.1", 0),
                new InetSocketAddress("127.0.0.1", port));
        Logger relayLogs = (Logger) LoggerFactory.getLogger("dev.tandem.proxy.relay");
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        relayLogs.addAppender(logged);
        try (RunningProxy orphan = RunningProxy.with(settings)) {
            for (int i = 0; i < 3; i++) {
                assertThatThrownBy(() -> DriverManager.getConnection(orphan.jdbcUrl("postgres"), "postgres", "")
                        .close()).isInstanceOf(SQLException.class);
            }
            // the source is back: a listener that takes the connection is reached, whatever it then does
            try (ServerSocket back = new ServerSocket(port, 50, InetAddress.getByName("127.0.0.1"))) {
                Thread hangUp = new Thread(() -> {
                    try (Socket accepted = back.accept()) {
                        accepted.getInputStream().read();
                    } catch (IOException e) {
                        // the test's connection fails either way
                    }
                });
                hangUp.start();
                assertThatThrownBy(() -> DriverManager.getConnection(orphan.jdbcUrl("postgres"), "postgres", "")
                        .close()).isInstanceOf(SQLException.class);
                hangUp.join();
            }
        } finally {
            relayLogs.detachAppender(logged);
        }
        List<String> told = logged.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.INFO))
                .map(ILoggingEvent::getFormattedMessage).filter(m -> m.startsWith("source ") || m.contains("could not connect to the source")).toList();
        // one line when it went, one when it came back: not one per refused session
        assertThat(told).hasSize(2);
        assertThat(told.get(0)).startsWith("source 127.0.0.1:" + port + " cannot be reached (Connection refused):"
                + " clients get FATAL 08006 until it can");
        assertThat(told.get(1)).matches("source 127\\.0\\.0\\.1:" + port
                + " reached again after \\d+ s: 3 session\\(s\\) were refused meanwhile");
    }

    @Test
    void tooManyConnections() throws Exception {
        try (RunningProxy small = RunningProxy.in(PG.source(), s -> s.withLimits(1L << 30, 2, Duration.ofSeconds(10),
                Duration.ZERO));
             Connection first = DriverManager.getConnection(small.jdbcUrl(db), "postgres", "");
             Connection second = DriverManager.getConnection(small.jdbcUrl(db), "postgres", "")) {
            assertThatThrownBy(() -> DriverManager.getConnection(small.jdbcUrl(db), "postgres", "").close())
                    .isInstanceOfSatisfying(SQLException.class, e -> {
                        assertThat(e.getSQLState()).isEqualTo("53300");
                        assertThat(e.getMessage()).contains("sorry, too many clients already");
                    });
            assertThat(first.isValid(5)).isTrue();
            assertThat(second.isValid(5)).isTrue();
        }
    }

    @Test
    void idleSessionsAreEndedWithAClearError() throws Exception {
        try (RunningProxy idle = RunningProxy.in(PG.source(), s -> s.withLimits(1L << 30, 100, Duration.ofSeconds(10),
                Duration.ofMillis(500)));
             WireClient client = new WireClient(idle.port())) {
            client.login("postgres", db);
            Message error = fatal(client);
            assertThat(error.field('C')).isEqualTo("57P05");
        }
    }

    @Test
    void gracefulShutdownEndsLingeringSessionsLikeAFastShutdown() throws Exception {
        RunningProxy closing = RunningProxy.in(PG.source());
        Logger logger = (Logger) LoggerFactory.getLogger(ProxyServer.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        logger.addAppender(logged);
        try (WireClient client = new WireClient(closing.port())) {
            client.login("postgres", db);
            closing.server.close(Duration.ofMillis(300));
            Message error = fatal(client);
            assertThat(error.field('C')).isEqualTo("57P01");
            assertThat(error.field('M')).isEqualTo("terminating connection due to administrator command");
        } finally {
            logger.detachAppender(logged);
        }
        // the stop is announced when it begins, not only once the grace period is over
        assertThat(logged.list.get(0).getFormattedMessage()).isEqualTo("stopping: new connections are refused; waiting"
                + " up to 0.3 s (shutdown.grace-period) for 1 open session(s) to end");
        // the session owed the source nothing: no wait for the source's answers is announced
        assertThat(logged.list).extracting(ILoggingEvent::getFormattedMessage)
                .noneMatch(m -> m.contains("limits.drain-timeout"));
    }

    @Test
    void sessionsEndingInTheGracePeriodAreNotInterrupted() throws Exception {
        RunningProxy closing = RunningProxy.in(PG.source());
        try (WireClient client = new WireClient(closing.port())) {
            client.login("postgres", db);
            Thread finisher = new Thread(() -> {
                try {
                    Thread.sleep(300);
                    client.send(WireClient.query("SELECT 1"));
                    client.readUntilReady();
                    client.send(WireClient.frame('X', new byte[0]));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            finisher.start();
            closing.server.close(Duration.ofSeconds(20));
            finisher.join();
            assertThat(closing.counter("tandem.connection.errors", "reason", "shutdown")).isZero();
        }
    }

    @Test
    void anUnauthenticatedClientCannotMakeAMirroringProxyHoldALargeMessage() throws Exception {
        // as the mirror's capture does: queries are held until whole
        SessionTap wholeQueries = new SessionTap() {
            @Override
            public FrameObserver frontend() {
                return new FrameObserver() {
                    @Override
                    public boolean needsWholeFrame(byte type) {
                        return type == 'Q';
                    }
                };
            }

            @Override
            public FrameObserver backend() {
                return FrameObserver.NONE;
            }

            @Override
            public void closed(SessionEnd end) {
            }
        };
        try (RunningProxy tapped = RunningProxy.tapped(PG.source(), context -> wholeQueries)) {
            try (WireClient client = new WireClient(tapped.port())) {
                byte[] startup = WireClient.startup(PG.source().user(), db);
                // the start of a 100 MB query, sent before the source has even answered the startup packet
                byte[] bigQueryStart = ByteBuffer.allocate(1 + 4 + 1000).put((byte) 'Q').putInt(100_000_000).array();
                client.send(ByteBuffer.allocate(startup.length + bigQueryStart.length).put(startup).put(bigQueryStart)
                        .array());
                Message m = client.read();
                while (m.type() != 'E') {
                    m = client.read();
                }
                assertThat(m.field('C')).isEqualTo("08P01");
                assertThat(m.field('M')).contains("before authentication completed").contains("65535");
            }
            // an authenticated session may still send one larger than that
            try (WireClient client = new WireClient(tapped.port())) {
                client.login(PG.source().user(), db);
                client.send(WireClient.query("SELECT '" + "x".repeat(200_000) + "' IS NOT NULL"));
                assertThat(client.readUntilReady()).extracting(Message::type).contains('D').doesNotContain('E');
            }
        }
    }

    /** A tap with a bug: it throws on a Query that holds "boom". */
    private static SessionTap throwingOnBoom() {
        return new SessionTap() {
            @Override
            public FrameObserver frontend() {
                return new FrameObserver() {
                    @Override
                    public boolean needsWholeFrame(byte type) {
                        return type == 'Q';
                    }

                    @Override
                    public boolean onFrame(byte type, io.netty.buffer.ByteBuf frame) {
                        if (frame.toString(StandardCharsets.UTF_8).contains("boom")) {
                            throw new IllegalStateException("a bug in the tap");
                        }
                        return true;
                    }
                };
            }

            @Override
            public FrameObserver backend() {
                return FrameObserver.NONE;
            }

            @Override
            public void closed(SessionEnd end) {
            }
        };
    }

    /**
     * A bug in what reads the client's frames ends the session with XX000 and a stack trace in the log. Before, the
     * exception ended up in the session's "client reset its connection" path: the client got no message at all, and
     * the log only a debug line.
     */
    @Test
    void aBugInTheTapOnTheClientsFramesEndsTheSessionWithAnInternalError() throws Exception {
        try (RunningProxy tapped = RunningProxy.tapped(PG.source(), context -> throwingOnBoom())) {
            try (WireClient client = new WireClient(tapped.port())) {
                client.login(PG.source().user(), db);
                client.send(WireClient.query("SELECT 'boom'"));
                Message error = fatal(client);
                assertThat(error.field('C')).isEqualTo("XX000");
                assertThat(error.field('M')).isEqualTo("internal error in the Tandem proxy (its log has the details)");
            }
            assertThat(tapped.counter("tandem.connection.errors", "reason", "internal_error")).isEqualTo(1.0);
            try (WireClient client = new WireClient(tapped.port())) {
                assertThat(client.login(PG.source().user(), db)).last().extracting(Message::type).isEqualTo('Z');
            }
        }
    }

    /**
     * A bug in what reads the source's frames while a held stream resumes (the resume runs as a task of the event
     * loop) ends the session with XX000. Before, the exception escaped the task, which the event loop only logs: the
     * session stayed open with its stream held, and the client waited for ever.
     */
    @Test
    void aBugInTheTapWhileTheSourceStreamResumesEndsTheSessionWithAnInternalError() throws Exception {
        AtomicBoolean resumed = new AtomicBoolean();
        SessionTap.Factory holdingThenThrowing = context -> new SessionTap() {
            int ready;

            @Override
            public FrameObserver frontend() {
                return FrameObserver.NONE;
            }

            @Override
            public FrameObserver backend() {
                return new FrameObserver() {
                    @Override
                    public boolean needsWholeFrame(byte type) {
                        return type == 'Z' || type == 'C';
                    }

                    @Override
                    public boolean onFrame(byte type, io.netty.buffer.ByteBuf frame) {
                        if (type == 'C' && resumed.get()) {
                            throw new IllegalStateException("a bug in the tap");
                        }
                        if (type == 'Z' && ++ready == 2) {
                            // the first query's ReadyForQuery: held until a while later, when the second query's
                            // answer waits behind it
                            java.util.concurrent.CompletableFuture.runAsync(() -> {
                                resumed.set(true);
                                context.resume();
                            }, java.util.concurrent.CompletableFuture.delayedExecutor(300,
                                    java.util.concurrent.TimeUnit.MILLISECONDS));
                            return false;
                        }
                        return true;
                    }
                };
            }

            @Override
            public void closed(SessionEnd end) {
            }
        };
        try (RunningProxy tapped = RunningProxy.tapped(PG.source(), holdingThenThrowing);
             WireClient client = new WireClient(tapped.port())) {
            client.login(PG.source().user(), db);
            client.send(WireClient.concat(WireClient.query("SELECT 1"), WireClient.query("SELECT 2")));
            assertThat(client.readUntilReady()).extracting(Message::type).containsExactly('T', 'D', 'C', 'Z');
            // the second query's answer up to the frame the tap failed on, then the error
            List<Message> rest = client.readUntilReady();
            assertThat(rest).extracting(Message::type).containsExactly('T', 'D', 'E');
            assertThat(rest.get(2).field('S')).isEqualTo("FATAL");
            assertThat(rest.get(2).field('C')).isEqualTo("XX000");
        }
    }
}
