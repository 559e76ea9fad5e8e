package dev.tandem.proxy.relay;

import static dev.tandem.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.client.TlsMode;
import dev.tandem.protocol.frame.FrameObserver;
import dev.tandem.protocol.frame.StartupCodes;
import dev.tandem.proxy.LoggedWarnings;
import dev.tandem.proxy.relay.WireClient.Message;
import dev.tandem.testing.PostgresPairExtension;
import io.netty.buffer.ByteBuf;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Peers that stop reading, stop answering or go away: the proxy neither hangs on them nor holds their work. */
class RelayVanishingPeersIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    static String db;

    @BeforeAll
    static void createDatabase() {
        db = PG.pair().freshDatabase("relay_vanishing");
    }

    /** A tap that records the source's CommandComplete tags, as the mirror's capture follows them. */
    static final class TagRecorder implements SessionTap {
        final List<String> tags = new CopyOnWriteArrayList<>();
        final CountDownLatch closed = new CountDownLatch(1);

        @Override
        public FrameObserver frontend() {
            return FrameObserver.NONE;
        }

        @Override
        public FrameObserver backend() {
            return new FrameObserver() {
                @Override
                public boolean needsWholeFrame(byte type) {
                    return type == 'C';
                }

                @Override
                public boolean onFrame(byte type, ByteBuf frame) {
                    tags.add(frame.toString(frame.readerIndex() + 5, frame.readableBytes() - 6,
                            StandardCharsets.UTF_8));
                    return true;
                }
            };
        }

        @Override
        public void closed(SessionEnd end) {
            closed.countDown();
        }
    }

    @Test
    void aClientThatLeavesDuringALargeResultDoesNotPinItsSourceSessionAndTheTapLearnsHowItEnded() throws Exception {
        TagRecorder tap = new TagRecorder();
        try (RunningProxy proxy = RunningProxy.tapped(PG.source(), context -> tap)) {
            try (WireClient client = new WireClient(proxy.port())) {
                client.login(PG.source().user(), db);
                // about 8 MB of answer before the COMMIT: far more than one read of the source's socket
                client.send(WireClient.query("BEGIN; SELECT repeat('x', 1000) FROM generate_series(1, 8000); COMMIT"));
            }
            // The proxy reads the source's answers to the end after the client left, so the source finishes the
            // transaction (the tap sees how it ended) and its backend goes away instead of waiting on a full socket.
            assertThat(tap.closed.await(60, TimeUnit.SECONDS)).as("the session ended").isTrue();
            assertThat(tap.tags).containsExactly("BEGIN", "SELECT 8000", "COMMIT");
            eventually("the source backend went away", () -> PG.source().queryValue(db,
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'wire-client'").equals("0"));
        }
    }

    /**
     * A source that accepts the proxy's connection and its SSLRequest but never answers. Returns whether the proxy,
     * after telling the client why the session ended, closed that connection rather than leaving it open.
     */
    private static boolean proxyClosesASourceThatNeverAnswersTls(Duration connectTimeout, Duration authTimeout,
                                                                  String sqlState, String message) throws Exception {
        try (ServerSocket mute = new ServerSocket(0)) {
            RelaySettings plain = RelaySettings.plain(new InetSocketAddress("127.0.0.1", 0),
                    new InetSocketAddress("127.0.0.1", mute.getLocalPort()));
            RelaySettings settings = new RelaySettings(plain.listen(), plain.source(), null, TlsMode.PREFER,
                    SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE).build(),
                    plain.maxFrameBytes(), plain.maxHeldBytes(), plain.maxStartupPacketBytes(), plain.maxConnections(), connectTimeout,
                    authTimeout, Duration.ZERO, plain.shutdownGrace(), plain.drainTimeout(), plain.transport(),
                    plain.ioThreads());
            try (RunningProxy proxy = RunningProxy.with(settings); WireClient client = new WireClient(proxy.port())) {
                client.send(WireClient.startup(PG.source().user(), db));
                try (Socket accepted = mute.accept()) {
                    accepted.setSoTimeout(60_000);
                    DataInputStream in = new DataInputStream(accepted.getInputStream());
                    assertThat(in.readInt()).isEqualTo(8);
                    assertThat(in.readInt()).isEqualTo(StartupCodes.SSL_REQUEST);
                    Message error = client.read();
                    assertThat(error.type()).isEqualTo('E');
                    assertThat(error.field('C')).isEqualTo(sqlState);
                    assertThat(error.field('M')).contains(message);
                    try {
                        return in.read() < 0;
                    } catch (SocketTimeoutException e) {
                        return false;
                    }
                }
            }
        }
    }

    @Test
    void aSourceBackendTerminatedMidQueryEndsTheSessionWithItsErrorAndTheProxyServesOn() throws Exception {
        try (RunningProxy proxy = RunningProxy.in(PG.source(), s -> s)) {
            try (WireClient client = new WireClient(proxy.port())) {
                client.login(PG.source().user(), db);
                client.send(WireClient.query("SELECT pg_sleep(60)"));
                eventually("the query runs on the source", () -> "1".equals(PG.source().queryValue(db,
                        "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)'")));
                PG.source().execute(db, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        + " WHERE query = 'SELECT pg_sleep(60)'");
                Message error = client.read();
                if (error.type() == 'T') {
                    error = client.read(); // the row description went out before the sleep began
                }
                assertThat(error.type()).isEqualTo('E');
                assertThat(error.field('C')).isEqualTo("57P01");
                assertThat(client.readToEnd()).as("then the connection closes").isEmpty();
            }
            try (WireClient next = new WireClient(proxy.port())) {
                next.login(PG.source().user(), db);
                next.send(WireClient.query("SELECT 1"));
                assertThat(next.readUntilReady()).extracting(Message::type).containsExactly('T', 'D', 'C', 'Z');
            }
        }
    }

    /**
     * The source's FATAL is the client's last word: data the proxy still relays after the backend exited makes the
     * source's host answer with a reset, which is not another failure to report (a walkthrough's psql printed a second
     * FATAL, 'the connection to the source server failed: Connection reset by peer', after the source's own).
     */
    @Test
    void aSourceBackendTerminatedMidCopyEndsTheSessionWithItsErrorAlone() throws Exception {
        PG.source().execute(db, "CREATE TABLE copied (line text)");
        try (RunningProxy proxy = RunningProxy.in(PG.source(), s -> s);
             WireClient client = new WireClient(proxy.port())) {
            client.login(PG.source().user(), db);
            client.send(WireClient.query("COPY copied FROM STDIN"));
            assertThat(client.read().type()).as("CopyInResponse").isEqualTo('G');
            byte[] rows = WireClient.frame('d', "row\n".repeat(16 * 1024).getBytes(StandardCharsets.UTF_8));
            CountDownLatch terminated = new CountDownLatch(1);
            Thread writer = new Thread(() -> {
                try {
                    while (terminated.getCount() > 0) {
                        client.send(rows);
                    }
                    for (int i = 0; i < 64; i++) { // after the backend exited: the source's host resets
                        client.send(rows);
                    }
                } catch (IOException closed) {
                    // the proxy ended the session
                }
            });
            writer.start();
            eventually("the COPY runs on the source", () -> "1".equals(PG.source().queryValue(db,
                    "SELECT count(*) FROM pg_stat_activity WHERE query = 'COPY copied FROM STDIN'")));
            PG.source().execute(db, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    + " WHERE query = 'COPY copied FROM STDIN'");
            terminated.countDown();
            writer.join();
            List<Message> errors = new ArrayList<>();
            try {
                while (true) {
                    Message m = client.read();
                    if (m.type() == 'E') {
                        errors.add(m);
                    }
                }
            } catch (IOException end) {
                // the end of the session
            }
            assertThat(errors).extracting(m -> m.field('C') + " " + m.field('M'))
                    .containsExactly("57P01 terminating connection due to administrator command");
        }
    }

    @Test
    void anAuthenticationTimeoutSaysWhichSideDidNotAnswer() throws Exception {
        assertThat(authTimeoutMessage(false)).isEqualTo("authentication did not complete within 1 s"
                + " (limits.auth-timeout): the source server did not answer");
        assertThat(authTimeoutMessage(true)).isEqualTo("authentication did not complete within 1 s"
                + " (limits.auth-timeout): the source waited for the client's answer");
    }

    /**
     * A peer that sends a startup packet and never answers the password request (a port scanner, a TCP health check)
     * is the client's doing, one per connection: counted ({@code connection_errors{reason="auth_timeout"}}) and
     * logged at DEBUG, where an INFO line per connection flooded the log. A source that does not answer is the
     * operator's to know, and stays at INFO.
     */
    @Test
    void anAuthenticationTimeoutWaitingForTheClientIsNotLoggedAtInfo() {
        List<String> waitingForClient = LoggedWarnings.infoAndAbove(RelaySession.class, () -> {
            try {
                authTimeoutMessage(true);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        List<String> waitingForSource = LoggedWarnings.infoAndAbove(RelaySession.class, () -> {
            try {
                authTimeoutMessage(false);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(waitingForClient).noneMatch(line -> line.contains("authentication did not complete"));
        assertThat(waitingForSource).anyMatch(line -> line.contains("authentication did not complete")
                && line.contains("the source server did not answer"));
    }

    /**
     * The message a client gets when a source that accepts the connection says nothing, or asks for a password the
     * client never sends ({@code asksForPassword}), until the authentication timeout.
     */
    private static String authTimeoutMessage(boolean asksForPassword) throws Exception {
        try (ServerSocket source = new ServerSocket(0)) {
            RelaySettings settings = RelaySettings.plain(new InetSocketAddress("127.0.0.1", 0),
                    new InetSocketAddress("127.0.0.1", source.getLocalPort()))
                    .withLimits(1L << 30, 1000, Duration.ofSeconds(1), Duration.ZERO);
            try (RunningProxy proxy = RunningProxy.with(settings); WireClient client = new WireClient(proxy.port())) {
                client.send(WireClient.startup(PG.source().user(), db));
                try (Socket accepted = source.accept()) {
                    if (asksForPassword) {
                        DataInputStream in = new DataInputStream(accepted.getInputStream());
                        in.readFully(new byte[in.readInt() - 4]);
                        // AuthenticationCleartextPassword
                        accepted.getOutputStream().write(new byte[] {'R', 0, 0, 0, 8, 0, 0, 0, 3});
                        assertThat(client.read().type()).isEqualTo('R');
                    }
                    Message error = client.read();
                    assertThat(error.field('C')).isEqualTo("08P01");
                    return error.field('M');
                }
            }
        }
    }

    @Test
    void aSourceConnectionStillNegotiatingTlsIsClosedWhenTheSessionTimesOut() throws Exception {
        assertThat(proxyClosesASourceThatNeverAnswersTls(Duration.ofMinutes(10), Duration.ofSeconds(1), "08P01",
                "authentication did not complete within 1 s"))
                .as("the proxy closed its connection to the source").isTrue();
    }

    @Test
    void aSourceThatNeverAnswersTheTlsRequestFailsTheSessionWithinTheConnectTimeout() throws Exception {
        assertThat(proxyClosesASourceThatNeverAnswersTls(Duration.ofSeconds(1), Duration.ZERO, "08006",
                "the source did not complete TLS negotiation within 1 s (source.connect-timeout)"))
                .as("the proxy closed its connection to the source").isTrue();
    }

    @Test
    void aSessionEndedWhileItsClientDoesNotReadStillReleasesTheClientConnection() throws Exception {
        try (RunningProxy proxy = RunningProxy.in(PG.source(),
                s -> s.withLimits(1L << 30, 1000, Duration.ofSeconds(60), Duration.ofSeconds(1)));
             WireClient client = new WireClient(proxy.port())) {
            client.login(PG.source().user(), db);
            // far more than the socket buffers and the proxy's high water mark hold: the proxy's writes stall
            client.send(WireClient.query("COPY (SELECT repeat('x', 1000) FROM generate_series(1, 100000)) TO STDOUT"));
            // The idle timeout ends the session. Its FATAL error cannot be flushed to a client that does not read,
            // which must not keep the connection (and its slot under limits.max-connections) open for good.
            eventually("the proxy released the stalled client's connection", () -> proxy.server.activeConnections() == 0);
            assertThat(proxy.counter("tandem.connection.errors", "reason", "idle_timeout")).isEqualTo(1.0);
        }
    }
}
