package dev.tandem.protocol.sql.bench;

import dev.tandem.protocol.sql.ClassifiedStatement;
import dev.tandem.protocol.sql.StatementClassifier;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;

/**
 * Throughput of {@link StatementClassifier#classify} on one thread over pgbench's TPC-B-like statements (extended
 * protocol with {@code $n} and simple protocol with literals). Not a test: run it by hand with
 * <pre>
 * ./mvnw -B -q -pl protocol test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.tandem.protocol.sql.bench.ClassifierBenchmark
 * </pre>
 * Optional arguments: measurement seconds (default 5), warm-up seconds (default 3). Besides the wall-clock rate it
 * prints the rate per second of this thread's CPU time, which stays meaningful on a machine shared with other work.
 */
public final class ClassifierBenchmark {

    private static final String[] STATEMENTS = {
        "BEGIN;",
        "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2;",
        "SELECT abalance FROM pgbench_accounts WHERE aid = $1;",
        "UPDATE pgbench_tellers SET tbalance = tbalance + $1 WHERE tid = $2;",
        "UPDATE pgbench_branches SET bbalance = bbalance + $1 WHERE bid = $2;",
        "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP);",
        "END;",
        "BEGIN",
        "UPDATE pgbench_accounts SET abalance = abalance + -4170 WHERE aid = 77411;",
        "SELECT abalance FROM pgbench_accounts WHERE aid = 77411;",
        "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (7, 1, 77411, -4170, CURRENT_TIMESTAMP);",
        "insert into public.metrics values ($1, $2, $3)",
        "INSERT INTO \"Metrics\" (time, device, value) VALUES ('2026-01-01 00:00:00+00', 'dev-1', 42.5)",
        "COMMIT",
    };

    private ClassifierBenchmark() {
    }

    public static void main(String[] args) {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
        double warmUp = args.length > 1 ? Double.parseDouble(args[1]) : 3;
        long sink = run((long) (warmUp * 1e9));
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long cpuStart = threads.getCurrentThreadCpuTime();
        long start = System.nanoTime();
        long count = 0;
        long deadline = start + (long) (seconds * 1e9);
        long now;
        do {
            for (String sql : STATEMENTS) {
                sink += consume(StatementClassifier.classify(sql));
            }
            count += STATEMENTS.length;
            now = System.nanoTime();
        } while (now < deadline);
        double elapsed = (now - start) / 1e9;
        double cpu = (threads.getCurrentThreadCpuTime() - cpuStart) / 1e9;
        int chars = 0;
        for (String sql : STATEMENTS) {
            chars += sql.length();
        }
        System.out.printf("classified %,d statements in %.2f s on one thread (%.2f s CPU): %,.0f statements/s wall, "
                        + "%,.0f statements per CPU-second (mean length %d chars; checksum %d)%n",
                count, elapsed, cpu, count / elapsed, count / cpu, chars / STATEMENTS.length, sink);
    }

    private static long run(long nanos) {
        long sink = 0;
        long deadline = System.nanoTime() + nanos;
        while (System.nanoTime() < deadline) {
            for (String sql : STATEMENTS) {
                sink += consume(StatementClassifier.classify(sql));
            }
        }
        return sink;
    }

    /** Reads the results so the JIT cannot drop the work. */
    private static long consume(List<ClassifiedStatement> statements) {
        long h = 0;
        for (ClassifiedStatement s : statements) {
            h += s.kind().ordinal() + s.end() + s.tables().size() + s.nonDeterministic().size();
        }
        return h;
    }
}
