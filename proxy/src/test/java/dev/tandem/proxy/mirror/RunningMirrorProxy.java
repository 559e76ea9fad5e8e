package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.proxy.ProxyApplication;
import dev.tandem.proxy.config.ProxyOptions;
import dev.tandem.proxy.relay.Transport;
import dev.tandem.testing.PgServer;
import dev.tandem.testing.PostgresPair;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine;

/** A whole proxy (relay, capture, spool, mirror) in front of the test pair, configured through its real flags. */
final class RunningMirrorProxy implements AutoCloseable {

    final ProxyApplication app;
    final String database;
    private final PostgresPair pair;

    private RunningMirrorProxy(PostgresPair pair, String database, ProxyApplication app) {
        this.pair = pair;
        this.database = database;
        this.app = app;
    }

    static RunningMirrorProxy start(PostgresPair pair, String database, Path spool, String... extraArgs) throws Exception {
        return startAs(pair.target().user(), pair, database, spool, extraArgs);
    }

    /** A proxy whose mirror connects to the target as {@code targetUser} (with the target's password, if any). */
    static RunningMirrorProxy startAs(String targetUser, PostgresPair pair, String database, Path spool,
                                      String... extraArgs) throws Exception {
        return start(targetUser, pair.source().host() + ":" + pair.source().port(), pair, database, spool, extraArgs);
    }

    /** A proxy that reaches the source at {@code source} ("host:port"): a link in front of the pair's source. */
    static RunningMirrorProxy startThrough(String source, PostgresPair pair, String database, Path spool,
                                           String... extraArgs) throws Exception {
        return start(pair.target().user(), source, pair, database, spool, extraArgs);
    }

    private static RunningMirrorProxy start(String targetUser, String source, PostgresPair pair, String database,
                                            Path spool, String... extraArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of("--listen", "127.0.0.1:0",
                "--source", source, "--source-tls", "disable",
                "--target", pair.target().host() + ":" + pair.target().port(), "--target-user", targetUser,
                "--target-tls", "disable",
                "--spool-dir", spool.toString(), "--admin-listen", "127.0.0.1:0",
                "--set", "mirror.retry.min-backoff=50ms", "--set", "mirror.retry.max-backoff=500ms"));
        args.addAll(List.of(extraArgs));
        ProxyOptions options = new ProxyOptions();
        new CommandLine(options).parseArgs(args.toArray(String[]::new));
        // the default variables of the target's and of source.user's passwords (the TimescaleDB containers have some)
        Map<String, String> environment = new HashMap<>();
        if (!pair.target().password().isEmpty()) {
            environment.put("TANDEM_TARGET_PASSWORD", pair.target().password());
        }
        if (!pair.source().password().isEmpty()) {
            environment.put("TANDEM_SOURCE_PASSWORD", pair.source().password());
        }
        ProxyApplication app = new ProxyApplication(options.load(environment)).start(Transport.choose("auto"));
        return new RunningMirrorProxy(pair, database, app);
    }

    Connection connect(String... props) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", pair.source().user());
        p.setProperty("password", pair.source().password());
        for (int i = 0; i < props.length; i += 2) {
            p.setProperty(props[i], props[i + 1]);
        }
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + app.relayAddress().getPort() + "/"
                + database, p);
    }

    /** Waits until the mirror has applied everything spooled so far. */
    void awaitCaughtUp(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!app.mirrorCaughtUp()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the mirror did not catch up within " + timeout);
            }
            Thread.sleep(20);
        }
    }

    /** The whole table, ordered, as text: the comparison every scenario ends with. */
    static List<List<String>> contents(PgServer server, String database, String table) {
        return server.query(database, "SELECT * FROM " + table + " ORDER BY 1, 2");
    }

    void assertIdentical(String table) {
        List<List<String>> source = contents(pair.source(), database, table);
        List<List<String>> target = contents(pair.target(), database, table);
        assertThat(target).as("target %s equals source", table).isEqualTo(source);
    }

    @Override
    public void close() {
        app.close();
    }
}
