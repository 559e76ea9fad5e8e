package dev.tandem.proxy.spool;

import static dev.tandem.proxy.spool.SpoolTestSupport.payload;
import static dev.tandem.proxy.spool.SpoolTestSupport.readAll;
import static dev.tandem.proxy.spool.SpoolTestSupport.segmentFiles;
import static dev.tandem.proxy.spool.SpoolTestSupport.smallSegments;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolTest {

    @TempDir
    Path tmp;

    @Test
    void readsRecordsInAppendOrderAcrossSegments() {
        Path dir = tmp.resolve("spool");
        List<SpoolPosition> positions = new ArrayList<>();
        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.NEVER))) {
            for (int i = 0; i < 30; i++) {
                positions.add(spool.writer().append(payload(i, 150 + i)).join());
            }
            assertThat(segmentFiles(dir)).hasSizeGreaterThan(5);

            List<SpoolRecord> records = readAll(spool, SpoolPosition.ORIGIN);

            assertThat(records).hasSize(30);
            for (int i = 0; i < 30; i++) {
                SpoolRecord record = records.get(i);
                assertThat(record.sequence()).isEqualTo(i + 1);
                assertThat(record.position()).isEqualTo(positions.get(i));
                assertThat(record.payload()).isEqualTo(payload(i, 150 + i));
                assertThat(record.next()).isGreaterThan(record.position());
                if (i > 0) {
                    assertThat(record.position()).isGreaterThanOrEqualTo(records.get(i - 1).next());
                }
            }
        }
    }

    @Test
    void anEmptyRecordIsWrittenAndTheNextOneAfterIt() {
        SpoolSettings settings = smallSegments(tmp, FsyncPolicy.INTERVAL);
        try (Spool spool = Spool.open(settings)) {
            spool.writer().append(new byte[0]).join();
            spool.writer().append(payload(1)).join();

            assertThat(readAll(spool, SpoolPosition.ORIGIN)).extracting(SpoolRecord::payload)
                    .containsExactly(new byte[0], payload(1));
        }
        try (Spool spool = Spool.open(settings)) {
            assertThat(spool.tornTail()).isEmpty();
            assertThat(readAll(spool, SpoolPosition.ORIGIN)).extracting(SpoolRecord::sequence).containsExactly(1L, 2L);
        }
    }

    @Test
    void recordsLargerThanAFilePieceAreWrittenAndReadWhole() {
        SpoolSettings settings = new SpoolSettings(tmp, 1L << 30, 16L << 20, FsyncPolicy.ALWAYS, null, OnFull.BLOCK);
        int large = 3 * FileSlices.BYTES + 7;
        try (Spool spool = Spool.open(settings)) {
            spool.writer().append(payload(1, large)).join();
            spool.writer().append(payload(2)).join();
            spool.writer().append(payload(3, FileSlices.BYTES)).join();
        }
        try (Spool spool = Spool.open(settings)) {
            assertThat(spool.tornTail()).isEmpty();
            assertThat(readAll(spool, SpoolPosition.ORIGIN)).extracting(SpoolRecord::payload)
                    .containsExactly(payload(1, large), payload(2), payload(3, FileSlices.BYTES));
        }
    }

    /**
     * The JDK copies a heap buffer through a direct buffer of its size and keeps that cached in the thread: a record
     * written or read in one call left a direct buffer as large as it held by the thread for good.
     */
    @Test
    void aLargeRecordLeavesNoDirectBufferOfItsSizeInTheThreadThatWroteAndReadIt() throws Exception {
        BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(pool -> pool.getName().equals("direct")).findFirst().orElseThrow();
        int size = 32 << 20;
        SpoolSettings settings = new SpoolSettings(tmp, 1L << 30, 64L << 20, FsyncPolicy.NEVER, null, OnFull.BLOCK);
        AtomicReference<Object> held = new AtomicReference<>();
        try (Spool spool = Spool.open(settings)) {
            Thread thread = new Thread(() -> {
                long before = direct.getMemoryUsed();
                spool.writer().append(payload(1, size)).join();
                assertThat(readAll(spool, SpoolPosition.ORIGIN)).hasSize(1);
                // measured while the thread, and whatever it caches, is alive
                held.set(direct.getMemoryUsed() - before);
            }, "large-record");
            thread.setUncaughtExceptionHandler((t, e) -> held.set(e));
            thread.start();
            thread.join();
        }
        assertThat(held.get()).isInstanceOf(Long.class);
        assertThat((Long) held.get()).as("direct memory held by the thread after writing and reading %d bytes", size)
                .isLessThan(4L << 20);
    }

    @Test
    void readerStartsAtAStoredPosition() {
        try (Spool spool = Spool.open(smallSegments(tmp, FsyncPolicy.NEVER))) {
            for (int i = 0; i < 10; i++) {
                spool.writer().append(payload(i)).join();
            }
            SpoolPosition afterFourth = readAll(spool, SpoolPosition.ORIGIN).get(3).next();

            List<SpoolRecord> rest = readAll(spool, afterFourth);

            assertThat(rest).extracting(SpoolRecord::sequence).containsExactly(5L, 6L, 7L, 8L, 9L, 10L);
        }
    }

    @Test
    void reopeningContinuesTheSequenceAfterTheLastRecord() {
        SpoolSettings settings = smallSegments(tmp, FsyncPolicy.INTERVAL);
        try (Spool spool = Spool.open(settings)) {
            for (int i = 0; i < 10; i++) {
                spool.writer().append(payload(i)).join();
            }
        }
        SpoolPosition stored;
        try (Spool spool = Spool.open(settings)) {
            assertThat(spool.tornTail()).isEmpty();
            assertThat(spool.stats().lastSequence()).isEqualTo(10);
            stored = readAll(spool, SpoolPosition.ORIGIN).get(9).next();
            for (int i = 10; i < 15; i++) {
                spool.writer().append(payload(i)).join();
            }
        }
        try (Spool spool = Spool.open(settings)) {
            List<SpoolRecord> all = readAll(spool, SpoolPosition.ORIGIN);
            assertThat(all).extracting(SpoolRecord::sequence)
                    .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L, 13L, 14L, 15L);
            for (int i = 0; i < 15; i++) {
                assertThat(all.get(i).payload()).isEqualTo(payload(i));
            }
            assertThat(readAll(spool, stored)).extracting(SpoolRecord::sequence)
                    .containsExactly(11L, 12L, 13L, 14L, 15L);
        }
    }

    @Test
    void directoryAndFilesAreOwnerOnly() throws Exception {
        Path dir = tmp.resolve("a").resolve("spool");
        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.NEVER))) {
            for (int i = 0; i < 6; i++) {
                spool.writer().append(payload(i)).join();
            }
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
            try (var files = Files.list(dir)) {
                List<Path> all = files.toList();
                assertThat(all).hasSizeGreaterThanOrEqualTo(3);
                for (Path file : all) {
                    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                            .as(file.toString()).isEqualTo("rw-------");
                }
            }
        }
    }

    @Test
    void tightensAnExistingDirectoryThatOthersCouldRead() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("open"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));

        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.NEVER))) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        }
    }

    @Test
    void tightensFilesThatOthersCouldRead() throws Exception {
        Set<PosixFilePermission> open = PosixFilePermissions.fromString("rw-r--r--");
        Path dir = Files.createDirectory(tmp.resolve("restored"));
        Files.setPosixFilePermissions(Files.writeString(dir.resolve("applied.json"), "{}"), open);
        Path quarantine = Files.createDirectory(dir.resolve("quarantine"));
        Files.setPosixFilePermissions(Files.write(quarantine.resolve("7.record"), new byte[] {1}), open);
        Files.setPosixFilePermissions(quarantine, PosixFilePermissions.fromString("rwxr-xr-x"));

        try (Spool spool = Spool.open(smallSegments(dir, FsyncPolicy.NEVER))) {
            assertThat(permissions(dir.resolve("applied.json"))).isEqualTo("rw-------");
            assertThat(permissions(quarantine)).isEqualTo("rwx------");
            assertThat(permissions(quarantine.resolve("7.record"))).isEqualTo("rw-------");
        }
    }

    @Test
    void aRecordSetAsideIsOwnerOnly() throws Exception {
        try (Spool spool = Spool.open(smallSegments(tmp, FsyncPolicy.NEVER))) {
            Path file = spool.setAside("quarantine", "3.record", new byte[] {9, 1});
            assertThat(file).isEqualTo(tmp.toAbsolutePath().resolve("quarantine").resolve("3.record"));
            assertThat(Files.readAllBytes(file)).containsExactly(9, 1);
            assertThat(permissions(file.getParent())).isEqualTo("rwx------");
            assertThat(permissions(file)).isEqualTo("rw-------");
        }
    }

    private static String permissions(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    @Test
    void aSecondSpoolCannotUseTheSameDirectory() {
        try (Spool spool = Spool.open(smallSegments(tmp, FsyncPolicy.NEVER))) {
            assertThatThrownBy(() -> Spool.open(smallSegments(tmp, FsyncPolicy.NEVER)))
                    .isInstanceOf(SpoolException.class)
                    .hasMessage("spool directory " + tmp.toAbsolutePath() + " is already open in this process: each"
                            + " spool needs a mirror.spool.dir of its own");
        }
        try (Spool reopened = Spool.open(smallSegments(tmp, FsyncPolicy.NEVER))) {
            assertThat(reopened.stats().lastSequence()).isZero();
        }
    }

    @Test
    void waitingReaderWakesOnAppend() throws Exception {
        try (Spool spool = Spool.open(smallSegments(tmp, FsyncPolicy.NEVER));
             SpoolReader reader = spool.openReader(SpoolPosition.ORIGIN)) {
            AtomicReference<SpoolRecord> received = new AtomicReference<>();
            Thread consumer = new Thread(() -> {
                try {
                    received.set(reader.next(Duration.ofSeconds(60)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            consumer.start();
            awaitState(consumer, Thread.State.TIMED_WAITING);

            spool.writer().append(payload(7)).join();
            consumer.join(TimeUnit.SECONDS.toMillis(30));

            assertThat(consumer.isAlive()).isFalse();
            assertThat(received.get()).isNotNull();
            assertThat(received.get().payload()).isEqualTo(payload(7));
        }
    }

    @Test
    void availabilityFutureCompletesOnAppendUnderEveryPolicy() throws Exception {
        for (FsyncPolicy policy : FsyncPolicy.values()) {
            try (Spool spool = Spool.open(smallSegments(tmp.resolve(policy.name()), policy));
                 SpoolReader reader = spool.openReader(SpoolPosition.ORIGIN)) {
                CompletableFuture<Void> available = reader.whenAvailable();
                assertThat(available).as(policy.name()).isNotDone();
                assertThat(reader.poll()).isNull();

                spool.writer().append(payload(1)).get(30, TimeUnit.SECONDS);
                available.get(30, TimeUnit.SECONDS);

                assertThat(reader.poll().payload()).as(policy.name()).isEqualTo(payload(1));
                assertThat(reader.poll()).isNull();
            }
        }
    }

    @Test
    void readerReturnsNullWhenNothingArrivesInTime() throws Exception {
        try (Spool spool = Spool.open(smallSegments(tmp, FsyncPolicy.NEVER));
             SpoolReader reader = spool.openReader(SpoolPosition.ORIGIN)) {
            assertThat(reader.next(Duration.ofMillis(1))).isNull();
        }
    }

    @Test
    void appendsFailAfterClose() {
        Spool spool = Spool.open(smallSegments(tmp, FsyncPolicy.ALWAYS));
        spool.writer().append(payload(1)).join();
        spool.close();

        assertThat(spool.writer().append(payload(2))).isCompletedExceptionally();
        assertThatThrownBy(() -> spool.writer().append(payload(2)).join()).hasMessageContaining("spool is closed");
    }

    static void awaitState(Thread thread, Thread.State state) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (thread.getState() != state) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(thread.getName() + " never reached " + state + "; it is " + thread.getState());
            }
            Thread.onSpinWait();
        }
    }
}
