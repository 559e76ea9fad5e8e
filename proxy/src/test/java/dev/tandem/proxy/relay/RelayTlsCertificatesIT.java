package dev.tandem.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.protocol.client.TlsMode;
import dev.tandem.proxy.config.SourceConfig;
import dev.tandem.proxy.jdbc.ServerJdbc;
import dev.tandem.testing.EmbeddedPgServer;
import dev.tandem.testing.TestCertificates;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The source's certificate as each {@code source.tls} mode judges it, with libpq's meanings, against a real server
 * whose certificate is swapped per case; and SCRAM channel binding across
 * the proxy's two TLS hops.
 */
class RelayTlsCertificatesIT {

    @TempDir
    static Path dir;

    static TestCertificates authority;
    static TestCertificates otherAuthority;
    static EmbeddedPgServer source;

    @BeforeAll
    static void start() throws Exception {
        authority = TestCertificates.authority(dir, "Tandem Test CA");
        otherAuthority = TestCertificates.authority(dir, "Another CA");
        source = EmbeddedPgServer.start("tls-certificates");
        serve(authority.issue("localhost"));
        source.execute("postgres", "ALTER SYSTEM SET ssl = on");
        source.stop();
        source.start();
        source.execute("postgres", "SET password_encryption = 'scram-sha-256'; CREATE ROLE u_scram LOGIN PASSWORD 'pw'");
        source.setHbaRules("host all u_scram 127.0.0.1/32 scram-sha-256");
    }

    @AfterAll
    static void stop() {
        source.close();
    }

    /** Makes the source present {@code pair} from its next start on (server.crt and server.key, its defaults). */
    private static void serve(TestCertificates.Pair pair) throws IOException {
        Files.copy(pair.cert(), source.dataDirectory().resolve("server.crt"), StandardCopyOption.REPLACE_EXISTING);
        Path key = source.dataDirectory().resolve("server.key");
        Files.copy(pair.key(), key, StandardCopyOption.REPLACE_EXISTING);
        TestCertificates.restrict(key);
    }

    /** Restarts the source with {@code pair}: a reload would take effect some time after it is asked for. */
    private static void restartServing(TestCertificates.Pair pair) throws IOException {
        serve(pair);
        source.stop();
        source.start();
    }

    private static RunningProxy proxy(TlsMode mode, Path caFile, SslContext clientTls) throws Exception {
        RelaySettings settings = RelaySettings.plain(new InetSocketAddress("127.0.0.1", 0),
                        InetSocketAddress.createUnresolved("localhost", source.port()))
                .withSourceTls(mode, TlsContexts.sourceClient(mode, caFile == null ? null : caFile.toFile()));
        return RunningProxy.with(clientTls == null ? settings : settings.withClientTls(clientTls));
    }

    private static void assertSourceHopEncrypted(TlsMode mode, Path caFile) throws Exception {
        try (RunningProxy proxy = proxy(mode, caFile, null);
             Connection c = DriverManager.getConnection(proxy.jdbcUrl("postgres"), "postgres", "");
             ResultSet rs = c.createStatement().executeQuery(
                     "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getBoolean(1)).as(mode.configName()).isTrue();
        }
    }

    private static void assertRefused(TlsMode mode, Path caFile, String reason) throws Exception {
        try (RunningProxy proxy = proxy(mode, caFile, null)) {
            assertThatThrownBy(() -> DriverManager.getConnection(proxy.jdbcUrl("postgres"), "postgres", "").close())
                    .isInstanceOfSatisfying(SQLException.class, e -> {
                        assertThat(e.getSQLState()).isEqualTo("08006");
                        assertThat(e.getMessage()).contains("TLS handshake with the source failed").contains(reason);
                    });
        }
    }

    @Test
    void verifyFullRefusesAnotherAuthoritysCertificateAnExpiredOneAndOneForAnotherHostWhichVerifyCaAccepts() throws Exception {
        restartServing(otherAuthority.issue("localhost"));
        assertRefused(TlsMode.VERIFY_FULL, authority.certificate(), "PKIX path");
        assertRefused(TlsMode.VERIFY_FULL, authority.certificate(), "set source.ca-file to the PEM file of the"
                + " authority that signed it");
        assertRefused(TlsMode.VERIFY_CA, authority.certificate(), "PKIX path");
        // as libpq's require with a root certificate file: the CA file is not ignored
        assertRefused(TlsMode.REQUIRE, authority.certificate(), "PKIX path");
        assertSourceHopEncrypted(TlsMode.REQUIRE, null);

        restartServing(authority.issue("localhost", "-10d", 2));
        assertRefused(TlsMode.VERIFY_FULL, authority.certificate(), "PKIX path validation failed");
        assertRefused(TlsMode.VERIFY_FULL, authority.certificate(), "check the dates");
        assertSourceHopEncrypted(TlsMode.REQUIRE, null);

        restartServing(authority.issue("db.example"));
        assertRefused(TlsMode.VERIFY_FULL, authority.certificate(), "the certificate must name the host the proxy"
                + " connects to (localhost)");
        // the names to connect by, as libpq gives them
        assertRefused(TlsMode.VERIFY_FULL, authority.certificate(), "(the certificate names db.example)");
        // verify-ca trusts the authority for the chain, whatever host the certificate names
        assertSourceHopEncrypted(TlsMode.VERIFY_CA, authority.certificate());
        assertSourceHopEncrypted(TlsMode.REQUIRE, authority.certificate());
        assertRefused(TlsMode.VERIFY_CA, null, "PKIX path");

        restartServing(authority.issue("localhost"));
        assertSourceHopEncrypted(TlsMode.VERIFY_FULL, authority.certificate());
    }

    /** The proxy's own connections (look-ups, ledger, verifier) go through pgjdbc, whose modes differ from libpq's. */
    @Test
    void theProxysOwnJdbcConnectionsJudgeTheCertificateAsTheRelayDoes() throws Exception {
        restartServing(authority.issue("db.example"));
        assertJdbcEncrypted(TlsMode.VERIFY_CA, authority.certificate());
        assertJdbcEncrypted(TlsMode.REQUIRE, null);
        assertJdbcEncrypted(TlsMode.PREFER, null);
        assertJdbcRefused(TlsMode.VERIFY_FULL, authority.certificate(), "hostname localhost could not be verified");
        assertJdbcRefused(TlsMode.VERIFY_CA, otherAuthority.certificate(), "PKIX path");
        // pgjdbc's own require would not look at the file: libpq's does
        assertJdbcRefused(TlsMode.REQUIRE, otherAuthority.certificate(), "PKIX path");
        // without a CA file verify-ca trusts what the JVM trusts, not ~/.postgresql/root.crt
        assertJdbcRefused(TlsMode.VERIFY_CA, null, "PKIX path");

        restartServing(authority.issue("localhost"));
        assertJdbcEncrypted(TlsMode.VERIFY_FULL, authority.certificate());
    }

    private static SourceConfig jdbcSource(TlsMode mode, Path caFile) {
        return new SourceConfig("localhost", source.port(), dev.tandem.proxy.config.TlsMode.valueOf(mode.name()),
                Optional.of("postgres"), "UNUSED_PASSWORD_ENV",
                Optional.empty(), Duration.ofSeconds(30), Optional.ofNullable(caFile));
    }

    private static void assertJdbcEncrypted(TlsMode mode, Path caFile) throws Exception {
        try (Connection c = ServerJdbc.source(jdbcSource(mode, caFile), "postgres");
             ResultSet rs = c.createStatement().executeQuery(
                     "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getBoolean(1)).as(mode.configName()).isTrue();
        }
    }

    private static void assertJdbcRefused(TlsMode mode, Path caFile, String reason) {
        assertThatThrownBy(() -> ServerJdbc.source(jdbcSource(mode, caFile), "postgres").close())
                .as(mode.configName() + " with " + caFile).isInstanceOf(SQLException.class)
                .satisfies(e -> assertThat(causes(e)).contains(reason));
    }

    private static String causes(Throwable e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append(" | ");
        }
        return all.toString();
    }

    @Test
    void aSelfSignedCertificateIsEnoughForRequireButNotForVerifyFull() throws Exception {
        TestCertificates.Pair selfSigned = TestCertificates.selfSigned(dir, "localhost");
        restartServing(selfSigned);
        assertSourceHopEncrypted(TlsMode.REQUIRE, null);
        assertSourceHopEncrypted(TlsMode.PREFER, null);
        assertRefused(TlsMode.VERIFY_FULL, null, "PKIX path");
        assertRefused(TlsMode.VERIFY_FULL, authority.certificate(), "PKIX path");
        // trusting the certificate itself is what libpq's sslrootcert does with a self-signed server certificate
        assertSourceHopEncrypted(TlsMode.VERIFY_FULL, selfSigned.cert());
        restartServing(authority.issue("localhost"));
    }

    /**
     * Channel binding (SCRAM-SHA-256-PLUS) binds the client's SCRAM exchange to the certificate of the TLS server it
     * talks to: the proxy's, when the proxy terminates TLS, while the source checks against its own. So with TLS on both
     * hops, a client that binds (pgjdbc and libpq do by default when the server offers it) is refused by the source at
     * once, whatever it asked for; it never hangs. Without binding, or with a plain source hop, SCRAM goes through.
     */
    @Test
    void channelBindingCannotCrossTheProxysTlsAndFailsAtOnce() throws Exception {
        TestCertificates.Pair proxyPair = authority.issue("localhost");
        SslContext clientTls = TlsContexts.server(proxyPair.cert().toFile(), proxyPair.key().toFile());
        String client = "/postgres?sslmode=verify-full&sslrootcert=" + authority.certificate() + "&loginTimeout=60";
        try (RunningProxy proxy = proxy(TlsMode.REQUIRE, null, clientTls)) {
            String url = "jdbc:postgresql://localhost:" + proxy.port() + client;
            for (String binding : new String[] {"", "&channelBinding=prefer", "&channelBinding=require"}) {
                assertThatThrownBy(() -> DriverManager.getConnection(url + binding, "u_scram", "pw").close())
                        .as(binding).isInstanceOf(SQLException.class)
                        .hasMessageContaining("SCRAM channel binding check failed");
            }
            DriverManager.getConnection(url + "&channelBinding=disable", "u_scram", "pw").close();
        }
        try (RunningProxy proxy = proxy(TlsMode.DISABLE, null, clientTls)) {
            String url = "jdbc:postgresql://localhost:" + proxy.port() + client;
            DriverManager.getConnection(url, "u_scram", "pw").close();
            assertThatThrownBy(() -> DriverManager.getConnection(url + "&channelBinding=require", "u_scram", "pw")
                    .close()).isInstanceOf(SQLException.class).hasMessageContaining("Channel Binding is required");
        }
    }
}
