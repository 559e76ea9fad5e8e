package dev.tandem.proxy.mirror;

import dev.tandem.testing.PostgresPairExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One mirroring proxy for a whole test class, in front of the run's source and target: before the class's first test
 * a fresh database of its own, prepared as the class says, and a {@link RunningMirrorProxy} on it with the class's
 * flags and a spool in a temporary directory; before each test (where the class names its tables) the mirror caught
 * up and those tables emptied on both sides, so no test sees another's rows; after the last test the proxy closed and
 * its spool deleted.
 *
 * <pre>
 * static RunningMirrorProxy mirror;
 *
 * {@literal @}RegisterExtension
 * static final MirrorProxyExtension MIRROR = MirrorProxyExtension.on(PG, "held", started -&gt; mirror = started)
 *         .tables("CREATE TABLE m (v text)")
 *         .flags("--mirror-table", "public.m")
 *         .emptiedBeforeEach("m");
 * </pre>
 *
 * The started proxy is handed to a field of the class because its tests read it from there.
 */
final class MirrorProxyExtension implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback {

    /** A step that prepares the class's database before the proxy starts. */
    interface Preparation {
        void prepare(String database) throws Exception;
    }

    private final PostgresPairExtension pg;
    private final String name;
    private final Consumer<RunningMirrorProxy> started;
    private final List<Preparation> preparations = new ArrayList<>();
    private final List<String> flags = new ArrayList<>();
    private String targetUser;
    private boolean sourceUser;
    private String emptiedTables;
    private Path spool;
    private RunningMirrorProxy proxy;

    private MirrorProxyExtension(PostgresPairExtension pg, String name, Consumer<RunningMirrorProxy> started) {
        this.pg = pg;
        this.name = name;
        this.started = started;
    }

    /**
     * @param name    what the database's name starts with
     * @param started takes the proxy once it runs
     */
    static MirrorProxyExtension on(PostgresPairExtension pg, String name, Consumer<RunningMirrorProxy> started) {
        return new MirrorProxyExtension(pg, name, started);
    }

    /** Runs {@code ddl} in the database on both sides; in the order given among the other preparations. */
    MirrorProxyExtension tables(String ddl) {
        return prepared(database -> pg.pair().executeOnBoth(database, ddl));
    }

    /** Runs {@code preparation} on the database; in the order given among the others. */
    MirrorProxyExtension prepared(Preparation preparation) {
        preparations.add(preparation);
        return this;
    }

    /** The proxy's command-line flags, after those {@link RunningMirrorProxy} always gives. */
    MirrorProxyExtension flags(String... more) {
        flags.addAll(List.of(more));
        return this;
    }

    /** The proxy has {@code source.user} (the source's own user), for its look-ups in the source's catalog. */
    MirrorProxyExtension withSourceUser() {
        sourceUser = true;
        return this;
    }

    /** The mirror connects to the target as {@code user} rather than as the target's own user. */
    MirrorProxyExtension mirroringAs(String user) {
        targetUser = user;
        return this;
    }

    /** Before each test: waits until the mirror caught up, then truncates {@code tables} on both sides. */
    MirrorProxyExtension emptiedBeforeEach(String tables) {
        emptiedTables = tables;
        return this;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        // JUnit calls a class's extension fields in an order of its own: make sure the pair runs (once per run)
        pg.beforeAll(context);
        String database = pg.pair().freshDatabase(name);
        for (Preparation preparation : preparations) {
            preparation.prepare(database);
        }
        spool = Files.createTempDirectory("tandem-" + name + "-spool-");
        if (sourceUser) {
            flags.addAll(List.of("--set", "source.user=" + pg.source().user()));
        }
        String[] args = flags.toArray(String[]::new);
        proxy = targetUser == null ? RunningMirrorProxy.start(pg.pair(), database, spool, args)
                : RunningMirrorProxy.startAs(targetUser, pg.pair(), database, spool, args);
        started.accept(proxy);
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        if (emptiedTables != null) {
            proxy.awaitCaughtUp(Duration.ofSeconds(30));
            pg.pair().executeOnBoth(proxy.database, "TRUNCATE " + emptiedTables);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        try {
            if (proxy != null) {
                proxy.close();
            }
        } finally {
            if (spool != null) {
                try (Stream<Path> files = Files.walk(spool)) {
                    for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(file);
                    }
                }
            }
        }
    }
}
