package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.testing.PostgresPairExtension;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.PGConnection;

/**
 * The dual-write guarantee, judged by comparing the full contents of source and target after each scenario: what the
 * source committed is on the target once; what it rolled back is not.
 */
class MirrorEndToEndIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    @TempDir
    static Path spool;

    static RunningMirrorProxy mirror;
    static final AtomicInteger ids = new AtomicInteger();

    static final String TABLE = "CREATE TABLE metrics (t timestamptz NOT NULL, device int NOT NULL, v double precision,"
            + " note text, PRIMARY KEY (t, device))";

    @BeforeAll
    static void start() throws Exception {
        String db = PG.pair().freshDatabase("mirror_e2e");
        PG.pair().executeOnBoth(db, TABLE + "; CREATE TABLE scratch (t timestamptz, device int, v double precision,"
                + " note text); CREATE TABLE local_only (v int)");
        mirror = RunningMirrorProxy.start(PG.pair(), db, spool, "--mirror-table", "public.metrics");
    }

    @AfterAll
    static void stop() {
        mirror.close();
    }

    @BeforeEach
    void empty() throws Exception {
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        PG.pair().executeOnBoth(mirror.database, "TRUNCATE metrics");
    }

    private static OffsetDateTime at(int id) {
        return OffsetDateTime.ofInstant(Instant.parse("2026-01-01T00:00:00Z").plusSeconds(id), ZoneOffset.UTC);
    }

    private static void insert(PreparedStatement ps, int id) throws SQLException {
        ps.setObject(1, at(id));
        ps.setInt(2, id % 7);
        ps.setDouble(3, id / 3.0);
        ps.setString(4, id % 5 == 0 ? null : "n" + id);
    }

    private void settle() throws InterruptedException {
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        mirror.assertIdentical("metrics");
    }

    @Test
    void autocommitInsertsInEveryProtocolMode() throws Exception {
        for (String mode : List.of("simple", "extended", "extendedForPrepared")) {
            try (Connection c = mirror.connect("preferQueryMode", mode, "prepareThreshold", "1");
                 PreparedStatement ps = c.prepareStatement("INSERT INTO metrics VALUES (?, ?, ?, ?)")) {
                for (int i = 0; i < 20; i++) {
                    insert(ps, ids.incrementAndGet());
                    ps.executeUpdate();
                }
            }
        }
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO metrics VALUES ('2026-02-01', 1, 1.5, 'multi'), ('2026-02-02', 2, NULL, E'quote''s')");
            s.execute("INSERT INTO local_only VALUES (1)");
        }
        settle();
        assertThat(PG.target().queryValue(mirror.database, "SELECT count(*) FROM metrics")).isEqualTo("62");
        assertThat(PG.target().queryValue(mirror.database, "SELECT count(*) FROM local_only")).isEqualTo("0");
    }

    @Test
    void explicitTransactionsCommittedAndRolledBackWithSavepoints() throws Exception {
        try (Connection c = mirror.connect(); PreparedStatement ps = c.prepareStatement("INSERT INTO metrics VALUES (?, ?, ?, ?)")) {
            c.setAutoCommit(false);
            insert(ps, ids.incrementAndGet());
            ps.executeUpdate();
            c.commit();
            insert(ps, ids.incrementAndGet());
            ps.executeUpdate();
            c.rollback();
            insert(ps, ids.incrementAndGet());
            ps.executeUpdate();
            Savepoint sp = c.setSavepoint();
            insert(ps, ids.incrementAndGet());
            ps.executeUpdate();
            c.rollback(sp);
            int dup = ids.incrementAndGet();
            insert(ps, dup);
            ps.executeUpdate();
            c.commit();
            // a failed transaction: the duplicate key aborts it, COMMIT turns into ROLLBACK
            insert(ps, ids.incrementAndGet());
            ps.executeUpdate();
            insert(ps, dup);
            assertThatThrownBy(ps::executeUpdate).isInstanceOf(SQLException.class);
            c.commit();
        }
        settle();
        assertThat(PG.target().queryValue(mirror.database, "SELECT count(*) FROM metrics")).isEqualTo("3");
    }

    @Test
    void batchesWithAndWithoutRewrite() throws Exception {
        for (String rewrite : List.of("true", "false")) {
            try (Connection c = mirror.connect("reWriteBatchedInserts", rewrite);
                 PreparedStatement ps = c.prepareStatement("INSERT INTO metrics VALUES (?, ?, ?, ?)")) {
                for (int i = 0; i < 500; i++) {
                    insert(ps, ids.incrementAndGet());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
        settle();
        assertThat(PG.target().queryValue(mirror.database, "SELECT count(*) FROM metrics")).isEqualTo("1000");
    }

    @Test
    void copyInTextCsvAndBinary() throws Exception {
        PG.source().execute(mirror.database, "TRUNCATE scratch; INSERT INTO scratch SELECT '2026-03-01'::timestamptz"
                + " + g * interval '1 second', g, g * 1.5, CASE WHEN g % 3 = 0 THEN NULL ELSE 'b' || g END"
                + " FROM generate_series(1, 1000) g");
        try (Connection c = mirror.connect()) {
            var copy = c.unwrap(PGConnection.class).getCopyAPI();
            StringBuilder text = new StringBuilder();
            StringBuilder csv = new StringBuilder();
            for (int i = 0; i < 1000; i++) {
                int id = ids.incrementAndGet();
                text.append(at(id)).append('\t').append(id % 7).append('\t').append(i).append("\tt\\tab\n");
                int id2 = ids.incrementAndGet();
                csv.append(at(id2)).append(',').append(id2 % 7).append(',').append(i).append(",\"c,\"\"sv\"\n");
            }
            copy.copyIn("COPY metrics FROM STDIN", new ByteArrayInputStream(text.toString().getBytes(StandardCharsets.UTF_8)));
            copy.copyIn("COPY metrics FROM STDIN (FORMAT csv)", new ByteArrayInputStream(csv.toString().getBytes(StandardCharsets.UTF_8)));
            ByteArrayOutputStream binary = new ByteArrayOutputStream();
            copy.copyOut("COPY scratch TO STDOUT (FORMAT binary)", binary);
            copy.copyIn("COPY metrics (t, device, v, note) FROM STDIN (FORMAT binary)",
                    new ByteArrayInputStream(binary.toByteArray()));
        }
        settle();
        assertThat(PG.target().queryValue(mirror.database, "SELECT count(*) FROM metrics")).isEqualTo("3000");
    }

    /** The scenario: 50 clients for 30 s (-Dtandem.e2e.seconds=N to run shorter or longer). */
    @Test
    void fiftyConcurrentClientsForThirtySecondsLoseAndDuplicateNothing() throws Exception {
        int clients = 50;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long until = System.nanoTime() + Duration.ofSeconds(Long.getLong("tandem.e2e.seconds", 30)).toNanos();
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int n = 0; n < clients; n++) {
                int client = n;
                done.add(pool.submit(() -> {
                    int committed = 0;
                    try (Connection c = mirror.connect(); PreparedStatement ps = c.prepareStatement(
                            "INSERT INTO metrics VALUES (?, ?, ?, ?)")) {
                        c.setAutoCommit(client % 2 == 0);
                        while (System.nanoTime() < until) {
                            insert(ps, ids.incrementAndGet());
                            ps.executeUpdate();
                            if (client % 2 == 1) {
                                if (committed % 5 == 4) {
                                    c.rollback();
                                } else {
                                    c.commit();
                                }
                            }
                            committed++;
                        }
                        if (client % 2 == 1) {
                            c.commit();
                        }
                    }
                    return committed;
                }));
            }
            for (Future<Integer> f : done) {
                assertThat(f.get(2, TimeUnit.MINUTES)).isPositive();
            }
        } finally {
            pool.shutdownNow();
        }
        settle();
    }

    @Test
    void targetDownAndBackLosesAndDuplicatesNothing() throws Exception {
        try (Connection c = mirror.connect(); PreparedStatement ps = c.prepareStatement("INSERT INTO metrics VALUES (?, ?, ?, ?)")) {
            for (int i = 0; i < 100; i++) {
                insert(ps, ids.incrementAndGet());
                ps.executeUpdate();
            }
            PG.target().stop();
            try {
                for (int i = 0; i < 300; i++) {
                    insert(ps, ids.incrementAndGet());
                    ps.executeUpdate(); // the application keeps writing while the target is down
                }
            } finally {
                PG.target().start();
            }
            for (int i = 0; i < 100; i++) {
                insert(ps, ids.incrementAndGet());
                ps.executeUpdate();
            }
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(60));
        mirror.assertIdentical("metrics");
        assertThat(PG.target().queryValue(mirror.database, "SELECT count(*) FROM metrics")).isEqualTo("500");
    }

    @Test
    void aStatementTheTargetRejectsIsLedgeredAndTheMirrorMovesOn() throws Exception {
        PG.source().execute(mirror.database, "ALTER TABLE metrics ADD COLUMN extra int");
        try {
            try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO metrics (t, device, extra) VALUES ('2026-05-01', 1, 7)");
                s.execute("INSERT INTO metrics (t, device) VALUES ('2026-05-02', 2)");
            }
            mirror.awaitCaughtUp(Duration.ofSeconds(30));
            assertThat(PG.target().query(mirror.database, "SELECT sqlstate, table_name FROM tandem.divergence"
                    + " WHERE message LIKE '%extra%'")).contains(List.of("42703", "metrics"));
            assertThat(PG.target().queryValue(mirror.database, "SELECT count(*) FROM metrics")).isEqualTo("1");
        } finally {
            PG.source().execute(mirror.database, "ALTER TABLE metrics DROP COLUMN extra");
        }
    }
}
