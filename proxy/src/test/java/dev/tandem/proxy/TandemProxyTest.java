package dev.tandem.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.proxy.capture.CapturedTransaction;
import dev.tandem.proxy.capture.TransactionCodec;
import dev.tandem.proxy.spool.Spool;
import dev.tandem.proxy.spool.SpoolSettings;
import dev.tandem.testing.TestCertificates;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Start-up failures of the command that need no database: they are reported before anything connects. */
class TandemProxyTest {

    @TempDir
    Path spool;

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS) // a proxy that starts anyway would wait for a stop signal
    void aPasswordFlagIsRefusedWithoutRepeatingThePassword() {
        Map<List<String>, String> cases = Map.of(
                List.of("--target-password", "hunter2"), "TANDEM_TARGET_PASSWORD",
                List.of("--source-password=hunter2"), "TANDEM_SOURCE_PASSWORD",
                List.of("--admin-token", "hunter2"), "TANDEM_ADMIN_TOKEN",
                List.of("--password", "hunter2"), "TANDEM_TARGET_PASSWORD");
        cases.forEach((flag, variable) -> {
            StringWriter err = new StringWriter();
            List<String> args = new ArrayList<>(List.of("--listen", "127.0.0.1:0", "--source", "127.0.0.1:1"));
            args.addAll(flag);
            int code = TandemProxy.commandLine().setErr(new PrintWriter(err, true)).execute(args.toArray(String[]::new));
            assertThat(code).as(err.toString()).isEqualTo(2);
            assertThat(err.toString()).contains(flag.get(0).split("=")[0]).contains(variable)
                    .doesNotContain("hunter2");
        });
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS) // a proxy that starts anyway would wait for a stop signal
    void anUnknownTransportIsAUsageErrorNamingTheAllowedOnes() {
        Stderr run = run("--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--source", "127.0.0.1:1",
                "--spool-dir", spool.toString(), "--transport", "kqueue");

        assertThat(run.code()).isEqualTo(2);
        assertThat(run.text())
                .isEqualTo("tandem-proxy: --transport: 'kqueue' is not one of auto|epoll|io_uring|nio");
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS) // a proxy that starts anyway would wait for a stop signal
    void aListenAddressInUseIsNamedWithItsSettingInOneLine() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Stderr run = run("--listen", "127.0.0.1:" + taken.getLocalPort(), "--admin-listen", "127.0.0.1:0",
                    "--source", "127.0.0.1:1", "--mirror-mode", "off");

            assertThat(run.code()).isEqualTo(1);
            assertThat(run.text())
                    .startsWith("tandem-proxy: cannot listen for clients on 127.0.0.1:" + taken.getLocalPort()
                            + " (listen, --listen): ")
                    .contains("stop it or choose another")
                    .doesNotContain("Exception")
                    .hasLineCount(1);

            Stderr admin = run("--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:" + taken.getLocalPort(),
                    "--source", "127.0.0.1:1", "--mirror-mode", "off");

            assertThat(admin.code()).isEqualTo(1);
            assertThat(admin.text())
                    .startsWith("tandem-proxy: cannot bind the admin server to 127.0.0.1:" + taken.getLocalPort()
                            + " (admin.listen, --admin-listen): ")
                    .contains("stop it or choose another")
                    .doesNotContain("Exception")
                    .hasLineCount(1);
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS) // a proxy that starts anyway would wait for a stop signal
    void aSpoolDirectoryThatCannotBeCreatedIsNamedInOneLine() throws Exception {
        // a file where the spool directory's parent should be: refused by the file system even to root, as a
        // directory without write permission is to every other user
        Path file = Files.writeString(spool.resolve("not-a-directory"), "");
        Path spoolDir = file.resolve("spool");

        Stderr run = run("--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--source", "127.0.0.1:1",
                "--target", "127.0.0.1:1", "--mirror-mode", "async", "--spool-dir", spoolDir.toString());

        assertThat(run.code()).as(run.text()).isEqualTo(1);
        assertThat(run.text())
                .isEqualTo("tandem-proxy: cannot open spool directory " + spoolDir.toAbsolutePath() + ": " + file
                        + " is not a directory");
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS) // a proxy that starts anyway would wait for a stop signal
    void anotherInstancesSpoolWithRecordsIsAConfigurationError() {
        try (Spool written = Spool.open(SpoolSettings.defaults(spool), "proxy-a")) {
            written.writer().append("a committed transaction".getBytes(StandardCharsets.UTF_8)).join();
        }

        // nothing listens on port 1: the refusal must come before the proxy connects anywhere
        Stderr run = run("--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
                "--source", "127.0.0.1:1", "--target", "127.0.0.1:1", "--mirror-mode", "async",
                "--spool-dir", spool.toString(), "--instance-id", "proxy-b");

        assertThat(run.code()).isEqualTo(2);
        assertThat(run.text())
                .startsWith("tandem-proxy: spool directory " + spool.toAbsolutePath()
                        + " was written by instance-id 'proxy-a'")
                .contains("this proxy is instance-id 'proxy-b'", "--instance-id proxy-a", "--spool-dir")
                .doesNotContain("Exception")
                .hasLineCount(1);
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS) // a proxy that starts anyway would wait for a stop signal
    void aMappingThatMovesADatabaseWithTransactionsWaitingIsAConfigurationError() throws Exception {
        try (Spool written = Spool.open(SpoolSettings.defaults(spool), "proxy-a")) {
            written.writer().append(TransactionCodec.encode(new CapturedTransaction("app", "writer", 1, List.of(), 1L,
                    List.of()))).join();
        }
        // written under the default mapping: app into target database app
        Files.writeString(spool.resolve("mapping.json"), "{\"databases\":{}}");

        Stderr run = run("--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
                "--source", "127.0.0.1:1", "--target", "127.0.0.1:1", "--mirror-mode", "async",
                "--spool-dir", spool.toString(), "--instance-id", "proxy-a", "--set", "target.databases.app=app_new");

        assertThat(run.code()).as(run.text()).isEqualTo(2);
        assertThat(run.text())
                .startsWith("tandem-proxy: source database 'app' was mirrored into target database 'app' and"
                        + " target.databases now sends it to 'app_new', but 1 of its transactions")
                .contains("target.databases.app=app")
                .doesNotContain("Exception")
                .hasLineCount(1);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS) // a proxy that starts anyway would wait for a stop signal
    void clientTlsFilesThatCannotServeAreAConfigurationError() throws Exception {
        TestCertificates.Pair one = TestCertificates.selfSigned(spool, "localhost");
        TestCertificates.Pair other = TestCertificates.selfSigned(spool, "localhost");
        Path notPem = Files.writeString(spool.resolve("not-a-certificate.crt"), "hello");

        Map<List<String>, String> cases = Map.of(
                List.of(one.cert().toString(), other.key().toString()),
                "tls.key: '" + other.key() + "' is not the private key of the certificate in tls.cert",
                List.of(notPem.toString(), one.key().toString()),
                "tls.cert: '" + notPem + "' holds no PEM certificate");
        cases.forEach((files, expected) -> {
            Stderr run = run("--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--source", "127.0.0.1:1",
                    "--mirror-mode", "off", "--tls-cert", files.get(0), "--tls-key", files.get(1));
            assertThat(run.code()).as(run.text()).isEqualTo(2);
            assertThat(run.text()).contains(expected).doesNotContain("Exception").doesNotContain("\tat ");
        });
    }

    /** What the proxy's main printed on standard error, where it reports a refused start, and its exit code. */
    private record Stderr(int code, String text) {
    }

    private static Stderr run(String... args) {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.err;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            int code = new CommandLine(new TandemProxy()).setErr(new PrintWriter(new StringWriter())).execute(args);
            return new Stderr(code, captured.toString(StandardCharsets.UTF_8).strip());
        } finally {
            System.setErr(original);
        }
    }
}
