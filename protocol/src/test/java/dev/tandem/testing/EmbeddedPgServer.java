package dev.tandem.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A PostgreSQL server from the embedded binaries on Maven Central. Starts in 2-3 s, so the
 * extension starts each one once per test run. The data directory is kept across {@link #stop()} and
 * {@link #start()} so "target down, then back" can be tested against the same server.
 *
 * <p>The binaries are those on the test classpath (the major version the parent pom names) unless the run names
 * another major version: {@code -Dtandem.postgres=18} (or 13 to 16; the command is in the README's Tests section)
 * makes the build copy that version's binaries jar into {@code target/} and name it in {@value #BINARIES_PROPERTY}, and every server
 * is then started from it and checked to be of that version. {@code -Dtandem.postgres.role=source} (or
 * {@code target}) keeps the other server of the pair on the default version, as in a migration between versions.
 */
public final class EmbeddedPgServer implements PgServer {

    private static final String SUPERUSER = "postgres";
    static final String VERSION_PROPERTY = "tandem.postgres";
    static final String BINARIES_PROPERTY = "tandem.postgres.binaries";
    static final String ROLE_PROPERTY = "tandem.postgres.role";

    private final String role;
    private final Path dataDirectory;
    private final int port;
    private final Map<String, String> extraConfig;
    private EmbeddedPostgres postgres;

    private EmbeddedPgServer(String role, Path dataDirectory, int port, Map<String, String> extraConfig) {
        this.role = role;
        this.dataDirectory = dataDirectory;
        this.port = port;
        this.extraConfig = Map.copyOf(extraConfig);
    }

    public static EmbeddedPgServer start(String role) {
        return start(role, Map.of());
    }

    /**
     * A server of its own with extra {@code postgresql.conf} settings (say {@code ssl=on}); the caller closes it.
     * Most tests share the pair from {@link PostgresPairExtension} instead.
     */
    public static EmbeddedPgServer start(String role, Map<String, String> extraConfig) {
        try {
            Path dir = Files.createTempDirectory("tandem-pg-" + role + "-");
            EmbeddedPgServer server = new EmbeddedPgServer(role, dir, freePort(), extraConfig);
            server.boot();
            server.checkMajorVersion();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start embedded PostgreSQL for " + role, e);
        }
    }

    private void boot() {
        try {
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder();
            String binaries = System.getProperty(BINARIES_PROPERTY);
            if (binaries != null && ofNamedVersion()) {
                builder.setPgBinaryResolver(new JarPgBinaryResolver(Path.of(binaries)));
            }
            extraConfig.forEach(builder::setServerConfig);
            postgres = builder
                    .setDataDirectory(dataDirectory)
                    // never let zonky delete the directory on close: stop() must keep the data for start()
                    .setCleanDataDirectory(false)
                    .setPort(port)
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("max_connections", "300")
                    .setServerConfig("max_prepared_transactions", "10")
                    .setServerConfig("fsync", "off")
                    .setServerConfig("synchronous_commit", "off")
                    .setServerConfig("full_page_writes", "off")
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start embedded PostgreSQL for " + role + " on port " + port, e);
        }
    }

    /**
     * A run that names a major version must not pass on another one: a missing or stale binaries jar would otherwise
     * test the default version and report success.
     */
    private void checkMajorVersion() {
        String wanted = System.getProperty(VERSION_PROPERTY);
        if (wanted == null || wanted.isEmpty() || !ofNamedVersion()) {
            return;
        }
        String actual = Integer.toString(majorVersion());
        if (!actual.equals(wanted)) {
            close();
            throw new IllegalStateException("-D" + VERSION_PROPERTY + "=" + wanted + " asks for PostgreSQL " + wanted
                    + " but the embedded " + role + " server is PostgreSQL " + actual + " ("
                    + (System.getProperty(BINARIES_PROPERTY) == null
                            ? "no binaries jar named in -D" + BINARIES_PROPERTY
                                    + ", which the build sets for -D" + VERSION_PROPERTY + "=13 to 16 and 18)"
                            : "from " + System.getProperty(BINARIES_PROPERTY) + ")"));
        }
    }

    /** Whether this server runs the version the run names: every server, or only the one {@value #ROLE_PROPERTY} names. */
    private boolean ofNamedVersion() {
        String only = System.getProperty(ROLE_PROPERTY, "");
        return only.isEmpty() || only.equals(role);
    }

    /**
     * Replaces pg_hba.conf and reloads, so tests can demand md5 or SCRAM authentication.
     * Each line is a pg_hba record such as {@code host all all 127.0.0.1/32 scram-sha-256}; a trust rule for
     * the superuser is kept first so the harness itself can always log in.
     */
    public void setHbaRules(String... rules) {
        StringBuilder hba = new StringBuilder();
        hba.append("host all ").append(SUPERUSER).append(" 127.0.0.1/32 trust\n");
        hba.append("local all ").append(SUPERUSER).append(" trust\n");
        for (String rule : rules) {
            hba.append(rule).append('\n');
        }
        try {
            Files.writeString(dataDirectory.resolve("pg_hba.conf"), hba.toString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        execute("postgres", "SELECT pg_reload_conf()");
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    @Override
    public String role() {
        return role;
    }

    @Override
    public String host() {
        return "127.0.0.1";
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public String user() {
        return SUPERUSER;
    }

    @Override
    public String password() {
        return "";
    }

    @Override
    public synchronized void stop() {
        if (postgres != null) {
            try {
                postgres.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                postgres = null;
            }
        }
    }

    @Override
    public synchronized void start() {
        if (postgres == null) {
            boot();
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return postgres != null;
    }

    @Override
    public synchronized void close() {
        stop();
        try (Stream<Path> files = Files.walk(dataDirectory)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a leftover temp directory is harmless
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    @Override
    public String toString() {
        return role + " (embedded PostgreSQL on " + host() + ":" + port + ")";
    }
}
