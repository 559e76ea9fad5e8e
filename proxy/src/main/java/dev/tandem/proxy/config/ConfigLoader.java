package dev.tandem.proxy.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.tandem.protocol.sql.Identifiers;
import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.spool.FsyncPolicy;
import dev.tandem.proxy.spool.OnFull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Builds a {@link ProxyConfig} from {@code tandem.yaml}, command-line overrides and the environment, in that order of
 * increasing precedence for values (the environment only supplies secrets, by the names the configuration gives).
 * The YAML is read into an untyped tree and every record is built here by hand, so that each message is ours: one
 * line per bad value naming the key path, the value and what is allowed, all of them in one {@link ConfigException}.
 */
public final class ConfigLoader {

    private static final Duration POSITIVE = Duration.ofMillis(1);
    /** PostgreSQL's {@code lock_timeout} and {@code statement_timeout} are ints of milliseconds: 24 days and a bit. */
    private static final Duration MAX_SERVER_TIMEOUT = Duration.ofDays(24);
    private static final Pattern INSTANCE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    private static final Pattern HOST_NAME =
            Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\\.?");
    private static final YAMLMapper YAML = YAMLMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private ConfigLoader() {
    }

    /**
     * @param yamlOrNull the configuration file, or null to use defaults and flags only
     * @param flags      command-line values, which win over the file
     * @param env        the environment, for the secrets named by {@code *-env} keys and {@code HOSTNAME}
     * @throws ConfigException listing every problem found
     */
    public static ProxyConfig load(Path yamlOrNull, Overrides flags, Map<String, String> env) {
        String origin = yamlOrNull == null ? "defaults and command line" : yamlOrNull.toString();
        ObjectNode root = yamlOrNull == null ? JsonNodeFactory.instance.objectNode() : readFile(yamlOrNull);
        Optional<Path> baseDir = Optional.ofNullable(yamlOrNull)
                .map(file -> file.toAbsolutePath().getParent());
        ConfigTree tree = new ConfigTree(root, baseDir);
        for (Overrides.Entry override : flags.entries()) {
            tree.apply(override);
        }
        ProxyConfig config = build(tree.root(), env);
        tree.reportUnknownKeys();
        if (!tree.problems().isEmpty()) {
            throw new ConfigException(origin, tree.problems());
        }
        return config;
    }

    /** Every key path the loader reads, sections included, for checking the documentation against the code. */
    static Set<String> knownKeys() {
        ConfigTree tree = new ConfigTree(JsonNodeFactory.instance.objectNode(), Optional.empty());
        build(tree.root(), Map.of());
        return tree.knownPaths();
    }

    private static ObjectNode readFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(file.toString(), List.of("--config: '" + file + "' is not a file"));
        }
        JsonNode node;
        try (JsonParser parser = YAML.createParser(file.toFile())) {
            parser.nextToken();
            node = YamlTree.read(parser);
            if (parser.nextToken() != null) {
                // the tree is the first document only; keys in later ones would be ignored without a word
                throw new ConfigException(file.toString(), List.of("(top level): more than one YAML document (after"
                        + " '---', the second has content at line " + parser.currentTokenLocation().getLineNr()
                        + "); put every key in one document"));
            }
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            String reason = yamlReason(e.getOriginalMessage());
            throw new ConfigException(file.toString(), List.of("not valid YAML" + where + ": " + reason));
        } catch (IOException e) {
            throw new ConfigException(file.toString(), List.of("--config: cannot read '" + file + "': " + e.getMessage()));
        }
        if (node == null || node.isMissingNode() || node.isNull()) {
            return JsonNodeFactory.instance.objectNode();
        }
        if (!(node instanceof ObjectNode object)) {
            throw new ConfigException(file.toString(),
                    List.of("(top level): expected a mapping of keys (listen, source, target, mirror, ...)"));
        }
        return object;
    }

    /**
     * SnakeYAML's message interleaves the reason ("expected ',' or ']'") with indented position and excerpt lines;
     * the position is reported separately, so only the unindented lines are kept.
     */
    private static String yamlReason(String message) {
        String reason = message.lines()
                .filter(line -> !line.isBlank() && !Character.isWhitespace(line.charAt(0)))
                .collect(Collectors.joining("; "))
                // the parser passes on a decoding exception's message with its class name in front
                .replaceFirst("^(?:[a-z]+\\.)+[A-Z][A-Za-z]*Exception: ", "")
                // the parser names what it found by its Java event class
                .replaceAll("<org\\.yaml\\.snakeyaml\\.events\\.SequenceStartEvent[^>]*>", "a list")
                .replaceAll("<org\\.yaml\\.snakeyaml\\.events\\.MappingStartEvent[^>]*>", "a mapping")
                .replaceAll("<org\\.yaml\\.snakeyaml\\.events\\.([A-Za-z]+)Event[^>]*>", "$1")
                .replace("Expected a field name (Scalar value in YAML)", "expected a key");
        if (reason.contains("expected <block end>")) {
            reason += " (check the indentation: the keys of one mapping start in the same column)";
        }
        return reason.isEmpty() ? "syntax error" : reason;
    }

    private static ProxyConfig build(Section root, Map<String, String> env) {
        HostPort listen = root.hostPort("listen", Defaults.LISTEN);
        SourceConfig source = source(root.section("source"), env);
        Optional<ClientTlsConfig> tls = clientTls(root.section("tls"));
        TargetConfig target = target(root.section("target"), env);
        MirrorConfig mirror = mirror(root.section("mirror"));
        AdminConfig admin = admin(root.section("admin"), env);
        LimitsConfig limits = limits(root.section("limits"));
        LoggingConfig logging = new LoggingConfig(root.section("logging").bool("redact-sql", false));
        String instanceId = instanceId(root, env);
        Section shutdownSection = root.section("shutdown");
        ShutdownConfig shutdown = new ShutdownConfig(
                shutdownSection.duration("grace-period", Defaults.SHUTDOWN_GRACE_PERIOD, Duration.ZERO),
                shutdownSection.duration("mirror-drain", Defaults.SHUTDOWN_MIRROR_DRAIN, Duration.ZERO));
        if (listen.port() != 0 && listen.equals(admin.listen())) {
            root.section("admin").problem("listen", "'" + admin.listen() + "' is the same address as listen");
        }
        VerifierConfig verifier = verifier(root.section("verifier"));
        return new ProxyConfig(listen, source, tls, target, mirror, admin, limits, logging, instanceId, shutdown,
                verifier);
    }

    private static SourceConfig source(Section section, Map<String, String> env) {
        String passwordEnv = section.envName("password-env", Defaults.SOURCE_PASSWORD_ENV);
        String host = section.host("host", Defaults.SOURCE_HOST);
        int port = section.port("port", Defaults.SOURCE_PORT);
        TlsMode tls = section.choice("tls", TlsMode.class, Defaults.SOURCE_TLS);
        return new SourceConfig(host, port, tls,
                section.optionalText("user").filter(user -> !user.isBlank()),
                passwordEnv,
                secret(section, "password-file", env, passwordEnv, true),
                section.duration("connect-timeout", Defaults.CONNECT_TIMEOUT, POSITIVE),
                caFile(section, tls));
    }

    private static Optional<ClientTlsConfig> clientTls(Section section) {
        Optional<Path> cert = readableFile(section, "cert");
        Optional<Path> key = readableFile(section, "key");
        if (cert.isPresent() != key.isPresent()) {
            section.problem(cert.isPresent() ? "key" : "cert", "is missing; client TLS needs both tls.cert and tls.key");
        }
        if (cert.isPresent() && key.isPresent()) {
            if (isReadableFile(cert.get()) && isReadableFile(key.get())) {
                checkKeyPair(section, cert.get(), key.get());
            }
            return Optional.of(new ClientTlsConfig(cert.get(), key.get()));
        }
        return Optional.empty();
    }

    private static void checkKeyPair(Section section, Path cert, Path key) {
        PemFiles.Result<List<X509Certificate>> chain = PemFiles.certificates(cert);
        PemFiles.Result<PrivateKey> privateKey = PemFiles.privateKey(key);
        if (chain.problem() != null) {
            section.problem("cert", "'" + cert + "' " + chain.problem());
        }
        if (privateKey.problem() != null) {
            section.problem("key", "'" + key + "' " + privateKey.problem());
        }
        if (chain.value().isPresent() && privateKey.value().isPresent()
                && !PemFiles.belongTogether(chain.value().get().get(0), privateKey.value().get())) {
            section.problem("key", "'" + key + "' is not the private key of the certificate in tls.cert ('" + cert
                    + "'): the TLS handshake would fail for every client");
        }
    }

    private static Optional<Path> readableFile(Section section, String key) {
        Optional<Path> file = section.optionalPath(key);
        if (file.isPresent() && !isReadableFile(file.get())) {
            section.problem(key, "'" + file.get() + "' is not a readable file");
        }
        return file;
    }

    /**
     * A readable file that must hold the PEM certificates of trusted authorities, with a mode that checks the server's
     * certificate: with {@code prefer} libpq would check it but quietly fall back to plaintext when the check fails,
     * so no setting makes a ca-file protect a {@code prefer} connection; refusing says so before anyone relies on it.
     */
    private static Optional<Path> caFile(Section section, TlsMode tls) {
        Optional<Path> file = readableFile(section, "ca-file");
        if (file.isPresent() && isReadableFile(file.get())) {
            String problem = PemFiles.certificates(file.get()).problem();
            if (problem != null) {
                section.problem("ca-file", "'" + file.get() + "' " + problem);
            } else if (tls == TlsMode.DISABLE || tls == TlsMode.PREFER) {
                section.problem("ca-file", "'" + file.get() + "' would not be used: tls is " + tls.configValue()
                        + ", which never checks the server's certificate; set tls to verify-full (or verify-ca,"
                        + " require) to have it checked, or remove ca-file");
            }
        }
        return file;
    }

    /** Not a directory, which {@link Files#isReadable} accepts; pipes such as {@code /dev/stdin} are fine. */
    private static boolean isReadableFile(Path file) {
        return Files.isReadable(file) && !Files.isDirectory(file);
    }

    private static TargetConfig target(Section section, Map<String, String> env) {
        String host = section.host("host", Defaults.TARGET_HOST);
        int port = section.port("port", Defaults.TARGET_PORT);
        String user = section.text("user", Defaults.TARGET_USER);
        if (user.isBlank()) {
            section.problem("user", "is empty; expected the role the proxy uses on the target");
            user = Defaults.TARGET_USER;
        }
        String passwordEnv = section.envName("password-env", Defaults.TARGET_PASSWORD_ENV);
        TlsMode tls = section.choice("tls", TlsMode.class, Defaults.TARGET_TLS);
        return new TargetConfig(host, port, user, passwordEnv, secret(section, "password-file", env, passwordEnv, true),
                tls,
                section.textMap("databases"),
                section.duration("connect-timeout", Defaults.CONNECT_TIMEOUT, POSITIVE),
                caFile(section, tls));
    }

    private static MirrorConfig mirror(Section section) {
        MirrorMode mode = section.choice("mode", MirrorMode.class, Defaults.MIRROR_MODE);
        Section tables = section.section("tables");
        TableFilter filter = new TableFilter(patterns(tables, "include"), patterns(tables, "exclude"));
        SpoolConfig spool = spool(section.section("spool"));
        long maxTransactionBytes = section.size("max-transaction-bytes", Defaults.MAX_TRANSACTION_BYTES, 1024, 1L << 40);
        long maxCapturedBytes = section.size("max-captured-bytes", Defaults.MAX_CAPTURED_BYTES, 1L << 20, 1L << 40);
        Duration syncTimeout = section.duration("sync-timeout", Defaults.SYNC_TIMEOUT, POSITIVE);
        Section retrySection = section.section("retry");
        RetryConfig retry = new RetryConfig(
                retrySection.duration("min-backoff", Defaults.RETRY_MIN_BACKOFF, POSITIVE),
                retrySection.duration("max-backoff", Defaults.RETRY_MAX_BACKOFF, POSITIVE));
        if (retry.minBackoff().compareTo(retry.maxBackoff()) > 0) {
            retrySection.problem("min-backoff", "'" + Durations.format(retry.minBackoff())
                    + "' is longer than mirror.retry.max-backoff (" + Durations.format(retry.maxBackoff()) + ")");
        }
        boolean mark = section.bool("mark-dual-write-start", false);
        Duration lockTimeout = section.duration("lock-timeout", Defaults.MIRROR_LOCK_TIMEOUT, Duration.ZERO);
        if (lockTimeout.compareTo(MAX_SERVER_TIMEOUT) > 0) {
            section.problem("lock-timeout", "'" + Durations.format(lockTimeout) + "' is above the largest"
                    + " lock_timeout PostgreSQL takes (" + Durations.format(MAX_SERVER_TIMEOUT)
                    + "); 0 waits as long as a lock is held");
            lockTimeout = MAX_SERVER_TIMEOUT;
        }
        Duration statementTimeout = section.duration("statement-timeout", Defaults.MIRROR_STATEMENT_TIMEOUT,
                Duration.ZERO);
        if (statementTimeout.compareTo(MAX_SERVER_TIMEOUT) > 0) {
            section.problem("statement-timeout", "'" + Durations.format(statementTimeout) + "' is above the largest"
                    + " statement_timeout PostgreSQL takes (" + Durations.format(MAX_SERVER_TIMEOUT) + "); 0 lets a"
                    + " replayed statement run as long as it takes");
            statementTimeout = MAX_SERVER_TIMEOUT;
        }
        // below a second the look-ups would keep the catalogs busy; above an hour a table created meanwhile goes
        // unmirrored for longer than anyone would wait for it
        Duration catalogRefresh = section.duration("catalog-refresh", Defaults.MIRROR_CATALOG_REFRESH,
                Duration.ofSeconds(1), Duration.ofHours(1));
        return new MirrorConfig(mode, filter, spool, maxTransactionBytes, maxCapturedBytes, syncTimeout, retry, mark,
                lockTimeout, statementTimeout, catalogRefresh);
    }

    private static List<TablePattern> patterns(Section section, String key) {
        List<String> texts = section.texts(key);
        List<TablePattern> patterns = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            try {
                patterns.add(TablePattern.parse(texts.get(i)));
            } catch (IllegalArgumentException e) {
                section.problem(key + "[" + i + "]", "'" + texts.get(i) + "' " + e.getMessage());
            }
        }
        return patterns;
    }

    private static SpoolConfig spool(Section section) {
        Path dir = section.path("dir", Defaults.SPOOL_DIR);
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            section.problem("dir", "'" + dir + "' exists and is not a directory");
        }
        long maxBytes = section.size("max-bytes", Defaults.SPOOL_MAX_BYTES, 1L << 20, Long.MAX_VALUE);
        long segmentBytes = section.size("segment-bytes", Defaults.SPOOL_SEGMENT_BYTES, 64L << 10, 1L << 30);
        if (segmentBytes > maxBytes && section.isSet("segment-bytes")) {
            section.problem("segment-bytes", "'" + Sizes.format(segmentBytes)
                    + "' is larger than mirror.spool.max-bytes (" + Sizes.format(maxBytes) + ")");
        } else if (segmentBytes > maxBytes) {
            // the operator set only max-bytes: a problem named after a key they never wrote would not say what to change
            section.problem("max-bytes", "'" + Sizes.format(maxBytes) + "' is smaller than mirror.spool.segment-bytes ("
                    + Sizes.format(segmentBytes) + ", its default): raise max-bytes, or set segment-bytes to at most "
                    + Sizes.format(maxBytes));
        }
        return new SpoolConfig(dir, maxBytes, segmentBytes,
                section.choice("fsync", FsyncPolicy.class, Defaults.SPOOL_FSYNC),
                section.duration("fsync-interval", Defaults.SPOOL_FSYNC_INTERVAL, POSITIVE),
                section.choice("on-full", OnFull.class, Defaults.SPOOL_ON_FULL));
    }

    private static VerifierConfig verifier(Section section) {
        VerifierMode mode = verifierMode(section);
        Duration interval = section.duration("interval", Defaults.VERIFIER_INTERVAL, POSITIVE);
        Duration lookback = section.duration("lookback", Defaults.VERIFIER_LOOKBACK, POSITIVE);
        Duration bucket = section.duration("bucket", Defaults.VERIFIER_BUCKET, POSITIVE);
        Duration margin = section.duration("margin", Defaults.VERIFIER_MARGIN, Duration.ZERO);
        Duration statementTimeout = section.duration("statement-timeout", Defaults.VERIFIER_STATEMENT_TIMEOUT, POSITIVE);
        long integerBucket = section.wholeNumber("integer-bucket", 0, 0, Long.MAX_VALUE);
        if (bucket.compareTo(lookback) > 0) {
            section.problem("bucket", "'" + Durations.format(bucket) + "' is longer than verifier.lookback ("
                    + Durations.format(lookback) + ")");
        }
        Map<String, String> texts = section.textMap("time-columns");
        Map<TableName, String> timeColumns = new LinkedHashMap<>();
        for (Map.Entry<String, String> entry : texts.entrySet()) {
            String key = "time-columns." + entry.getKey();
            try {
                List<String> parts = Identifiers.parseQualifiedName(entry.getKey());
                if (parts.size() != 2) {
                    section.problem(key, "is not schema.table; write the table with its schema, e.g. public.metrics");
                    continue;
                }
                timeColumns.put(new TableName(parts.get(0), parts.get(1)), Identifiers.normalize(entry.getValue().strip()));
            } catch (IllegalArgumentException e) {
                section.problem(key, "is not a table name: " + e.getMessage());
            }
        }
        return new VerifierConfig(mode, interval, lookback, bucket, margin, statementTimeout, integerBucket,
                timeColumns);
    }

    /** YAML reads unquoted {@code true}/{@code false} as booleans; both they and the quoted words mean the same. */
    private static VerifierMode verifierMode(Section section) {
        Optional<String> text = section.optionalText("enabled");
        if (text.isEmpty()) {
            return VerifierMode.AUTO;
        }
        switch (text.get().strip().toLowerCase(Locale.ROOT)) {
            case "auto":
                return VerifierMode.AUTO;
            case "true", "yes", "on":
                return VerifierMode.ON;
            case "false", "no", "off":
                return VerifierMode.OFF;
            default:
                section.problem("enabled", "'" + text.get() + "' is not one of auto|true|false");
                return VerifierMode.AUTO;
        }
    }

    private static AdminConfig admin(Section section, Map<String, String> env) {
        HostPort listen = section.hostPort("listen", Defaults.ADMIN_LISTEN);
        String tokenEnv = section.envName("token-env", Defaults.ADMIN_TOKEN_ENV);
        return new AdminConfig(listen, tokenEnv, secret(section, "token-file", env, tokenEnv, false),
                section.bool("metrics-per-partition", false), allowedHosts(section));
    }

    /** Host names only: an IP address is always answered, and a port or a wildcard would never match as meant. */
    private static List<String> allowedHosts(Section section) {
        List<String> names = section.texts("allowed-hosts");
        for (String name : names) {
            if (!HOST_NAME.matcher(name).matches()) {
                section.problem("allowed-hosts", "'" + name + "' is not a host name (letters, digits, '-'"
                        + " and '.', without a port or '*'); IP addresses need no entry");
            }
        }
        return names;
    }

    private static LimitsConfig limits(Section section) {
        int maxFrameBytes = (int) section.size("max-frame-bytes", Defaults.MAX_FRAME_BYTES, 1L << 10, 1L << 30);
        long maxHeldBytes = section.size("max-held-bytes", Defaults.MAX_HELD_BYTES, 1L << 10, 1L << 40);
        if (maxHeldBytes < maxFrameBytes) {
            section.problem("max-held-bytes", "'" + Sizes.format(maxHeldBytes) + "' is smaller than"
                    + " limits.max-frame-bytes (" + Sizes.format(maxFrameBytes) + "): a message that large could never"
                    + " be held");
        }
        return new LimitsConfig(
                section.integer("max-connections", Defaults.MAX_CONNECTIONS, 1, 1_000_000),
                maxFrameBytes,
                Math.max(maxHeldBytes, maxFrameBytes),
                (int) section.size("max-startup-packet-bytes", Integer.toString(Defaults.MAX_STARTUP_PACKET_BYTES),
                        64, 1L << 20),
                section.duration("auth-timeout", Defaults.AUTH_TIMEOUT, POSITIVE),
                section.duration("idle-timeout", Defaults.IDLE_TIMEOUT, Duration.ZERO),
                section.duration("drain-timeout", Defaults.DRAIN_TIMEOUT, POSITIVE));
    }

    /** Defaults to {@code HOSTNAME} when it is a valid id (containers get distinct ones), else {@code tandem}. */
    private static String instanceId(Section root, Map<String, String> env) {
        String hostname = env.get("HOSTNAME");
        String fallback = hostname != null && INSTANCE_ID.matcher(hostname).matches() ? hostname : Defaults.INSTANCE_ID;
        Optional<String> configured = root.optionalText("instance-id");
        if (configured.isPresent() && !INSTANCE_ID.matcher(configured.get()).matches()) {
            root.problem("instance-id", "'" + configured.get() + "' is not an instance id; allowed 1 to 63 letters,"
                    + " digits, '.', '_', '-', starting with a letter or digit");
            return fallback;
        }
        return configured.orElse(fallback);
    }

    /**
     * The secret in the file {@code fileKey} names (a mounted Docker or Kubernetes secret; one trailing line break is
     * not part of it), else in the environment variable {@code envName}.
     *
     * @param blankAllowed false for a token, which white space alone cannot be (a password may)
     */
    private static Optional<Secret> secret(Section section, String fileKey, Map<String, String> env, String envName,
                                           boolean blankAllowed) {
        Optional<Path> file = section.optionalPath(fileKey);
        if (file.isPresent() && !isReadableFile(file.get())) {
            // not echoed: a secret written where its file's name belongs would end up in the log
            section.problem(fileKey, "does not name a readable file (the value is not shown, in case it is the secret"
                    + " itself)");
        }
        if (file.isEmpty() || !isReadableFile(file.get())) {
            Optional<String> value = Optional.ofNullable(env.get(envName)).filter(text -> !text.isEmpty());
            if (value.isPresent() && value.get().isBlank() && !blankAllowed) {
                section.problem(fileKey.replace("-file", "-env"), "environment variable " + envName
                        + " holds only white space; the admin token must not be blank");
                return Optional.empty();
            }
            return value.map(Secret::of);
        }
        String value;
        try {
            value = Files.readString(file.get(), StandardCharsets.UTF_8);
        } catch (IOException | UncheckedIOException e) {
            section.problem(fileKey, "'" + file.get() + "' cannot be read: " + e.getMessage());
            return Optional.empty();
        }
        value = value.endsWith("\r\n") ? value.substring(0, value.length() - 2)
                : value.endsWith("\n") ? value.substring(0, value.length() - 1) : value;
        if (value.isEmpty()) {
            section.problem(fileKey, "'" + file.get() + "' is empty");
            return Optional.empty();
        }
        if (value.isBlank() && !blankAllowed) {
            section.problem(fileKey, "'" + file.get() + "' holds only white space; the admin token must not be blank");
            return Optional.empty();
        }
        return Optional.of(Secret.readFrom(file.get(), value));
    }
}
