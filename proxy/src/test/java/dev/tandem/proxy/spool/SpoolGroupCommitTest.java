package dev.tandem.proxy.spool;

import static dev.tandem.proxy.spool.SpoolTestSupport.readAll;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolGroupCommitTest {

    private static final int THREADS = 8;
    private static final int PER_THREAD = 150;

    @TempDir
    Path dir;

    @Test
    void concurrentAppendersAllCompleteAndEveryRecordIsReadableAfterReopen() throws Exception {
        SpoolSettings settings = new SpoolSettings(dir, 1L << 30, 16 * 1024, FsyncPolicy.ALWAYS, null, OnFull.BLOCK);
        List<SpoolPosition> positions = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try (Spool spool = Spool.open(settings)) {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<SpoolPosition>>> results = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    start.await();
                    List<CompletableFuture<SpoolPosition>> mine = new ArrayList<>();
                    for (int i = 0; i < PER_THREAD; i++) {
                        CompletableFuture<SpoolPosition> appended = spool.writer().append(payload(thread, i));
                        // Half the threads wait for each fsync like a session in sync mode; half keep appending.
                        if (thread % 2 == 0) {
                            appended.get(60, TimeUnit.SECONDS);
                        }
                        mine.add(appended);
                    }
                    List<SpoolPosition> done = new ArrayList<>();
                    for (CompletableFuture<SpoolPosition> f : mine) {
                        done.add(f.get(60, TimeUnit.SECONDS));
                    }
                    return done;
                }));
            }
            start.countDown();
            for (Future<List<SpoolPosition>> result : results) {
                positions.addAll(result.get(120, TimeUnit.SECONDS));
            }
            assertThat(spool.stats().lastSequence()).isEqualTo(THREADS * PER_THREAD);
        } finally {
            pool.shutdownNow();
        }
        assertThat(positions).doesNotHaveDuplicates().hasSize(THREADS * PER_THREAD);

        try (Spool reopened = Spool.open(settings)) {
            assertThat(reopened.tornTail()).isEmpty();
            List<SpoolRecord> records = readAll(reopened, SpoolPosition.ORIGIN);
            assertThat(records).hasSize(THREADS * PER_THREAD);
            assertThat(records).extracting(SpoolRecord::position).containsExactlyInAnyOrderElementsOf(positions);
            Map<Integer, Integer> nextPerThread = new HashMap<>();
            long sequence = 1;
            for (SpoolRecord record : records) {
                assertThat(record.sequence()).isEqualTo(sequence++);
                ByteBuffer payload = ByteBuffer.wrap(record.payload());
                int thread = payload.getInt();
                int index = payload.getInt();
                assertThat(index).as("thread %d's records keep their order", thread)
                        .isEqualTo(nextPerThread.getOrDefault(thread, 0));
                nextPerThread.put(thread, index + 1);
                assertThat(record.payload()).isEqualTo(payload(thread, index));
            }
            assertThat(nextPerThread).hasSize(THREADS).allSatisfy((thread, count) -> assertThat(count)
                    .isEqualTo(PER_THREAD));
        }
    }

    @Test
    void intervalPolicyCompletesAtOnceAndSurvivesReopen() throws Exception {
        SpoolSettings settings = new SpoolSettings(dir, 1L << 30, 16 * 1024, FsyncPolicy.INTERVAL,
                Duration.ofMillis(5), OnFull.BLOCK);
        try (Spool spool = Spool.open(settings)) {
            for (int i = 0; i < 200; i++) {
                assertThat(spool.writer().append(payload(0, i))).isDone();
            }
        }
        try (Spool reopened = Spool.open(settings)) {
            assertThat(readAll(reopened, SpoolPosition.ORIGIN)).hasSize(200);
        }
    }

    private static byte[] payload(int thread, int index) {
        ByteBuffer buffer = ByteBuffer.allocate(200);
        buffer.putInt(thread).putInt(index);
        while (buffer.hasRemaining()) {
            buffer.put((byte) (thread * 7 + index + buffer.position()));
        }
        return buffer.array();
    }
}
