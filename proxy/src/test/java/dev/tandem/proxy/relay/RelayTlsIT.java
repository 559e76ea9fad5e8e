package dev.tandem.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.protocol.backend.ErrorResponse;
import dev.tandem.protocol.client.TlsMode;
import dev.tandem.proxy.config.ProxyOptions;
import dev.tandem.testing.EmbeddedPgServer;
import dev.tandem.testing.FakeSslServer;
import dev.tandem.testing.PostgresPairExtension;
import dev.tandem.testing.TestCertificates;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.File;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** TLS on both hops, independently: client to proxy (the proxy's certificate) and proxy to source. */
class RelayTlsIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    static File cert;
    static File key;
    static EmbeddedPgServer tlsSource;

    @BeforeAll
    static void start() throws Exception {
        cert = resource("tls/server.crt");
        // PostgreSQL insists that its key file is private to its owner.
        Path keyCopy = Files.createTempFile("tandem-test", ".key");
        Files.copy(resource("tls/server.key").toPath(), keyCopy, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(keyCopy, PosixFilePermissions.fromString("rw-------"));
        key = keyCopy.toFile();
        tlsSource = EmbeddedPgServer.start("tls-source", Map.of("ssl", "on",
                "ssl_cert_file", cert.getAbsolutePath(), "ssl_key_file", key.getAbsolutePath()));
    }

    @AfterAll
    static void stop() {
        tlsSource.close();
    }

    private static File resource(String name) throws URISyntaxException {
        return new File(RelayTlsIT.class.getClassLoader().getResource(name).toURI());
    }

    private static String currentConnectionUsesTls(Connection c) throws SQLException {
        ResultSet rs = c.createStatement().executeQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
        rs.next();
        return rs.getString(1);
    }

    @Test
    void clientsGetTlsWithTheProxysCertificate() throws Exception {
        var ssl = TlsContexts.server(cert, key);
        try (RunningProxy proxy = RunningProxy.in(PG.source(), s -> s.withClientTls(ssl))) {
            String url = "jdbc:postgresql://localhost:" + proxy.port() + "/postgres?sslmode=verify-full&sslrootcert="
                    + cert.getAbsolutePath();
            try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
                assertThat(c.isValid(5)).isTrue();
                // the proxy terminates client TLS; its own hop to this source is plain
                assertThat(currentConnectionUsesTls(c)).isEqualTo("f");
            }
        }
    }

    @Test
    void withoutACertificateTheProxyDeclinesTls() throws Exception {
        try (RunningProxy proxy = RunningProxy.in(PG.source())) {
            assertThatThrownBy(() -> DriverManager.getConnection(
                    "jdbc:postgresql://localhost:" + proxy.port() + "/postgres?sslmode=require", "postgres", "").close())
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("The server does not support SSL");
            try (Connection c = DriverManager.getConnection(
                    "jdbc:postgresql://localhost:" + proxy.port() + "/postgres?sslmode=prefer", "postgres", "")) {
                assertThat(c.isValid(5)).isTrue();
            }
        }
    }

    @Test
    void directTlsWithAlpnIsAccepted() throws Exception {
        var ssl = TlsContexts.server(cert, key);
        try (RunningProxy proxy = RunningProxy.in(PG.source(), s -> s.withClientTls(ssl))) {
            String url = "jdbc:postgresql://localhost:" + proxy.port() + "/postgres?sslNegotiation=direct"
                    + "&sslmode=verify-full&sslrootcert=" + cert.getAbsolutePath();
            try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
                assertThat(c.isValid(5)).isTrue();
            }
            // a cancel request arrives on a new connection that negotiates the same way
            try (WireClient direct = new WireClient(directTls(proxy.port(), "postgresql"))) {
                direct.send(ByteBuffer.allocate(16).putInt(16).putInt(80877102).putInt(1).putInt(2).array());
                assertThat(direct.readToEnd()).isEmpty();
            }
        }
    }

    @Test
    void directTlsWithoutAlpnIsRefusedWithAnError() throws Exception {
        var ssl = TlsContexts.server(cert, key);
        try (RunningProxy proxy = RunningProxy.in(PG.source(), s -> s.withClientTls(ssl));
             WireClient client = new WireClient(directTls(proxy.port(), null))) {
            client.send(WireClient.startup("postgres", "postgres"));
            WireClient.Message error = client.read();
            assertThat(error.type()).isEqualTo('E');
            assertThat(error.field('C')).isEqualTo("08P01");
            assertThat(error.field('M'))
                    .isEqualTo("received direct SSL connection request without ALPN protocol negotiation extension");
        }
    }

    @Test
    void directTlsWithoutACertificateGetsATlsAlert() throws Exception {
        try (RunningProxy proxy = RunningProxy.in(PG.source())) {
            String url = "jdbc:postgresql://localhost:" + proxy.port() + "/postgres?sslNegotiation=direct&sslmode=require";
            assertThatThrownBy(() -> DriverManager.getConnection(url, "postgres", "").close())
                    .isInstanceOf(SQLException.class)
                    .hasStackTraceContaining("handshake_failure");
            try (WireClient client = new WireClient(proxy.port())) {
                client.send(new byte[] {0x16, 0x03, 0x01, 0x00, (byte) 0xc8, 0x01}); // the start of a ClientHello
                assertThat(client.readToEnd()).isEqualTo(DirectTlsDetector.HANDSHAKE_FAILURE_ALERT);
            }
            assertThat(proxy.counter("tandem.connection.errors", "reason", "tls_unavailable")).isEqualTo(2.0);
            assertThat(proxy.counter("tandem.connection.errors", "reason", "protocol_violation")).isZero();
        }
    }

    @Test
    void gssEncryptionIsDeclinedAndTheClientGoesOnOnTheSameConnection() throws Exception {
        var ssl = TlsContexts.server(cert, key);
        try (RunningProxy plain = RunningProxy.in(PG.source());
             RunningProxy withTls = RunningProxy.in(PG.source(), s -> s.withClientTls(ssl))) {
            // pgjdbc, like libpq with Kerberos credentials, sends GSSENCRequest first, then SSLRequest after the 'N'
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://localhost:" + plain.port()
                    + "/postgres?gssEncMode=prefer&sslmode=disable", "postgres", "")) {
                assertThat(c.isValid(5)).isTrue();
            }
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://localhost:" + withTls.port()
                    + "/postgres?gssEncMode=prefer&sslmode=verify-full&sslrootcert=" + cert.getAbsolutePath(),
                    "postgres", "")) {
                assertThat(c.isValid(5)).isTrue();
            }
            try (WireClient client = new WireClient(plain.port())) {
                client.send(ByteBuffer.allocate(8).putInt(8).putInt(80877104).array());
                assertThat(client.readByte()).isEqualTo('N');
                client.send(ByteBuffer.allocate(8).putInt(8).putInt(80877103).array());
                assertThat(client.readByte()).isEqualTo('N');
                assertThat(client.login("postgres", "postgres")).last().extracting(WireClient.Message::type)
                        .isEqualTo('Z');
            }
            // each kind of encryption is negotiated once; asking again is answered as PostgreSQL does
            for (int[] requests : new int[][] {{80877103, 80877103}, {80877104, 80877104}}) {
                try (WireClient client = new WireClient(plain.port());
                     WireClient direct = new WireClient(PG.source().port())) {
                    for (WireClient c : List.of(client, direct)) {
                        c.send(ByteBuffer.allocate(8).putInt(8).putInt(requests[0]).array());
                        assertThat(c.readByte()).isEqualTo('N');
                        c.send(ByteBuffer.allocate(8).putInt(8).putInt(requests[1]).array());
                    }
                    WireClient.Message refused = client.read();
                    WireClient.Message expected = direct.read();
                    assertThat(refused.type()).isEqualTo('E');
                    assertThat(refused.field('C')).isEqualTo(expected.field('C')).isEqualTo("0A000");
                    assertThat(refused.field('M')).startsWith("unsupported frontend protocol 1234.");
                }
            }
        }
    }

    /** A TLS connection begun at once, as PostgreSQL 17's libpq does with sslnegotiation=direct. */
    private static Socket directTls(int port, String alpn) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, InsecureTrustManagerFactory.INSTANCE.getTrustManagers(), null);
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port);
        if (alpn != null) {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setApplicationProtocols(new String[] {alpn});
            socket.setSSLParameters(parameters);
        }
        socket.startHandshake();
        return socket;
    }

    @Test
    void theProxyUsesTlsToTheSourceWhenConfigured() throws Exception {
        for (TlsMode mode : new TlsMode[] {TlsMode.PREFER, TlsMode.REQUIRE, TlsMode.VERIFY_FULL}) {
            var sourceSsl = TlsContexts.sourceClient(mode, cert);
            RelaySettings settings = RelaySettings.plain(new InetSocketAddress("127.0.0.1", 0),
                    InetSocketAddress.createUnresolved("localhost", tlsSource.port())).withSourceTls(mode, sourceSsl);
            try (RunningProxy proxy = RunningProxy.with(settings);
                 Connection c = DriverManager.getConnection(proxy.jdbcUrl("postgres"), "postgres", "")) {
                assertThat(currentConnectionUsesTls(c)).as(mode.configName()).isEqualTo("t");
            }
        }
    }

    /**
     * The source offers SCRAM channel binding because the proxy's connection to it is TLS; a client in plain text has
     * nothing to bind to, and libpq (psql, psycopg, node-pg's native binding) ends the session when offered it.
     */
    @Test
    void aClientWithoutTlsIsNotOfferedChannelBindingOverATlsSource() throws Exception {
        tlsSource.execute("postgres", "DROP ROLE IF EXISTS scram_client");
        tlsSource.execute("postgres", "SET password_encryption = 'scram-sha-256';"
                + " CREATE ROLE scram_client LOGIN PASSWORD 'scram-secret'");
        tlsSource.setHbaRules("host all scram_client 127.0.0.1/32 scram-sha-256");
        var sourceSsl = TlsContexts.sourceClient(TlsMode.REQUIRE, null);
        var clientSsl = TlsContexts.server(cert, key);
        RelaySettings settings = RelaySettings.plain(new InetSocketAddress("127.0.0.1", 0),
                        InetSocketAddress.createUnresolved("localhost", tlsSource.port()))
                .withSourceTls(TlsMode.REQUIRE, sourceSsl).withClientTls(clientSsl);
        try (RunningProxy proxy = RunningProxy.with(settings)) {
            try (WireClient plain = new WireClient(proxy.port());
                 WireClient direct = new WireClient(directTls(tlsSource.port(), "postgresql"))) {
                plain.send(WireClient.startup("scram_client", "postgres"));
                direct.send(WireClient.startup("scram_client", "postgres"));
                assertThat(saslMechanisms(direct.read())).containsExactly("SCRAM-SHA-256-PLUS", "SCRAM-SHA-256");
                assertThat(saslMechanisms(plain.read())).containsExactly("SCRAM-SHA-256");
            }
            String url = proxy.jdbcUrl("postgres") + "?sslmode=disable&channelBinding=prefer";
            try (Connection c = DriverManager.getConnection(url, "scram_client", "scram-secret")) {
                assertThat(currentConnectionUsesTls(c)).isEqualTo("t");
            }
            // a client with TLS to the proxy still hears the source's offer unchanged (see configuration.md)
            try (WireClient tls = new WireClient(directTls(proxy.port(), "postgresql"))) {
                tls.send(WireClient.startup("scram_client", "postgres"));
                assertThat(saslMechanisms(tls.read())).containsExactly("SCRAM-SHA-256-PLUS", "SCRAM-SHA-256");
            }
        }
    }

    private static List<String> saslMechanisms(WireClient.Message message) {
        assertThat(message.type()).isEqualTo('R');
        ByteBuffer body = ByteBuffer.wrap(message.body());
        assertThat(body.getInt()).as("authentication code").isEqualTo(10);
        String names = new String(message.body(), 4, message.body().length - 4, java.nio.charset.StandardCharsets.UTF_8);
        return List.of(names.substring(0, names.length() - 2).split("\0"));
    }

    @Test
    void theConfiguredSourceCaFileIsWhatVerifyFullTrusts() throws Exception {
        ProxyOptions options = new ProxyOptions();
        new CommandLine(options).parseArgs("--listen", "127.0.0.1:0", "--source", "localhost:" + tlsSource.port(),
                "--source-tls", "verify-full", "--set", "source.ca-file=" + cert.getAbsolutePath());
        RelaySettings settings = RelaySettingsFactory.from(options.load(Map.of()), Transport.choose("auto"), 1);
        try (RunningProxy proxy = RunningProxy.with(settings);
             Connection c = DriverManager.getConnection(proxy.jdbcUrl("postgres"), "postgres", "")) {
            assertThat(currentConnectionUsesTls(c)).isEqualTo("t");
        }
    }

    @Test
    void requireFailsClearlyWhenTheSourceHasNoTls() throws Exception {
        var sourceSsl = TlsContexts.sourceClient(TlsMode.REQUIRE, null);
        try (RunningProxy proxy = RunningProxy.in(PG.source(), s -> s.withSourceTls(TlsMode.REQUIRE, sourceSsl))) {
            assertThatThrownBy(() -> DriverManager.getConnection(proxy.jdbcUrl("postgres"), "postgres", "").close())
                    .isInstanceOfSatisfying(SQLException.class, e -> {
                        assertThat(e.getSQLState()).isEqualTo("08006");
                        assertThat(e.getMessage()).contains("the source server does not support TLS, but source.tls is require");
                    });
        }
    }

    @Test
    void verifyFullRejectsAnUntrustedCertificateOrOneThatDoesNotNameTheHost() throws Exception {
        // the certificate names only "localhost"; and without our CA file the JDK trust store does not know it
        String[][] cases = {{"127.0.0.1", "ca"}, {"localhost", null}};
        for (String[] c : cases) {
            var sourceSsl = TlsContexts.sourceClient(TlsMode.VERIFY_FULL, c[1] == null ? null : cert);
            RelaySettings settings = RelaySettings.plain(new InetSocketAddress("127.0.0.1", 0),
                    InetSocketAddress.createUnresolved(c[0], tlsSource.port())).withSourceTls(TlsMode.VERIFY_FULL, sourceSsl);
            try (RunningProxy proxy = RunningProxy.with(settings)) {
                assertThatThrownBy(() -> DriverManager.getConnection(proxy.jdbcUrl("postgres"), "postgres", "").close())
                        .isInstanceOfSatisfying(SQLException.class, e -> {
                            assertThat(e.getSQLState()).isEqualTo("08006");
                            assertThat(e.getMessage()).contains("TLS handshake with the source failed");
                        });
            }
        }
    }

    @Test
    void anErrorResponseToTheTlsRequestEndsTheSessionWithoutRepeatingTheUnauthenticatedText() throws Exception {
        ByteBuf error = Unpooled.buffer();
        ErrorResponse.fatal("53300", "sorry, too many clients already").encode(error);
        try (FakeSslServer fake = FakeSslServer.answering(ByteBufUtil.getBytes(error))) {
            for (TlsMode mode : new TlsMode[] {TlsMode.PREFER, TlsMode.REQUIRE}) {
                try (RunningProxy proxy = RunningProxy.with(sourcedAt("127.0.0.1", fake.port(), mode))) {
                    assertThatThrownBy(() -> DriverManager.getConnection(proxy.jdbcUrl("postgres"), "postgres", "")
                            .close()).isInstanceOfSatisfying(SQLException.class, e -> {
                                assertThat(e.getSQLState()).as(mode.configName()).isEqualTo("08006");
                                assertThat(e.getMessage()).as(mode.configName())
                                        .contains("could not connect to the source server at 127.0.0.1:" + fake.port())
                                        .contains("the source sent an error response to the TLS request")
                                        .doesNotContain("too many clients");
                            });
                }
            }
        }
    }

    @Test
    void theSourceHostNameIsSentAsSniEvenWithoutADotButAnIpAddressIsNot(@TempDir Path dir) throws Exception {
        try (FakeSslServer fake = FakeSslServer.tls(TestCertificates.selfSigned(dir, "localhost"))) {
            for (String host : new String[] {"localhost", "127.0.0.1"}) {
                try (RunningProxy proxy = RunningProxy.with(sourcedAt(host, fake.port(), TlsMode.REQUIRE))) {
                    // the fake source hangs up after the handshake: only what the proxy said in it matters here
                    assertThatThrownBy(() -> DriverManager.getConnection(proxy.jdbcUrl("postgres"), "postgres", "")
                            .close()).isInstanceOf(SQLException.class);
                    List<String> sent = fake.nextServerNames();
                    if (host.equals("localhost")) {
                        assertThat(sent).containsExactly("localhost");
                    } else {
                        assertThat(sent).isEmpty();
                    }
                }
            }
        }
    }

    private static RelaySettings sourcedAt(String host, int port, TlsMode mode) throws Exception {
        return RelaySettings.plain(new InetSocketAddress("127.0.0.1", 0), InetSocketAddress.createUnresolved(host, port))
                .withSourceTls(mode, TlsContexts.sourceClient(mode, null));
    }
}
