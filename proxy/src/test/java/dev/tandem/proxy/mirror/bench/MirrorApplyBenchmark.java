package dev.tandem.proxy.mirror.bench;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.capture.CapturedStatement;
import dev.tandem.proxy.capture.CapturedTransaction;
import dev.tandem.proxy.capture.ChunkHypertables;
import dev.tandem.proxy.capture.TransactionCodec;
import dev.tandem.proxy.config.RetryConfig;
import dev.tandem.proxy.config.TableFilter;
import dev.tandem.proxy.config.TargetConfig;
import dev.tandem.proxy.config.TlsMode;
import dev.tandem.proxy.mirror.MirrorApplier;
import dev.tandem.proxy.mirror.MirrorSettings;
import dev.tandem.proxy.relay.Transport;
import dev.tandem.proxy.spool.Spool;
import dev.tandem.proxy.spool.SpoolPosition;
import dev.tandem.proxy.spool.SpoolSettings;
import dev.tandem.testing.EmbeddedPgServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * How fast the applier drains a backlog of single-row INSERT transactions (the pgbench shape), against the same
 * rows inserted directly with pgjdbc, one autocommit prepared INSERT each, on one connection. Both on one embedded
 * target, interleaved. Not a test; run it by hand:
 *
 * <pre>
 * ./mvnw -B -q -pl proxy -am test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/tandem-cp.txt \
 *     -Dmdep.includeScope=test
 * java -cp proxy/target/classes:proxy/target/test-classes:protocol/target/test-classes:$(cat /tmp/tandem-cp.txt) \
 *     [-Dgroup=transactions per target transaction, default 2048] \
 *     dev.tandem.proxy.mirror.bench.MirrorApplyBenchmark [transactions per round, default 20000]
 * </pre>
 */
public final class MirrorApplyBenchmark {

    private static final String INSERT = "INSERT INTO bench (id, v) VALUES ($1, $2)";

    private MirrorApplyBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        try (EmbeddedPgServer target = EmbeddedPgServer.start("bench-target")) {
            target.execute("postgres", "CREATE DATABASE bench");
            target.execute("bench", "CREATE TABLE bench (id int, v text)");
            for (int round = 1; round <= 3; round++) {
                double direct = direct(target, count);
                double mirrored = mirrored(target, count, round);
                System.out.printf("round %d: %d transactions: direct %.0f tx/s, applier %.0f tx/s (%.2fx)%n", round,
                        count, direct, mirrored, mirrored / direct);
            }
        }
    }

    private static double direct(EmbeddedPgServer target, int count) throws Exception {
        target.execute("bench", "TRUNCATE bench");
        try (Connection c = target.connect("bench"); PreparedStatement insert = c.prepareStatement(
                "INSERT INTO bench (id, v) VALUES (?, ?)")) {
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                insert.setInt(1, i);
                insert.setString(2, "row " + i);
                insert.executeUpdate();
            }
            return count / ((System.nanoTime() - start) / 1e9);
        }
    }

    private static double mirrored(EmbeddedPgServer target, int count, int round) throws Exception {
        target.execute("bench", "TRUNCATE bench");
        Path dir = Files.createTempDirectory("tandem-mirror-bench-");
        try (Spool spool = Spool.open(SpoolSettings.defaults(dir).withFsync(
                dev.tandem.proxy.spool.FsyncPolicy.NEVER))) {
            SpoolPosition last = null;
            for (int i = 0; i < count; i++) {
                CapturedStatement insert = new CapturedStatement.Extended(new TableName("public", "bench"), 1, INSERT,
                        new int[] {23, 25}, new short[] {1, 0}, new byte[][] {
                            ByteBuffer.allocate(4).putInt(i).array(), ("row " + i).getBytes(StandardCharsets.UTF_8)});
                last = spool.writer().append(TransactionCodec.encode(new CapturedTransaction("bench", "app", 1,
                        List.of(), System.currentTimeMillis(), List.of(insert)))).get();
            }
            TargetConfig targetConfig = new TargetConfig(target.host(), target.port(), target.user(), "UNUSED",
                    Optional.empty(), TlsMode.DISABLE, Map.of(), Duration.ofSeconds(10), Optional.empty());
            MirrorSettings settings = new MirrorSettings("bench-" + round + "-" + System.nanoTime(), targetConfig,
                    new RetryConfig(Duration.ofMillis(100), Duration.ofSeconds(5)), false, false,
                    Integer.getInteger("group", MirrorSettings.DEFAULT_GROUP_TRANSACTIONS),
                    MirrorSettings.DEFAULT_GROUP_BYTES, Duration.ZERO, Map.of(), null,
                    TableFilter.allHypertables(), MirrorSettings.SLOW_ANSWER, Duration.ZERO,
                    Duration.ZERO, false);
            try (ChunkHypertables chunks = new ChunkHypertables(null);
                 MirrorApplier applier = new MirrorApplier(spool, settings, new SimpleMeterRegistry(),
                         Transport.choose("auto"), chunks)) {
                long start = System.nanoTime();
                applier.start();
                applier.awaitApplied(last).get(10, TimeUnit.MINUTES);
                return count / ((System.nanoTime() - start) / 1e9);
            }
        }
    }
}
