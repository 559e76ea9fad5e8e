package dev.tandem.proxy.spool.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

import dev.tandem.proxy.spool.FsyncPolicy;
import dev.tandem.proxy.spool.Spool;
import dev.tandem.proxy.spool.SpoolSettings;

/**
 * Append throughput of the spool: 8 threads append 200-byte records for a few seconds per fsync policy, each thread
 * waiting for its append to complete as a session would. Not a test; run it by hand:
 *
 * <pre>
 * ./mvnw -B -q -pl proxy -am test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/tandem-cp.txt \
 *     -Dmdep.includeScope=test
 * java -cp proxy/target/classes:proxy/target/test-classes:$(cat /tmp/tandem-cp.txt) \
 *     dev.tandem.proxy.spool.bench.SpoolBenchmark [seconds per policy, default 3] [directory, default a temp dir]
 * </pre>
 */
public final class SpoolBenchmark {

    private static final int THREADS = 8;
    private static final int PAYLOAD_BYTES = 200;

    private SpoolBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
        Path base = args.length > 1 ? Path.of(args[1]) : Files.createTempDirectory("tandem-spool-bench");
        System.out.printf(Locale.ROOT, "spool append benchmark: %d threads, %d-byte records, %.1f s per policy, in %s%n",
                THREADS, PAYLOAD_BYTES, seconds, base);
        run(base.resolve("warmup"), FsyncPolicy.NEVER, 1);
        double always = 0;
        for (FsyncPolicy policy : FsyncPolicy.values()) {
            Result result = run(base.resolve(policy.name().toLowerCase(Locale.ROOT)), policy, seconds);
            if (policy == FsyncPolicy.ALWAYS) {
                always = result.recordsPerSecond();
            }
            System.out.printf(Locale.ROOT, "fsync %-8s %,12.0f records/s %8.1f MB/s payload %8.1f MB/s on disk"
                    + " %12s records/fsync%n", policy.name().toLowerCase(Locale.ROOT), result.recordsPerSecond(),
                    result.recordsPerSecond() * PAYLOAD_BYTES / 1e6,
                    result.recordsPerSecond() * (PAYLOAD_BYTES + 28) / 1e6,
                    result.recordsPerFsync() == 0 ? "-" : String.format(Locale.ROOT, "%.1f", result.recordsPerFsync()));
        }
        double raw = fsyncPerRecord(base.resolve("raw"), seconds);
        System.out.printf(Locale.ROOT, "baseline: one thread, write + fsync per record on a plain file: %,.0f records/s"
                + " (group commit with %d threads: %.1fx)%n", raw, THREADS, always / raw);
        deleteRecursively(base);
    }

    /** What fsync always would cost without group commit: one fdatasync per record. */
    private static double fsyncPerRecord(Path dir, double seconds) throws IOException {
        Files.createDirectories(dir);
        long count = 0;
        long begin = System.nanoTime();
        long deadline = begin + (long) (seconds * 1e9);
        try (FileChannel channel = FileChannel.open(dir.resolve("raw"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ByteBuffer record = ByteBuffer.allocate(PAYLOAD_BYTES + 28);
            while (System.nanoTime() < deadline) {
                record.clear();
                channel.write(record);
                channel.force(false);
                count++;
            }
        }
        return count / ((System.nanoTime() - begin) / 1e9);
    }

    private record Result(double recordsPerSecond, double recordsPerFsync) {
    }

    private static Result run(Path dir, FsyncPolicy policy, double seconds) throws Exception {
        SpoolSettings settings = SpoolSettings.defaults(dir).withFsync(policy);
        LongAdder appended = new LongAdder();
        long elapsed;
        long fsyncs;
        try (Spool spool = Spool.open(settings)) {
            CountDownLatch start = new CountDownLatch(1);
            long deadline = System.nanoTime() + (long) (seconds * 1e9);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                byte[] payload = new byte[PAYLOAD_BYTES];
                payload[0] = (byte) t;
                Thread thread = new Thread(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    while (System.nanoTime() < deadline) {
                        spool.writer().append(payload).join();
                        appended.increment();
                    }
                }, "bench-appender-" + t);
                thread.start();
                threads.add(thread);
            }
            long begin = System.nanoTime();
            start.countDown();
            for (Thread thread : threads) {
                thread.join(TimeUnit.SECONDS.toMillis(600));
            }
            elapsed = System.nanoTime() - begin;
            fsyncs = spool.stats().fsyncs();
        }
        deleteRecursively(dir);
        return new Result(appended.sum() / (elapsed / 1e9), fsyncs == 0 ? 0 : (double) appended.sum() / fsyncs);
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
