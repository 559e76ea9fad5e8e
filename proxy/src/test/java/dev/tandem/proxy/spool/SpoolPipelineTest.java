package dev.tandem.proxy.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The way the proxy uses the spool: sessions append, a mirror worker reads, applies and acknowledges. The cap holds
 * only a few segments, so appends block and resume many times; every record must arrive exactly once, in order.
 */
class SpoolPipelineTest {

    private static final int PRODUCERS = 4;
    private static final int PER_PRODUCER = 250;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(FsyncPolicy.class)
    void everyRecordIsReadOnceInOrderWhileAppendsBlockOnTheCap(FsyncPolicy fsync) throws Exception {
        SpoolSettings settings = new SpoolSettings(dir, 4 * 1024, 1024, fsync, Duration.ofMillis(10), OnFull.BLOCK);
        ExecutorService threads = Executors.newFixedThreadPool(PRODUCERS + 1);
        try (Spool spool = Spool.open(settings)) {
            Future<List<SpoolRecord>> consumer = threads.submit(() -> {
                List<SpoolRecord> applied = new ArrayList<>();
                try (SpoolReader reader = spool.openReader(SpoolPosition.ORIGIN)) {
                    while (applied.size() < PRODUCERS * PER_PRODUCER) {
                        SpoolRecord record = reader.next(Duration.ofSeconds(20));
                        if (record == null) {
                            throw new AssertionError("no record within 20 s after " + applied.size() + " at "
                                    + reader.position() + "; " + spool.stats() + "; segments "
                                    + SpoolTestSupport.segmentFiles(dir).stream()
                                            .map(f -> f.getFileName() + "=" + SpoolTestSupport.size(f)).toList());
                        }
                        if (record.sequence() != applied.size() + 1) {
                            throw new AssertionError("got " + record.sequence() + " at " + record.position()
                                    + " after " + (applied.isEmpty() ? "nothing" : applied.get(applied.size() - 1)
                                    .position() + " -> " + applied.get(applied.size() - 1).next()));
                        }
                        applied.add(record);
                        spool.acknowledge(record.next());
                    }
                }
                return applied;
            });
            List<Future<?>> producers = new ArrayList<>();
            for (int p = 0; p < PRODUCERS; p++) {
                int producer = p;
                producers.add(threads.submit(() -> {
                    CompletableFuture<SpoolPosition> last = null;
                    for (int i = 0; i < PER_PRODUCER; i++) {
                        last = spool.writer().append(payload(producer, i));
                        if (i % 10 == 9) {
                            last.get(60, TimeUnit.SECONDS);
                        }
                    }
                    return last.get(60, TimeUnit.SECONDS);
                }));
            }
            List<SpoolRecord> applied = consumer.get(120, TimeUnit.SECONDS);
            for (Future<?> producer : producers) {
                producer.get(120, TimeUnit.SECONDS);
            }

            Map<Integer, Integer> next = new HashMap<>();
            for (int k = 0; k < applied.size(); k++) {
                SpoolRecord record = applied.get(k);
                assertThat(record.sequence()).isEqualTo(k + 1);
                ByteBuffer payload = ByteBuffer.wrap(record.payload());
                int producer = payload.getInt();
                int index = payload.getInt();
                assertThat(index).isEqualTo(next.getOrDefault(producer, 0));
                next.put(producer, index + 1);
            }
            SpoolStats stats = spool.stats();
            assertThat(stats.pendingRecords()).isZero();
            assertThat(stats.bytesOnDisk()).isLessThanOrEqualTo(settings.maxBytes());
            assertThat(stats.segments()).isLessThanOrEqualTo(2);
            assertThat(stats.shedRecords()).isZero();
        } finally {
            threads.shutdownNow();
        }
    }

    private static byte[] payload(int producer, int index) {
        ByteBuffer buffer = ByteBuffer.allocate(60 + index % 150);
        buffer.putInt(producer).putInt(index);
        return buffer.array();
    }
}
