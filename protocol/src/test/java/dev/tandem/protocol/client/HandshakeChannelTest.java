package dev.tandem.protocol.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.tandem.protocol.backend.AuthenticationCleartextPassword;
import dev.tandem.protocol.backend.AuthenticationMD5Password;
import dev.tandem.protocol.backend.AuthenticationOk;
import dev.tandem.protocol.backend.AuthenticationOther;
import dev.tandem.protocol.backend.AuthenticationSASL;
import dev.tandem.protocol.backend.BackendKeyData;
import dev.tandem.protocol.backend.BackendMessage;
import dev.tandem.protocol.backend.CommandComplete;
import dev.tandem.protocol.backend.ErrorResponse;
import dev.tandem.protocol.backend.NoticeResponse;
import dev.tandem.protocol.backend.ParameterStatus;
import dev.tandem.protocol.backend.ReadyForQuery;
import dev.tandem.protocol.backend.TransactionStatus;
import dev.tandem.protocol.frontend.FrontendMessage;
import dev.tandem.protocol.frontend.PasswordMessage;
import dev.tandem.protocol.frontend.Query;
import dev.tandem.protocol.frontend.SSLRequest;
import dev.tandem.protocol.frontend.StartupMessage;
import dev.tandem.protocol.frontend.Terminate;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/**
 * The handshake and exchange handlers driven through an {@link EmbeddedChannel}, playing the server by hand: the
 * paths a well-behaved PostgreSQL never takes (unsupported methods, injected bytes, FATAL mid-exchange).
 */
class HandshakeChannelTest {

    private static final PgClientConfig CONFIG =
            PgClientConfig.of("db.example", 5432, "app", "alice", "s3cret").withTls(TlsMode.DISABLE, null);

    private final CompletableFuture<PgConnection> result = new CompletableFuture<>();

    @Test
    void md5HandshakeThenFifoExchangesThenConnectionLoss() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel(new StartupHandler(CONFIG, result));
        StartupMessage startup = (StartupMessage) readStartup(ch);
        assertThat(startup.parameters()).containsEntry("user", "alice").containsEntry("database", "app");

        byte[] salt = {1, 2, 3, 4};
        serverSends(ch, new AuthenticationMD5Password(salt));
        assertThat(readTyped(ch)).isEqualTo(PasswordMessage.md5("alice", "s3cret", salt));
        serverSends(ch, AuthenticationOk.INSTANCE, new ParameterStatus("server_version", "17.6"),
                new BackendKeyData(42, new byte[] {9, 9, 9, 9}), ReadyForQuery.IDLE);
        PgConnection c = result.getNow(null);
        assertThat(c).isNotNull();
        assertThat(c.parameters()).containsEntry("server_version", "17.6");
        assertThat(c.backendKeyData().processId()).isEqualTo(42);

        CompletableFuture<List<BackendMessage>> first = c.simpleQuery("BEGIN");
        CompletableFuture<List<BackendMessage>> second = c.simpleQuery("SELECT 1");
        assertThat(readTyped(ch)).isEqualTo(new Query("BEGIN"));
        assertThat(readTyped(ch)).isEqualTo(new Query("SELECT 1"));
        serverSends(ch, new CommandComplete("BEGIN"), ReadyForQuery.IN_TRANSACTION);
        assertThat(first.getNow(null)).containsExactly(new CommandComplete("BEGIN"), ReadyForQuery.IN_TRANSACTION);
        assertThat(second).isNotDone();
        assertThat(c.transactionStatus()).isEqualTo(TransactionStatus.IN_TRANSACTION);

        serverSends(ch, ErrorResponse.fatal("57P01", "terminating connection due to administrator command"));
        ch.close();
        PgException lost = failure(second);
        assertThat(lost.sqlState()).isEqualTo(PgException.CONNECTION_FAILURE);
        assertThat(lost.getMessage()).contains("administrator command");
        assertThat(failure(c.simpleQuery("SELECT 2")).sqlState()).isEqualTo(PgException.CONNECTION_FAILURE);
        ch.finishAndReleaseAll();
    }

    @Test
    void closeSendsTerminate() {
        EmbeddedChannel ch = new EmbeddedChannel(new StartupHandler(CONFIG, result));
        readStartup(ch);
        serverSends(ch, AuthenticationOk.INSTANCE, ReadyForQuery.IDLE);
        result.getNow(null).close();
        assertThat(readTyped(ch)).isEqualTo(Terminate.INSTANCE);
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void unsupportedAuthenticationMethodFailsWithAClearMessage() {
        EmbeddedChannel ch = new EmbeddedChannel(new StartupHandler(CONFIG, result));
        readStartup(ch);
        serverSends(ch, new AuthenticationOther(7, new byte[0]));
        PgException e = failure(result);
        assertThat(e.sqlState()).isEqualTo(PgException.PROTOCOL_VIOLATION);
        assertThat(e.getMessage()).contains("AuthenticationOther[code=7").contains("md5 and scram-sha-256");
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void saslWithoutScramSha256IsRefused() {
        EmbeddedChannel ch = new EmbeddedChannel(new StartupHandler(CONFIG, result));
        readStartup(ch);
        serverSends(ch, new AuthenticationSASL(List.of("SCRAM-SHA-256-PLUS")));
        assertThat(failure(result).sqlState()).isEqualTo(PgException.FEATURE_NOT_SUPPORTED);
        ch.finishAndReleaseAll();
    }

    /** As libpq's "no password supplied": the operator must hear that the password is missing, not a SCRAM detail. */
    @Test
    void aServerThatAsksForAPasswordNoneWasGivenForFailsSayingSo() {
        PgClientConfig noPassword = PgClientConfig.of("db.example", 5432, "app", "alice", null)
                .withTls(TlsMode.DISABLE, null);
        List<BackendMessage> requests = List.of(new AuthenticationSASL(List.of("SCRAM-SHA-256")),
                new AuthenticationMD5Password(new byte[] {1, 2, 3, 4}), AuthenticationCleartextPassword.INSTANCE);
        for (BackendMessage request : requests) {
            CompletableFuture<PgConnection> connecting = new CompletableFuture<>();
            EmbeddedChannel ch = new EmbeddedChannel(new StartupHandler(noPassword, connecting));
            readStartup(ch);
            serverSends(ch, request);
            PgException e = failure(connecting);
            assertThat(e.sqlState()).as(request.toString()).isEqualTo(PgException.INVALID_AUTHORIZATION);
            assertThat(e.getMessage()).as(request.toString())
                    .contains("db.example:5432 asks user alice for a password, and none was given");
            assertThat((Object) ch.readOutbound()).as("nothing sent for " + request).isNull();
            assertThat(ch.isOpen()).isFalse();
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void malformedServerMessageIsAProtocolViolation() {
        EmbeddedChannel ch = new EmbeddedChannel(new StartupHandler(CONFIG, result));
        readStartup(ch);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {'Z', 0, 0, 0, 5, 'X'}));
        PgException e = failure(result);
        assertThat(e.sqlState()).isEqualTo(PgException.PROTOCOL_VIOLATION);
        assertThat(e.getMessage()).contains("ReadyForQuery");
        ch.finishAndReleaseAll();
    }

    @Test
    void noticesDuringStartupAreIgnoredButErrorsFailIt() {
        EmbeddedChannel ch = new EmbeddedChannel(new StartupHandler(CONFIG, result));
        readStartup(ch);
        serverSends(ch, new NoticeResponse(Map.of('S', "NOTICE", 'M', "hello")),
                ErrorResponse.fatal("28000", "no pg_hba.conf entry"));
        PgException e = failure(result);
        assertThat(e.sqlState()).isEqualTo("28000");
        assertThat(e.serverMessage()).isEqualTo("no pg_hba.conf entry");
        ch.finishAndReleaseAll();
    }

    @Test
    void bytesInjectedAfterTheSslAnswerAreRejected() {
        EmbeddedChannel ch = new EmbeddedChannel(new TlsNegotiator(CONFIG.withTls(TlsMode.REQUIRE, null), result));
        ByteBuf request = ch.readOutbound();
        try {
            assertThat(FrontendMessage.decodeStartup(request)).isSameAs(SSLRequest.INSTANCE);
        } finally {
            request.release();
        }
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {'S', 'Z'}));
        PgException e = failure(result);
        assertThat(e.sqlState()).isEqualTo(PgException.PROTOCOL_VIOLATION);
        assertThat(e.getMessage()).contains("unencrypted data");
        ch.finishAndReleaseAll();
    }

    @Test
    void requireFailsWhenTheServerRefusesTls() {
        EmbeddedChannel ch = new EmbeddedChannel(new TlsNegotiator(CONFIG.withTls(TlsMode.REQUIRE, null), result));
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {'N'}));
        assertThat(failure(result).sqlState()).isEqualTo(PgException.UNABLE_TO_CONNECT);
        ch.finishAndReleaseAll();
    }

    @Test
    void preferContinuesInPlainTextWhenTheServerRefusesTls() {
        EmbeddedChannel ch = new EmbeddedChannel(new TlsNegotiator(CONFIG.withTls(TlsMode.PREFER, null), result));
        ((ByteBuf) ch.readOutbound()).release();
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {'N'}));
        assertThat(readStartup(ch)).isInstanceOf(StartupMessage.class);
        ch.finishAndReleaseAll();
    }

    private static void serverSends(EmbeddedChannel ch, BackendMessage... messages) {
        ByteBuf wire = ByteBufAllocator.DEFAULT.buffer();
        for (BackendMessage m : messages) {
            m.encode(wire);
        }
        ch.writeInbound(wire);
    }

    private static FrontendMessage readStartup(EmbeddedChannel ch) {
        ByteBuf out = ch.readOutbound();
        try {
            return FrontendMessage.decodeStartup(out);
        } finally {
            out.release();
        }
    }

    private static FrontendMessage readTyped(EmbeddedChannel ch) {
        ByteBuf out = ch.readOutbound();
        try {
            return FrontendMessage.decode(out);
        } finally {
            out.release();
        }
    }

    private static PgException failure(CompletableFuture<?> future) {
        assertThat(future).isCompletedExceptionally();
        Throwable thrown = catchThrowable(future::get);
        assertThat(thrown).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(PgException.class);
        return (PgException) thrown.getCause();
    }
}
