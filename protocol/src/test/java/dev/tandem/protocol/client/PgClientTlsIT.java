package dev.tandem.protocol.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.tandem.protocol.backend.BackendMessage;
import dev.tandem.protocol.backend.CommandComplete;
import dev.tandem.protocol.backend.DataRow;
import dev.tandem.protocol.frontend.CopyDone;
import dev.tandem.protocol.frontend.Query;
import dev.tandem.testing.EmbeddedPgServer;
import dev.tandem.testing.PostgresPairExtension;
import dev.tandem.testing.TestCertificates;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * TLS against the embedded server, switched to {@code ssl = on} for this class with a self-signed certificate whose
 * only name is {@code localhost} (made by the JDK's keytool), and switched back afterwards.
 */
class PgClientTlsIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static final String TRUST_ALL = "host all all 127.0.0.1/32 trust";

    @TempDir
    static Path keys;

    private static EventLoopGroup group;
    private static String db;
    private static Path serverCert;

    @BeforeAll
    static void enableTls() throws Exception {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        db = PG.pair().freshDatabase("pgclienttls");
        EmbeddedPgServer target = (EmbeddedPgServer) PG.target();
        serverCert = writeSelfSignedCertificate(target.dataDirectory());
        target.execute("postgres", "DROP ROLE IF EXISTS u_tls; SET password_encryption = 'scram-sha-256';"
                + "CREATE ROLE u_tls LOGIN PASSWORD 'over tls'");
        target.execute("postgres", "ALTER SYSTEM SET ssl = on");
        target.setHbaRules("hostssl all u_tls 127.0.0.1/32 scram-sha-256", TRUST_ALL);
        assertThat(target.queryValue("postgres", "SHOW ssl")).isEqualTo("on");
    }

    @AfterAll
    static void disableTls() {
        EmbeddedPgServer target = (EmbeddedPgServer) PG.target();
        try {
            target.execute("postgres", "ALTER SYSTEM RESET ssl");
            target.setHbaRules(TRUST_ALL);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static PgClientConfig config(String host, TlsMode mode, Path ca) {
        return PgClientConfig.of(host, PG.target().port(), db, "postgres", "").withTls(mode, ca);
    }

    @Test
    void requireAndPreferEncryptWithoutCheckingTheCertificate() throws Exception {
        assertEncrypted(config("127.0.0.1", TlsMode.REQUIRE, null));
        assertEncrypted(config("127.0.0.1", TlsMode.PREFER, null));
    }

    @Test
    void verifyFullAcceptsTheTrustedCertificateForItsHostName() throws Exception {
        assertEncrypted(config("localhost", TlsMode.VERIFY_FULL, serverCert));
    }

    @Test
    void verifyFullRejectsAHostNameTheCertificateDoesNotName() {
        PgException e = failure(PgClient.connect(config("127.0.0.1", TlsMode.VERIFY_FULL, serverCert), group));
        assertThat(e.sqlState()).isEqualTo(PgException.UNABLE_TO_CONNECT);
        assertThat(e.getMessage()).contains("TLS handshake");
    }

    @Test
    void verifyCaChecksTheChainButNotTheHostName() throws Exception {
        // the certificate names only localhost
        assertEncrypted(config("127.0.0.1", TlsMode.VERIFY_CA, serverCert));
        PgException e = failure(PgClient.connect(config("127.0.0.1", TlsMode.VERIFY_CA, null), group));
        assertThat(e.sqlState()).isEqualTo(PgException.UNABLE_TO_CONNECT);
        assertThat(e.getMessage()).contains("PKIX path");
    }

    @Test
    void requireWithACaFileChecksTheChainButNotTheHostNameAsLibpqDoes() throws Exception {
        assertEncrypted(config("127.0.0.1", TlsMode.REQUIRE, serverCert));
        Path otherCa = TestCertificates.authority(keys, "Other CA").certificate();
        PgException e = failure(PgClient.connect(config("127.0.0.1", TlsMode.REQUIRE, otherCa), group));
        assertThat(e.sqlState()).isEqualTo(PgException.UNABLE_TO_CONNECT);
        assertThat(e.getMessage()).contains("PKIX path");
    }

    @Test
    void verifyFullRejectsACertificateTheJdkTrustStoreDoesNotTrust() {
        PgException e = failure(PgClient.connect(config("localhost", TlsMode.VERIFY_FULL, null), group));
        assertThat(e.sqlState()).isEqualTo(PgException.UNABLE_TO_CONNECT);
    }

    @Test
    void scramWorksOverTlsWithoutChannelBinding() throws Exception {
        PgClientConfig scram = config("127.0.0.1", TlsMode.REQUIRE, null).withUser("u_tls", "over tls");
        PgConnection c = PgClient.connect(scram, group).get(60, TimeUnit.SECONDS);
        try {
            assertThat(c.simpleQuery("SELECT current_user").get(60, TimeUnit.SECONDS))
                    .contains(new DataRow(List.of(utf8("u_tls"))));
        } finally {
            c.close().get(60, TimeUnit.SECONDS);
        }
    }

    /**
     * More frames than the socket takes at once are written as it takes them (here, through TLS), and an exchange sent
     * meanwhile follows them.
     */
    @Test
    void aLargeExchangeIsWrittenAsTheSocketTakesItAndTheNextOneFollowsIt() throws Exception {
        ((EmbeddedPgServer) PG.target()).execute(db, "CREATE TABLE copied (id int, v text)");
        PgConnection c = PgClient.connect(config("127.0.0.1", TlsMode.REQUIRE, null), group).get(60, TimeUnit.SECONDS);
        try {
            List<ByteBuf> frames = new ArrayList<>();
            ByteBuf query = Unpooled.buffer();
            new Query("COPY copied FROM STDIN").encode(query);
            frames.add(query);
            String filler = "x".repeat(1000);
            int rows = 0;
            for (int piece = 0; piece < 16; piece++) {
                StringBuilder data = new StringBuilder();
                while (data.length() < 1024 * 1024) {
                    data.append(++rows).append('\t').append(filler).append('\n');
                }
                byte[] bytes = data.toString().getBytes(StandardCharsets.UTF_8);
                frames.add(Unpooled.buffer(5).writeByte('d').writeInt(4 + bytes.length));
                frames.add(Unpooled.wrappedBuffer(bytes));
            }
            ByteBuf done = Unpooled.buffer();
            CopyDone.INSTANCE.encode(done);
            frames.add(done);
            CompletableFuture<List<BackendMessage>> copy = c.exchange(frames);
            CompletableFuture<List<BackendMessage>> count = c.simpleQuery("SELECT count(*) FROM copied");
            assertThat(copy.get(60, TimeUnit.SECONDS)).contains(new CommandComplete("COPY " + rows));
            assertThat(count.get(60, TimeUnit.SECONDS)).contains(new DataRow(List.of(utf8(String.valueOf(rows)))));
        } finally {
            c.close().get(60, TimeUnit.SECONDS);
        }
    }

    private static void assertEncrypted(PgClientConfig config) throws Exception {
        PgConnection c = PgClient.connect(config, group).get(60, TimeUnit.SECONDS);
        try {
            List<BackendMessage> reply = c.simpleQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                    .get(60, TimeUnit.SECONDS);
            assertThat(reply).as(config.tlsMode().configName()).contains(new DataRow(List.of(utf8("t"))));
        } finally {
            c.close().get(60, TimeUnit.SECONDS);
        }
    }

    /** Writes server.crt and server.key (0600, as PostgreSQL demands) into the data directory; returns the cert. */
    private static Path writeSelfSignedCertificate(Path dataDirectory) throws Exception {
        TestCertificates.Pair pair = TestCertificates.selfSigned(keys, "localhost");
        Path cert = dataDirectory.resolve("server.crt");
        Path keyFile = dataDirectory.resolve("server.key");
        Files.copy(pair.cert(), cert, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(pair.key(), keyFile, StandardCopyOption.REPLACE_EXISTING);
        TestCertificates.restrict(keyFile);
        return cert;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static PgException failure(CompletableFuture<?> future) {
        Throwable thrown = catchThrowable(() -> future.get(60, TimeUnit.SECONDS));
        assertThat(thrown).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(PgException.class);
        return (PgException) thrown.getCause();
    }
}
