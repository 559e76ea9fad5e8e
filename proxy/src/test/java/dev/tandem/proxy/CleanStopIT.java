package dev.tandem.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.proxy.capture.GapLedger;
import dev.tandem.proxy.config.ProxyOptions;
import dev.tandem.proxy.demo.BackfillRunner;
import dev.tandem.proxy.relay.Transport;
import dev.tandem.testing.PostgresPairExtension;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The usual cutover sequence: stop the proxy, then {@code tandem-backfill verify} and {@code repair}. A proxy stopped
 * cleanly applies what it spooled first and says so in {@code tandem.mirror_progress.stopped_at}, so the backfill does
 * not wait {@code --mirror-wait} for a mirror that will never move again; one that could not apply everything (the
 * target is down) leaves its row as it was, says in the log what is left, and the next start on the spool applies it.
 */
class CleanStopIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static final String PROGRESS = "SELECT stopped_at IS NOT NULL FROM tandem.mirror_progress"
            + " WHERE instance_id = 'tandem'";

    private static final String ADMIN_TOKEN = "clean-stop-token";

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String[] SMALL_SEGMENTS = {"--set", "mirror.spool.segment-bytes=64KiB",
        "--set", "mirror.spool.max-bytes=1MiB"};

    @TempDir
    Path spool;

    private ProxyApplication start(String db, String... extraArgs) throws Exception {
        return start(db, PG.target().port(), extraArgs);
    }

    /** A proxy whose mirror reaches the target at {@code targetPort}, which need not be the target's. */
    private ProxyApplication start(String db, int targetPort, String... extraArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of("--listen", "127.0.0.1:0",
                "--source", "127.0.0.1:" + PG.source().port(), "--source-tls", "disable",
                "--target", "127.0.0.1:" + targetPort, "--target-user", PG.target().user(),
                "--target-tls", "disable", "--spool-dir", spool.toString(), "--admin-listen", "127.0.0.1:0",
                "--mirror-table", "public.g", "--set", "verifier.enabled=false",
                "--set", "mirror.retry.min-backoff=50ms", "--set", "mirror.retry.max-backoff=500ms"));
        args.addAll(List.of(extraArgs));
        ProxyOptions options = new ProxyOptions();
        new CommandLine(options).parseArgs(args.toArray(String[]::new));
        return new ProxyApplication(options.load(Map.of("TANDEM_ADMIN_TOKEN", ADMIN_TOKEN)))
                .start(Transport.choose("auto"));
    }

    private static HttpResponse<String> get(int adminPort, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + adminPort + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** {@code mirror.stillMarkedStopped} of {@code GET /status}. */
    private static List<String> stillMarkedStopped(ProxyApplication proxy) throws Exception {
        String body = get(proxy.adminPort(), "/status").body();
        List<String> databases = new ArrayList<>();
        JSON.readTree(body).path("mirror").path("stillMarkedStopped").forEach(d -> databases.add(d.asText()));
        return databases;
    }

    /** A port nothing listens on: a target the proxy cannot reach, which the backfill still reaches on its own. */
    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void pause(ProxyApplication proxy) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + proxy.adminPort() + "/mirror/pause"))
                .header("Authorization", "Bearer " + ADMIN_TOKEN).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    /** Rows {@code from} to {@code to} through the proxy, one transaction each, timed in the last minutes. */
    private static void write(ProxyApplication proxy, String db, int from, int to) throws Exception {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:"
                + proxy.relayAddress().getPort() + "/" + db, PG.source().user(), PG.source().password());
             PreparedStatement ps = c.prepareStatement("INSERT INTO g (id, ts, pad) VALUES (?, ?, 'proxy')")) {
            for (int i = from; i <= to; i++) {
                ps.setInt(1, i);
                ps.setObject(2, now.minusSeconds(300 - i % 300));
                ps.executeUpdate();
            }
        }
    }

    /** Rows {@code from} to {@code to}, one transaction of 30 kB each: two fill a 64 KiB segment. */
    private static void writeLarge(ProxyApplication proxy, String db, int from, int to) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:"
                + proxy.relayAddress().getPort() + "/" + db, PG.source().user(), PG.source().password());
             PreparedStatement ps = c.prepareStatement("INSERT INTO g (id, ts, pad) VALUES (?, now(), ?)")) {
            for (int i = from; i <= to; i++) {
                ps.setInt(1, i);
                ps.setString(2, "x".repeat(30_000));
                ps.executeUpdate();
            }
        }
    }

    /** The spool's segment files, oldest first. */
    private List<Path> segments() throws IOException {
        try (Stream<Path> files = Files.list(spool)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".seg")).sorted().toList();
        }
    }

    private static void awaitCaughtUp(ProxyApplication proxy) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!proxy.mirrorCaughtUp()) {
            assertThat(System.nanoTime()).as("the mirror caught up within 60 s").isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private static String database(String name) {
        String db = PG.pair().freshDatabase(name);
        PG.pair().executeOnBoth(db, "CREATE TABLE g (id int PRIMARY KEY, ts timestamptz NOT NULL, pad text)");
        // the history the backfill copies: before the dual-write start, on the source only
        PG.source().execute(db, "INSERT INTO g SELECT -i, '2024-06-01 00:00:00+00'::timestamptz + i * interval"
                + " '1 hour', 'history' FROM generate_series(1, 100) i");
        return db;
    }

    /** Entries in the database's ledger; 0 while the mirror has not made it yet. */
    private static int divergence(String db) {
        if ("0".equals(PG.target().queryValue(db, "SELECT count(*) FROM pg_class WHERE oid = to_regclass("
                + "'tandem.divergence')"))) {
            return 0;
        }
        return Integer.parseInt(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence"));
    }

    private record Run(int exit, String output) {
    }

    private static Run backfill(String db, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(args));
        if (!args[0].equals("status")) {
            command.addAll(List.of("--source", PG.source().jdbcUrl(db) + "?user=" + PG.source().user()));
        }
        command.addAll(List.of("--target", PG.target().jdbcUrl(db) + "?user=" + PG.target().user()));
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        int exit = BackfillRunner.locate(new PrintStream(output, true, StandardCharsets.UTF_8))
                .run(command.toArray(String[]::new));
        return new Run(exit, output.toString(StandardCharsets.UTF_8));
    }

    private static boolean accepts(InetSocketAddress address) {
        try (Socket s = new Socket()) {
            s.connect(address, 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The runbook's list of what {@code GET /status} answers names every field it has: an on-call engineer who reads
     * an unlisted field (the dual-write marks, the mirror's failure) cannot tell what it means.
     */
    @Test
    void theRunbookNamesEveryFieldOfStatus() throws Exception {
        String db = database("status_fields");
        List<String> fields = new ArrayList<>();
        try (ProxyApplication proxy = start(db)) {
            JsonNode status = JSON.readTree(get(proxy.adminPort(), "/status").body());
            status.fieldNames().forEachRemaining(fields::add);
            status.path("mirror").fieldNames().forEachRemaining(fields::add);
        }
        List<String> runbook = Files.readAllLines(Path.of("..", "docs", "migration.md"));
        int at = runbook.indexOf(runbook.stream().filter(l -> l.startsWith("curl -fsS http://127.0.0.1:9187/status"))
                .findFirst().orElseThrow());
        StringBuilder listed = new StringBuilder(runbook.get(at));
        for (int i = at + 1; runbook.get(i).trim().startsWith("#"); i++) {
            listed.append(' ').append(runbook.get(i));
        }
        assertThat(fields).contains("mirror", "targetUp", "dualWrite");
        assertThat(fields).allSatisfy(field -> assertThat(listed.toString()).as("docs/migration.md's /status list")
                .containsPattern("\\b" + field + "\\b"));
    }

    @Test
    void aCleanlyStoppedProxyAppliesItsSpoolAndTheBackfillDoesNotWaitForIt() throws Exception {
        String db = database("clean_stop");
        ProxyApplication proxy = start(db);
        write(proxy, db, 1, 10);
        awaitCaughtUp(proxy);
        CompletableFuture<Void> stopped;
        try (Connection target = PG.target().connect(db); Statement lock = target.createStatement()) {
            // the mirror cannot apply the next rows until the stop has begun: the stop is what applies them
            target.setAutoCommit(false);
            lock.execute("LOCK TABLE g IN ACCESS EXCLUSIVE MODE");
            write(proxy, db, 11, 200);
            assertThat(proxy.mirrorCaughtUp()).as("rows left for the stop to apply").isFalse();
            InetSocketAddress relay = proxy.relayAddress();
            int admin = proxy.adminPort();
            stopped = CompletableFuture.runAsync(proxy::close);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (accepts(relay)) {
                assertThat(System.nanoTime()).as("the relay stops accepting within 60 s").isLessThan(deadline);
                Thread.sleep(20);
            }
            // the drain waits for the lock: an operator watching the stop sees it in /status meanwhile
            HttpResponse<String> status = get(admin, "/status");
            assertThat(status.statusCode()).as(status.body()).isEqualTo(200);
            JsonNode draining = JSON.readTree(status.body());
            assertThat(draining.path("state").asText()).as(status.body()).isEqualTo("draining");
            assertThat(draining.path("mirror").path("pendingTransactions").asLong()).as(status.body()).isPositive();
            HttpResponse<String> ready = get(admin, "/ready");
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(503);
            assertThat(ready.body()).contains("the proxy is stopping");
            target.rollback();
        }
        stopped.get(120, TimeUnit.SECONDS);
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM g")).as("every row spooled is applied")
                .isEqualTo("200");
        assertThat(PG.target().queryValue(db, PROGRESS)).as("stopped_at says it stopped cleanly").isEqualTo("t");

        // the cutover: nothing to wait for, though --mirror-wait is a second
        assertThat(backfill(db, "stage", "--table", "public.g:ts", "--until", "2025-01-01 00:00:00+00"))
                .satisfies(r -> assertThat(r.exit()).as(r.output()).isZero());
        assertThat(backfill(db, "copy", "--mirror-wait", "1 s"))
                .satisfies(r -> assertThat(r.exit()).as(r.output()).isZero());
        Run verify = backfill(db, "verify", "--through", "now", "--mirror-wait", "1 s");
        assertThat(verify.exit()).as(verify.output()).isZero();
        assertThat(verify.output()).contains("1 table: 1 match, 0 differ").doesNotContain("waiting for the mirror");
        Run repair = backfill(db, "repair", "--mirror-wait", "1 s");
        assertThat(repair.exit()).as(repair.output()).isZero();
        assertThat(repair.output()).doesNotContain("waiting for the mirror");
        Run status = backfill(db, "status");
        assertThat(status.output()).contains("proxy tandem: stopped cleanly at ");

        // started again on the same spool, it is a running mirror the backfill waits for again, until it stops: the
        // mark is cleared before the relay accepts a client, so no transaction is spooled while it says "stopped"
        ProxyApplication again = start(db);
        try {
            assertThat(PG.target().queryValue(db, PROGRESS)).as("stopped_at cleared before the relay started")
                    .isEqualTo("f");
            write(again, db, 201, 210);
        } finally {
            again.close();
        }
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM g WHERE pad = 'proxy'")).isEqualTo("210");
        assertThat(PG.target().queryValue(db, PROGRESS)).isEqualTo("t");
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES) // a stop that waited out its mirror-drain for a target that is down
    void aStopWithTheTargetDownLeavesTheRowAndSaysWhatTheNextStartApplies() throws Exception {
        String db = database("stop_target_down");
        ProxyApplication proxy = start(db, "--set", "shutdown.mirror-drain=1h");
        List<String> warnings;
        try {
            write(proxy, db, 1, 5);
            awaitCaughtUp(proxy);
            PG.target().stop();
            write(proxy, db, 6, 8);
        } finally {
            warnings = LoggedWarnings.of(MirrorRuntime.class, proxy::close);
            PG.target().start();
        }
        assertThat(warnings).anySatisfy(w -> assertThat(w).contains("mirror stopped with 3 transaction(s) (",
                "bytes) not applied on the target, the target 127.0.0.1:" + PG.target().port() + " could not apply"
                        + " them", "the next start of instance 'tandem' on this spool applies them"));
        assertThat(PG.target().queryValue(db, PROGRESS)).as("the row still says it runs").isEqualTo("f");
        assertThat(backfill(db, "stage", "--table", "public.g:ts", "--until", "2025-01-01 00:00:00+00"))
                .satisfies(r -> assertThat(r.exit()).as(r.output()).isZero());
        Run waited = backfill(db, "copy", "--mirror-wait", "1 s");
        assertThat(waited.exit()).as(waited.output()).isNotZero();
        assertThat(waited.output()).contains("proxy instance 'tandem'", "--mirror-wait");

        start(db).close();
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM g")).as("the next start applied them")
                .isEqualTo("8");
        assertThat(PG.target().queryValue(db, PROGRESS)).isEqualTo("t");
        assertThat(backfill(db, "copy", "--mirror-wait", "1 s"))
                .satisfies(r -> assertThat(r.exit()).as(r.output()).isZero());
        Run verify = backfill(db, "verify", "--through", "now", "--mirror-wait", "1 s");
        assertThat(verify.exit()).as(verify.output()).isZero();
        assertThat(verify.output()).contains("1 table: 1 match, 0 differ");
    }

    @Test
    void aSegmentDeletedWhileTheProxyWasStoppedIsLedgeredOnItsTarget() throws Exception {
        String db = database("spool_lost");
        ProxyApplication proxy = start(db, SMALL_SEGMENTS);
        try {
            write(proxy, db, 1, 1);
            awaitCaughtUp(proxy);
            pause(proxy);
            writeLarge(proxy, db, 2, 9);
        } finally {
            proxy.close();
        }
        List<Path> segments = segments();
        assertThat(segments).as("the spool holds the paused transactions in several segments").hasSizeGreaterThan(2);
        Files.delete(segments.get(1));

        ProxyApplication again = start(db, SMALL_SEGMENTS);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!"1".equals(PG.target().queryValue(db, "SELECT count(*) FROM tandem.divergence"))) {
                assertThat(System.nanoTime()).as("the lost records were ledgered within 60 s").isLessThan(deadline);
                Thread.sleep(50);
            }
        } finally {
            again.close();
        }
        assertThat(PG.target().queryValue(db, "SELECT concat_ws('|', table_schema, table_name, recorded_until IS NOT"
                + " NULL AND recorded_until > recorded_at, message LIKE 'spool_records_lost: spool records % to % (% "
                + "sequence number(s), each a committed transaction) were lost from the proxy''s spool%appended after"
                + " % and before %') FROM tandem.divergence"))
                .as("no table, the window of append times, and what was lost").isEqualTo("t|t");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM g")).as("the other transactions applied")
                .isNotEqualTo("9");
    }

    /**
     * A clean stop leaves its records whole: one found cut off at the next start was lost since, not torn by a crash,
     * and is ledgered like records a reader finds missing (before the mark, recovery took it for a torn write and said
     * nothing to the ledger).
     */
    @Test
    void aRecordCutOffTheSpoolAfterACleanStopIsLedgeredOnItsTarget() throws Exception {
        String db = database("cut_after_stop");
        ProxyApplication proxy = start(db, SMALL_SEGMENTS);
        try {
            write(proxy, db, 1, 1);
            awaitCaughtUp(proxy);
            pause(proxy);
            writeLarge(proxy, db, 2, 5);
        } finally {
            proxy.close();
        }
        List<Path> segments = segments();
        Path newest = segments.get(segments.size() - 1);
        // into the last transaction's record: it was whole on disk when the proxy stopped
        try (var channel = FileChannel.open(newest, StandardOpenOption.WRITE)) {
            channel.truncate(channel.size() - 100);
        }

        ProxyApplication again = start(db, SMALL_SEGMENTS);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (divergence(db) != 1) {
                assertThat(System.nanoTime()).as("the lost record was ledgered within 60 s").isLessThan(deadline);
                Thread.sleep(50);
            }
        } finally {
            again.close();
        }
        assertThat(PG.target().queryValue(db, "SELECT concat_ws('|', table_name IS NULL, recorded_until IS NOT NULL"
                + " AND recorded_until > recorded_at, message LIKE 'spool_records_lost: spool records % to % (1 sequence"
                + " number(s), each a committed transaction)%') FROM tandem.divergence"))
                .as("no table, the window from the last record kept to the stop, and what was lost")
                .isEqualTo("t|t|t");
        assertThat(PG.target().queryValue(db, "SELECT string_agg(id::text, ',' ORDER BY id) FROM g WHERE id > 0"))
                .as("the transactions kept applied, the one cut off not").isEqualTo("1,2,3,4");
    }

    /**
     * Records lost while no target database is known (a proxy that never reached its target): no ledger can say so,
     * and the loss stays in {@code /status} after its log line.
     */
    @Test
    void recordsLostBeforeTheProxyEverReachedTheTargetStayInStatus() throws Exception {
        String db = database("lost_unreached");
        int closed = closedPort();
        String[] args = {"--set", "mirror.spool.segment-bytes=64KiB", "--set", "mirror.spool.max-bytes=1MiB",
                "--set", "shutdown.mirror-drain=0s"};
        ProxyApplication proxy = start(db, closed, args);
        try {
            writeLarge(proxy, db, 1, 8);
        } finally {
            proxy.close();
        }
        List<Path> segments = segments();
        Files.delete(segments.get(1));

        ProxyApplication again = start(db, closed, args);
        JsonNode lost;
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            do {
                assertThat(System.nanoTime()).as("the loss shown within 60 s").isLessThan(deadline);
                Thread.sleep(50);
                lost = JSON.readTree(get(again.adminPort(), "/status").body()).path("mirror")
                        .path("spoolRecordsLostUnledgered");
            } while (lost.isEmpty());
        } finally {
            again.close();
        }
        assertThat(lost).hasSize(1);
        assertThat(lost.get(0).path("firstSequence").asLong()).isEqualTo(3);
        assertThat(lost.get(0).path("lastSequence").asLong()).isEqualTo(4);
        assertThat(lost.get(0).path("appendedBefore").asText()).isNotEmpty();
    }

    /**
     * Records deleted from the spool go to the ledger of the database that had not applied them, not to one that had
     * applied past them before the file went: whichever of them were its own are on it.
     */
    @Test
    void aSegmentDeletedWhileTheProxyWasStoppedIsLedgeredOnlyWhereItMayNotHaveBeenApplied() throws Exception {
        String a = database("lost_applied");
        String b = database("lost_parked");
        String bTarget = b + "_on_target";
        String[] args = {"--set", "mirror.spool.segment-bytes=64KiB", "--set", "mirror.spool.max-bytes=1MiB",
                "--set", "target.databases." + b + "=" + bTarget};
        ProxyApplication proxy = start(a, args);
        try {
            // b's target database does not exist yet: b is parked, and its transactions wait in the spool
            writeLarge(proxy, b, 1, 8);
            write(proxy, a, 1, 3);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!"3".equals(PG.target().queryValue(a, "SELECT count(*) FROM g WHERE id > 0"))) {
                assertThat(System.nanoTime()).as("a's transactions applied within 60 s").isLessThan(deadline);
                Thread.sleep(50);
            }
        } finally {
            proxy.close();
        }
        List<Path> segments = segments();
        assertThat(segments).as("b's transactions in several segments").hasSizeGreaterThan(2);
        // b's transactions 3 and 4, before all of a's
        Files.delete(segments.get(1));
        PG.target().createDatabase(bTarget);
        PG.target().execute(bTarget, "CREATE TABLE g (id int PRIMARY KEY, ts timestamptz NOT NULL, pad text)");

        List<String> warnings = LoggedWarnings.of(GapLedger.class, () -> {
            try {
                ProxyApplication again = start(a, args);
                try {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (divergence(bTarget) != 1) {
                        assertThat(System.nanoTime()).as("the lost records were ledgered within 60 s")
                                .isLessThan(deadline);
                        Thread.sleep(50);
                    }
                } finally {
                    again.close();
                }
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });

        assertThat(PG.target().queryValue(bTarget, "SELECT count(*) FROM tandem.divergence WHERE message LIKE"
                + " 'spool_records_lost: spool records 3 to 4 %'")).isEqualTo("1");
        assertThat(divergence(a)).as("a had applied past them").isZero();
        assertThat(warnings).filteredOn(w -> w.startsWith("spool records 3 to 4")).singleElement().asString()
                .isEqualTo("spool records 3 to 4 lost from the spool are recorded in the divergence ledger of target"
                        + " database(s) " + bTarget + " (spool_records_lost), which had not applied them or are not"
                        + " known to have; " + a + " (applied through spool sequence 11) had applied them before they"
                        + " were lost and need no entry");
    }

    @Test
    void aStopOfAPausedMirrorKeepsItsSpoolForTheNextStart() throws Exception {
        String db = database("stop_paused");
        ProxyApplication proxy = start(db, "--set", "shutdown.mirror-drain=1m");
        List<String> warnings;
        try {
            write(proxy, db, 1, 2);
            awaitCaughtUp(proxy);
            pause(proxy);
            write(proxy, db, 3, 4);
        } finally {
            warnings = LoggedWarnings.of(MirrorRuntime.class, proxy::close);
        }
        assertThat(warnings).anySatisfy(w -> assertThat(w).contains("mirror stopped with 2 transaction(s) (",
                "not applied on the target, the mirror is paused"));
        assertThat(PG.target().queryValue(db, PROGRESS)).isEqualTo("f");
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM g")).isEqualTo("2");
    }

    @Test
    void aProxyRestartedWhileItCannotReachTheTargetSaysLoudlyThatTheTargetStillThinksItStopped() throws Exception {
        String db = database("stop_mark_unreachable");
        ProxyApplication first = start(db);
        try {
            write(first, db, 1, 5);
            awaitCaughtUp(first);
        } finally {
            first.close();
        }
        assertThat(PG.target().queryValue(db, PROGRESS)).isEqualTo("t");

        // restarted with a target address it cannot reach (the backfill, on its own, still reaches the target)
        AtomicReference<ProxyApplication> cut = new AtomicReference<>();
        List<String> logged = LoggedWarnings.andErrorsOf(MirrorRuntime.class, () -> {
            try {
                cut.set(start(db, closedPort(), "--set", "shutdown.mirror-drain=1m"));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        ProxyApplication restarted = cut.get();
        try {
            assertThat(logged).anySatisfy(w -> assertThat(w).contains("target database(s) " + db
                    + " may still say instance 'tandem' stopped cleanly", "the mirror cannot connect to them (the target"
                    + " down, or refusing the proxy's log-in", "do NOT wait for the transactions this proxy"
                    + " spools", "UPDATE tandem.mirror_progress SET stopped_at = NULL WHERE instance_id = 'tandem'"));
            assertThat(stillMarkedStopped(restarted)).containsExactly(db);
            assertThat(get(restarted.adminPort(), "/metrics").body())
                    .containsPattern("(?m)^tandem_mirror_still_marked_stopped\\{[^}]*} 1\\.0$");
            // the source is still served, and its writes are spooled for the target
            write(restarted, db, 6, 8);
        } finally {
            restarted.close();
        }
        assertThat(PG.target().queryValue(db, PROGRESS)).as("nothing could clear it").isEqualTo("t");

        // the next start that reaches the target clears the mark before relaying, then applies what was spooled
        ProxyApplication reached = start(db);
        try {
            assertThat(PG.target().queryValue(db, PROGRESS)).isEqualTo("f");
            assertThat(stillMarkedStopped(reached)).isEmpty();
            assertThat(get(reached.adminPort(), "/metrics").body())
                    .containsPattern("(?m)^tandem_mirror_still_marked_stopped\\{[^}]*} 0\\.0$");
            awaitCaughtUp(reached);
        } finally {
            reached.close();
        }
        assertThat(PG.target().queryValue(db, "SELECT count(*) FROM g WHERE pad = 'proxy'")).isEqualTo("8");
        assertThat(PG.target().queryValue(db, PROGRESS)).isEqualTo("t");
    }

    /**
     * A target database dropped after a clean stop marked it (a tenant removed, a trial migration started over) holds
     * no mark a backfill could read: the next start forgets it. Before, it stayed in {@code stillMarkedStopped} and in
     * {@code tandem_mirror_still_marked_stopped}, an alert to act on, for good: every clean stop marked every database
     * the proxy had ever applied to, and a soak with 20 dropped databases showed 20 at each start since.
     */
    @Test
    void aTargetDatabaseDroppedAfterACleanStopIsNotStillMarkedStopped() throws Exception {
        String dropped = database("stop_mark_dropped");
        String kept = database("stop_mark_kept");
        ProxyApplication first = start(dropped);
        try {
            write(first, dropped, 1, 3);
            write(first, kept, 1, 3);
            awaitCaughtUp(first);
        } finally {
            first.close();
        }
        assertThat(PG.target().queryValue(dropped, PROGRESS)).isEqualTo("t");
        PG.target().execute("postgres", "DROP DATABASE " + dropped + " WITH (FORCE)");

        ProxyApplication restarted = start(kept);
        try {
            assertThat(stillMarkedStopped(restarted)).isEmpty();
            assertThat(get(restarted.adminPort(), "/metrics").body())
                    .containsPattern("(?m)^tandem_mirror_still_marked_stopped\\{[^}]*} 0\\.0$");
            assertThat(PG.target().queryValue(kept, PROGRESS)).as("the database that is there is cleared as before")
                    .isEqualTo("f");
        } finally {
            restarted.close();
        }
    }
}
