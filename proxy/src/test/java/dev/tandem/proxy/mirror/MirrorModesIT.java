package dev.tandem.proxy.mirror;

import static dev.tandem.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.proxy.ProxyApplication;
import dev.tandem.proxy.relay.WireClient;
import dev.tandem.testing.HypertableCatalog;
import dev.tandem.testing.PostgresPairExtension;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/** Sync mode, a full spool in both policies, the dual-write mark, and the admin view of the mirror. */
class MirrorModesIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    static final String TABLE = "CREATE TABLE m (id int PRIMARY KEY, pad text)";
    /** Makes each mirrored transaction about 4 KiB, so a 1 MiB spool fills up after a few hundred. */
    static final String PAD = "x".repeat(4096);

    private static String freshDatabase(String name) {
        String db = PG.pair().freshDatabase(name);
        PG.pair().executeOnBoth(db, TABLE);
        return db;
    }

    /**
     * A restart with {@code mirror.mode: off} on a spool still holding transactions leaves them there: the proxy says
     * so, since they are applied only when it runs with a mirror again and what it relays meanwhile is not mirrored
     * (walkthrough: async to off with a backlog, the log said nothing of it).
     */
    @Test
    void modeOffOnASpoolHoldingTransactionsSaysTheyWait(@TempDir Path spool) throws Exception {
        String db = freshDatabase("mode_off_backlog");
        // mirrored into a database the target lacks: the transaction waits in the spool
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, "--mirror-table", "public.m",
                "--set", "target.databases." + db + "=" + db + "_missing", "--set", "shutdown.mirror-drain=0s");
             Connection c = proxy.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO m VALUES (1, 'waits')");
        }
        List<String> logged = dev.tandem.proxy.LoggedWarnings.of(ProxyApplication.class, () -> {
            try (RunningMirrorProxy off = RunningMirrorProxy.start(PG.pair(), db, spool, "--mirror-mode", "off")) {
                assertThat(off.app.relayAddress()).isNotNull();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertThat(logged).anyMatch(line -> line.contains("mirror.mode is off") && line.contains(spool.toString())
                && line.contains("they stay there"));
    }

    @Test
    void syncModeAnswersTheClientOnlyAfterTheTargetCommitted(@TempDir Path spool) throws Exception {
        String db = freshDatabase("sync_mode");
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, "--mirror-table", "public.m",
                "--mirror-mode", "sync");
             Connection c = proxy.connect(); PreparedStatement ps = c.prepareStatement("INSERT INTO m (id) VALUES (?)")) {
            for (int i = 1; i <= 50; i++) {
                ps.setInt(1, i);
                ps.executeUpdate();
                // no waiting: in sync mode the row is on the target when the client hears "committed"
                assertThat(PG.target().queryValue(db, "SELECT count(*) FROM m WHERE id = " + i)).isEqualTo("1");
            }
        }
    }

    @Test
    void syncModeAnswersAfterTheTimeoutWhileTheTargetIsDownAndAppliesLater(@TempDir Path spool) throws Exception {
        String db = freshDatabase("sync_timeout");
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, "--mirror-table", "public.m",
                "--mirror-mode", "sync", "--set", "mirror.sync-timeout=1s")) {
            PG.target().stop();
            try (Connection c = proxy.connect(); Statement s = c.createStatement()) {
                long start = System.nanoTime();
                s.execute("INSERT INTO m (id) VALUES (1)");
                assertThat(Duration.ofNanos(System.nanoTime() - start)).as("the client waited for the target")
                        .isGreaterThanOrEqualTo(Duration.ofMillis(900));
            } finally {
                PG.target().start();
            }
            proxy.awaitCaughtUp(Duration.ofSeconds(60));
            assertThat(PG.target().queryValue(db, "SELECT count(*) FROM m")).isEqualTo("1");
            assertThat(syncTimeouts(proxy)).as("the client was answered before the target had the row").isEqualTo(1);
            // with the target back, a commit is answered after the target's again, and is not counted
            try (Connection c = proxy.connect(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO m (id) VALUES (2)");
                assertThat(PG.target().queryValue(db, "SELECT count(*) FROM m WHERE id = 2")).isEqualTo("1");
            }
            assertThat(syncTimeouts(proxy)).isEqualTo(1);
        }
    }

    /**
     * A lock on the target table ({@code LOCK TABLE ... IN ACCESS EXCLUSIVE MODE} in another session) holds the mirror
     * back: a sync-mode commit is answered after the timeout as it would be without the proxy, with no error and no
     * warning to the client (the count and the proxy's log tell the operator), and applied once the lock is released.
     */
    @Test
    void syncModeAnswersAfterTheTimeoutWhileATargetLockHoldsTheMirrorBack(@TempDir Path spool) throws Exception {
        String db = freshDatabase("sync_lock");
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, "--mirror-table", "public.m",
                "--mirror-mode", "sync", "--set", "mirror.sync-timeout=1s")) {
            try (Connection locker = PG.target().connect(db)) {
                locker.setAutoCommit(false);
                locker.createStatement().execute("LOCK TABLE m IN ACCESS EXCLUSIVE MODE");
                try (Connection c = proxy.connect(); Statement s = c.createStatement()) {
                    s.execute("INSERT INTO m (id) VALUES (1)");
                    assertThat((Object) s.getWarnings()).isNull();
                    assertThat((Object) c.getWarnings()).isNull();
                }
                assertThat(syncTimeouts(proxy)).isEqualTo(1);
                assertThat(PG.target().queryValue(db, "SELECT count(*) FROM pg_stat_activity"
                        + " WHERE application_name LIKE 'tandem-mirror%' AND wait_event_type = 'Lock'")).isEqualTo("1");
            }
            proxy.awaitCaughtUp(Duration.ofSeconds(60));
            proxy.assertIdentical("m");
        }
    }

    private static double syncTimeouts(RunningMirrorProxy proxy) {
        return proxy.app.registry().get("tandem.mirror.sync.timeouts").counter().count();
    }

    @Test
    void aHeldCommitStopsReadingTheSourceOnceItsFollowingAnswersPileUp(@TempDir Path spool) throws Exception {
        String db = freshDatabase("sync_held");
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, "--mirror-table", "public.m",
                "--mirror-mode", "sync", "--set", "mirror.sync-timeout=60s")) {
            PG.target().stop();
            try (WireClient client = new WireClient(proxy.app.relayAddress().getPort())) {
                client.login("postgres", db);
                // pipelined: a mirrored commit whose ReadyForQuery waits for the (stopped) target, then 50 MB of rows
                ByteArrayOutputStream both = new ByteArrayOutputStream();
                both.write(WireClient.query("INSERT INTO m (id) VALUES (1)"));
                both.write(WireClient.query("SELECT repeat('x', 1000) FROM generate_series(1, 50000) /* held_big */"));
                client.send(both.toByteArray());
                // the proxy reads a bounded amount past the held message, then the source must wait to write
                String waiting = null;
                for (int i = 0; i < 200 && !"ClientWrite".equals(waiting); i++) {
                    Thread.sleep(50);
                    waiting = PG.source().queryValue(db, "SELECT coalesce(max(wait_event), 'none') FROM"
                            + " pg_stat_activity WHERE query LIKE '%held_big%' AND pid <> pg_backend_pid()");
                }
                assertThat(waiting).as("the source's backend waits for the proxy to read").isEqualTo("ClientWrite");
                // and keeps waiting: a proxy reading without bound would have taken all 50 MB by now
                Thread.sleep(1500);
                assertThat(PG.source().queryValue(db, "SELECT state || ' ' || wait_event FROM pg_stat_activity"
                        + " WHERE query LIKE '%held_big%' AND pid <> pg_backend_pid()")).isEqualTo("active ClientWrite");
                PG.target().start();
                List<WireClient.Message> insert = client.readUntilReady();
                assertThat(insert).extracting(WireClient.Message::type).containsExactly('C', 'Z');
                long rows = client.readUntilReady().stream().filter(m -> m.type() == 'D').count();
                assertThat(rows).isEqualTo(50_000);
            } finally {
                PG.target().start();
            }
            proxy.assertIdentical("m");
        }
    }

    @Test
    void sessionsWaitWhileTheSpoolIsFullInBlockModeAndLoseNothing(@TempDir Path spool) throws Exception {
        String db = freshDatabase("spool_block");
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, "--mirror-table", "public.m",
                "--set", "mirror.spool.max-bytes=1MiB", "--set", "mirror.spool.segment-bytes=64KiB",
                "--set", "mirror.spool.on-full=block")) {
            postAdmin(proxy, "/mirror/pause", 403); // no token configured: mutating endpoints are off
            java.util.concurrent.atomic.AtomicInteger inserted = new java.util.concurrent.atomic.AtomicInteger();
            PG.target().stop();
            Thread writer = new Thread(() -> {
                try (Connection c = proxy.connect();
                     PreparedStatement ps = c.prepareStatement("INSERT INTO m (id, pad) VALUES (?, ?)")) {
                    for (int i = 1; i <= 600; i++) {
                        ps.setInt(1, i);
                        ps.setString(2, PAD);
                        ps.executeUpdate();
                        inserted.incrementAndGet();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try {
                writer.start();
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                int last = -1;
                while (System.nanoTime() < deadline) {
                    Thread.sleep(1000);
                    int now = inserted.get();
                    if (now == last) {
                        break; // no progress for a second: the writer is held back
                    }
                    last = now;
                }
                assertThat(inserted.get()).as("the full spool holds the application back").isBetween(1, 599);
                assertThat(proxy.app.registry().get("tandem.spool.blocked.commits").gauge().value())
                        .as("the commit held back is counted, the only sign of a full spool but its size").isOne();
            } finally {
                PG.target().start();
            }
            writer.join(60_000);
            assertThat(inserted.get()).isEqualTo(600);
            proxy.awaitCaughtUp(Duration.ofSeconds(60));
            proxy.assertIdentical("m");
            assertThat(PG.target().queryValue(db, "SELECT count(*) FROM m")).isEqualTo("600");
        }
    }

    @Test
    void aFullSpoolInShedModeLedgersWhatItDrops(@TempDir Path spool) throws Exception {
        String db = freshDatabase("spool_shed");
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, "--mirror-table", "public.m",
                "--set", "mirror.spool.max-bytes=1MiB", "--set", "mirror.spool.segment-bytes=64KiB",
                "--set", "mirror.spool.on-full=shed")) {
            PG.target().stop();
            try (Connection c = proxy.connect();
                 PreparedStatement ps = c.prepareStatement("INSERT INTO m (id, pad) VALUES (?, ?)")) {
                for (int i = 1; i <= 600; i++) {
                    ps.setInt(1, i);
                    ps.setString(2, PAD);
                    ps.executeUpdate(); // never blocks: the application is not slowed by the target being down
                }
            } finally {
                PG.target().start();
            }
            proxy.awaitCaughtUp(Duration.ofSeconds(60));
            long onTarget = Long.parseLong(PG.target().queryValue(db, "SELECT count(*) FROM m"));
            long ledgered = Long.parseLong(PG.target().queryValue(db,
                    "SELECT count(*) FROM tandem.divergence WHERE message LIKE 'not mirrored: the spool was full%'"));
            assertThat(onTarget).isLessThan(600);
            assertThat(onTarget + ledgered).as("every committed transaction is either on the target or in the ledger")
                    .isEqualTo(600);
            assertThat(proxy.app.registry().get("tandem.spool.shed.transactions").counter().count())
                    .isEqualTo(ledgered);
        }
    }

    /**
     * A transaction whose spool record is larger than the spool can ever hold is ledgered, in block mode too (waiting
     * would never make room for it), and the entry says why: it read "the spool was full (mirror.spool.on-full:
     * shed)", which sent the operator to a setting that was block.
     */
    @Test
    void aTransactionLargerThanTheSpoolCanEverHoldIsLedgeredSayingSo(@TempDir Path spool) throws Exception {
        String db = freshDatabase("spool_too_large");
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, "--mirror-table", "public.m",
                "--set", "mirror.spool.max-bytes=1MiB", "--set", "mirror.spool.segment-bytes=64KiB");
             Connection c = proxy.connect();
             PreparedStatement ps = c.prepareStatement("INSERT INTO m (id, pad) VALUES (?, ?)")) {
            ps.setInt(1, 1);
            ps.setString(2, "x".repeat(1_500_000));
            assertThat(ps.executeUpdate()).isEqualTo(1);
            ps.setInt(1, 2);
            ps.setString(2, PAD);
            assertThat(ps.executeUpdate()).isEqualTo(1);
            proxy.awaitCaughtUp(Duration.ofSeconds(60));
            assertThat(PG.target().queryValue(db, "SELECT string_agg(id::text, ',') FROM m")).isEqualTo("2");
            assertThat(PG.target().queryValue(db, "SELECT message FROM tandem.divergence"))
                    .startsWith("not mirrored: a record of ")
                    .contains("bytes can never fit in the spool: with mirror.spool.max-bytes 1048576 and")
                    .doesNotContain("on-full");
        }
    }

    @Test
    void openTransactionsTogetherHoldNoMoreThanTheCaptureBudgetAndWhatPassesItIsLedgered(@TempDir Path spool)
            throws Exception {
        String db = freshDatabase("capture_budget");
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, "--mirror-table", "public.m",
                "--set", "mirror.max-captured-bytes=1MiB");
             Connection a = proxy.connect(); Connection b = proxy.connect();
             PreparedStatement insertA = a.prepareStatement("INSERT INTO m (id, pad) VALUES (?, ?)");
             PreparedStatement insertB = b.prepareStatement("INSERT INTO m (id, pad) VALUES (?, ?)")) {
            a.setAutoCommit(false);
            b.setAutoCommit(false);
            // ~600 KiB held by A's open transaction, then B's ~600 KiB would pass the shared 1 MiB
            for (int i = 1; i <= 150; i++) {
                insertA.setInt(1, i);
                insertA.setString(2, PAD);
                insertA.executeUpdate();
            }
            assertThat(proxy.app.registry().get("tandem.capture.held.bytes").gauge().value())
                    .isGreaterThan(600_000);
            for (int i = 1001; i <= 1150; i++) {
                insertB.setInt(1, i);
                insertB.setString(2, PAD);
                insertB.executeUpdate();
            }
            b.commit();
            a.commit();
            proxy.awaitCaughtUp(Duration.ofSeconds(60));
            assertThat(proxy.app.registry().get("tandem.capture.held.bytes").gauge().value()).isZero();
            assertThat(PG.target().queryValue(db, "SELECT count(*) FROM m WHERE id <= 150")).isEqualTo("150");
            assertThat(PG.target().queryValue(db, "SELECT count(*) FROM m WHERE id > 1000")).isEqualTo("0");
            assertThat(PG.source().queryValue(db, "SELECT count(*) FROM m")).isEqualTo("300");
            assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence"
                    + " WHERE message LIKE '%mirror.max-captured-bytes%'")).isEqualTo("1");
        }
    }

    @Test
    void withHypertablesAsTheDefaultRowsWrittenWhileTheTargetWasDownFromTheStartAreMirrored(@TempDir Path spool)
            throws Exception {
        String db = freshDatabase("default_hypertables");
        PG.pair().executeOnBoth(db, "CREATE TABLE plain (id int)");
        // a stand-in for TimescaleDB's catalog on the target: m is a hypertable there, plain is not
        PG.target().execute(db, HypertableCatalog.CREATE + HypertableCatalog.hypertable(1, "public", "m", "id"));
        PG.target().stop();
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool)) {
            try (Connection c = proxy.connect(); Statement s = c.createStatement()) {
                // no --mirror-table: the target's hypertables decide, and the target has not answered yet
                s.execute("INSERT INTO m (id, pad) VALUES (1, 'while the target was down')");
                s.execute("INSERT INTO plain VALUES (1)");
            } finally {
                PG.target().start();
            }
            proxy.awaitCaughtUp(Duration.ofSeconds(60));
            assertThat(RunningMirrorProxy.contents(PG.target(), db, "m"))
                    .isEqualTo(RunningMirrorProxy.contents(PG.source(), db, "m")).hasSize(1);
            assertThat(PG.target().queryValue(db, "SELECT count(*) FROM plain")).isEqualTo("0");
        }
    }

    @Test
    void rollingBackToASavepointGivesBackOnlyWhatCameAfterIt(@TempDir Path spool) throws Exception {
        String db = freshDatabase("capture_savepoint");
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, "--mirror-table", "public.m");
             Connection c = proxy.connect();
             PreparedStatement insert = c.prepareStatement("INSERT INTO m (id, pad) VALUES (?, ?)")) {
            c.setAutoCommit(false);
            for (int i = 1; i <= 50; i++) {
                insert.setInt(1, i);
                insert.setString(2, PAD);
                insert.executeUpdate();
            }
            double kept = held(proxy);
            assertThat(kept).isGreaterThan(50.0 * PAD.length());
            Savepoint savepoint = c.setSavepoint();
            for (int i = 51; i <= 100; i++) {
                insert.setInt(1, i);
                insert.setString(2, PAD);
                insert.executeUpdate();
            }
            assertThat(held(proxy)).isEqualTo(2 * kept);
            c.rollback(savepoint);
            // the 50 rows before the savepoint are still held, and a loop of savepoints cannot grow the count
            assertThat(held(proxy)).isEqualTo(kept);
            c.commit();
            proxy.awaitCaughtUp(Duration.ofSeconds(60));
            assertThat(held(proxy)).isZero();
        }
        assertThat(PG.target().queryValue(db, "SELECT count(*) || ' ' || max(id) FROM m")).isEqualTo("50 50");
    }

    @Test
    void aCopyOverTheTransactionLimitIsLedgeredAndCountedAndTheNextOneIsMirrored(@TempDir Path spool) throws Exception {
        String db = freshDatabase("copy_over_limit");
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, "--mirror-table", "public.m",
                "--set", "mirror.max-transaction-bytes=64KiB");
             Connection c = proxy.connect()) {
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            StringBuilder big = new StringBuilder();
            for (int i = 1; i <= 40; i++) {
                big.append(i).append('\t').append(PAD).append('\n'); // ~160 KiB in one COPY
            }
            copy.copyIn("COPY m FROM STDIN", new ByteArrayInputStream(big.toString().getBytes(StandardCharsets.UTF_8)));
            copy.copyIn("COPY m FROM STDIN", new ByteArrayInputStream("100\tsmall\n".getBytes(StandardCharsets.UTF_8)));
            proxy.awaitCaughtUp(Duration.ofSeconds(60));
            assertThat(PG.source().queryValue(db, "SELECT count(*) FROM m")).isEqualTo("41");
            assertThat(PG.target().query(db, "SELECT id FROM m")).containsExactly(List.of("100"));
            assertThat(PG.target().query(db, "SELECT table_name, sqlstate IS NULL FROM tandem.divergence WHERE message"
                    + " LIKE '%mirror.max-transaction-bytes%'")).containsExactly(List.of("m", "t"));
            assertThat(proxy.app.registry().get("tandem.mirror.transactions").tags("table", "public.m", "outcome",
                    "ledgered").counter().count()).isEqualTo(1);
            assertThat(proxy.app.registry().get("tandem.ledger.entries").tags("table", "public.m", "reason",
                    "not_replayable").counter().count()).isEqualTo(1);
        }
    }

    private static Path tokenFile(Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("admin-token"), TOKEN);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    static final String TOKEN = "modes-it-admin-token";

    @Test
    void syncClientsHeldByAPausedMirrorAreReleasedOnResumeAndOneTheTargetRejectsIsLedgeredAlone(@TempDir Path spool,
            @TempDir Path secrets) throws Exception {
        String db = freshDatabase("sync_paused");
        PG.target().execute(db, "ALTER TABLE m ADD CONSTRAINT target_only CHECK (id <> 13)");
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, "--mirror-table", "public.m",
                "--mirror-mode", "sync", "--set", "mirror.sync-timeout=120s",
                "--set", "admin.token-file=" + tokenFile(secrets))) {
            postAdmin(proxy, "/mirror/pause", TOKEN, 200);
            List<Future<?>> committed = new ArrayList<>();
            for (int id : new int[] {11, 12, 13, 14, 15, 16, 17}) {
                committed.add(clients.submit(() -> {
                    try (Connection c = proxy.connect(); Statement s = c.createStatement()) {
                        s.execute("INSERT INTO m (id) VALUES (" + id + ")");
                    }
                    return null;
                }));
            }
            // one more whose client leaves while its ReadyForQuery is held
            try (WireClient leaving = new WireClient(proxy.app.relayAddress().getPort())) {
                leaving.login("postgres", db);
                leaving.send(WireClient.query("INSERT INTO m (id) VALUES (99)"));
                eventually("every commit reached the source",
                        () -> "8".equals(PG.source().queryValue(db, "SELECT count(*) FROM m")));
            }
            assertThat(committed).as("no client hears 'committed' while the mirror is paused")
                    .noneMatch(Future::isDone);
            assertThat(PG.target().queryValue(db, "SELECT count(*) FROM m")).isEqualTo("0");
            postAdmin(proxy, "/mirror/resume", TOKEN, 200);
            for (Future<?> f : committed) {
                f.get(60, TimeUnit.SECONDS); // the rejected one too: its source commit stands, the ledger has it
            }
            proxy.awaitCaughtUp(Duration.ofSeconds(60));
            assertThat(PG.target().queryValue(db, "SELECT string_agg(id::text, ',' ORDER BY id) FROM m"))
                    .isEqualTo("11,12,14,15,16,17,99");
            assertThat(PG.target().query(db, "SELECT table_name, sqlstate FROM tandem.divergence"))
                    .containsExactly(List.of("m", "23514"));
            assertThat(syncTimeouts(proxy)).as("every client waited for the target").isZero();
            // the proxy goes on serving sync clients
            try (Connection c = proxy.connect(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO m (id) VALUES (100)");
                assertThat(PG.target().queryValue(db, "SELECT count(*) FROM m WHERE id = 100")).isEqualTo("1");
            }
        } finally {
            clients.shutdownNow();
        }
    }

    private static byte[] extendedInsert(int id) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] value = Integer.toString(id).getBytes(StandardCharsets.UTF_8);
        b.writeBytes(WireClient.frame('P', concat(WireClient.cstrings("", "INSERT INTO m (id) VALUES ($1)"),
                new byte[] {0, 0})));
        b.writeBytes(WireClient.frame('B', concat(WireClient.cstrings("", ""), ByteBuffer.allocate(2 + 2 + 4
                + value.length + 2).putShort((short) 0).putShort((short) 1).putInt(value.length).put(value)
                .putShort((short) 0).array())));
        b.writeBytes(WireClient.frame('E', concat(WireClient.cstrings(""), new byte[4])));
        b.writeBytes(WireClient.frame('S', new byte[0]));
        return b.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        return ByteBuffer.allocate(a.length + b.length).put(a).put(b).array();
    }

    @Test
    void eachTransactionOfAPipelinedBatchHasItsOwnReadyForQueryHeldUntilTheTargetCommittedIt(@TempDir Path spool)
            throws Exception {
        String db = freshDatabase("sync_pipelined");
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, "--mirror-table", "public.m",
                "--mirror-mode", "sync", "--set", "mirror.sync-timeout=120s");
             WireClient client = new WireClient(proxy.app.relayAddress().getPort())) {
            client.login("postgres", db);
            ByteArrayOutputStream batch = new ByteArrayOutputStream();
            for (int id = 1; id <= 5; id++) {
                batch.writeBytes(extendedInsert(id)); // five implicit transactions, one per Sync
            }
            client.send(batch.toByteArray());
            for (int id = 1; id <= 5; id++) {
                assertThat(client.readUntilReady()).extracting(WireClient.Message::type)
                        .containsExactly('1', '2', 'C', 'Z');
                // each Sync's ReadyForQuery comes, in order, only once the target committed that transaction
                assertThat(PG.target().queryValue(db, "SELECT count(*) FROM m WHERE id = " + id)).isEqualTo("1");
            }
        }
        assertThat(PG.target().queryValue(db, "SELECT string_agg(id::text, ',' ORDER BY id) FROM m"))
                .isEqualTo("1,2,3,4,5");
    }

    @Test
    void aFailedCopyRolledBackToASavepointNoLongerCountsAgainstItsTransactionOrTheBudget(@TempDir Path spool)
            throws Exception {
        String db = freshDatabase("failed_copy_hold");
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, "--mirror-table", "public.m",
                "--set", "mirror.max-transaction-bytes=64KiB");
             Connection c = proxy.connect()) {
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            c.setAutoCommit(false);
            copy.copyIn("COPY m FROM STDIN", new ByteArrayInputStream("1\tfirst\n".getBytes(StandardCharsets.UTF_8)));
            double before = held(proxy);
            StringBuilder failing = new StringBuilder();
            for (int i = 100; i < 110; i++) {
                failing.append(i).append('\t').append(PAD).append('\n'); // ~40 KiB
            }
            failing.append("not-a-number\tbad\n");
            for (int attempt = 0; attempt < 3; attempt++) { // ~120 KiB tried, none of it kept by the source
                Savepoint savepoint = c.setSavepoint();
                assertThatThrownBy(() -> copy.copyIn("COPY m FROM STDIN", new ByteArrayInputStream(
                        failing.toString().getBytes(StandardCharsets.UTF_8)))).isInstanceOf(SQLException.class);
                c.rollback(savepoint);
                assertThat(held(proxy)).as("held after rolling back attempt %d", attempt).isEqualTo(before);
            }
            copy.copyIn("COPY m FROM STDIN", new ByteArrayInputStream("2\tlast\n".getBytes(StandardCharsets.UTF_8)));
            c.commit();
            proxy.awaitCaughtUp(Duration.ofSeconds(60));
            assertThat(held(proxy)).isZero();
        }
        assertThat(PG.target().queryValue(db, "SELECT string_agg(id::text, ',' ORDER BY id) FROM m")).isEqualTo("1,2");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence")).isEqualTo("0");
    }

    private static double held(RunningMirrorProxy proxy) {
        return proxy.app.registry().get("tandem.capture.held.bytes").gauge().value();
    }

    @Test
    void eachStatementIsReplayedWithTheSearchPathItRanWith(@TempDir Path spool) throws Exception {
        String db = freshDatabase("statement_paths");
        PG.pair().executeOnBoth(db, "CREATE SCHEMA s2; CREATE TABLE s2.m (id int PRIMARY KEY, pad text)");
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, "--mirror-table", "public.m",
                "--mirror-table", "s2.m");
             Connection c = proxy.connect("preferQueryMode", "simple"); Statement s = c.createStatement()) {
            // one transaction, two unqualified inserts into two tables of the same name
            s.execute("BEGIN; SET search_path TO s2; INSERT INTO m (id, pad) VALUES (1, 's2');"
                    + " SET search_path TO public; INSERT INTO m (id, pad) VALUES (2, 'public'); COMMIT");
            proxy.awaitCaughtUp(Duration.ofSeconds(30));
            proxy.assertIdentical("m");
            proxy.assertIdentical("s2.m");
            assertThat(PG.target().queryValue(db, "SELECT pad FROM s2.m")).isEqualTo("s2");
        }
    }

    @Test
    void withSourceCredentialsABinaryParameterOfAUserDefinedTypeIsReplayedWithTheTargetsOid(@TempDir Path spool)
            throws Exception {
        String db = freshDatabase("user_types");
        // created in another order on the target, so the enum's OID differs there
        PG.target().execute(db, "CREATE TYPE filler AS ENUM ('x')");
        PG.pair().executeOnBoth(db, "CREATE TYPE mood AS ENUM ('sad', 'happy'); CREATE TABLE feel (id int, m mood)");
        int sourceMood = Integer.parseInt(PG.source().queryValue(db, "SELECT 'mood'::regtype::oid"));
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, "--mirror-table",
                "public.feel", "--set", "source.user=" + PG.source().user());
             WireClient client = new WireClient(proxy.app.relayAddress().getPort())) {
            client.login(PG.source().user(), db);
            // what a driver sends for a binary enum parameter: the type's OID in Parse, the label's bytes in Bind
            ByteArrayOutputStream parse = new ByteArrayOutputStream();
            parse.write(WireClient.cstrings("", "INSERT INTO feel (id, m) VALUES ($1, $2)"));
            parse.write(ByteBuffer.allocate(10).putShort((short) 2).putInt(23).putInt(sourceMood).array());
            ByteArrayOutputStream bind = new ByteArrayOutputStream();
            bind.write(WireClient.cstrings("", ""));
            bind.write(ByteBuffer.allocate(2 + 4 + 2 + 4 + 1 + 4 + 5 + 2).putShort((short) 2)
                    .putShort((short) 0).putShort((short) 1).putShort((short) 2).putInt(1).put((byte) '7')
                    .putInt(5).put("happy".getBytes(StandardCharsets.UTF_8)).putShort((short) 0)
                    .array());
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            all.write(WireClient.frame('P', parse.toByteArray()));
            all.write(WireClient.frame('B', bind.toByteArray()));
            all.write(WireClient.frame('E', ByteBuffer.allocate(5).put((byte) 0).putInt(0).array()));
            all.write(WireClient.frame('S', new byte[0]));
            client.send(all.toByteArray());
            assertThat(client.readUntilReady()).extracting(WireClient.Message::type).contains('C').doesNotContain('E');
            proxy.awaitCaughtUp(Duration.ofSeconds(30));
        }
        assertThat(PG.target().query(db, "SELECT id, m::text FROM feel")).containsExactly(List.of("7", "happy"));
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence")).isEqualTo("0");
    }

    /**
     * With source credentials, a write into a table the target lacks is decided by the source's catalog: a partition
     * of a mirrored table there is ledgered (every table of its transaction, with the statements), anything else is
     * rightly not mirrored and not ledgered.
     */
    @Test
    void withSourceCredentialsAPartitionCreatedOnTheSourceOnlyIsLedgeredNotDropped(@TempDir Path spool)
            throws Exception {
        String db = freshDatabase("source_only_partition");
        PG.pair().executeOnBoth(db, "CREATE TABLE ev (day date NOT NULL, id int) PARTITION BY RANGE (day);"
                + " CREATE TABLE ev_jan PARTITION OF ev FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');"
                + " CREATE TABLE other (id int)");
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, "--mirror-table", "public.ev",
                "--mirror-table", "public.other", "--set", "source.user=" + PG.source().user(),
                "--set", "verifier.time-columns.public.ev=day");
             Connection c = proxy.connect(); Statement s = c.createStatement()) {
            PG.source().execute(db, "CREATE TABLE ev_feb PARTITION OF ev FOR VALUES FROM ('2026-02-01') TO"
                    + " ('2026-03-01'); CREATE TABLE unrelated (id int)");
            s.execute("INSERT INTO ev VALUES ('2026-01-05', 1)");
            s.execute("BEGIN; INSERT INTO ev_feb VALUES ('2026-02-05', 2); INSERT INTO other VALUES (3); COMMIT");
            s.execute("INSERT INTO unrelated VALUES (4)");
            s.execute("INSERT INTO ev_jan VALUES ('2026-01-06', 5)");
            proxy.awaitCaughtUp(Duration.ofSeconds(30));
            assertThat(proxy.app.registry().get("tandem.ledger.entries").tag("table", "public.ev_feb")
                    .tag("reason", "not_replayable").counter().count()).isEqualTo(1);
        }
        assertThat(PG.target().query(db, "SELECT id FROM ev ORDER BY id")).containsExactly(List.of("1"), List.of("5"));
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM other")).isEqualTo("0");
        assertThat(PG.target().query(db, "SELECT table_name, trim(statement), left(message, 60),"
                + " coalesce(time_column || ' [' || range_start || ', ' || range_end || ')', '-') FROM tandem.divergence"
                + " ORDER BY id")).containsExactly(
                        // the range of its rows, from a copy of public.ev: repair re-copies it once ev_feb is created
                        List.of("ev_feb", "INSERT INTO ev_feb VALUES ('2026-02-05', 2)",
                                "public.ev_feb is a partition of mirrored table public.ev on ",
                                "day [2026-02-05, 2026-02-06)"),
                        List.of("other", "INSERT INTO other VALUES (3)",
                                "not applied: its source transaction also wrote public.ev_feb", "-"));
        assertThat(PG.target().queryValue(db, "SELECT message FROM tandem.divergence WHERE table_name = 'ev_feb'"))
                .endsWith("create it there (CREATE TABLE ... PARTITION OF public.ev), then run tandem-backfill repair,"
                        + " which re-copies this entry's time range (an entry without one, when no time column of"
                        + " public.ev is known: re-copy the window of its rows' times, then settle it)");
    }

    @Test
    void withoutSourceCredentialsATextUserTypeIsLeftToTheTargetAndABinaryOneIsLedgered(@TempDir Path spool)
            throws Exception {
        String db = freshDatabase("user_types_no_credentials");
        PG.target().execute(db, "CREATE TYPE filler AS ENUM ('x')"); // so the enum's OID differs on the target
        PG.pair().executeOnBoth(db, "CREATE TYPE mood AS ENUM ('sad', 'happy'); CREATE TABLE feel (id int, m mood)");
        int sourceMood = Integer.parseInt(PG.source().queryValue(db, "SELECT 'mood'::regtype::oid"));
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, "--mirror-table", "public.feel");
             WireClient client = new WireClient(proxy.app.relayAddress().getPort())) {
            client.login(PG.source().user(), db);
            ByteArrayOutputStream parse = new ByteArrayOutputStream();
            parse.write(WireClient.cstrings("feel_insert", "INSERT INTO feel (id, m) VALUES ($1, $2)"));
            parse.write(ByteBuffer.allocate(10).putShort((short) 2).putInt(23).putInt(sourceMood).array());
            client.send(WireClient.frame('P', parse.toByteArray()));
            // the same prepared statement bound in text, then in binary: the first decision must not leak into
            // the second
            client.send(executeFeelInsert(7, (short) 0));
            assertThat(client.readUntilReady()).extracting(WireClient.Message::type).contains('C').doesNotContain('E');
            client.send(executeFeelInsert(8, (short) 1));
            assertThat(client.readUntilReady()).extracting(WireClient.Message::type).contains('C').doesNotContain('E');
            proxy.awaitCaughtUp(Duration.ofSeconds(30));
        }
        assertThat(PG.source().query(db, "SELECT id, m::text FROM feel ORDER BY id"))
                .containsExactly(List.of("7", "happy"), List.of("8", "happy"));
        assertThat(PG.target().query(db, "SELECT id, m::text FROM feel")).containsExactly(List.of("7", "happy"));
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence"
                + " WHERE message LIKE '%binary with the user-defined type OID%'")).isEqualTo("1");
    }

    /** Bind (the label "happy" in {@code format}), Execute and Sync for the prepared {@code feel_insert}. */
    private static byte[] executeFeelInsert(int id, short format) throws IOException {
        byte[] idText = Integer.toString(id).getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream bind = new ByteArrayOutputStream();
        bind.write(WireClient.cstrings("", "feel_insert"));
        bind.write(ByteBuffer.allocate(2 + 2 + 2 + 2 + 4 + idText.length + 4 + 5 + 2).putShort((short) 2)
                .putShort((short) 0).putShort(format).putShort((short) 2).putInt(idText.length).put(idText)
                .putInt(5).put("happy".getBytes(StandardCharsets.UTF_8)).putShort((short) 0).array());
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.write(WireClient.frame('B', bind.toByteArray()));
        all.write(WireClient.frame('E', ByteBuffer.allocate(5).put((byte) 0).putInt(0).array()));
        all.write(WireClient.frame('S', new byte[0]));
        return all.toByteArray();
    }

    /**
     * With {@code fsync: always} a commit is acknowledged after its record's group fsync: once everything is applied,
     * the mirror says it is caught up ({@code caughtUp()}, and {@code /status} with appliedSequence = spooledSequence and
     * nothing pending), as the other tests here show under the default {@code interval}.
     */
    @Test
    void withFsyncAlwaysTheMirrorReportsCaughtUpOnceEverythingIsApplied(@TempDir Path spool) throws Exception {
        String db = freshDatabase("fsync_always");
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, "--mirror-table", "public.m",
                "--spool-fsync", "always")) {
            try (Connection c = proxy.connect(); Statement s = c.createStatement()) {
                for (int i = 1; i <= 20; i++) {
                    s.execute("INSERT INTO m (id) VALUES (" + i + ")");
                }
                c.setAutoCommit(false);
                s.execute("INSERT INTO m (id) VALUES (21)");
                s.execute("INSERT INTO m (id) VALUES (22)");
                c.commit();
                c.setAutoCommit(true);
                c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY m (id) FROM STDIN",
                        new ByteArrayInputStream("23\n24\n".getBytes(StandardCharsets.UTF_8)));
            }
            proxy.awaitCaughtUp(Duration.ofSeconds(60));
            proxy.assertIdentical("m");
            var mirror = new com.fasterxml.jackson.databind.ObjectMapper().readTree(getAdmin(proxy, "/status"))
                    .get("mirror");
            assertThat(mirror.get("spooledSequence").asLong()).as("one record per transaction").isEqualTo(22);
            assertThat(mirror.get("appliedSequence").asLong()).isEqualTo(22);
            assertThat(mirror.get("pendingTransactions").asLong()).isZero();
        }
    }

    @Test
    void theDualWriteMarkIsRecordedOnTheTarget(@TempDir Path spool) throws Exception {
        String db = freshDatabase("dual_write");
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, "--mirror-table", "public.m",
                "--mark-dual-write-start")) {
            try (Connection c = proxy.connect(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO m (id) VALUES (1)");
            }
            proxy.awaitCaughtUp(Duration.ofSeconds(30));
            assertThat(PG.target().query(db, "SELECT database, first_mirrored_at IS NOT NULL, marked_at IS NOT NULL"
                    + " FROM tandem.dual_write")).containsExactly(java.util.List.of(db, "t", "t"));
            var status = new com.fasterxml.jackson.databind.ObjectMapper().readTree(getAdmin(proxy, "/status"));
            assertThat(status.get("mode").asText()).isEqualTo("async");
            assertThat(status.get("mirror").get("databases").get(0).asText()).isEqualTo(db);
            var dualWrite = status.get("mirror").get("dualWrite").get(db);
            List<String> recorded = PG.target().query(db, "SELECT to_json(first_mirrored_at) #>> '{}',"
                    + " to_json(marked_at) #>> '{}' FROM tandem.dual_write").get(0);
            assertThat(OffsetDateTime.parse(dualWrite.get("firstMirroredAt").asText()))
                    .as("an instant with its offset").isAtSameInstantAs(OffsetDateTime.parse(recorded.get(0)));
            assertThat(OffsetDateTime.parse(dualWrite.get("markedAt").asText()))
                    .isAtSameInstantAs(OffsetDateTime.parse(recorded.get(1)));
            assertThat(getAdmin(proxy, "/metrics")).contains("tandem_mirror_transactions_total")
                    .contains("tandem_relay_messages_total").contains("proxy_instance=");
        }
    }

    @Test
    void aMarkNamingASourceDatabaseMarksTheTargetDatabaseItIsMirroredInto(@TempDir Path spool,
            @TempDir Path secrets) throws Exception {
        String db = freshDatabase("mark_source");
        String targetDb = PG.pair().freshDatabase("mark_target");
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, "--mirror-table", "public.m",
                "--set", "target.databases." + db + "=" + targetDb, "--set", "admin.token-file=" + tokenFile(secrets))) {
            HttpResponse<String> marked = postMark(proxy, "{\"database\": \"" + db + "\"}");
            assertThat(marked.statusCode()).as(marked.body()).isEqualTo(200);
            assertThat(marked.body()).contains(targetDb);
            assertThat(PG.target().query(targetDb, "SELECT database, marked_at IS NOT NULL FROM tandem.dual_write"))
                    .containsExactly(List.of(targetDb, "t"));
            assertThat(PG.target().query(db, "SELECT count(*) FROM pg_namespace WHERE nspname = 'tandem'"))
                    .as("nothing written into the target database of the same name").containsExactly(List.of("0"));

            HttpResponse<String> unknown = postMark(proxy, "{\"database\": \"no_such_database\"}");
            assertThat(unknown.statusCode()).as(unknown.body()).isEqualTo(404);
            assertThat(unknown.body()).contains("database 'no_such_database' does not exist on the target");
        }
    }

    /**
     * A restarted proxy knows the databases it mirrored before the restart: an operator marking the dual-write start
     * right after restarting it (no client has logged in again yet) marks them, and {@code /status} lists them.
     */
    @Test
    void aRestartedProxyMarksAndListsTheDatabasesItMirroredBeforeAnyClientLogsInAgain(@TempDir Path spool,
            @TempDir Path secrets) throws Exception {
        String db = freshDatabase("mark_after_restart");
        String[] args = {"--mirror-table", "public.m", "--set", "admin.token-file=" + tokenFile(secrets)};
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, args)) {
            try (Connection c = proxy.connect(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO m (id) VALUES (1)");
            }
            proxy.awaitCaughtUp(Duration.ofSeconds(30));
        }
        try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, args)) {
            var status = new com.fasterxml.jackson.databind.ObjectMapper().readTree(getAdmin(proxy, "/status"));
            assertThat(status.get("mirror").get("databases").toString()).isEqualTo("[\"" + db + "\"]");

            HttpResponse<String> marked = postMark(proxy, "");
            assertThat(marked.statusCode()).as(marked.body()).isEqualTo(200);
            assertThat(marked.body()).contains(db);
            assertThat(PG.target().query(db, "SELECT database, marked_at IS NOT NULL FROM tandem.dual_write"))
                    .containsExactly(List.of(db, "t"));
        }
    }

    /**
     * Restarted during a target outage, a proxy counts in its lag and spool gauges only what the previous run had not
     * seen applied (kept in the spool directory's {@code applied.json}), not every transaction still in the spool; the
     * first run's applied segments were partly reclaimed already. Once the target is back, each transaction is there
     * exactly once and the gauges drop to 0.
     */
    @Test
    void aProxyRestartedWhileTheTargetIsDownCountsOnlyWhatThePreviousRunHadNotApplied(@TempDir Path spool)
            throws Exception {
        String db = freshDatabase("restart_lag");
        String[] args = {"--mirror-table", "public.m", "--set", "mirror.spool.segment-bytes=64KiB"};
        double unappliedBytes;
        long beforeTheUnapplied;
        try {
            try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, args)) {
                insert(proxy, 1, 40); // about 160 KiB: the first segments fill up, are applied and deleted
                proxy.awaitCaughtUp(Duration.ofSeconds(60));
                assertThat(spool.resolve(String.format("%020d.seg", 1))).as("the first segment was reclaimed")
                        .doesNotExist();
                PG.target().stop();
                beforeTheUnapplied = System.currentTimeMillis();
                insert(proxy, 41, 45);
                Map<String, Double> gauges = gauges(proxy);
                assertThat(gauges.get("tandem_spool_records")).isEqualTo(5);
                unappliedBytes = gauges.get("tandem_mirror_lag_bytes");
            }
            try (RunningMirrorProxy proxy = RunningMirrorProxy.start(PG.pair(), db, spool, args)) {
                Map<String, Double> gauges = gauges(proxy);
                double sinceTheUnapplied = (System.currentTimeMillis() - beforeTheUnapplied) / 1000.0;
                assertThat(gauges.get("tandem_mirror_target_up")).isZero();
                assertThat(gauges.get("tandem_spool_records")).as("the 5 the first run had not applied, not the"
                        + " applied ones still in the spool").isEqualTo(5);
                assertThat(gauges.get("tandem_mirror_lag_bytes")).isEqualTo(unappliedBytes);
                assertThat(gauges.get("tandem_mirror_lag_seconds")).as("the age of the oldest unapplied one")
                        .isPositive().isLessThanOrEqualTo(sinceTheUnapplied);
                PG.target().start();
                proxy.awaitCaughtUp(Duration.ofSeconds(60));
                proxy.assertIdentical("m");
                gauges = gauges(proxy);
                assertThat(gauges.get("tandem_spool_records")).isZero();
                assertThat(gauges.get("tandem_mirror_lag_bytes")).isZero();
            }
        } finally {
            PG.target().start();
        }
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM m")).isEqualTo("45");
    }

    /** One autocommit INSERT per id, each about 4 KiB: one spool record each. */
    private static void insert(RunningMirrorProxy proxy, int from, int to) throws SQLException {
        try (Connection c = proxy.connect();
             PreparedStatement ps = c.prepareStatement("INSERT INTO m (id, pad) VALUES (?, ?)")) {
            for (int i = from; i <= to; i++) {
                ps.setInt(1, i);
                ps.setString(2, PAD);
                ps.executeUpdate();
            }
        }
    }

    /** The {@code tandem_} gauges without labels but the proxy instance, as {@code /metrics} shows them. */
    private static Map<String, Double> gauges(RunningMirrorProxy proxy) throws Exception {
        Map<String, Double> values = new HashMap<>();
        for (String line : getAdmin(proxy, "/metrics").lines().toList()) {
            if (line.startsWith("tandem_") && line.indexOf('{') > 0
                    && line.indexOf(',') < 0 && line.contains("proxy_instance=")) {
                values.put(line.substring(0, line.indexOf('{')),
                        Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
            }
        }
        return values;
    }

    private static HttpResponse<String> postMark(RunningMirrorProxy proxy, String body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + proxy.app.adminPort() + "/dual-write/mark"))
                .header("Authorization", "Bearer " + TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String getAdmin(RunningMirrorProxy proxy, String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + proxy.app.adminPort() + path)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    private static void postAdmin(RunningMirrorProxy proxy, String path, String token, int expected) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + proxy.app.adminPort() + path))
                .header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(expected);
    }

    private static void postAdmin(RunningMirrorProxy proxy, String path, int expected) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + proxy.app.adminPort() + path))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(expected);
    }
}
