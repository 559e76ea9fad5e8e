package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.PgServer;
import dev.tandem.testing.PostgresPair;
import io.micrometer.core.instrument.Counter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sessions writing the same few keys at the same time through a mirroring proxy, and the judgement of what the target
 * ended with: every row that differs from the source must be told by a counter or the ledger, never silent.
 *
 * <p>The tables, each keyed by {@code k}; the upserts write 4 keys over and over:
 * <ul>
 *   <li>{@code last}: {@code ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v} (and with a {@code WHERE}): the value of
 *       the last commit wins, so the order of commits matters: a reordering must be counted in
 *       {@code tandem_mirror_commit_order_uncertain_total};</li>
 *   <li>{@code split}: the same upserts into a partitioned table, through its root or straight into the partition of
 *       the key;</li>
 *   <li>{@code total}: {@code DO UPDATE SET n = total.n + EXCLUDED.n}: any order gives the same sums, so it must
 *       always be identical;</li>
 *   <li>{@code first}: {@code DO NOTHING}: the first commit wins; a reordering shows in
 *       {@code tandem_mirror_row_count_mismatches_total};</li>
 *   <li>{@code plain}: plain INSERTs, all but one of those racing for a key fail on the source (23505): never
 *       different;</li>
 *   <li>{@code mixed}: plain INSERTs and upserts, each alone in its transaction: a plain one the target rejects
 *       (an upsert of its key came first there) is ledgered.</li>
 * </ul>
 * {@code first}, {@code plain} and {@code mixed} race only for a key's first row: they get a new key every few writes.
 * A row trigger on both servers writes every value {@code last} and {@code split} take into {@code history}, in the
 * order they took them: PostgreSQL's row locks make that the commit order of the writers of one key, so comparing the
 * two histories counts the pairs the target applied in the other order, whatever the final values.
 *
 * <p>Explicit transactions that upsert ({@code x}, and batches in one, {@code y}) send their COMMIT once their upserts
 * were answered: the proxy's {@code CommitSequencer} spools them in the order it forwarded their COMMITs, the source's
 * order for two of them that wrote one key, so no pair of them may be reordered. The other shapes commit with their
 * upserts, and their reorderings are counted.
 *
 * <p>Each client mixes autocommit statements (extended and simple protocol), explicit transactions of one to three
 * writes with savepoints rolled back or released and reads in between, pipelined batches, multi-statement query
 * strings and SQL-level {@code EXECUTE} of a {@code PREPARE}d upsert; one transaction in ten rolls back. Transactions
 * of several keys deadlock now and then (the source's {@code deadlock_timeout} is 20 ms): the source rolls them back.
 */
final class ContendedKeys {

    static final List<String> TABLES = List.of("last", "split", "total", "first", "plain", "mixed");
    static final String SCHEMA = """
            CREATE TABLE last (k int PRIMARY KEY, v text NOT NULL);
            CREATE TABLE split (k int PRIMARY KEY, v text NOT NULL) PARTITION BY RANGE (k);
            CREATE TABLE split_low PARTITION OF split FOR VALUES FROM (0) TO (2);
            CREATE TABLE split_high PARTITION OF split FOR VALUES FROM (2) TO (4);
            CREATE TABLE total (k int PRIMARY KEY, n bigint NOT NULL);
            CREATE TABLE first (k int PRIMARY KEY, v text NOT NULL);
            CREATE TABLE plain (k int PRIMARY KEY, v text NOT NULL);
            CREATE TABLE mixed (k int PRIMARY KEY, v text NOT NULL);
            CREATE TABLE history (seq bigserial PRIMARY KEY, tab text NOT NULL, k int NOT NULL, v text NOT NULL);
            CREATE FUNCTION remember() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO history (tab, k, v) VALUES (TG_TABLE_NAME, NEW.k, NEW.v);
                RETURN NULL;
            END $$;
            CREATE TRIGGER remember AFTER INSERT OR UPDATE ON last FOR EACH ROW EXECUTE FUNCTION remember();
            CREATE TRIGGER remember AFTER INSERT OR UPDATE ON split_low FOR EACH ROW EXECUTE FUNCTION remember();
            CREATE TRIGGER remember AFTER INSERT OR UPDATE ON split_high FOR EACH ROW EXECUTE FUNCTION remember();
            """;
    /** The proxy's flags that mirror the tables above. */
    static final String[] MIRRORED = {"--mirror-table", "public.last", "--mirror-table", "public.split",
            "--mirror-table", "public.total", "--mirror-table", "public.first", "--mirror-table", "public.plain",
            "--mirror-table", "public.mixed"};

    private static final int KEYS = 4;
    /** How many writes of {@code first} and {@code plain} race for each new key. */
    private static final int RACERS = 4;
    /** What the source may refuse a client for here: the races and deadlocks the load is made of. */
    static final List<String> EXPECTED_ERRORS = List.of("23505", "40P01", "25P02");

    /** One write of a transaction. */
    private enum Write {
        LAST("INSERT INTO last (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v", 30),
        LAST_WHERE("INSERT INTO last AS t (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v"
                + " WHERE t.v IS DISTINCT FROM EXCLUDED.v", 5),
        LAST_EXECUTE("EXECUTE up_last(?, ?)", 5),
        SPLIT_ROOT("INSERT INTO split (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v", 8),
        SPLIT_PARTITION("INSERT INTO %s (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v", 7),
        TOTAL("INSERT INTO total (k, n) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET n = total.n + EXCLUDED.n", 15),
        FIRST("INSERT INTO first (k, v) VALUES (?, ?) ON CONFLICT (k) DO NOTHING", 15),
        PLAIN("INSERT INTO plain (k, v) VALUES (?, ?)", 15),
        /** Only alone in its transaction: see {@link #mixed}. */
        MIXED_PLAIN("INSERT INTO mixed (k, v) VALUES (?, ?)", 0),
        MIXED_UPSERT("INSERT INTO mixed (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v", 0);

        final String sql;
        final int weight;

        Write(String sql, int weight) {
            this.sql = sql;
            this.weight = weight;
        }

        static Write pick(Random random) {
            int total = 0;
            for (Write w : values()) {
                total += w.weight;
            }
            int n = random.nextInt(total);
            for (Write w : values()) {
                n -= w.weight;
                if (n < 0) {
                    return w;
                }
            }
            throw new AssertionError();
        }

        /** The statement for key {@code k}: a partition's name depends on it. */
        String sqlFor(int k) {
            return this == SPLIT_PARTITION ? String.format(sql, k < 2 ? "split_low" : "split_high") : sql;
        }

        boolean mayFail() {
            return this == PLAIN;
        }
    }

    /** How a client sends its transactions. */
    record Load(int clients, int transactionsPerClient, Duration duration, long seed) {
    }

    /** What the load did and what the mirror made of it, per table. */
    /**
     * @param reordered the pairs of writes of one key the target applied in the other order, how many transactions
     *                  had a write in such a pair, and more
     */
    record TableReport(String table, double applied, int differingRows, Reordered reordered, double uncertain,
                       double mismatches, double ledgered) {
        @Override
        public String toString() {
            return String.format("%-6s transactions applied %6.0f, differing rows %3d, reordered pairs %4d (of %4d"
                    + " transactions, %4d applied first; %3d pairs of explicit transactions), order-uncertain %5.0f,"
                    + " row-count mismatches %4.0f, ledgered %3.0f", table, applied, differingRows, reordered.pairs(),
                    reordered.transactions(), reordered.appliedFirst(), reordered.explicitPairs(), uncertain,
                    mismatches, ledgered);
        }
    }

    /**
     * @param appliedFirst  of {@code transactions}, how many the target applied first in such a pair (spooled first):
     *                      each must count as order uncertain
     * @param explicitPairs of {@code pairs}, those of two explicit transactions, which the sequencer spools in order
     */
    record Reordered(long pairs, int transactions, int appliedFirst, long explicitPairs) {
    }

    record Report(long committed, long rolledBack, Map<String, Long> errors, List<TableReport> tables) {
        TableReport table(String name) {
            return tables.stream().filter(t -> t.table().equals(name)).findFirst().orElseThrow();
        }

        @Override
        public String toString() {
            StringBuilder out = new StringBuilder(String.format("%d transactions committed, %d rolled back, source"
                    + " errors %s%n", committed, rolledBack, new TreeMap<>(errors)));
            tables.forEach(t -> out.append("  ").append(t).append('\n'));
            return out.toString();
        }
    }

    private final PostgresPair pair;
    private final RunningMirrorProxy proxy;
    private final AtomicLong committed = new AtomicLong();
    private final AtomicLong rolledBack = new AtomicLong();
    private final AtomicInteger firstKeys = new AtomicInteger();
    private final AtomicInteger plainKeys = new AtomicInteger();
    private final AtomicInteger mixedKeys = new AtomicInteger();
    private final Map<String, AtomicLong> errors = new ConcurrentHashMap<>();

    private ContendedKeys(PostgresPair pair, RunningMirrorProxy proxy) {
        this.pair = pair;
        this.proxy = proxy;
    }

    /** A fresh database with the tables on both servers. */
    static String database(PostgresPair pair, String prefix) {
        String db = pair.freshDatabase(prefix);
        pair.executeOnBoth(db, SCHEMA);
        // deadlocks between transactions of several keys are part of the load: found quickly
        pair.source().execute(db, "ALTER DATABASE " + db + " SET deadlock_timeout = '20ms'");
        return db;
    }

    /** Runs {@code load} through {@code proxy}, waits for the mirror, and compares. */
    static Report run(PostgresPair pair, RunningMirrorProxy proxy, Load load) throws Exception {
        ContendedKeys keys = new ContendedKeys(pair, proxy);
        keys.drive(load, keys::client);
        proxy.awaitCaughtUp(Duration.ofSeconds(120));
        return keys.report();
    }

    /**
     * Runs {@code load} as explicit transactions of one upsert each, all of key 0 of {@code last}: nearly each waits
     * for the lock of the one before, the source's order is the lock's, and the sequencer's must be the same.
     */
    static Report runOneKey(PostgresPair pair, RunningMirrorProxy proxy, Load load) throws Exception {
        ContendedKeys keys = new ContendedKeys(pair, proxy);
        keys.drive(load, keys::oneKeyClient);
        proxy.awaitCaughtUp(Duration.ofSeconds(120));
        return keys.report();
    }

    private interface Client {
        void run(int client, Random random, int transactions, long until) throws SQLException;
    }

    private void drive(Load load, Client body) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(load.clients());
        long until = load.duration() == null ? Long.MAX_VALUE : System.nanoTime() + load.duration().toNanos();
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < load.clients(); c++) {
                int client = c;
                done.add(pool.submit(() -> {
                    body.run(client, new Random(load.seed() * 31 + client), load.transactionsPerClient(), until);
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private void client(int client, Random random, int transactions, long until) throws SQLException {
        // half the clients send everything with the simple protocol, the others with the extended one
        String mode = client % 2 == 0 ? "extended" : "simple";
        try (Connection c = proxy.connect("preferQueryMode", mode); Statement s = c.createStatement()) {
            s.execute("PREPARE up_last (int, text) AS INSERT INTO last (k, v) VALUES ($1, $2)"
                    + " ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v");
            for (int t = 0; t < transactions && System.nanoTime() < until; t++) {
                int shape = random.nextInt(11);
                // the value says who wrote it, and how: autocommit, explicit transaction, batch, query string, mixed
                boolean explicitBatch = shape == 8 && random.nextBoolean();
                String tag = "c" + client + "-" + t + (shape < 4 ? "a" : shape < 8 ? "x" : shape < 9
                        ? (explicitBatch ? "y" : "b") : shape < 10 ? "q" : "m");
                try {
                    if (shape < 4) {
                        autocommit(c, random, tag);
                    } else if (shape < 8) {
                        explicit(c, random, tag);
                    } else if (shape < 9) {
                        batch(c, random, tag, explicitBatch);
                    } else if (shape < 10) {
                        queryString(c, random, tag);
                    } else {
                        mixed(c, random, tag);
                    }
                } catch (SQLException e) {
                    errors.computeIfAbsent(e.getSQLState(), k -> new AtomicLong()).incrementAndGet();
                    if (!c.getAutoCommit()) {
                        c.rollback();
                    }
                    rolledBack.incrementAndGet();
                } finally {
                    c.setAutoCommit(true);
                }
            }
        }
    }

    private void oneKeyClient(int client, Random random, int transactions, long until) throws SQLException {
        String mode = client % 2 == 0 ? "extended" : "simple";
        try (Connection c = proxy.connect("preferQueryMode", mode);
             PreparedStatement ps = c.prepareStatement(Write.LAST.sql)) {
            c.setAutoCommit(false);
            for (int t = 0; t < transactions && System.nanoTime() < until; t++) {
                bind(ps, Write.LAST, 0, random, "c" + client + "-" + t + "x-0");
                ps.executeUpdate();
                c.commit();
                committed.incrementAndGet();
            }
        }
    }

    private void autocommit(Connection c, Random random, String tag) throws SQLException {
        write(c, Write.pick(random), random, tag + "-0");
        committed.incrementAndGet();
    }

    /**
     * A plain INSERT or an upsert of a new key that others race for: when the plain one committed first on the source
     * and the target applies an upsert first, the target rejects the plain one and it is ledgered. Alone in its
     * transaction, so that a rejection takes no other table's rows with it.
     */
    private void mixed(Connection c, Random random, String tag) throws SQLException {
        write(c, random.nextBoolean() ? Write.MIXED_PLAIN : Write.MIXED_UPSERT, random, tag + "-0");
        committed.incrementAndGet();
    }

    private void explicit(Connection c, Random random, String tag) throws SQLException {
        c.setAutoCommit(false);
        int writes = 1 + random.nextInt(3);
        for (int i = 0; i < writes; i++) {
            Write w = Write.pick(random);
            if (w.mayFail() || random.nextInt(4) == 0) {
                // under a savepoint: a write that fails, or is rolled back on purpose, leaves the rest
                Savepoint sp = c.setSavepoint();
                try {
                    write(c, w, random, tag + "-" + i);
                    if (random.nextInt(3) == 0) {
                        c.rollback(sp);
                    } else {
                        c.releaseSavepoint(sp);
                    }
                } catch (SQLException e) {
                    if (!"23505".equals(e.getSQLState())) {
                        throw e;
                    }
                    errors.computeIfAbsent(e.getSQLState(), k -> new AtomicLong()).incrementAndGet();
                    c.rollback(sp);
                }
            } else {
                write(c, w, random, tag + "-" + i);
            }
            if (random.nextInt(4) == 0) {
                try (Statement s = c.createStatement()) {
                    s.execute("SELECT count(*) FROM history");
                }
            }
        }
        if (random.nextInt(10) == 0) {
            c.rollback();
            rolledBack.incrementAndGet();
        } else {
            c.commit();
            committed.incrementAndGet();
        }
    }

    /** A pipelined batch of one statement for several keys: one implicit transaction, or inside an explicit one. */
    private void batch(Connection c, Random random, String tag, boolean explicit) throws SQLException {
        Write w = random.nextBoolean() ? Write.LAST : Write.TOTAL;
        c.setAutoCommit(!explicit);
        try (PreparedStatement ps = c.prepareStatement(w.sql)) {
            int rows = 2 + random.nextInt(2);
            int first = random.nextInt(KEYS);
            for (int i = 0; i < rows; i++) {
                bind(ps, w, (first + i) % KEYS, random, tag + "-" + i);
                ps.addBatch();
            }
            ps.executeBatch();
        }
        if (explicit) {
            c.commit();
        }
        committed.incrementAndGet();
    }

    /** Two writes in one query string, as literals: one implicit transaction. */
    private void queryString(Connection c, Random random, String tag) throws SQLException {
        Write a = Write.pick(random);
        Write b = Write.pick(random);
        try (Statement s = c.createStatement()) {
            s.execute(literal(a, random, tag + "-0") + "; " + literal(b, random, tag + "-1"));
        }
        committed.incrementAndGet();
    }

    private void write(Connection c, Write w, Random random, String tag) throws SQLException {
        if (w == Write.LAST_EXECUTE) {
            try (Statement s = c.createStatement()) {
                s.execute(literal(w, random, tag));
            }
            return;
        }
        int k = key(w, random);
        try (PreparedStatement ps = c.prepareStatement(w.sqlFor(k))) {
            bind(ps, w, k, random, tag);
            ps.executeUpdate();
        }
    }

    /**
     * The key a write goes to: one of the 4 for upserts; for DO NOTHING and plain INSERTs, whose race is only for the
     * first row of a key, a new key every {@value #RACERS} writes.
     */
    private int key(Write w, Random random) {
        return switch (w) {
            case FIRST -> firstKeys.getAndIncrement() / RACERS;
            case PLAIN -> plainKeys.getAndIncrement() / RACERS;
            case MIXED_PLAIN, MIXED_UPSERT -> mixedKeys.getAndIncrement() / RACERS;
            default -> random.nextInt(KEYS);
        };
    }

    private static void bind(PreparedStatement ps, Write w, int k, Random random, String tag) throws SQLException {
        ps.setInt(1, k);
        if (w == Write.TOTAL) {
            ps.setLong(2, 1 + random.nextInt(100));
        } else {
            ps.setString(2, tag);
        }
    }

    private String literal(Write w, Random random, String tag) {
        int k = key(w, random);
        String value = w == Write.TOTAL ? Integer.toString(1 + random.nextInt(100)) : "'" + tag + "'";
        String sql = w.sqlFor(k);
        return sql.substring(0, sql.indexOf('?')) + k + ", " + value + sql.substring(sql.indexOf('?') + 4);
    }

    private Report report() {
        List<TableReport> tables = new ArrayList<>();
        for (String table : TABLES) {
            String name = "public." + table;
            tables.add(new TableReport(table, count("tandem.mirror.transactions", name, "applied"),
                    differingRows(table), reordered(table),
                    count("tandem.mirror.commit.order.uncertain", name, null),
                    count("tandem.mirror.row.count.mismatches", name, null), count("tandem.ledger.entries", name, null)));
        }
        Map<String, Long> errorCounts = new HashMap<>();
        errors.forEach((state, n) -> errorCounts.put(state, n.get()));
        return new Report(committed.get(), rolledBack.get(), errorCounts, tables);
    }

    /**
     * A counter of {@code table} (with {@code outcome}, unless null), summed over its partitions: a write that names
     * one is counted under its name.
     */
    private double count(String meter, String table, String outcome) {
        List<String> names = table.equals("public.split")
                ? List.of(table, "public.split_low", "public.split_high") : List.of(table);
        double sum = 0;
        for (String name : names) {
            var search = proxy.app.registry().find(meter).tag("table", name);
            sum += (outcome == null ? search : search.tag("outcome", outcome)).counters().stream()
                    .mapToDouble(Counter::count).sum();
        }
        return sum;
    }

    /** Keys whose row is not the same on both sides. */
    private int differingRows(String table) {
        Map<String, List<String>> source = byKey(pair.source(), table);
        Map<String, List<String>> target = byKey(pair.target(), table);
        int differing = 0;
        for (Map.Entry<String, List<String>> row : source.entrySet()) {
            if (!row.getValue().equals(target.get(row.getKey()))) {
                differing++;
            }
        }
        for (String k : target.keySet()) {
            if (!source.containsKey(k)) {
                differing++;
            }
        }
        return differing;
    }

    private Map<String, List<String>> byKey(PgServer server, String table) {
        Map<String, List<String>> rows = new HashMap<>();
        for (List<String> row : server.query(proxy.database, "SELECT * FROM " + table)) {
            rows.put(row.get(0), row);
        }
        return rows;
    }

    /**
     * The pairs of values of one key that the target took in the other order than the source, for the tables with a
     * history (else none).
     */
    private Reordered reordered(String table) {
        if (!table.equals("last") && !table.equals("split")) {
            return new Reordered(0, 0, 0, 0);
        }
        String history = "SELECT k, v FROM history WHERE tab LIKE '" + table + "%' ORDER BY seq";
        Map<String, List<String>> source = histories(pair.source(), history);
        Map<String, List<String>> target = histories(pair.target(), history);
        long pairs = 0;
        long explicitPairs = 0;
        Set<String> transactions = new HashSet<>();
        Set<String> appliedFirst = new HashSet<>();
        for (Map.Entry<String, List<String>> key : source.entrySet()) {
            List<String> applied = target.getOrDefault(key.getKey(), List.of());
            Map<String, Integer> position = new HashMap<>();
            for (int i = 0; i < applied.size(); i++) {
                position.put(applied.get(i), i);
            }
            List<String> written = key.getValue();
            for (int i = 0; i < written.size(); i++) {
                for (int j = i + 1; j < written.size(); j++) {
                    Integer a = position.get(written.get(i));
                    Integer b = position.get(written.get(j));
                    if (a != null && b != null && a > b) {
                        pairs++;
                        // a value is "c<client>-<transaction><shape>-<write>"
                        String earlier = written.get(i).substring(0, written.get(i).lastIndexOf('-'));
                        String later = written.get(j).substring(0, written.get(j).lastIndexOf('-'));
                        transactions.add(earlier);
                        transactions.add(later);
                        appliedFirst.add(later);
                        if (explicit(earlier) && explicit(later)) {
                            explicitPairs++;
                        }
                    }
                }
            }
        }
        return new Reordered(pairs, transactions.size(), appliedFirst.size(), explicitPairs);
    }

    /** Whether the transaction, "c<client>-<transaction><shape>", upserted in an explicit transaction. */
    private static boolean explicit(String transaction) {
        char shape = transaction.charAt(transaction.length() - 1);
        return shape == 'x' || shape == 'y';
    }

    private Map<String, List<String>> histories(PgServer server, String sql) {
        Map<String, List<String>> out = new HashMap<>();
        for (List<String> row : server.query(proxy.database, sql)) {
            out.computeIfAbsent(row.get(0), k -> new ArrayList<>()).add(row.get(1));
        }
        return out;
    }

    /**
     * The promise: a difference is counted or ledgered, never silent. The order-independent and the plain tables are
     * identical; a table where the target took two upserts of a key in the other order has its commit order counted
     * as uncertain; one where DO NOTHING kept another row has its row counts differ.
     */
    static void assertNothingSilent(Report report) {
        assertThat(report.errors().keySet()).as("the source refused only races and deadlocks: %s", report)
                .isSubsetOf(EXPECTED_ERRORS);
        assertThat(report.table("total").differingRows()).as("order-independent upserts: %s", report).isZero();
        assertThat(report.table("plain").differingRows()).as("plain INSERTs: %s", report).isZero();
        for (String table : List.of("last", "split", "mixed")) {
            TableReport t = report.table(table);
            if (t.reordered().pairs() > 0 || t.differingRows() > 0) {
                assertThat(t.uncertain() + t.ledgered()).as("%s: reordered upserts are counted: %s", table, report)
                        .isPositive();
            }
            // the one of a reordered pair spooled first had the other's commit in flight: it is counted
            assertThat(t.uncertain()).as("%s: each transaction spooled before one the source committed first is"
                    + " counted: %s", table, report).isGreaterThanOrEqualTo(t.reordered().appliedFirst());
            assertThat(t.reordered().explicitPairs()).as("%s: explicit transactions are applied in the source's"
                    + " order: %s", table, report).isZero();
        }
        // each of its statements writes one key: a key with another row has a statement whose row counts differ
        TableReport first = report.table("first");
        assertThat(first.mismatches()).as("DO NOTHING reordered shows in row counts: %s", report)
                .isGreaterThanOrEqualTo(first.differingRows());
    }
}
