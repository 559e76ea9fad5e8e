package dev.tandem.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stop signal, the documented way to stop the proxy (systemd, Docker and Kubernetes send SIGTERM; Ctrl-C sends
 * SIGINT), is a clean stop: exit code 0 as {@code --help} says, not the JVM's 128 + signal, which systemd counts as a
 * failed unit.
 */
class TandemProxyStopTest {

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void sigtermAndSigintStopTheProxyWithExitCodeZero() throws Exception {
        assertThat(runUntilSignalled(false)).as("exit code after SIGTERM").isZero();
        assertThat(runUntilSignalled(true)).as("exit code after SIGINT").isZero();
    }

    /** Starts the proxy in a JVM of its own, waits for its admin endpoint, signals it and returns its exit code. */
    private int runUntilSignalled(boolean interrupt) throws Exception {
        int admin = freePort();
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        // env resets the signals to their defaults: a test run started in the background by a shell without job
        // control inherits SIGINT ignored, and so would the proxy, which then never sees the Ctrl-C this test sends
        Process proxy = new ProcessBuilder("env", "--default-signal=INT,TERM", java.toString(), "-cp",
                System.getProperty("java.class.path"),
                TandemProxy.class.getName(), "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:" + admin,
                "--source", "127.0.0.1:1", "--mirror-mode", "off")
                .redirectErrorStream(true).redirectOutput(dir.resolve("proxy.log").toFile()).start();
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/health")).build();
            while (true) {
                assertThat(proxy.isAlive()).as("the proxy runs; its log is in %s", dir).isTrue();
                try {
                    if (http.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                        break;
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                Thread.sleep(100);
            }
            if (interrupt) {
                assertThat(new ProcessBuilder("kill", "-INT", Long.toString(proxy.pid())).start().waitFor()).isZero();
            } else {
                proxy.destroy(); // SIGTERM
            }
            assertThat(proxy.waitFor(60, TimeUnit.SECONDS)).as("the proxy stopped").isTrue();
            return proxy.exitValue();
        } finally {
            proxy.destroyForcibly();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
