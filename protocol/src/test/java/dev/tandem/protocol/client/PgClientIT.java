package dev.tandem.protocol.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.tandem.protocol.backend.BackendMessage;
import dev.tandem.protocol.backend.BindComplete;
import dev.tandem.protocol.backend.CommandComplete;
import dev.tandem.protocol.backend.CopyData;
import dev.tandem.protocol.backend.CopyInResponse;
import dev.tandem.protocol.backend.CopyOutResponse;
import dev.tandem.protocol.backend.DataRow;
import dev.tandem.protocol.backend.ErrorResponse;
import dev.tandem.protocol.backend.ParseComplete;
import dev.tandem.protocol.backend.ReadyForQuery;
import dev.tandem.protocol.backend.RowDescription;
import dev.tandem.protocol.backend.TransactionStatus;
import dev.tandem.protocol.frontend.Bind;
import dev.tandem.protocol.frontend.CopyDone;
import dev.tandem.protocol.frontend.Execute;
import dev.tandem.protocol.frontend.FrontendMessage;
import dev.tandem.protocol.frontend.Parse;
import dev.tandem.protocol.frontend.Query;
import dev.tandem.protocol.frontend.Sync;
import dev.tandem.testing.EmbeddedPgServer;
import dev.tandem.testing.PgServer;
import dev.tandem.testing.PostgresPairExtension;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.ReferenceCountUtil;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/** The client against a real PostgreSQL: every authentication method, pipelining, COPY, errors, server loss. */
class PgClientIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static final String TRUST_ALL = "host all all 127.0.0.1/32 trust";

    private static EventLoopGroup group;
    private static String db;

    @BeforeAll
    static void setUp() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        db = PG.pair().freshDatabase("pgclient");
        PgServer target = PG.target();
        target.execute("postgres", "DROP ROLE IF EXISTS u_md5; DROP ROLE IF EXISTS u_scram; DROP ROLE IF EXISTS u_clear;"
                + "SET password_encryption = 'md5'; CREATE ROLE u_md5 LOGIN PASSWORD 'x';"
                + "SET password_encryption = 'scram-sha-256'; CREATE ROLE u_scram LOGIN PASSWORD 'pencil';"
                + "CREATE ROLE u_clear LOGIN PASSWORD 'clear text'");
        ((EmbeddedPgServer) target).setHbaRules(
                "host all u_md5 127.0.0.1/32 md5",
                "host all u_scram 127.0.0.1/32 scram-sha-256",
                "host all u_clear 127.0.0.1/32 password",
                TRUST_ALL);
    }

    @AfterAll
    static void tearDown() {
        try {
            ((EmbeddedPgServer) PG.target()).setHbaRules(TRUST_ALL);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static PgClientConfig config(String user, String password) {
        return PgClientConfig.of(PG.target().host(), PG.target().port(), db, user, password)
                .withTls(TlsMode.DISABLE, null);
    }

    @Test
    void trustLoginReportsSessionStateAndRunsASimpleQuery() throws Exception {
        PgConnection c = get(PgClient.connect(config("postgres", ""), group));
        try {
            assertThat(c.isOpen()).isTrue();
            assertThat(c.transactionStatus()).isEqualTo(TransactionStatus.IDLE);
            assertThat(c.parameters()).containsEntry("application_name", "tandem").containsKey("server_version");
            assertThat(c.backendKeyData()).isNotNull();
            List<BackendMessage> reply = get(c.simpleQuery("SELECT 41 + 1"));
            assertThat(reply).hasSize(4);
            assertThat(reply.get(0)).isInstanceOf(RowDescription.class);
            assertThat(reply.get(1)).isEqualTo(new DataRow(List.of(utf8("42"))));
            assertThat(reply.get(2)).isEqualTo(new CommandComplete("SELECT 1"));
            assertThat(reply.get(3)).isEqualTo(ReadyForQuery.IDLE);
            get(c.simpleQuery("BEGIN"));
            assertThat(c.transactionStatus()).isEqualTo(TransactionStatus.IN_TRANSACTION);
        } finally {
            get(c.close());
        }
        assertThat(c.isOpen()).isFalse();
        assertThat(failure(c.simpleQuery("SELECT 1")).sqlState()).isEqualTo(PgException.CONNECTION_FAILURE);
    }

    /**
     * The mirror shuts its event loop down to fail a connection attempt in flight at once, and then closes what did
     * connect: that close must neither hang nor log an error about a listener it could not notify.
     */
    @Test
    void closingAfterItsEventLoopShutDownCompletesQuietly() throws Exception {
        EventLoopGroup own = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        PgConnection c = get(PgClient.connect(config("postgres", ""), own));
        own.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        Logger netty = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        netty.addAppender(events);
        try {
            c.close().get(5, TimeUnit.SECONDS);
        } finally {
            netty.detachAppender(events);
        }
        assertThat(c.isOpen()).isFalse();
        assertThat(events.list).filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                .extracting(ILoggingEvent::getFormattedMessage).isEmpty();
    }

    @Test
    void md5Login() throws Exception {
        assertLogsInAs("u_md5", "x");
    }

    @Test
    void scramSha256Login() throws Exception {
        assertLogsInAs("u_scram", "pencil");
    }

    @Test
    void cleartextLogin() throws Exception {
        assertLogsInAs("u_clear", "clear text");
    }

    @Test
    void wrongPasswordFailsWith28P01ForEveryMethod() {
        for (String user : List.of("u_md5", "u_scram", "u_clear")) {
            PgException e = failure(PgClient.connect(config(user, "wrong"), group));
            assertThat(e.sqlState()).as(user).isEqualTo("28P01");
            assertThat(e.severity()).isEqualTo("FATAL");
            assertThat(e.serverMessage()).contains("password authentication failed for user \"" + user + "\"");
        }
    }

    @Test
    void unknownDatabaseFailsWith3D000() {
        PgException e = failure(PgClient.connect(config("postgres", "").withDatabase("no_such_db"), group));
        assertThat(e.sqlState()).isEqualTo("3D000");
        assertThat(e.errorResponse()).isNotNull();
    }

    @Test
    void tlsPreferFallsBackToPlainTextAndRequireRefusesAServerWithoutTls() throws Exception {
        PgClientConfig base = config("postgres", "");
        PgConnection c = get(PgClient.connect(base.withTls(TlsMode.PREFER, null), group));
        get(c.close());
        PgException e = failure(PgClient.connect(base.withTls(TlsMode.REQUIRE, null), group));
        assertThat(e.sqlState()).isEqualTo(PgException.UNABLE_TO_CONNECT);
        assertThat(e.serverMessage()).endsWith("does not support TLS, but tls mode is require");
        PgClientConfig named = new PgClientConfig(base.host(), base.port(), base.database(), base.user(),
                base.password(), TlsMode.REQUIRE, null, base.connectTimeout(), null, "target.tls");
        assertThat(failure(PgClient.connect(named, group)).serverMessage())
                .endsWith("does not support TLS, but target.tls is require");
    }

    @Test
    void nothingListeningFailsWith08001() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        PgClientConfig nowhere = new PgClientConfig("127.0.0.1", port, db, "postgres", "", TlsMode.DISABLE, null,
                PgClientConfig.DEFAULT_CONNECT_TIMEOUT, null, null);
        PgException e = failure(PgClient.connect(nowhere, group));
        assertThat(e.sqlState()).isEqualTo(PgException.UNABLE_TO_CONNECT);
        // the system's words alone: not the native transport's call before them nor the address again after them
        assertThat(e.serverMessage()).isEqualTo("cannot connect to 127.0.0.1:" + port + ": Connection refused");
    }

    @Test
    void pipelinedExchangesCompleteInOrderWithExactParameterBytes() throws Exception {
        PG.target().execute(db, "CREATE TABLE pipelined (id int PRIMARY KEY, v text)");
        PgConnection c = get(PgClient.connect(config("postgres", ""), group));
        try {
            // id in binary (int4 big-endian), v in text: the formats and bytes go out exactly as given
            CompletableFuture<List<BackendMessage>> extended = c.exchange(frames(
                    new Parse("", "INSERT INTO pipelined VALUES ($1, $2)", List.of(23, 25)),
                    new Bind("", "", List.of((short) 1, (short) 0), List.of(new byte[] {0, 0, 0, 1}, utf8("one")),
                            List.of()),
                    new Execute("", 0),
                    Sync.INSTANCE));
            CompletableFuture<List<BackendMessage>> simple =
                    c.exchange(frames(new Query("INSERT INTO pipelined VALUES (2, 'two')")));
            assertThat(get(extended)).containsExactly(ParseComplete.INSTANCE, BindComplete.INSTANCE,
                    new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE);
            assertThat(get(simple)).containsExactly(new CommandComplete("INSERT 0 1"), ReadyForQuery.IDLE);
        } finally {
            get(c.close());
        }
        assertThat(PG.target().query(db, "SELECT id, v FROM pipelined ORDER BY id"))
                .containsExactly(List.of("1", "one"), List.of("2", "two"));
    }

    @Test
    void copyFromStdinReplaysInOneExchangeAndCopyOutDataIsReleasable() throws Exception {
        PG.target().execute(db, "CREATE TABLE copied (id int, v text)");
        PgConnection c = get(PgClient.connect(config("postgres", ""), group));
        try {
            List<ByteBuf> frames = new ArrayList<>(frames(new Query("COPY copied FROM STDIN")));
            frames.add(encode(new dev.tandem.protocol.frontend.CopyData(
                    Unpooled.wrappedBuffer(utf8("10\tten\n11\televen\n")))));
            frames.add(encode(CopyDone.INSTANCE));
            List<BackendMessage> reply = get(c.exchange(frames));
            assertThat(reply).hasSize(3);
            assertThat(reply.get(0)).isInstanceOf(CopyInResponse.class);
            assertThat(reply.get(1)).isEqualTo(new CommandComplete("COPY 2"));
            assertThat(reply.get(2)).isEqualTo(ReadyForQuery.IDLE);

            List<BackendMessage> out = get(c.simpleQuery("COPY (SELECT id FROM copied ORDER BY id) TO STDOUT"));
            try {
                assertThat(out.get(0)).isInstanceOf(CopyOutResponse.class);
                assertThat(out.get(1)).isInstanceOf(CopyData.class);
                assertThat(((CopyData) out.get(1)).data().toString(StandardCharsets.UTF_8)).isEqualTo("10\n");
            } finally {
                out.forEach(ReferenceCountUtil::release);
            }
        } finally {
            get(c.close());
        }
        assertThat(PG.target().query(db, "SELECT id, v FROM copied ORDER BY id"))
                .containsExactly(List.of("10", "ten"), List.of("11", "eleven"));
    }

    @Test
    void errorInsideAnExtendedBatchRollsItBackAndIsSurfacedInTheReply() throws Exception {
        PG.target().execute(db, "CREATE TABLE batch (id int PRIMARY KEY)");
        PgConnection c = get(PgClient.connect(config("postgres", ""), group));
        try {
            List<ByteBuf> frames = new ArrayList<>();
            for (String id : List.of("100", "101", "100", "102")) {
                frames.addAll(frames(new Parse("", "INSERT INTO batch VALUES ($1)", List.of()),
                        new Bind("", "", List.of(), List.of(utf8(id)), List.of()), new Execute("", 0)));
            }
            frames.add(encode(Sync.INSTANCE));
            List<BackendMessage> reply = get(c.exchange(frames));
            assertThat(reply).last().isEqualTo(ReadyForQuery.IDLE);
            assertThat(reply).filteredOn(ErrorResponse.class::isInstance).singleElement()
                    .extracting(m -> ((ErrorResponse) m).sqlState()).isEqualTo("23505");
            // after the error the server skips to Sync: the fourth statement never ran
            assertThat(reply).filteredOn(CommandComplete.class::isInstance).hasSize(2);
            assertThat(get(c.simpleQuery("SELECT count(*) FROM batch"))).contains(new DataRow(List.of(utf8("0"))));
        } finally {
            get(c.close());
        }
    }

    @Test
    void serverStoppedMidConnectionFailsPendingAndLaterExchangesWith08006() throws Exception {
        PgServer target = PG.target();
        PgConnection c = get(PgClient.connect(config("postgres", ""), group));
        CompletableFuture<List<BackendMessage>> sleeping = c.simpleQuery("SELECT pg_sleep(60)");
        try {
            target.stop();
            assertThat(failure(sleeping).sqlState()).isEqualTo(PgException.CONNECTION_FAILURE);
            assertThat(failure(c.simpleQuery("SELECT 1")).sqlState()).isEqualTo(PgException.CONNECTION_FAILURE);
            assertThat(c.isOpen()).isFalse();
        } finally {
            target.start();
            c.close();
        }
    }

    private static void assertLogsInAs(String user, String password) throws Exception {
        PgConnection c = get(PgClient.connect(config(user, password), group));
        try {
            assertThat(get(c.simpleQuery("SELECT current_user"))).contains(new DataRow(List.of(utf8(user))));
        } finally {
            get(c.close());
        }
    }

    private static List<ByteBuf> frames(FrontendMessage... messages) {
        List<ByteBuf> frames = new ArrayList<>();
        for (FrontendMessage m : messages) {
            frames.add(encode(m));
        }
        return frames;
    }

    private static ByteBuf encode(FrontendMessage message) {
        return message.encode(ByteBufAllocator.DEFAULT);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static <T> T get(CompletableFuture<T> future) throws Exception {
        return future.get(60, TimeUnit.SECONDS);
    }

    private static PgException failure(CompletableFuture<?> future) {
        Throwable thrown = catchThrowable(() -> future.get(60, TimeUnit.SECONDS));
        assertThat(thrown).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(PgException.class);
        return (PgException) thrown.getCause();
    }
}
