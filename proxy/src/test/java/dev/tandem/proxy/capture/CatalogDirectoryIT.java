package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.tandem.proxy.config.TargetConfig;
import dev.tandem.proxy.config.TlsMode;
import dev.tandem.testing.PostgresPairExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/** What every catalog look-up shares, against a real server. */
class CatalogDirectoryIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    /**
     * {@link SourceRelations} reads the tables, then the schemas: a tenant's schema and table committed between the two
     * queries gave the schema without its table, so an unqualified CREATE TABLE of that name was placed in that schema
     * as if the table were new there. All queries of a look-up now read one snapshot.
     */
    @Test
    void aLookUpReadsOneSnapshotWhateverCommitsBetweenItsQueries() {
        String db = PG.pair().freshDatabase("catalog_snapshot");
        TargetConfig target = new TargetConfig("127.0.0.1", PG.target().port(), "postgres", "UNUSED", Optional.empty(),
                TlsMode.DISABLE, Map.of("app", db), Duration.ofSeconds(5), Optional.empty());
        String count = "SELECT count(*) FROM pg_namespace WHERE nspname = 'tenant_late'";
        try (TwoQueries dir = new TwoQueries(target, count,
                () -> PG.target().execute(db, "CREATE SCHEMA tenant_late"))) {
            assertThat(dir.lookUpNow("app")).as("before and after the other session's commit").containsExactly(0L, 0L);
            assertThat(dir.lookUpNow("app")).as("the next look-up").containsExactly(1L, 1L);
        }
    }

    /**
     * Clients that create and drop a table per request made the proxy ask for a source look-up after each DDL, and each
     * look-up opened a connection of its own (a backend forked and a password checked each time: 16 connections a
     * second from 4 pgbench clients). A look-up asked for while one runs now takes over its connection.
     */
    @Test
    void lookUpsAskedForOneAfterAnotherShareOneConnection() throws InterruptedException {
        String db = PG.pair().freshDatabase("catalog_chain");
        try (Chained dir = new Chained(target(db), 5, false)) {
            dir.forSourceDatabase("app");
            dir.awaitLookUps();
            assertThat(dir.forSourceDatabase("app").get()).as("look-ups").isEqualTo(5);
            assertThat(dir.connects).as("connections opened").hasValue(1);
            assertThat(dir.backends).as("backends that answered").hasSize(5).containsOnly(dir.backends.get(0));
        }
    }

    /** A kept connection the server ended meanwhile is replaced at once, not reported as a failed look-up. */
    @Test
    void aKeptConnectionTheServerEndedIsReplaced() throws InterruptedException {
        String db = PG.pair().freshDatabase("catalog_ended");
        try (Chained dir = new Chained(target(db), 2, true)) {
            dir.forSourceDatabase("app");
            dir.awaitLookUps();
            assertThat(dir.forSourceDatabase("app").get()).as("look-ups that answered").isEqualTo(2);
            assertThat(dir.connects).as("connections opened").hasValue(2);
            assertThat(dir.backends).hasSize(2).doesNotHaveDuplicates();
        }
    }

    /**
     * A failing look-up is logged once, as a warning that it is retried: the look-up that answers again says so, or the
     * log of a walkthrough whose source was at max_connections for a minute left an operator to think the proxy's
     * catalog still could not be read.
     */
    @Test
    void aLookUpThatAnswersAgainAfterFailingSaysSo() {
        String db = PG.pair().freshDatabase("catalog_again");
        Logger logger = (Logger) LoggerFactory.getLogger(CatalogDirectory.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        logger.addAppender(logged);
        CatalogServer server = CatalogServer.target(target(db));
        AtomicInteger connects = new AtomicInteger();
        try (TwoQueries dir = new TwoQueries(new CatalogServer() {
            @Override
            public String database(String sourceDatabase) {
                return server.database(sourceDatabase);
            }

            @Override
            public Connection connect(String database) throws SQLException {
                // the first connection is refused by the server: a database that does not exist (3D000)
                return server.connect(connects.getAndIncrement() == 0 ? database + "_missing" : database);
            }

            @Override
            public String describe(String database) {
                return server.describe(database);
            }
        }, "SELECT 1")) {
            assertThat(dir.lookUpNow("app")).as("refused").isNull();
            assertThat(dir.lookUpNow("app")).as("answered").containsExactly(1L, 1L);
        } finally {
            logger.detachAppender(logged);
        }
        assertThat(logged.list).extracting(e -> e.getLevel() + " " + e.getFormattedMessage())
                .anySatisfy(m -> assertThat(m).startsWith("WARN cannot look up the test of "))
                .anySatisfy(m -> assertThat(m).startsWith("INFO looked up the test of ").contains(" again"));
    }

    private static TargetConfig target(String db) {
        return new TargetConfig("127.0.0.1", PG.target().port(), "postgres", "UNUSED", Optional.empty(),
                TlsMode.DISABLE, Map.of("app", db), Duration.ofSeconds(5), Optional.empty());
    }

    /**
     * Counts its look-ups, each of which asks for the next (as DDL through the proxy arriving while one runs does) until
     * {@code chain} have answered; with {@code endIdle} each first makes the server end its connection once idle.
     */
    private static final class Chained extends CatalogDirectory<Integer> {

        final AtomicInteger connects;
        final List<Integer> backends = Collections.synchronizedList(new ArrayList<>());
        private final int chain;
        private final boolean endIdle;

        Chained(TargetConfig target, int chain, boolean endIdle) {
            this(CatalogServer.target(target), new AtomicInteger(), chain, endIdle);
        }

        private Chained(CatalogServer server, AtomicInteger connects, int chain, boolean endIdle) {
            super("test", new CatalogServer() {
                @Override
                public String database(String sourceDatabase) {
                    return server.database(sourceDatabase);
                }

                @Override
                public Connection connect(String database) throws SQLException {
                    connects.incrementAndGet();
                    return server.connect(database);
                }

                @Override
                public String describe(String database) {
                    return server.describe(database);
                }
            }, Duration.ofMinutes(1), null);
            this.connects = connects;
            this.chain = chain;
            this.endIdle = endIdle;
        }

        @Override
        Integer load(Connection c) throws SQLException {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                backends.add(rs.getInt(1));
                if (endIdle) {
                    s.execute("SET idle_session_timeout = '1ms'");
                }
            }
            if (backends.size() < chain) {
                soon("app");
            }
            return backends.size();
        }

        /** After the look-up's commit: with {@code endIdle}, its backend is gone before the next look-up comes. */
        @Override
        void loaded(String database, Integer value) {
            if (!endIdle) {
                return;
            }
            String gone = "SELECT count(*) FROM pg_stat_activity WHERE pid = " + backends.get(value - 1);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!PG.target().query("postgres", gone).get(0).get(0).equals("0")) {
                assertThat(System.nanoTime()).as("backend ended by idle_session_timeout").isLessThan(deadline);
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    /** Runs {@code sql} twice, and {@code between} (once) in between, from another connection. */
    private static final class TwoQueries extends CatalogDirectory<List<Long>> {

        private final String sql;
        private Runnable between;

        TwoQueries(TargetConfig target, String sql, Runnable between) {
            super("test", CatalogServer.target(target), Duration.ofMinutes(1), null);
            this.sql = sql;
            this.between = between;
        }

        TwoQueries(CatalogServer server, String sql) {
            super("test", server, Duration.ofMinutes(1), null);
            this.sql = sql;
        }

        @Override
        List<Long> load(Connection c) throws SQLException {
            long first = count(c);
            if (between != null) {
                between.run();
                between = null;
            }
            return List.of(first, count(c));
        }

        private long count(Connection c) throws SQLException {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
