package dev.tandem.protocol.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.tandem.protocol.backend.ErrorResponse;
import dev.tandem.testing.FakeSslServer;
import dev.tandem.testing.TestCertificates;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client's answer to what a real server cannot be made to send after SSLRequest, played by a fake one. */
class PgClientTlsNegotiationTest {

    private static EventLoopGroup group;

    @BeforeAll
    static void start() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** 'E' and an ErrorResponse, as a server sends when it cannot start a backend. */
    static byte[] errorAnswer(String message) {
        ByteBuf wire = Unpooled.buffer();
        ErrorResponse.fatal("53300", message).encode(wire);
        return ByteBufUtil.getBytes(wire);
    }

    @Test
    void anErrorResponseToSslRequestFailsInEveryModeWithoutRepeatingTheUnauthenticatedText() throws Exception {
        try (FakeSslServer server = FakeSslServer.answering(errorAnswer("sorry, too many clients already"))) {
            for (TlsMode mode : new TlsMode[] {TlsMode.PREFER, TlsMode.REQUIRE, TlsMode.VERIFY_FULL}) {
                PgClientConfig config = PgClientConfig.of("127.0.0.1", server.port(), "app", "alice", "")
                        .withTls(mode, null);
                PgException e = failure(PgClient.connect(config, group));
                assertThat(e.sqlState()).as(mode.configName()).isEqualTo(PgException.UNABLE_TO_CONNECT);
                assertThat(e.getMessage()).as(mode.configName())
                        .contains("server 127.0.0.1:" + server.port() + " sent an error response to the TLS request")
                        .doesNotContain("too many clients");
            }
        }
    }

    /**
     * A server that agrees to TLS and then hangs up (one shutting down, as a target restarted with {@code pg_ctl
     * restart -m fast}): the mirror logged {@code TLS handshake with localhost:5433 failed: null}, the exception
     * having no message of its own.
     */
    @Test
    void aServerThatHangsUpAfterAgreeingToTlsIsNamedWithWhatHappened() throws Exception {
        try (FakeSslServer server = FakeSslServer.answering(new byte[] {'S'})) {
            PgClientConfig config = PgClientConfig.of("127.0.0.1", server.port(), "app", "alice", "")
                    .withTls(TlsMode.REQUIRE, null);
            PgException e = failure(PgClient.connect(config, group));
            assertThat(e.sqlState()).isEqualTo(PgException.UNABLE_TO_CONNECT);
            assertThat(e.getMessage()).contains("TLS handshake with 127.0.0.1:" + server.port()
                    + " failed: the server closed the connection");
        }
    }

    @Test
    void theHostNameIsSentAsSniEvenWithoutADotButAnIpAddressIsNot(@TempDir Path dir) throws Exception {
        try (FakeSslServer server = FakeSslServer.tls(TestCertificates.selfSigned(dir, "localhost"))) {
            for (String host : new String[] {"localhost", "127.0.0.1"}) {
                PgClientConfig config = PgClientConfig.of(host, server.port(), "app", "alice", "")
                        .withTls(TlsMode.REQUIRE, null);
                // the fake server hangs up after the handshake: only what the client said in it matters here
                catchThrowable(() -> PgClient.connect(config, group).get(60, TimeUnit.SECONDS));
                List<String> sent = server.nextServerNames();
                if (host.equals("localhost")) {
                    assertThat(sent).containsExactly("localhost");
                } else {
                    assertThat(sent).isEmpty();
                }
            }
        }
    }

    private static PgException failure(CompletableFuture<?> future) {
        Throwable thrown = catchThrowable(() -> future.get(60, TimeUnit.SECONDS));
        assertThat(thrown).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(PgException.class);
        return (PgException) thrown.getCause();
    }
}
