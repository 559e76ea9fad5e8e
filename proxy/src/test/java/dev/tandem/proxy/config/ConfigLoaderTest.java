package dev.tandem.proxy.config;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.spool.FsyncPolicy;
import dev.tandem.proxy.spool.OnFull;
import dev.tandem.testing.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class ConfigLoaderTest {

    private static final Map<String, String> NO_ENV = Map.of();

    @TempDir
    Path dir;

    @Test
    void designExampleLoadsIntoTheExpectedRecords() throws Exception {
        Path file = copyResource("design-example.yaml");
        writeKeyPair(dir.resolve("server.crt"), dir.resolve("server.key"));
        Map<String, String> env = Map.of("TANDEM_TARGET_PASSWORD", "target-pw", "TANDEM_ADMIN_TOKEN", "admin-tok");

        ProxyConfig config = ConfigLoader.load(file, Overrides.none(), env);

        Path base = file.toAbsolutePath().getParent();
        assertThat(config).isEqualTo(new ProxyConfig(
                new HostPort("127.0.0.1", 6432),
                new SourceConfig("127.0.0.1", 5432, TlsMode.PREFER, Optional.of("tandem"), "TANDEM_SOURCE_PASSWORD",
                        Optional.empty(), Duration.ofSeconds(10), Optional.empty()),
                Optional.of(new ClientTlsConfig(base.resolve("server.crt"), base.resolve("server.key"))),
                new TargetConfig("127.0.0.1", 5433, "tandem", "TANDEM_TARGET_PASSWORD",
                        Optional.of(Secret.of("target-pw")), TlsMode.PREFER, Map.of(), Duration.ofSeconds(10), Optional.empty()),
                new MirrorConfig(MirrorMode.ASYNC,
                        new TableFilter(List.of(TablePattern.parse("public.metrics")), List.of()),
                        new SpoolConfig(base.resolve("tandem-spool"), 10L << 30, 64L << 20, FsyncPolicy.INTERVAL,
                                Duration.ofSeconds(1), OnFull.BLOCK),
                        256L << 20, 1L << 30, Duration.ofSeconds(30),
                        new RetryConfig(Duration.ofMillis(100), Duration.ofSeconds(30)), false, Duration.ofSeconds(5),
                        Duration.ofMinutes(10), Duration.ofMinutes(1)),
                new AdminConfig(new HostPort("127.0.0.1", 9187), "TANDEM_ADMIN_TOKEN",
                        Optional.of(Secret.of("admin-tok")), false, List.of()),
                new LimitsConfig(1000, 1 << 30, 2L << 30, 10000, Duration.ofSeconds(60), Duration.ZERO,
                        Duration.ofMinutes(5)),
                new LoggingConfig(false),
                "tandem",
                new ShutdownConfig(Duration.ofSeconds(30), Duration.ofSeconds(30)),
                new VerifierConfig(VerifierMode.AUTO, Duration.ofSeconds(60), Duration.ofHours(1), Duration.ofMinutes(5),
                        Duration.ofMinutes(1), Duration.ofSeconds(10), 0, Map.of())));
    }

    @Test
    void everyKeyIsRead() throws Exception {
        Path file = copyResource("every-key.yaml");
        Files.createDirectories(dir.resolve("certs"));
        writeKeyPair(dir.resolve("certs/proxy.crt"), dir.resolve("certs/proxy.key"));

        ProxyConfig config = ConfigLoader.load(file, Overrides.none(), Map.of("SRC_PW", "s", "TGT_PW", "t"));

        Path base = file.toAbsolutePath().getParent();
        assertThat(config.listen()).isEqualTo(new HostPort("::1", 7432));
        assertThat(config.source()).isEqualTo(new SourceConfig("source.example", 6543, TlsMode.VERIFY_FULL,
                Optional.of("reader"), "SRC_PW", Optional.of(Secret.of("s")), Duration.ofSeconds(3), Optional.empty()));
        assertThat(config.tls()).contains(new ClientTlsConfig(base.resolve("certs/proxy.crt"),
                base.resolve("certs/proxy.key")));
        assertThat(config.target()).isEqualTo(new TargetConfig("10.0.0.7", 6544, "writer", "TGT_PW",
                Optional.of(Secret.of("t")), TlsMode.REQUIRE, Map.of("app", "app_new", "Reports", "reports"),
                Duration.ofMillis(1500), Optional.empty()));
        assertThat(config.target().targetDatabase("app")).isEqualTo("app_new");
        assertThat(config.target().targetDatabase("other")).isEqualTo("other");
        assertThat(config.mirror()).isEqualTo(new MirrorConfig(MirrorMode.SYNC,
                new TableFilter(List.of(TablePattern.parse("public.*"), TablePattern.parse("\"Sensors\".\"Readings\"")),
                        List.of(TablePattern.parse("public.audit_*"))),
                new SpoolConfig(Path.of("/var/lib/tandem/spool"), 512L << 20, 16L << 20, FsyncPolicy.ALWAYS,
                        Duration.ofMillis(250), OnFull.SHED),
                64L << 20, 512L << 20, Duration.ofSeconds(5), new RetryConfig(Duration.ofMillis(50), Duration.ofMinutes(1)),
                true, Duration.ofSeconds(2), Duration.ofSeconds(90), Duration.ofSeconds(30)));
        assertThat(config.admin()).isEqualTo(new AdminConfig(new HostPort("0.0.0.0", 9999), "ADMIN_TOKEN",
                Optional.empty(), true, List.of("tandem.internal", "proxy-1.example.com")));
        assertThat(config.limits()).isEqualTo(new LimitsConfig(200, 64 << 20, 2L << 30, 8192, Duration.ofSeconds(10),
                Duration.ofHours(1), Duration.ofSeconds(45)));
        assertThat(config.logging().redactSql()).isTrue();
        assertThat(config.instanceId()).isEqualTo("proxy-b.eu-1");
        assertThat(config.shutdown()).isEqualTo(new ShutdownConfig(Duration.ofMinutes(2), Duration.ofSeconds(45)));
        assertThat(config.verifier()).isEqualTo(new VerifierConfig(VerifierMode.OFF, Duration.ofSeconds(30),
                Duration.ofHours(2), Duration.ofMinutes(10), Duration.ofSeconds(90), Duration.ofSeconds(3), 60000,
                Map.of(new TableName("public", "events"), "created_at",
                        new TableName("Sensors", "Readings"), "Taken At")));
    }

    @Test
    void verifierValuesAreCheckedOneLineEach() {
        assertThatThrownBy(() -> load("""
                verifier:
                  enabled: sometimes
                  lookback: 5m
                  bucket: 10m
                  integer-bucket: -1
                  time-columns: {events: t}
                """)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("verifier.enabled: 'sometimes' is not one of auto|true|false")
                .hasMessageContaining("verifier.bucket: '10m' is longer than verifier.lookback (5m)")
                .hasMessageContaining("verifier.integer-bucket: '-1' is out of range; allowed 0 to ")
                .hasMessageContaining("verifier.time-columns.events: is not schema.table");
    }

    @Test
    void aTimeColumnCanBeGivenOnTheCommandLineThoughItsTableNameHasADot() {
        Overrides flags = Overrides.builder()
                .set("verifier.time-columns.public.events", "created_at", "--set verifier.time-columns.public.events")
                .build();
        assertThat(ConfigLoader.load(null, flags, NO_ENV).verifier().timeColumns())
                .isEqualTo(Map.of(new TableName("public", "events"), "created_at"));
    }

    @Test
    void verifierEnabledTakesYamlBooleans() throws IOException {
        assertThat(load("verifier: {enabled: true}\n").verifier().mode()).isEqualTo(VerifierMode.ON);
        assertThat(load("verifier: {enabled: false}\n").verifier().mode()).isEqualTo(VerifierMode.OFF);
        assertThat(load("verifier: {enabled: auto}\n").verifier().mode()).isEqualTo(VerifierMode.AUTO);
    }

    @Test
    void noFileAndAnEmptyFileBothGiveTheDefaults() throws IOException {
        ProxyConfig absent = ConfigLoader.load(null, Overrides.none(), NO_ENV);
        ProxyConfig empty = load("");
        ProxyConfig onlyComments = load("# nothing configured yet\n");

        assertThat(absent.listen()).isEqualTo(new HostPort("127.0.0.1", 6432));
        assertThat(absent.source()).isEqualTo(new SourceConfig("127.0.0.1", 5432, TlsMode.PREFER, Optional.empty(),
                "TANDEM_SOURCE_PASSWORD", Optional.empty(), Duration.ofSeconds(10), Optional.empty()));
        assertThat(absent.tls()).isEmpty();
        assertThat(absent.target()).isEqualTo(new TargetConfig("127.0.0.1", 5433, "tandem", "TANDEM_TARGET_PASSWORD",
                Optional.empty(), TlsMode.PREFER, Map.of(), Duration.ofSeconds(10), Optional.empty()));
        assertThat(absent.mirror()).isEqualTo(new MirrorConfig(MirrorMode.ASYNC, TableFilter.allHypertables(),
                new SpoolConfig(Path.of("./tandem-spool"), 10L << 30, 64L << 20, FsyncPolicy.INTERVAL,
                        Duration.ofSeconds(1), OnFull.BLOCK),
                256L << 20, 1L << 30, Duration.ofSeconds(30), new RetryConfig(Duration.ofMillis(100),
                        Duration.ofSeconds(30)), false, Duration.ofSeconds(5),
                Duration.ofMinutes(10), Duration.ofMinutes(1)));
        assertThat(absent.admin()).isEqualTo(new AdminConfig(new HostPort("127.0.0.1", 9187), "TANDEM_ADMIN_TOKEN",
                Optional.empty(), false, List.of()));
        assertThat(absent.limits()).isEqualTo(new LimitsConfig(1000, 1 << 30, 2L << 30, 10000, Duration.ofSeconds(60),
                Duration.ZERO, Duration.ofMinutes(5)));
        assertThat(absent.limits().hasIdleTimeout()).isFalse();
        assertThat(absent.logging().redactSql()).isFalse();
        assertThat(absent.instanceId()).isEqualTo("tandem");
        assertThat(absent.shutdown()).isEqualTo(new ShutdownConfig(Duration.ofSeconds(30), Duration.ofSeconds(30)));
        assertThat(empty.mirror().spool().dir()).isEqualTo(dir.toAbsolutePath().resolve("tandem-spool"));
        assertThat(empty).isEqualTo(withSpoolDir(absent, empty.mirror().spool().dir()));
        assertThat(onlyComments).isEqualTo(empty);
    }

    @Test
    void aKeyWithNoValueMeansTheDefault() throws IOException {
        ProxyConfig config = load("tls:\nmirror:\n  mode:\n  spool:\n");

        assertThat(config.tls()).isEmpty();
        assertThat(config.mirror().mode()).isEqualTo(MirrorMode.ASYNC);
    }

    @Test
    void instanceIdDefaultsToTheHostNameWhenItIsUsable() {
        assertThat(ConfigLoader.load(null, Overrides.none(), Map.of("HOSTNAME", "proxy-7f9c")).instanceId())
                .isEqualTo("proxy-7f9c");
        assertThat(ConfigLoader.load(null, Overrides.none(), Map.of("HOSTNAME", "not valid!")).instanceId())
                .isEqualTo("tandem");
    }

    @Test
    void numbersAreReadAsWrittenNotAsYaml11OctalOrHex() throws IOException {
        // YAML 1.1 reads 010 as 8 and 0x1538 as 5432: a port nobody wrote
        assertThat(load("source: {port: 010}\n").source().port()).isEqualTo(10);
        assertThat(load("source: {port: 5432}\n").source().port()).isEqualTo(5432);
        assertThat(load("source: {port: '5433'}\n").source().port()).isEqualTo(5433);
    }

    @Test
    void unquotedOffIsTheMirrorModeOffAlthoughYamlReadsItAsFalse() throws IOException {
        assertThat(load("mirror:\n  mode: off\n").mirror().mode()).isEqualTo(MirrorMode.OFF);
        assertThat(load("mirror:\n  mode: 'off'\n").mirror().mode()).isEqualTo(MirrorMode.OFF);
        assertThat(load("mirror:\n  mode: SYNC\n").mirror().mode()).isEqualTo(MirrorMode.SYNC);
    }

    @Test
    void catalogRefreshIsAMinuteUnlessSetFromASecondToAnHour() throws IOException {
        assertThat(load("").mirror().catalogRefresh()).isEqualTo(Duration.ofMinutes(1));
        assertThat(load("mirror: {catalog-refresh: 1s}\n").mirror().catalogRefresh()).isEqualTo(Duration.ofSeconds(1));
        assertThat(load("mirror: {catalog-refresh: 1h}\n").mirror().catalogRefresh()).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void aSingleTablePatternNeedNotBeAList() throws IOException {
        assertThat(load("mirror:\n  tables:\n    include: public.metrics\n").mirror().tables().include())
                .containsExactly(TablePattern.parse("public.metrics"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiterString = "=>", quoteCharacter = '`', textBlock = """
            listen: localhost                                  => listen: 'localhost' has no port; expected host:port (e.g. 127.0.0.1:5432 or [::1]:5432)
            listen: ':6432'                                    => listen: ':6432' has no host; expected host:port (0.0.0.0:port listens on all interfaces)
            listen: 127.0.0.1:9187                             => admin.listen: '127.0.0.1:9187' is the same address as listen
            admin: {listen: '::1:9187'}                        => admin.listen: '::1:9187' looks like an IPv6 address without brackets; write [address]:port (e.g. [::1]:6432)
            admin: {listen: '[::1]:99999'}                     => admin.listen: '[::1]:99999' has port 99999, which is above 65535
            admin: {allowed-hosts: ['*.example.com']}          => admin.allowed-hosts: '*.example.com' is not a host name (letters, digits, '-' and '.', without a port or '*'); IP addresses need no entry
            admin: {token-env: 'open sesame'}                  => admin.token-env: is not an environment variable name (letters, digits and '_', not starting with a digit); it names the variable that holds the secret, not the secret itself
            source: {port: 70000}                              => source.port: '70000' is not a port; allowed 1 to 65535
            source: {port: 0}                                  => source.port: '0' is not a port; allowed 1 to 65535
            source: {port: 0x1538}                             => source.port: '0x1538' is not a port; allowed 1 to 65535
            source: {port: 5_432}                              => source.port: '5_432' is not a port; allowed 1 to 65535
            source: {host: 'db host'}                          => source.host: 'db host' is not a host name or IP address (letters, digits, '.', '-', '_'; IPv6 in [brackets])
            source: {tls: verify_full}                         => source.tls: 'verify_full' is not one of disable|prefer|require|verify-ca|verify-full
            source: {connect-timeout: 0s}                      => source.connect-timeout: '0s' is below the minimum of 1ms
            source: {password: hunter2}                        => source.password: secrets are never written in the configuration; put it in an environment variable and name that variable in source.password-env
            target: {tls: yes}                                 => target.tls: 'true' is not one of disable|prefer|require|verify-ca|verify-full
            target: {user: ''}                                 => target.user: is empty; expected the role the proxy uses on the target
            target: {databases: [a, b]}                        => target.databases: a list is not a mapping; expected name: name pairs
            target: {databases: {app: ''}}                     => target.databases.app: '' is not a name
            target: '127.0.0.1:5433'                           => target: '127.0.0.1:5433' is not a mapping; expected nested keys
            mirror: {mode: fast}                               => mirror.mode: 'fast' is not one of async|sync|off
            source: {ca-file: /no/such/ca.crt}                 => source.ca-file: '/no/such/ca.crt' is not a readable file
            target: {ca-file: /no/such/ca.crt}                 => target.ca-file: '/no/such/ca.crt' is not a readable file
            mirror: {max-transaction-bytes: 0}                 => mirror.max-transaction-bytes: '0' is below the minimum of 1KiB
            mirror: {max-transaction-bytes: many}              => mirror.max-transaction-bytes: 'many' is not a size; expected a number of bytes, optionally with B, KiB, MiB, GiB or TiB (e.g. 512MiB)
            mirror: {max-captured-bytes: 1KiB}                 => mirror.max-captured-bytes: '1KiB' is below the minimum of 1MiB
            mirror: {sync-timeout: 30}                         => mirror.sync-timeout: '30' has no unit; expected a number with ms, s, m, h or d (e.g. 500ms, 30s, 5m, 1h30m)
            mirror: {tables: {include: [metrics]}}             => mirror.tables.include[0]: 'metrics' is not a schema.table pattern (e.g. public.metrics, public.*, *.metrics)
            mirror: {tables: {exclude: ['public.my-table']}}   => mirror.tables.exclude[0]: 'public.my-table' has '-' outside double quotes; quote such names (e.g. public."my-table")
            mirror: {tables: {include: [[public.a]]}}          => mirror.tables.include[0]: a list is not a value
            mirror: {spool: {fsync: sometimes}}                => mirror.spool.fsync: 'sometimes' is not one of always|interval|never
            mirror: {spool: {dir: {a: 1}}}                     => mirror.spool.dir: a mapping is not a single value
            mirror: {spool: {on-full: drop}}                   => mirror.spool.on-full: 'drop' is not one of block|shed
            mirror: {spool: {max-bytes: 10GB}}                 => mirror.spool.max-bytes: '10GB' uses unit 'GB'; sizes use binary units, write 10GiB
            mirror: {spool: {max-bytes: 1000}}                 => mirror.spool.max-bytes: '1000' is below the minimum of 1MiB
            mirror: {spool: {max-bytes: 16MiB, segment-bytes: 32MiB} } => mirror.spool.segment-bytes: '32MiB' is larger than mirror.spool.max-bytes (16MiB)
            mirror: {spool: {max-bytes: 50MiB}}                => mirror.spool.max-bytes: '50MiB' is smaller than mirror.spool.segment-bytes (64MiB, its default): raise max-bytes, or set segment-bytes to at most 50MiB
            mirror: {spool: {fsync-interval: soon}}            => mirror.spool.fsync-interval: 'soon' is not a duration; expected a number with ms, s, m, h or d (e.g. 500ms, 30s, 5m, 1h30m)
            mirror: {retry: {min-backoff: 1m, max-backoff: 10s}} => mirror.retry.min-backoff: '1m' is longer than mirror.retry.max-backoff (10s)
            mirror: {mark-dual-write-start: later}             => mirror.mark-dual-write-start: 'later' is not true or false
            mirror: {lock-timeout: -1s}                        => mirror.lock-timeout: '-1s' is negative; expected a number with ms, s, m, h or d (e.g. 500ms, 30s, 5m, 1h30m)
            mirror: {lock-timeout: 30d}                        => mirror.lock-timeout: '30d' is above the largest lock_timeout PostgreSQL takes (24d); 0 waits as long as a lock is held
            mirror: {statement-timeout: -1s}                   => mirror.statement-timeout: '-1s' is negative; expected a number with ms, s, m, h or d (e.g. 500ms, 30s, 5m, 1h30m)
            mirror: {statement-timeout: 30d}                   => mirror.statement-timeout: '30d' is above the largest statement_timeout PostgreSQL takes (24d); 0 lets a replayed statement run as long as it takes
            mirror: {catalog-refresh: 500ms}                   => mirror.catalog-refresh: '500ms' is below the minimum of 1s
            mirror: {catalog-refresh: 2h}                      => mirror.catalog-refresh: '2h' is above the maximum of 1h
            mirror: {catalog-refresh: often}                   => mirror.catalog-refresh: 'often' is not a duration; expected a number with ms, s, m, h or d (e.g. 500ms, 30s, 5m, 1h30m)
            limits: {max-connections: lots}                    => limits.max-connections: 'lots' is not a whole number; allowed 1 to 1000000
            limits: {max-connections: 99999999999999999999}    => limits.max-connections: '99999999999999999999' is out of range; allowed 1 to 1000000
            limits: {max-frame-bytes: 2GiB}                    => limits.max-frame-bytes: '2GiB' is above the maximum of 1GiB
            limits: {max-frame-bytes: -1}                      => limits.max-frame-bytes: '-1' is negative; expected a number of bytes, optionally with B, KiB, MiB, GiB or TiB (e.g. 512MiB)
            limits: {max-held-bytes: 512MiB}                   => limits.max-held-bytes: '512MiB' is smaller than limits.max-frame-bytes (1GiB): a message that large could never be held
            limits: {idle-timeout: -5s}                        => limits.idle-timeout: '-5s' is negative; expected a number with ms, s, m, h or d (e.g. 500ms, 30s, 5m, 1h30m)
            admin: {metrics-per-partition: some}               => admin.metrics-per-partition: 'some' is not true or false
            logging: {redact-sql: maybe}                       => logging.redact-sql: 'maybe' is not true or false
            instance-id: 'my proxy'                            => instance-id: 'my proxy' is not an instance id; allowed 1 to 63 letters, digits, '.', '_', '-', starting with a letter or digit
            shutdown: {grace-period: 1y}                       => shutdown.grace-period: '1y' is not a duration; expected a number with ms, s, m, h or d (e.g. 500ms, 30s, 5m, 1h30m)
            shutdown: {mirror-drain: soon}                     => shutdown.mirror-drain: 'soon' is not a duration; expected a number with ms, s, m, h or d (e.g. 500ms, 30s, 5m, 1h30m)
            """)
    void eachBadValueGetsItsOwnLine(String yaml, String expectedProblem) throws IOException {
        ConfigException e = loadFailure(yaml);

        assertThat(e.problems()).containsExactly(expectedProblem);
        assertThat(e.getMessage()).contains(expectedProblem);
    }

    @Test
    void severalBadValuesAreReportedTogether() throws IOException {
        ConfigException e = loadFailure("""
                listen: nowhere
                mirror:
                  mode: fast
                  spool:
                    fsync: sometimes
                    max-bytes: 10GB
                limits:
                  max-connections: 0
                """);

        assertThat(e.problems()).containsExactly(
                "listen: 'nowhere' has no port; expected host:port (e.g. 127.0.0.1:5432 or [::1]:5432)",
                "mirror.mode: 'fast' is not one of async|sync|off",
                "mirror.spool.max-bytes: '10GB' uses unit 'GB'; sizes use binary units, write 10GiB",
                "mirror.spool.fsync: 'sometimes' is not one of always|interval|never",
                "limits.max-connections: '0' is out of range; allowed 1 to 1000000");
        assertThat(e.getMessage()).startsWith("invalid configuration (" + dir.resolve("tandem.yaml") + "): 5 problems");
        assertThat(e.getMessage().lines()).hasSize(6);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            mirror: {spool: {fsynk: always}}     | mirror.spool.fsynk: unknown key; did you mean 'mirror.spool.fsync'?
            mirror: {spool: {max_bytes: 1GiB}}   | mirror.spool.max_bytes: unknown key; did you mean 'mirror.spool.max-bytes'?
            mirror: {spool: {maxBytes: 1GiB}}    | mirror.spool.maxBytes: unknown key; did you mean 'mirror.spool.max-bytes'?
            mirror: {tabels: {}}                 | mirror.tabels: unknown key; did you mean 'mirror.tables'?
            spool: {dir: /tmp}                   | spool: unknown key; did you mean 'mirror.spool'?
            lisen: 127.0.0.1:1                   | lisen: unknown key; did you mean 'listen'?
            source: {passwd-env: X}              | source.passwd-env: unknown key; did you mean 'source.password-env'?
            logging: {level: debug}              | logging.level: unknown key; known keys in logging: redact-sql
            admin: {token: abc}                  | admin.token: secrets are never written in the configuration; put it in an environment variable and name that variable in admin.token-env
            """)
    void unknownKeysAreErrorsWithASuggestion(String yaml, String expectedProblem) throws IOException {
        assertThat(loadFailure(yaml).problems()).containsExactly(expectedProblem);
    }

    @Test
    void keysUnderTheDatabaseMapAreNamesNotKeys() throws IOException {
        assertThat(load("target:\n  databases:\n    lisen: x\n").target().databases()).containsEntry("lisen", "x");
    }

    @Test
    void flagsWinOverTheFile() throws IOException {
        write("""
                source: {host: file-source, port: 5000, tls: require}
                mirror:
                  mode: sync
                  tables: {include: [public.a, public.b]}
                  spool: {fsync: always, dir: spool-from-file}
                """);
        Overrides flags = Overrides.builder()
                .set("source", "flag-source:6000", "--source")
                .set("mirror.mode", "off", "--mirror-mode")
                .setList("mirror.tables.include", List.of("metrics.*"), "--mirror-table")
                .set("mirror.spool.dir", "spool-from-flag", "--spool-dir")
                .build();

        ProxyConfig config = ConfigLoader.load(dir.resolve("tandem.yaml"), flags, NO_ENV);

        assertThat(config.source().address()).isEqualTo(new HostPort("flag-source", 6000));
        assertThat(config.source().tls()).isEqualTo(TlsMode.REQUIRE);
        assertThat(config.mirror().mode()).isEqualTo(MirrorMode.OFF);
        assertThat(config.mirror().tables().include()).containsExactly(TablePattern.parse("metrics.*"));
        assertThat(config.mirror().spool().fsync()).isEqualTo(FsyncPolicy.ALWAYS);
        assertThat(config.mirror().spool().dir()).isEqualTo(Path.of("spool-from-flag"));
    }

    @Test
    void badFlagValuesNameTheFlag() {
        Overrides flags = Overrides.builder()
                .set("mirror.spool.fsync", "sometimes", "--spool-fsync")
                .set("target", "db.example", "--target")
                .set("mirror.spol.dir", "/tmp", "--set mirror.spol.dir")
                .build();

        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> ConfigLoader.load(null, flags, NO_ENV));

        assertThat(e.problems()).containsExactly(
                "target: 'db.example' has no port; expected host:port (e.g. 127.0.0.1:5432 or [::1]:5432) (from --target)",
                "mirror.spool.fsync: 'sometimes' is not one of always|interval|never (from --spool-fsync)",
                "mirror.spol: unknown key; did you mean 'mirror.spool'? (from --set mirror.spol.dir)");
        assertThat(e.getMessage()).startsWith("invalid configuration (defaults and command line): 3 problems");
    }

    @Test
    void secretsComeFromFilesWhenNamedAndTheFileWinsOverTheVariable() throws IOException {
        Path targetPassword = Files.writeString(dir.resolve("target-password"), "from-file\n");
        Path token = Files.writeString(dir.resolve("token"), "token-from-file");
        ProxyConfig config = load("target: {password-file: '" + targetPassword + "'}\nadmin: {token-file: '" + token
                + "'}\n", Map.of("TANDEM_TARGET_PASSWORD", "from-env"));

        assertThat(config.target().password().map(Secret::reveal)).contains("from-file");
        assertThat(config.admin().token().map(Secret::reveal)).contains("token-from-file");
        assertThat(config.toString()).doesNotContain("from-file");

        Path empty = Files.writeString(dir.resolve("empty"), "\n");
        assertThat(loadFailure("source: {user: reader, password-file: '" + empty + "'}\n"
                + "target: {password-file: '" + dir.resolve("missing") + "'}\n").getMessage())
                .contains("source.password-file: '" + empty + "' is empty")
                .contains("target.password-file: does not name a readable file (the value is not shown");
        // the secret itself where its file's name belongs: the error must not repeat it
        assertThat(loadFailure("admin: {token-file: 's3cr3t-t0ken'}\n").getMessage())
                .contains("admin.token-file: does not name a readable file").doesNotContain("s3cr3t-t0ken");
    }

    @Test
    void aSecretsFileOpenToOthersIsWarnedWithItsPermissionsAndNotRefused() throws IOException {
        Path token = Files.writeString(dir.resolve("token"), "token-from-file");
        Path password = Files.writeString(dir.resolve("target-password"), "from-file");
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-------"));

        ProxyConfig config = load("target: {password-file: '" + password + "'}\nadmin: {token-file: '" + token
                + "'}\n", NO_ENV);

        assertThat(config.admin().token().map(Secret::reveal)).contains("token-from-file");
        assertThat(config.warnings()).filteredOn(warning -> warning.contains("chmod")).containsExactly(
                "admin.token-file: '" + token + "' holding the admin token has permissions rw-r--r--, open to users"
                        + " other than its owner; chmod 600 '" + token + "' (a mounted Kubernetes or Docker secret may"
                        + " be left as is when its directory is not open to them)");
    }

    @Test
    void aBlankAdminTokenIsAConfigurationErrorNotAFailureAtStart() throws IOException {
        Path blank = Files.writeString(dir.resolve("token"), "  \t\n");

        assertThat(loadFailure("admin: {token-file: '" + blank + "'}\n").problems()).containsExactly(
                "admin.token-file: '" + blank + "' holds only white space; the admin token must not be blank");
        assertThat(catchThrowableOfType(ConfigException.class,
                () -> load("listen: 127.0.0.1:6432\n", Map.of("TANDEM_ADMIN_TOKEN", "   "))).problems())
                .containsExactly("admin.token-env: environment variable TANDEM_ADMIN_TOKEN holds only white space;"
                        + " the admin token must not be blank");
    }

    @Test
    void secretsComeFromTheNamedEnvironmentVariablesAndNeverPrint() throws IOException {
        ProxyConfig config = load("source: {user: reader, password-env: SRC}\ntarget: {password-env: TGT}\n",
                Map.of("SRC", "source-secret", "TGT", "target-secret", "TANDEM_ADMIN_TOKEN", "admin-secret"));

        assertThat(config.source().password().map(Secret::reveal)).contains("source-secret");
        assertThat(config.target().password().map(Secret::reveal)).contains("target-secret");
        assertThat(config.admin().token().map(Secret::reveal)).contains("admin-secret");
        assertThat(config.toString()).doesNotContain("source-secret", "target-secret", "admin-secret").contains("***");
        assertThat(config.target().password().orElseThrow()).hasToString("***");
    }

    @Test
    void aMissingOrEmptySecretIsAbsentAndOnlyWarned() throws IOException {
        ProxyConfig config = load("source: {user: reader}\n", Map.of("TANDEM_TARGET_PASSWORD", ""));

        assertThat(config.target().password()).isEmpty();
        assertThat(config.source().password()).isEmpty();
        assertThat(config.warnings()).contains(
                "target.password-env: environment variable TANDEM_TARGET_PASSWORD is not set; connecting to the target"
                        + " without a password",
                "source.password-env: environment variable TANDEM_SOURCE_PASSWORD is not set; the proxy's own source"
                        + " connections use no password",
                "admin.token-env: environment variable TANDEM_ADMIN_TOKEN is not set; the admin endpoints that change"
                        + " state are disabled");
    }

    @Test
    void aVerifierSwitchedOnWithoutASourceUserIsWarned() throws IOException {
        assertThat(load("verifier: {enabled: true}\n").warnings()).contains("verifier.enabled: true but source.user is"
                + " not set; the verifier needs its own source connection and stays off");
        assertThat(load("source: {user: reader}\nverifier: {enabled: true}\n").warnings())
                .noneMatch(w -> w.startsWith("verifier."));
    }

    @Test
    void mirroringIntoTheSourceServerIsWarned() {
        Overrides flags = Overrides.builder().set("target", "127.0.0.1:5432", "--target").build();

        assertThat(ConfigLoader.load(null, flags, NO_ENV).warnings())
                .anyMatch(warning -> warning.startsWith("target: same server as the source (127.0.0.1:5432)"));
    }

    @Test
    void aPasswordWrittenIntoPasswordEnvIsNotEchoed() throws IOException {
        ConfigException e = loadFailure("target: {password-env: 'S3cr3t!pw'}\n");

        assertThat(e.getMessage()).doesNotContain("S3cr3t!pw").contains("target.password-env: is not an environment");
    }

    @Test
    void tlsFilesMustBeReadable() throws IOException {
        Files.writeString(dir.resolve("proxy.crt"), "certificate fixture");

        assertThat(loadFailure("tls: {cert: proxy.crt, key: proxy.key}\n").problems())
                .containsExactly("tls.key: '" + dir.toAbsolutePath().resolve("proxy.key") + "' is not a readable file");
        assertThat(loadFailure("tls: {cert: proxy.crt}\n").problems())
                .containsExactly("tls.key: is missing; client TLS needs both tls.cert and tls.key");
    }

    @Test
    void tlsFilesMustHoldWhatTheTlsCodeReadsAndTheKeyMustFitTheCertificate() throws Exception {
        writeKeyPair(dir.resolve("proxy.crt"), dir.resolve("proxy.key"));
        writeKeyPair(dir.resolve("other.crt"), dir.resolve("other.key"));
        Files.writeString(dir.resolve("text.crt"), "not a certificate");
        Files.writeString(dir.resolve("rsa.key"), "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        Path base = dir.toAbsolutePath();

        assertThat(loadFailure("tls: {cert: proxy.crt, key: other.key}\n").problems()).containsExactly(
                "tls.key: '" + base.resolve("other.key") + "' is not the private key of the certificate in tls.cert ('"
                        + base.resolve("proxy.crt") + "'): the TLS handshake would fail for every client");
        assertThat(loadFailure("""
                tls: {cert: text.crt, key: rsa.key}
                source: {ca-file: text.crt}
                target: {ca-file: proxy.key}
                """).problems()).containsExactly(
                "source.ca-file: '" + base.resolve("text.crt") + "' holds no PEM certificate",
                "tls.cert: '" + base.resolve("text.crt") + "' holds no PEM certificate",
                "tls.key: '" + base.resolve("rsa.key") + "' holds a RSA PRIVATE KEY; the proxy reads PKCS#8"
                        + " (-----BEGIN PRIVATE KEY-----): convert it with openssl pkcs8 -topk8 -nocrypt -in old.key"
                        + " -out new.key",
                "target.ca-file: '" + base.resolve("proxy.key") + "' holds no PEM certificate");
        assertThat(load("tls: {cert: proxy.crt, key: proxy.key}\nsource: {tls: verify-full, ca-file: other.crt}\n")
                .tls()).isPresent();
    }

    @Test
    void aCaFileWithAModeThatNeverChecksTheCertificateIsRefused() throws Exception {
        writeKeyPair(dir.resolve("other.crt"), dir.resolve("other.key"));
        Path ca = dir.toAbsolutePath().resolve("other.crt");

        assertThat(loadFailure("source: {ca-file: other.crt}\ntarget: {tls: disable, ca-file: other.crt}\n")
                .problems()).containsExactly(
                "source.ca-file: '" + ca + "' would not be used: tls is prefer, which never checks the server's"
                        + " certificate; set tls to verify-full (or verify-ca, require) to have it checked, or remove"
                        + " ca-file",
                "target.ca-file: '" + ca + "' would not be used: tls is disable, which never checks the server's"
                        + " certificate; set tls to verify-full (or verify-ca, require) to have it checked, or remove"
                        + " ca-file");
        for (String mode : List.of("require", "verify-ca", "verify-full")) {
            assertThat(load("source: {tls: " + mode + ", ca-file: other.crt}\ntarget: {tls: " + mode
                    + ", ca-file: other.crt}\n").target().caFile()).contains(ca);
        }
    }

    @Test
    void aDirectoryIsNotAReadableFile() throws IOException {
        Files.createDirectories(dir.resolve("certs"));
        Path certs = dir.toAbsolutePath().resolve("certs");

        assertThat(loadFailure("tls: {cert: certs, key: certs}\ntarget: {ca-file: certs}\n"
                + "admin: {token-file: certs}\n").problems()).containsExactlyInAnyOrder(
                "tls.cert: '" + certs + "' is not a readable file",
                "tls.key: '" + certs + "' is not a readable file",
                "target.ca-file: '" + certs + "' is not a readable file",
                "admin.token-file: does not name a readable file (the value is not shown, in case it is the secret"
                        + " itself)");
    }

    @Test
    void aSpoolDirThatIsAFileIsRefused() throws IOException {
        Files.writeString(dir.resolve("a-file"), "");

        assertThat(loadFailure("mirror: {spool: {dir: a-file}}\n").problems())
                .containsExactly("mirror.spool.dir: '" + dir.toAbsolutePath().resolve("a-file")
                        + "' exists and is not a directory");
    }

    @Test
    void brokenFilesGiveOneClearLine() throws IOException {
        assertThat(loadFailure("mirror:\n  mode: [async\n").getMessage())
                .contains("not valid YAML at line 2").contains("expected ',' or ']', but got <stream end>");
        assertThat(loadFailure("listen: a:1\nlisten: b:2\n").getMessage())
                .contains("not valid YAML at line 2").contains("Duplicate field 'listen'");
        assertThat(loadFailure("mirror:\n  mode: async\n spool: {}\n").getMessage())
                .contains("not valid YAML at line 3").contains("check the indentation");
        assertThat(loadFailure("? [a]\n: 1\n").getMessage())
                .contains("not valid YAML at line 1").contains("expected a key, got this instead: a list")
                .doesNotContain("snakeyaml");
        assertThat(loadFailure("listen: 127.0.0.1:6432\n---\nmirror: {mode: sync}\n").problems())
                .containsExactly("(top level): more than one YAML document (after '---', the second has content"
                        + " at line 3); put every key in one document");
        Path latin1 = Files.write(dir.resolve("latin1.yaml"), new byte[] {'#', ' ', (byte) 0xE9, '\n'});
        assertThatThrownBy(() -> ConfigLoader.load(latin1, Overrides.none(), NO_ENV))
                .isInstanceOf(ConfigException.class).hasMessageContaining("does not look like UTF-8")
                .hasMessageNotContaining("java.io");
        assertThat(loadFailure("- listen\n").problems())
                .containsExactly("(top level): expected a mapping of keys (listen, source, target, mirror, ...)");
        assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("absent.yaml"), Overrides.none(), NO_ENV))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("--config: '" + dir.resolve("absent.yaml") + "' is not a file");
    }

    /** A certificate and its key where a configuration names them (the loader checks that they belong together). */
    static void writeKeyPair(Path cert, Path key) throws Exception {
        TestCertificates.Pair pair = TestCertificates.selfSigned(Files.createTempDirectory("tandem-test"), "localhost");
        Files.copy(pair.cert(), cert);
        Files.copy(pair.key(), key);
    }

    private ProxyConfig load(String yaml) throws IOException {
        return load(yaml, NO_ENV);
    }

    private ProxyConfig load(String yaml, Map<String, String> env) throws IOException {
        return ConfigLoader.load(write(yaml), Overrides.none(), env);
    }

    private ConfigException loadFailure(String yaml) throws IOException {
        Path file = write(yaml);
        return catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(file, Overrides.none(), NO_ENV));
    }

    private Path write(String yaml) throws IOException {
        return Files.writeString(dir.resolve("tandem.yaml"), yaml);
    }

    private Path copyResource(String name) throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/config/" + name)) {
            assertThat(in).as("test resource config/%s", name).isNotNull();
            return Files.writeString(dir.resolve("tandem.yaml"), new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    private static ProxyConfig withSpoolDir(ProxyConfig config, Path spoolDir) {
        MirrorConfig m = config.mirror();
        SpoolConfig s = m.spool();
        return new ProxyConfig(config.listen(), config.source(), config.tls(), config.target(),
                new MirrorConfig(m.mode(), m.tables(), new SpoolConfig(spoolDir, s.maxBytes(), s.segmentBytes(),
                        s.fsync(), s.fsyncInterval(), s.onFull()), m.maxTransactionBytes(), m.maxCapturedBytes(),
                        m.syncTimeout(), m.retry(), m.markDualWriteStart(), m.lockTimeout(),
                        m.statementTimeout(), m.catalogRefresh()),
                config.admin(), config.limits(), config.logging(), config.instanceId(), config.shutdown(),
                config.verifier());
    }
}
