package dev.tandem.proxy.config;

import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The proxy's command-line options, for {@code @Mixin} into a picocli command. None has a picocli default: an
 * absent flag leaves the file's value (or the built-in default) alone, and a given one wins over the file. Values
 * are kept as text and validated by {@link ConfigLoader} together with the file, so that every bad value, from the
 * file or a flag, is reported in one message. {@code --set key=value} reaches every key without a flag of its own.
 */
public final class ProxyOptions {

    @Option(names = "--config", paramLabel = "FILE",
            description = "Configuration file (tandem.yaml). Relative paths inside it are relative to its directory."
                    + " Without it, built-in defaults and flags are used.")
    private Path config;

    @Option(names = "--listen", paramLabel = "HOST:PORT",
            description = "Address the proxy accepts PostgreSQL clients on (listen). Default: " + Defaults.LISTEN)
    private String listen;

    @Option(names = "--source", paramLabel = "HOST:PORT",
            description = "The source PostgreSQL server every session is relayed to (source.host, source.port)."
                    + " Default: " + Defaults.SOURCE_HOST + ":" + Defaults.SOURCE_PORT)
    private String source;

    @Option(names = "--source-tls", paramLabel = "MODE",
            description = "TLS to the source (source.tls): disable, prefer, require, verify-ca, verify-full. Default: "
                    + Defaults.SOURCE_TLS)
    private String sourceTls;

    @Option(names = "--target", paramLabel = "HOST:PORT",
            description = "The target PostgreSQL server mirrored writes go to (target.host, target.port). Default: "
                    + Defaults.TARGET_HOST + ":" + Defaults.TARGET_PORT)
    private String target;

    @Option(names = "--target-user", paramLabel = "ROLE",
            description = "Role the proxy logs in to the target with (target.user); its password is read from the"
                    + " variable named by target.password-env (default " + Defaults.TARGET_PASSWORD_ENV + ")."
                    + " Default: " + Defaults.TARGET_USER)
    private String targetUser;

    @Option(names = "--target-tls", paramLabel = "MODE",
            description = "TLS to the target (target.tls): disable, prefer, require, verify-ca, verify-full. Default: "
                    + Defaults.TARGET_TLS)
    private String targetTls;

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "PEM certificate chain presented to clients (tls.cert); needs --tls-key. Default: none,"
                    + " clients' SSLRequest is answered with 'N'")
    private String tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE",
            description = "PEM private key for --tls-cert (tls.key). Default: none")
    private String tlsKey;

    @Option(names = "--mirror-mode", paramLabel = "MODE",
            description = "async (answer the client, mirror through the spool), sync (answer after the target"
                    + " committed) or off (relay only) (mirror.mode). Default: " + Defaults.MIRROR_MODE)
    private String mirrorMode;

    @Option(names = "--mirror-table", paramLabel = "PATTERN",
            description = "Mirror tables matching this schema.table pattern, e.g. public.metrics, public.*,"
                    + " *.metrics; repeatable; replaces mirror.tables.include. Default: all hypertables")
    private List<String> mirrorTables;

    @Option(names = "--mirror-exclude", paramLabel = "PATTERN",
            description = "Never mirror tables matching this schema.table pattern; repeatable; replaces"
                    + " mirror.tables.exclude. Default: none")
    private List<String> mirrorExcludes;

    @Option(names = "--spool-dir", paramLabel = "DIR",
            description = "Directory of the async mirror's durable spool (mirror.spool.dir). Default: "
                    + Defaults.SPOOL_DIR)
    private String spoolDir;

    @Option(names = "--spool-fsync", paramLabel = "POLICY",
            description = "always (no acknowledged commit lost on a crash), interval or never (mirror.spool.fsync)."
                    + " Default: " + Defaults.SPOOL_FSYNC)
    private String spoolFsync;

    @Option(names = "--admin-listen", paramLabel = "HOST:PORT",
            description = "Address of the admin HTTP endpoint: /metrics /health /ready /status (admin.listen)."
                    + " Default: " + Defaults.ADMIN_LISTEN)
    private String adminListen;

    @Option(names = "--max-connections", paramLabel = "N",
            description = "Client connections accepted at once (limits.max-connections). Default: "
                    + Defaults.MAX_CONNECTIONS)
    private String maxConnections;

    @Option(names = "--max-frame-bytes", paramLabel = "SIZE",
            description = "Largest protocol message accepted, e.g. 64MiB (limits.max-frame-bytes). Default: "
                    + Defaults.MAX_FRAME_BYTES)
    private String maxFrameBytes;

    @Option(names = "--instance-id", paramLabel = "ID",
            description = "Name of this proxy among several sharing one target (instance-id); keep it across"
                    + " restarts: the spool directory belongs to it. Default: $HOSTNAME, else " + Defaults.INSTANCE_ID)
    private String instanceId;

    @Option(names = "--mark-dual-write-start",
            description = "All writers go through the proxy from the start: record each database's dual-write mark"
                    + " at its first mirrored commit, unless one is set (mirror.mark-dual-write-start); the backfill"
                    + " copies up to that moment.")
    private boolean markDualWriteStart;

    @Option(names = "--set", paramLabel = "KEY=VALUE", mapFallbackValue = "",
            description = "Set any configuration key, e.g. --set mirror.spool.max-bytes=20GiB; repeatable."
                    + " The dedicated flags above win over --set.")
    private Map<String, String> settings = new LinkedHashMap<>();

    /** The {@code --config} file, if given. */
    public Optional<Path> configFile() {
        return Optional.ofNullable(config);
    }

    /** The given flags as overrides: {@code --set} first, then the dedicated flags, so those win. */
    public Overrides overrides() {
        Overrides.Builder builder = Overrides.builder();
        settings.forEach((key, value) -> builder.set(key, value, "--set " + key));
        builder.set("listen", listen, "--listen")
                .set("source", source, "--source")
                .set("source.tls", sourceTls, "--source-tls")
                .set("target", target, "--target")
                .set("target.user", targetUser, "--target-user")
                .set("target.tls", targetTls, "--target-tls")
                .set("tls.cert", tlsCert, "--tls-cert")
                .set("tls.key", tlsKey, "--tls-key")
                .set("mirror.mode", mirrorMode, "--mirror-mode")
                .setList("mirror.tables.include", copy(mirrorTables), "--mirror-table")
                .setList("mirror.tables.exclude", copy(mirrorExcludes), "--mirror-exclude")
                .set("mirror.spool.dir", spoolDir, "--spool-dir")
                .set("mirror.spool.fsync", spoolFsync, "--spool-fsync")
                .set("admin.listen", adminListen, "--admin-listen")
                .set("limits.max-connections", maxConnections, "--max-connections")
                .set("limits.max-frame-bytes", maxFrameBytes, "--max-frame-bytes")
                .set("instance-id", instanceId, "--instance-id");
        if (markDualWriteStart) {
            builder.set("mirror.mark-dual-write-start", "true", "--mark-dual-write-start");
        }
        return builder.build();
    }

    /**
     * Loads the configuration these options describe.
     *
     * @throws ConfigException listing every bad value of the file and the flags
     */
    public ProxyConfig load(Map<String, String> env) {
        return ConfigLoader.load(config, overrides(), env);
    }

    private static List<String> copy(List<String> values) {
        return values == null ? null : new ArrayList<>(values);
    }
}
