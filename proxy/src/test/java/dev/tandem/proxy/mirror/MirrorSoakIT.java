package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.proxy.mirror.SoakHistory.Outcome;
import dev.tandem.proxy.mirror.SoakHistory.RowId;
import dev.tandem.proxy.mirror.SoakHistory.Tx;
import dev.tandem.testing.PgServer;
import dev.tandem.testing.PostgresPairExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The exactly-once promise under faults combined and repeated: several pgjdbc clients write, into two databases,
 * through the proxy (a child process, {@code mirror.mode async}, {@code spool.fsync always}) while a chaos thread, at
 * random, stops and restarts the target, kills the proxy with SIGKILL (or now and then stops it with SIGTERM) and
 * restarts it on the same spool, and pauses the mirror briefly or long enough to lag. At the end the load stops, the
 * mirror drains, and source and target are judged against what each client was told:
 * <ol>
 *   <li>no row is on the target twice;</li>
 *   <li>every target row is on the source, with the same content;</li>
 *   <li>every row of a transaction whose commit the client saw succeed is on the target;</li>
 *   <li>a transaction whose client lost its connection before hearing the outcome (the proxy went down) may be on the
 *       source only: the documented window ("a commit that was in flight when the proxy process died [...] may be on
 *       the source only", README). Such transactions must overlap a restart and number at most one per client per
 *       restart. A client that sends its commit and vanishes on its own ({@code abandoned}) is no excuse: the proxy
 *       reads the source's answer for it. Nothing rolled back or failed is on either side. When any is on the source
 *       only, the ledger has {@code outcome_unknown} entries (the trace of commits in flight a killed proxy left);</li>
 *   <li>the divergence ledger {@code tandem.divergence} holds one entry per committed "rejected" transaction (the
 *       target alone has a CHECK that refuses it, so none of its rows is applied), one per other table such a
 *       transaction wrote, {@code outcome_unknown} entries, and nothing else;</li>
 *   <li>each source transaction is all or nothing on the target.</li>
 * </ol>
 *
 * <p>Why {@code always} promises (3) across kill -9: the session's ReadyForQuery after a commit is held until the
 * spool append's future completes ({@code SessionCapture.readyForQuery}, {@code SpoolingSink}), and under
 * {@code always} that future completes only after the flusher's fsync ({@code SpoolWriter}). pgjdbc returns from
 * {@code commit()} only at that ReadyForQuery.
 *
 * <p>Tagged {@code soak}: excluded from the normal build (the root POM's {@code skip-soak} profile). Run it with
 * <pre>
 * ./mvnw -B -o verify -pl protocol,proxy -am -Dgroups=soak -Dit.test=MirrorSoakIT -Dtest=none \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false \
 *     [-Dtandem.soak.seconds=180] [-Dtandem.soak.seed=N] [-Dtandem.soak.clients=8]
 * </pre>
 * The seed is printed first in {@code proxy/target/failsafe-reports/dev.tandem.proxy.mirror.MirrorSoakIT-output.txt};
 * the same seed replays the same choices of workload and faults (not their timing). The proxy's log, its spool and
 * the summary stay in {@code proxy/target/soak-SEED/}.
 */
@Tag("soak")
class MirrorSoakIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static final String SCHEMA = "CREATE TABLE events (client int NOT NULL, seq int NOT NULL, tx int NOT NULL,"
            + " op text NOT NULL, payload text);"
            + " CREATE TABLE keyed (client int, seq int, tx int NOT NULL, payload text, PRIMARY KEY (client, seq));"
            + " CREATE TABLE bulk (client int NOT NULL, seq int NOT NULL, tx int NOT NULL, op text NOT NULL,"
            + " payload text)";
    /** Per transaction of {@code bulk}: rows, distinct ids (fewer: a duplicate), and a sum of the rows' hashes. */
    private static final String BULK_SUMS = "SELECT client, tx, count(*), count(DISTINCT seq), sum(hashtextextended("
            + "concat_ws('|', seq, op, coalesce(payload, 'NULL')), 0))::text FROM bulk GROUP BY client, tx";
    private static final String ALL_ROWS = "SELECT 'events', client, seq, tx, op, payload FROM events UNION ALL"
            + " SELECT 'keyed', client, seq, tx, 'keyed', payload FROM keyed";
    /** A rejected transaction's mark ({@link SoakClient#rejectionMark}) in a ledger entry's statement. */
    private static final Pattern REJECTION = Pattern.compile("reject c(-?\\d+) t(\\d+);");
    /** The start of the message of a ledger entry for another table of a rejected transaction. */
    private static final String COMPANION = "not applied: its source transaction also wrote public.events, which was"
            + " ledgered (SQLSTATE 23514: ";
    /** The level of a line of the proxy's log ({@code 12:49:35.942 WARN  logger - message}). */
    private static final Pattern LOG_LEVEL = Pattern.compile("\\S+ (ERROR|WARN) ");
    private static final Duration DRAIN_TIMEOUT = Duration.ofMinutes(5);
    /** Counters summed over the proxy's runs (each restart starts them at 0). */
    private static final List<String> COUNTERS = List.of("tandem_mirror_retries_total", "tandem_ledger_entries_total",
            "tandem_spool_gaps_total", "tandem_mirror_target_regressions_total",
            "tandem_spool_shed_transactions_total", "tandem_mirror_undecodable_records_total",
            "tandem_mirror_row_count_mismatches_total", "tandem_connection_errors_total",
            "tandem_mirror_transactions_total");

    /** A time when the proxy was being killed or stopped, and started again ({@link System#nanoTime()}). */
    private record Restart(long from, long to) {
        boolean overlaps(Tx tx) {
            return tx.startNanos <= to && tx.settledNanos >= from;
        }
    }

    private final List<Restart> restarts = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> faults = new TreeMap<>();
    private final Map<String, Double> counters = new TreeMap<>();
    private final List<Double> catchUpSeconds = new CopyOnWriteArrayList<>();
    private volatile double maxLagSeconds;
    private volatile long maxPendingTransactions;
    private volatile long maxPendingBytes;
    /** When a long pause ("lag") ended, until the mirror caught up again; 0 when none is pending. */
    private volatile long lagResumedAt;

    @Test
    void randomTargetOutagesProxyKillsAndPausesLoseDuplicateAndSplitNothingAcknowledged() throws Exception {
        long seed = Long.getLong("tandem.soak.seed", new SecureRandom().nextLong());
        Duration duration = Duration.ofSeconds(Long.getLong("tandem.soak.seconds", 180));
        int clients = Integer.getInteger("tandem.soak.clients", 8);
        System.out.printf("MirrorSoakIT seed=%d duration=%s clients=%d (replay with -Dtandem.soak.seed=%d)%n", seed,
                duration, clients, seed);

        Path dir = Path.of("target", "soak-" + seed).toAbsolutePath();
        deleteRecursively(dir);
        Files.createDirectories(dir);
        // two databases: one spool, one applier, a progress row in each, applied one after the other
        List<String> databases = List.of(PG.pair().freshDatabase("soak"), PG.pair().freshDatabase("soak"));
        for (String db : databases) {
            PG.pair().executeOnBoth(db, SCHEMA);
            // a difference the schema clone should not have, on purpose: each "rejected" transaction is ledgered
            PG.target().execute(db, "ALTER TABLE events ADD CONSTRAINT soak_rejects CHECK (op <> 'reject')");
        }
        ProxyProcess proxy = new ProxyProcess(proxyArguments(dir.resolve("spool")), "soak-admin-token",
                dir.resolve("proxy.log"));
        SoakHistory history = new SoakHistory();
        Random chaosRandom = new Random(seed);
        AtomicBoolean stopLoad = new AtomicBoolean();
        AtomicBoolean stopMonitor = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        long started = System.nanoTime();
        String drain;
        try {
            proxy.start();
            for (int c = 0; c < clients; c++) {
                Thread t = new Thread(new SoakClient(c, seed * 31 + c, proxy.port(),
                        databases.get(c % databases.size()), history, stopLoad), "soak-client-" + c);
                threads.add(t);
                t.start();
            }
            Thread monitor = new Thread(() -> monitor(proxy, stopMonitor), "soak-monitor");
            monitor.start();
            chaos(proxy, chaosRandom, started + duration.toNanos());

            stopLoad.set(true);
            for (Thread t : threads) {
                t.join(TimeUnit.MINUTES.toMillis(3));
                assertThat(t.isAlive()).as("%s stopped", t.getName()).isFalse();
            }
            drain = drain(proxy, databases.get(0), history);
            stopMonitor.set(true);
            monitor.join();
            addCounters(proxy);
        } finally {
            stopLoad.set(true);
            stopMonitor.set(true);
            if (!PG.target().isRunning()) {
                PG.target().start();
            }
            proxy.close();
        }

        List<String> violations = new ArrayList<>();
        String comparison = compare(databases, history, clients, violations);
        String summary = summary(seed, duration, clients, history, drain, comparison, proxy.log(), violations);
        System.out.println(summary);
        Files.writeString(dir.resolve("summary.txt"), summary, StandardCharsets.UTF_8);
        assertThat(violations).as("exactly-once violations (seed %d; summary and proxy log in %s)", seed, dir)
                .isEmpty();
    }

    private static List<String> proxyArguments(Path spool) {
        return List.of("--source", "127.0.0.1:" + PG.source().port(), "--source-tls", "disable",
                "--target", "127.0.0.1:" + PG.target().port(), "--target-user", "postgres", "--target-tls", "disable",
                "--mirror-mode", "async", "--mirror-table", "public.events", "--mirror-table", "public.keyed",
                "--mirror-table", "public.bulk", "--spool-dir", spool.toString(), "--spool-fsync", "always",
                "--instance-id", "soak",
                "--set", "mirror.retry.min-backoff=50ms", "--set", "mirror.retry.max-backoff=1s",
                // small segments: the spool rolls, deletes applied segments and spans epochs many times a run
                "--set", "mirror.spool.segment-bytes=256KiB",
                // a SIGTERM ends the clients' sessions after 2 s, not after the default 30 s
                "--set", "shutdown.grace-period=2s");
    }

    // ---- faults -------------------------------------------------------------------------------------------------

    /**
     * Until {@code deadline}: every 2-8 s one fault, while earlier ones may still last (a target outage and a pause
     * run on their own clocks), so faults overlap: a proxy killed while the target is down or the mirror paused.
     */
    private void chaos(ProxyProcess proxy, Random random, long deadline) throws Exception {
        long nextFault = System.nanoTime() + seconds(2 + random.nextInt(4));
        long targetUpAt = 0;
        long resumeAt = 0;
        boolean lagging = false;
        while (System.nanoTime() < deadline) {
            long now = System.nanoTime();
            if (targetUpAt != 0 && now >= targetUpAt) {
                PG.target().start();
                targetUpAt = 0;
            }
            if (resumeAt != 0 && now >= resumeAt) {
                proxy.post("/mirror/resume");
                resumeAt = 0;
                if (lagging) {
                    lagResumedAt = System.nanoTime();
                    lagging = false;
                }
            }
            if (now >= nextFault) {
                int pick = random.nextInt(100);
                if (pick < 30) {
                    // mostly SIGKILL; sometimes SIGTERM, whose orderly close ends sessions and tidies the spool
                    boolean kill = random.nextInt(4) > 0;
                    count(kill ? "proxy_kill" : "proxy_stop");
                    addCounters(proxy);
                    long from = System.nanoTime();
                    if (kill) {
                        proxy.kill();
                    } else {
                        proxy.close();
                    }
                    Thread.sleep(random.nextInt(2000));
                    proxy.start();
                    restarts.add(new Restart(from, System.nanoTime()));
                    // a restarted proxy's mirror runs: whatever pause was set died with the process
                    resumeAt = 0;
                    lagging = false;
                } else if (pick < 60) {
                    if (targetUpAt == 0) {
                        count("target_down");
                        PG.target().stop();
                        targetUpAt = System.nanoTime() + millis(1000 + random.nextInt(14_000));
                    }
                } else if (pick < 80) {
                    if (resumeAt == 0 && proxy.post("/mirror/pause")) {
                        count("mirror_pause");
                        resumeAt = System.nanoTime() + millis(500 + random.nextInt(5_500));
                    }
                } else if (resumeAt == 0 && proxy.post("/mirror/pause")) {
                    count("mirror_lag");
                    resumeAt = System.nanoTime() + millis(10_000 + random.nextInt(15_000));
                    lagging = true;
                }
                nextFault = System.nanoTime() + millis(2_000 + random.nextInt(6_000));
            }
            Thread.sleep(100);
        }
        if (targetUpAt != 0) {
            PG.target().start();
        }
        if (resumeAt != 0) {
            proxy.post("/mirror/resume");
            if (lagging) {
                lagResumedAt = System.nanoTime();
            }
        }
    }

    private void count(String fault) {
        synchronized (faults) {
            faults.merge(fault, 1, Integer::sum);
        }
    }

    private static long seconds(long s) {
        return TimeUnit.SECONDS.toNanos(s);
    }

    private static long millis(long ms) {
        return TimeUnit.MILLISECONDS.toNanos(ms);
    }

    /** Lag and backlog from {@code GET /status} once a second, and how long each long pause took to drain. */
    private void monitor(ProxyProcess proxy, AtomicBoolean stop) {
        while (!stop.get()) {
            JsonNode status = proxy.status();
            if (status != null && status.has("mirror")) {
                JsonNode m = status.get("mirror");
                double lag = m.get("lagSeconds").asDouble();
                maxLagSeconds = Math.max(maxLagSeconds, lag);
                maxPendingTransactions = Math.max(maxPendingTransactions, m.get("pendingTransactions").asLong());
                maxPendingBytes = Math.max(maxPendingBytes, m.get("pendingBytes").asLong());
                long resumed = lagResumedAt;
                if (resumed != 0 && lag < 1 && !m.get("paused").asBoolean()) {
                    catchUpSeconds.add((System.nanoTime() - resumed) / 1e9);
                    lagResumedAt = 0;
                }
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Adds the proxy's counters now to the totals: called before each restart and at the end. */
    private void addCounters(ProxyProcess proxy) {
        String text = proxy.metrics();
        if (text == null) {
            return;
        }
        for (String line : text.split("\n")) {
            for (String name : COUNTERS) {
                if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                    double value = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                    synchronized (counters) {
                        counters.merge(name, value, Double::sum);
                    }
                }
            }
        }
    }

    /**
     * Writes one last acknowledged row and waits until the mirror applied everything the spool holds: the clients'
     * transactions are all answered or abandoned by now.
     */
    private String drain(ProxyProcess proxy, String db, SoakHistory history) throws Exception {
        proxy.post("/mirror/resume");
        Tx marker = history.begin(-1, 1, "marker");
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + proxy.port() + "/" + db,
                "postgres", ""); Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO events VALUES (-1, 1, 1, 'marker', 'the end')");
        }
        marker.rows.add(new RowId("events", -1, 1));
        marker.end(Outcome.ACKNOWLEDGED, null);
        long start = System.nanoTime();
        long deadline = start + DRAIN_TIMEOUT.toNanos();
        JsonNode status = null;
        while (System.nanoTime() < deadline) {
            status = proxy.status();
            if (status != null) {
                JsonNode m = status.get("mirror");
                if (m.get("appliedSequence").asLong() >= m.get("spooledSequence").asLong()
                        && m.get("pendingTransactions").asLong() == 0) {
                    return String.format("drained in %.1f s (applied sequence %d)", (System.nanoTime() - start) / 1e9,
                            m.get("appliedSequence").asLong());
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the mirror did not drain within " + DRAIN_TIMEOUT + "; last status: " + status);
    }

    // ---- the judgement ------------------------------------------------------------------------------------------

    /** Checks (1)-(6) of the class comment; returns the counts for the summary. */
    private String compare(List<String> databases, SoakHistory history, int clients, List<String> violations) {
        // a client writes into one database, and its ids are its own: the databases' rows are judged together. Each
        // row is kept as a hash of its content: a run holds hundreds of thousands of rows, the test JVM has 1 GiB.
        Map<RowId, Long> source = new HashMap<>();
        Map<RowId, long[]> target = new HashMap<>(); // id -> {copies, content hash of the first}
        for (String db : databases) {
            readRows(PG.source(), db, (id, hash) -> {
                if (source.put(id, hash) != null) {
                    violations.add("the soak wrote " + id + " twice on the source (a bug of the soak)");
                }
            });
            readRows(PG.target(), db, (id, hash) -> target.computeIfAbsent(id, k -> new long[] {0, hash})[0]++);
        }
        // (1) and (2)
        target.forEach((id, copies) -> {
            if (copies[0] > 1) {
                violations.add("(1) " + id + " is on the target " + copies[0] + " times");
            }
            Long expected = source.get(id);
            if (expected == null) {
                violations.add("(2) " + id + " is on the target but not on the source: " + describe(databases, id));
            } else if (copies[1] != expected) {
                violations.add("(2) " + id + " differs: " + describe(databases, id));
            }
        });
        Map<String, List<String>> bulkSource = new HashMap<>();
        Map<String, List<String>> bulkTarget = new HashMap<>();
        for (String db : databases) {
            PG.source().query(db, BULK_SUMS).forEach(r -> bulkSource.put(r.get(0) + "/" + r.get(1), r.subList(2, 5)));
            PG.target().query(db, BULK_SUMS).forEach(r -> bulkTarget.put(r.get(0) + "/" + r.get(1), r.subList(2, 5)));
        }
        long[] bulkRows = new long[2]; // on the source, on the target
        // (5): the only entries asked for name a rejected transaction in their statement
        Map<String, Integer> ledgered = new HashMap<>();
        int ledgeredTransactions = 0;
        int outcomeUnknownEntries = 0;
        for (String db : databases) {
            if (!"t".equals(PG.target().queryValue(db, "SELECT to_regclass('tandem.divergence') IS NOT NULL"))) {
                continue;
            }
            int rejected = 0;
            int companions = 0;
            for (List<String> entry : PG.target().query(db, "SELECT recorded_at, table_name, sqlstate, message,"
                    + " statement FROM tandem.divergence ORDER BY recorded_at")) {
                Matcher m = entry.get(4) == null ? null : REJECTION.matcher(entry.get(4));
                if (m != null && m.find() && "23514".equals(entry.get(2))) {
                    ledgered.merge(m.group(1) + "/" + m.group(2), 1, Integer::sum);
                    rejected++;
                } else if (entry.get(2) == null && entry.get(3).startsWith(COMPANION)) {
                    companions++; // the rejected transaction's rows in another table, for repair
                } else if (entry.get(2) == null && entry.get(3).startsWith("outcome_unknown: ")) {
                    outcomeUnknownEntries++; // a commit in flight when a proxy was killed or stopped
                } else {
                    violations.add("(5) ledger entry in " + db + ": " + entry);
                }
            }
            if (companions > rejected) {
                violations.add("(5) " + companions + " ledger entries for the other tables of rejected transactions in "
                        + db + ", but only " + rejected + " rejected transactions");
            }
        }
        Map<RowId, Tx> owner = new HashMap<>();
        int mirroredUnknown = 0;
        int sourceOnlyUnknown = 0;
        int neverCommittedUnknown = 0;
        for (Tx tx : history.transactions) {
            tx.rows.forEach(r -> owner.put(r, tx));
            for (RowId r : tx.undone) {
                if (source.containsKey(r) || target.containsKey(r)) {
                    violations.add("(4) " + r + " was rolled back to a savepoint in " + tx + " but is on the "
                            + (source.containsKey(r) ? "source" : "target"));
                }
            }
            long onSource = tx.rows.stream().filter(source::containsKey).count();
            long onTarget = tx.rows.stream().filter(target::containsKey).count();
            if (tx.outcome == null) {
                violations.add("a transaction never ended (a bug of the soak): " + tx);
                continue;
            }
            if (tx.bulkRows > 0) {
                String key = tx.client + "/" + tx.number;
                List<String> onSourceSums = bulkSource.remove(key);
                List<String> onTargetSums = bulkTarget.remove(key);
                bulkRows[0] += onSourceSums == null ? 0 : Long.parseLong(onSourceSums.get(0));
                bulkRows[1] += onTargetSums == null ? 0 : Long.parseLong(onTargetSums.get(0));
                if (onSourceSums != null && !onSourceSums.get(0).equals(Integer.toString(tx.bulkRows))) {
                    violations.add("(6) " + tx + " has " + onSourceSums.get(0) + " of its " + tx.bulkRows
                            + " bulk rows on the source (a bug of the soak or of the relay)");
                } else if (onTargetSums != null && !onTargetSums.equals(onSourceSums)) {
                    violations.add("(1/2/6) " + tx + ": bulk rows, distinct ids and hash sum on the target "
                            + onTargetSums + ", on the source " + onSourceSums);
                } else if (onSourceSums == null && tx.outcome == Outcome.ACKNOWLEDGED) {
                    violations.add("the source lacks acknowledged " + tx + " (a bug of the soak or of the relay)");
                } else if (onTargetSums == null && tx.outcome == Outcome.ACKNOWLEDGED) {
                    violations.add("(3) the target lacks the bulk rows of acknowledged " + tx);
                } else if (tx.outcome == Outcome.UNKNOWN) {
                    if (onSourceSums == null) {
                        neverCommittedUnknown++;
                    } else if (onTargetSums != null) {
                        mirroredUnknown++;
                    } else {
                        sourceOnlyUnknown++;
                        if (restarts.stream().noneMatch(k -> k.overlaps(tx))) {
                            violations.add("(4) " + tx + " is on the source only, but no proxy restart overlapped it");
                        }
                    }
                }
                continue;
            }
            if (tx.rejectedByTarget && onSource == tx.rows.size()) {
                int entries = ledgered.getOrDefault(tx.client + "/" + tx.number, 0);
                ledgeredTransactions += entries;
                if (onTarget != 0) {
                    violations.add("(5) " + tx + ", which the target refuses, has " + onTarget + " rows there");
                }
                if (entries > 1) {
                    violations.add("(5) " + tx + " is in the ledger " + entries + " times");
                } else if (entries == 0 && (tx.outcome == Outcome.ACKNOWLEDGED
                        || restarts.stream().noneMatch(k -> k.overlaps(tx)))) {
                    violations.add("(5) " + tx + ", which the target refuses, is not in the ledger");
                }
                continue;
            }
            switch (tx.outcome) {
                case ACKNOWLEDGED -> {
                    if (onSource != tx.rows.size()) {
                        violations.add("the source lacks " + (tx.rows.size() - onSource) + " rows of acknowledged "
                                + tx + " (a bug of the soak or of the relay)");
                    }
                    if (onTarget != tx.rows.size()) {
                        violations.add("(3) the target lacks " + (tx.rows.size() - onTarget) + " rows of acknowledged "
                                + tx + missing(tx, target));
                    }
                }
                case ROLLED_BACK, FAILED -> {
                    if (onSource + onTarget > 0) {
                        violations.add("(4) " + tx + " has " + onSource + " rows on the source and " + onTarget
                                + " on the target");
                    }
                }
                case UNKNOWN -> {
                    if (onSource != 0 && onSource != tx.rows.size()) {
                        violations.add("(6) " + tx + " is partly on the source: " + onSource + " rows");
                    } else if (onSource == 0) {
                        neverCommittedUnknown++;
                    } else if (onTarget == tx.rows.size()) {
                        mirroredUnknown++;
                    } else if (onTarget == 0) {
                        sourceOnlyUnknown++;
                        if (restarts.stream().noneMatch(k -> k.overlaps(tx))) {
                            violations.add("(4) " + tx + " is on the source only, but no proxy restart overlapped it");
                        }
                    }
                }
                default -> throw new IllegalStateException();
            }
            if (onTarget != 0 && onTarget != tx.rows.size()) {
                violations.add("(6) " + tx + " is partly on the target: " + onTarget + " of " + tx.rows.size()
                        + " rows" + missing(tx, target));
            }
        }
        if (sourceOnlyUnknown > 0 && outcomeUnknownEntries == 0) {
            violations.add("(7) " + sourceOnlyUnknown + " unacknowledged transactions are on the source only, yet the"
                    + " ledger has no outcome_unknown entry");
        }
        if (sourceOnlyUnknown > restarts.size() * clients) {
            violations.add("(4) " + sourceOnlyUnknown + " unacknowledged transactions are on the source only: more than"
                    + " one per client per proxy restart (" + restarts.size() + " restarts, " + clients + " clients)");
        }
        for (RowId r : source.keySet()) {
            if (!owner.containsKey(r)) {
                violations.add("the source has " + r + ", which no recorded transaction wrote (a bug of the soak)");
            }
        }
        bulkSource.keySet().forEach(k -> violations.add("the source has bulk rows of transaction " + k
                + ", which no recorded transaction wrote (a bug of the soak)"));
        bulkTarget.keySet().forEach(k -> violations.add("(2) the target has bulk rows of transaction " + k
                + ", which no recorded transaction wrote"));
        int ledgerEntries = ledgered.values().stream().mapToInt(Integer::intValue).sum();
        if (ledgeredTransactions != ledgerEntries) {
            violations.add("(5) " + (ledgerEntries - ledgeredTransactions) + " ledger entries name a transaction that"
                    + " is not a committed, rejected one: " + ledgered.keySet());
        }
        long targetRows = target.values().stream().mapToLong(copies -> copies[0]).sum();
        return String.format("rows: source %d, target %d (and bulk: %d, %d); ledger entries for rejected"
                        + " transactions: %d; unknown-fate transactions: %d, of which mirrored %d, on the source only"
                        + " %d, never committed %d; outcome_unknown ledger entries: %d", source.size(), targetRows,
                bulkRows[0], bulkRows[1], ledgerEntries, mirroredUnknown + sourceOnlyUnknown + neverCommittedUnknown,
                mirroredUnknown, sourceOnlyUnknown, neverCommittedUnknown, outcomeUnknownEntries);
    }

    private static String missing(Tx tx, Map<RowId, long[]> target) {
        List<RowId> gone = tx.rows.stream().filter(r -> !target.containsKey(r)).limit(5).toList();
        return gone.isEmpty() ? "" : "; missing e.g. " + gone;
    }

    /** Streams the soak's rows of one database, each as its id and a 64-bit hash of the rest. */
    private static void readRows(PgServer server, String db, BiConsumer<RowId, Long> sink) {
        try (Connection c = server.connect(db)) {
            c.setAutoCommit(false); // a cursor: pgjdbc fetches 10,000 rows at a time instead of all of them
            try (Statement s = c.createStatement()) {
                s.setFetchSize(10_000);
                try (ResultSet rs = s.executeQuery(ALL_ROWS)) {
                    while (rs.next()) {
                        sink.accept(new RowId(rs.getString(1), rs.getInt(2), rs.getInt(3)),
                                hash(rs.getString(4), rs.getString(5), rs.getString(6)));
                    }
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(server.role() + ": " + e.getMessage(), e);
        }
    }

    /** FNV-1a over the values' characters, NULL and the separators included. */
    private static long hash(String... values) {
        long h = 0xcbf29ce484222325L;
        for (String v : values) {
            String text = v == null ? "\0NULL" : v + "\0";
            for (int i = 0; i < text.length(); i++) {
                h = (h ^ text.charAt(i)) * 0x100000001b3L;
            }
        }
        return h;
    }

    /** A row's contents on each side, for a message. */
    private static String describe(List<String> databases, RowId id) {
        StringBuilder out = new StringBuilder();
        for (PgServer server : List.of(PG.source(), PG.target())) {
            out.append(server.role()).append(' ');
            for (String db : databases) {
                List<List<String>> rows = server.query(db, "SELECT tx, " + (id.table().equals("events") ? "op"
                        : "'keyed'") + ", payload FROM " + id.table() + " WHERE client = " + id.client()
                        + " AND seq = " + id.seq());
                if (!rows.isEmpty()) {
                    out.append(rows);
                }
            }
            out.append("; ");
        }
        return out.toString();
    }

    private String summary(long seed, Duration duration, int clients, SoakHistory history, String drain,
                           String comparison, Path log, List<String> violations) throws IOException {
        Map<String, Map<Outcome, Integer>> byKind = new TreeMap<>();
        long acknowledgedRows = 0;
        for (Tx tx : history.transactions) {
            byKind.computeIfAbsent(tx.kind, k -> new EnumMap<>(Outcome.class)).merge(tx.outcome == null
                    ? Outcome.UNKNOWN : tx.outcome, 1, Integer::sum);
            if (tx.outcome == Outcome.ACKNOWLEDGED) {
                acknowledgedRows += tx.rows.size() + tx.bulkRows;
            }
        }
        Map<String, Long> logLevels = new LinkedHashMap<>();
        List<String> errors = new ArrayList<>();
        try (Stream<String> lines = Files.lines(log, StandardCharsets.UTF_8)) {
            lines.forEach(line -> {
                Matcher m = LOG_LEVEL.matcher(line);
                String level = m.lookingAt() ? m.group(1) : line.contains("LEAK:") ? "LEAK" : null;
                if (level != null) {
                    logLevels.merge(level, 1L, Long::sum);
                    if (!level.equals("WARN") && errors.size() < 10) {
                        errors.add(line);
                    }
                }
            });
        }
        StringBuilder s = new StringBuilder();
        s.append("==== MirrorSoakIT summary\n");
        s.append(String.format("seed %d, duration %s, %d clients%n", seed, duration, clients));
        s.append("faults injected: ").append(faults).append('\n');
        s.append("transactions by kind and client-side outcome: ").append(byKind).append('\n');
        s.append("acknowledged rows: ").append(acknowledgedRows).append('\n');
        s.append(comparison).append('\n');
        s.append(String.format("max lag %.1f s, max backlog %d transactions / %d bytes; catch-up after long pauses: %s"
                + " s%n", maxLagSeconds, maxPendingTransactions, maxPendingBytes, catchUpSeconds.stream()
                .map(d -> String.format("%.1f", d)).toList()));
        s.append(drain).append('\n');
        s.append("proxy counters (summed over runs): ").append(counters).append('\n');
        s.append("proxy log lines: ").append(logLevels).append('\n');
        errors.forEach(e -> s.append("  ").append(e).append('\n'));
        s.append("unexpected client errors: ").append(history.unexpected.size()).append('\n');
        history.unexpected.stream().limit(20).forEach(e -> s.append("  ").append(e).append('\n'));
        violations.addAll(history.unexpected.stream().map(e -> "unexpected client error: " + e).toList());
        s.append("violations: ").append(violations.size()).append('\n');
        violations.stream().limit(50).forEach(v -> s.append("  ").append(v).append('\n'));
        return s.toString();
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
