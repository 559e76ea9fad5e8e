package dev.tandem.proxy.config;

import dev.tandem.proxy.spool.FsyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class ProxyOptionsTest {

    @Command(name = "tandem-proxy", mixinStandardHelpOptions = true)
    static final class Proxy {
        @Mixin
        ProxyOptions options;
    }

    @TempDir
    Path dir;

    @Test
    void withoutFlagsNothingIsOverridden() {
        ProxyOptions options = parse();

        assertThat(options.configFile()).isEmpty();
        assertThat(options.overrides().entries()).isEmpty();
        assertThat(options.load(Map.of())).isEqualTo(ConfigLoader.load(null, Overrides.none(), Map.of()));
    }

    @Test
    void everyFlagSetsItsKey() throws Exception {
        Path spool = Files.createDirectory(dir.resolve("spool"));
        ConfigLoaderTest.writeKeyPair(dir.resolve("c.crt"), dir.resolve("c.key"));

        ProxyConfig config = parse(
                "--listen", "0.0.0.0:7000",
                "--source", "[::1]:5000", "--source-tls", "verify-ca",
                "--target", "target.example:5001", "--target-user", "mirror", "--target-tls", "verify-full",
                "--tls-cert", dir.resolve("c.crt").toString(), "--tls-key", dir.resolve("c.key").toString(),
                "--mirror-mode", "sync", "--mirror-table", "public.metrics", "--mirror-table", "\"Raw\".*",
                "--mirror-exclude", "public.tmp_*",
                "--spool-dir", spool.toString(), "--spool-fsync", "always",
                "--admin-listen", "127.0.0.1:9999", "--max-connections", "50", "--max-frame-bytes", "16MiB",
                "--instance-id", "proxy-2", "--mark-dual-write-start",
                "--set", "logging.redact-sql=true", "--set", "target.databases.app=app_v2")
                .load(Map.of());

        assertThat(config.listen()).isEqualTo(new HostPort("0.0.0.0", 7000));
        assertThat(config.source().address()).isEqualTo(new HostPort("::1", 5000));
        assertThat(config.source().tls()).isEqualTo(TlsMode.VERIFY_CA);
        assertThat(config.target().address()).isEqualTo(new HostPort("target.example", 5001));
        assertThat(config.target().user()).isEqualTo("mirror");
        assertThat(config.target().tls()).isEqualTo(TlsMode.VERIFY_FULL);
        assertThat(config.target().databases()).isEqualTo(Map.of("app", "app_v2"));
        assertThat(config.tls()).contains(new ClientTlsConfig(dir.resolve("c.crt"), dir.resolve("c.key")));
        assertThat(config.mirror().mode()).isEqualTo(MirrorMode.SYNC);
        assertThat(config.mirror().tables()).isEqualTo(new TableFilter(
                List.of(TablePattern.parse("public.metrics"), TablePattern.parse("\"Raw\".*")),
                List.of(TablePattern.parse("public.tmp_*"))));
        assertThat(config.mirror().spool().dir()).isEqualTo(spool);
        assertThat(config.mirror().spool().fsync()).isEqualTo(FsyncPolicy.ALWAYS);
        assertThat(config.mirror().markDualWriteStart()).isTrue();
        assertThat(config.admin().listen()).isEqualTo(new HostPort("127.0.0.1", 9999));
        assertThat(config.limits().maxConnections()).isEqualTo(50);
        assertThat(config.limits().maxFrameBytes()).isEqualTo(16 << 20);
        assertThat(config.instanceId()).isEqualTo("proxy-2");
        assertThat(config.logging().redactSql()).isTrue();
    }

    @Test
    void flagsWinOverTheConfigFileAndDedicatedFlagsWinOverSet() throws IOException {
        Path file = Files.writeString(dir.resolve("tandem.yaml"), """
                listen: 127.0.0.1:7001
                mirror: {mode: sync}
                limits: {max-connections: 10}
                """);

        ProxyConfig config = parse("--config", file.toString(), "--mirror-mode", "off",
                "--set", "limits.max-connections=20", "--max-connections", "30").load(Map.of());

        assertThat(config.listen()).isEqualTo(new HostPort("127.0.0.1", 7001));
        assertThat(config.mirror().mode()).isEqualTo(MirrorMode.OFF);
        assertThat(config.limits().maxConnections()).isEqualTo(30);
    }

    @Test
    void badFlagsAreReportedTogetherWithTheFlagName() {
        ProxyOptions options = parse("--max-connections", "many", "--source-tls", "always", "--listen", "6432");

        ConfigException e = catchThrowableOfType(ConfigException.class, () -> options.load(Map.of()));

        assertThat(e.problems()).containsExactly(
                "listen: '6432' has no port; expected host:port (e.g. 127.0.0.1:5432 or [::1]:5432) (from --listen)",
                "source.tls: 'always' is not one of disable|prefer|require|verify-ca|verify-full (from --source-tls)",
                "limits.max-connections: 'many' is not a whole number; allowed 1 to 1000000 (from --max-connections)");
    }

    @Test
    void setReachesKeysWithoutAFlagAndRefusesMalformedKeys() {
        assertThat(parse("--set", "shutdown.grace-period=5s").load(Map.of()).shutdown().gracePeriod())
                .isEqualTo(Duration.ofSeconds(5));

        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> parse("--set", "mirror..mode=off", "--set", "mirror=sync").load(Map.of()));

        assertThat(e.problems()).containsExactly(
                "mirror..mode: is not a configuration key (expected a dotted path such as mirror.spool.max-bytes)"
                        + " (from --set mirror..mode)",
                "mirror: 'sync' is not a mapping; expected nested keys (from --set mirror)");
    }

    @Test
    void helpListsEveryFlagWithItsDefault() {
        String help = new CommandLine(new Proxy()).setUsageHelpWidth(400).getUsageMessage(CommandLine.Help.Ansi.OFF);

        assertThat(help).contains("--config", "--listen", "--source", "--source-tls", "--target", "--target-user",
                "--target-tls", "--tls-cert", "--tls-key", "--mirror-mode", "--mirror-table", "--mirror-exclude",
                "--spool-dir", "--spool-fsync", "--admin-listen", "--max-connections", "--max-frame-bytes",
                "--instance-id", "--mark-dual-write-start", "--set");
        assertThat(help.replaceAll("\\s+", " ")).contains(
                "Default: 127.0.0.1:6432", "Default: 127.0.0.1:5432", "Default: 127.0.0.1:5433", "Default: async",
                "Default: ./tandem-spool", "Default: interval", "Default: 127.0.0.1:9187", "Default: 1000",
                "Default: 1GiB", "Default: all hypertables");
    }

    private static ProxyOptions parse(String... args) {
        Proxy proxy = new Proxy();
        new CommandLine(proxy).parseArgs(args);
        return proxy.options;
    }
}
