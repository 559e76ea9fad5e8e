package dev.tandem.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ReadinessCheckTest {

    @Test
    void tcpConnectIsReadyWhenSomethingListens() throws Exception {
        try (ServerSocket listening = new ServerSocket(0)) {
            ReadinessCheck.Result result = ReadinessCheck.tcpConnect("source", "127.0.0.1",
                    listening.getLocalPort(), Duration.ofSeconds(5)).check();
            assertThat(result.ready()).isTrue();
            assertThat(result.message()).isEqualTo("127.0.0.1:" + listening.getLocalPort() + " accepts TCP connections (no log-in tried)");
        }
    }

    @Test
    void tcpConnectIsNotReadyWhenNothingListens() throws Exception {
        int port;
        try (ServerSocket closed = new ServerSocket(0)) {
            port = closed.getLocalPort();
        }
        ReadinessCheck check = ReadinessCheck.tcpConnect("target", "127.0.0.1", port, Duration.ofSeconds(5));
        ReadinessCheck.Result result = check.check();
        assertThat(check.name()).isEqualTo("target");
        assertThat(result.ready()).isFalse();
        assertThat(result.message()).startsWith("cannot connect to 127.0.0.1:" + port + ": ");
    }
}
