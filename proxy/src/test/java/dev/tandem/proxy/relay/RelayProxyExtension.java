package dev.tandem.proxy.relay;

import dev.tandem.testing.PostgresPairExtension;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One relaying proxy for a whole test class, in front of the run's source: before the class's first test (and before
 * its {@code @BeforeAll} methods, which may fill the database) a fresh database of its own and a {@link RunningProxy}
 * to the source with the class's settings; after its last test (and after its {@code @AfterAll} methods) the proxy
 * closed.
 *
 * <pre>
 * static RunningProxy proxy;
 * static String db;
 *
 * {@literal @}RegisterExtension
 * static final RelayProxyExtension RELAY = RelayProxyExtension.on(PG, "relay_jdbc", (started, database) -&gt; {
 *     proxy = started;
 *     db = database;
 * });
 * </pre>
 *
 * The proxy and the database's name are handed to fields of the class because its tests read them from there.
 */
final class RelayProxyExtension implements BeforeAllCallback, AfterAllCallback {

    /** Takes the proxy once it runs, and the class's database. */
    interface Started {
        void accept(RunningProxy proxy, String database);
    }

    private final PostgresPairExtension pg;
    private final String name;
    private final Started started;
    private UnaryOperator<RelaySettings> customise = settings -> settings;
    private RunningProxy proxy;

    private RelayProxyExtension(PostgresPairExtension pg, String name, Started started) {
        this.pg = pg;
        this.name = name;
        this.started = started;
    }

    /** @param name what the database's name starts with */
    static RelayProxyExtension on(PostgresPairExtension pg, String name, Started started) {
        return new RelayProxyExtension(pg, name, started);
    }

    /** Starts the proxy with {@code customise} applied to the plain settings toward the source. */
    RelayProxyExtension settings(UnaryOperator<RelaySettings> customise) {
        this.customise = customise;
        return this;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        // JUnit calls a class's extension fields in an order of its own: make sure the pair runs (once per run)
        pg.beforeAll(context);
        String database = pg.pair().freshDatabase(name);
        proxy = RunningProxy.in(pg.source(), customise);
        started.accept(proxy, database);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (proxy != null) {
            proxy.close();
        }
    }
}
