package dev.tandem.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.proxy.config.ProxyOptions;
import dev.tandem.proxy.relay.Transport;
import dev.tandem.testing.PostgresPairExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

class TandemProxyCommandIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    @Test
    void badFlagsExitWithUsageCodeAndOneLinePerProblem() {
        StringWriter err = new StringWriter();
        java.io.PrintStream original = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true));
        int code;
        try {
            code = new CommandLine(new TandemProxy()).setErr(new PrintWriter(err))
                    .execute("--listen", "nonsense", "--max-connections", "-1");
        } finally {
            System.setErr(original);
        }
        assertThat(code).isEqualTo(2);
        assertThat(captured.toString())
                .contains("listen: 'nonsense' has no port")
                .contains("limits.max-connections");
    }

    @Test
    void unknownFlagIsAUsageError() {
        StringWriter err = new StringWriter();
        int code = new CommandLine(new TandemProxy()).setErr(new PrintWriter(err)).execute("--no-such-flag");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("Unknown option: '--no-such-flag'");
    }

    @Test
    void theApplicationRelaysWithTheConfiguredSettings() throws Exception {
        ProxyOptions options = new ProxyOptions();
        new CommandLine(options).parseArgs("--listen", "127.0.0.1:0", "--source", "127.0.0.1:" + PG.source().port(),
                "--source-tls", "disable", "--mirror-mode", "off");
        try (ProxyApplication app = new ProxyApplication(options.load(Map.of())).start(Transport.choose("auto"));
             Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + app.relayAddress().getPort()
                     + "/postgres", "postgres", "")) {
            assertThat(c.isValid(5)).isTrue();
            assertThat(app.registry().scrape()).contains("tandem_connections_total");
        }
    }
}
