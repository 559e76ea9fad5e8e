package dev.tandem.proxy.jdbc;

import dev.tandem.proxy.config.TargetConfig;
import dev.tandem.proxy.config.TlsMode;
import dev.tandem.testing.PostgresPairExtension;
import java.net.ServerSocket;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The proxy's own connections (catalog look-ups, the ledger, the verifier) fail in the words the mirror and the relay
 * use: pgjdbc's name the postmaster, or no setting at all.
 */
class ServerJdbcIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    @Test
    void aClosedPortIsSaidToRefuseTheConnection() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        int port = closedPort;
        assertThatThrownBy(() -> ServerJdbc.target(target(port, TlsMode.DISABLE), "postgres").close())
                .isInstanceOf(SQLException.class)
                .hasMessage("cannot connect to 127.0.0.1:" + port + ": Connection refused");
    }

    @Test
    void aTargetWithoutTlsUnderRequireNamesTargetTls() {
        assertThatThrownBy(() -> ServerJdbc.target(target(PG.target().port(), TlsMode.REQUIRE), "postgres").close())
                .isInstanceOf(SQLException.class)
                .hasMessage("server 127.0.0.1:" + PG.target().port() + " does not support TLS, but target.tls is"
                        + " require");
    }

    private static TargetConfig target(int port, TlsMode tls) {
        return new TargetConfig("127.0.0.1", port, PG.target().user(), "UNUSED", Optional.empty(), tls, Map.of(),
                Duration.ofSeconds(5), Optional.empty());
    }
}
