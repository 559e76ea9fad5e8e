package dev.tandem.proxy.spool;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/** Small helpers for spool tests working on real files. */
final class SpoolTestSupport {

    /** 4 records of {@link #RECORD_PAYLOAD} bytes fill a segment of this size (32 + 4 * 228 = 944). */
    static final long SMALL_SEGMENT = 1024;
    static final int RECORD_PAYLOAD = 200;
    static final int RECORD_BYTES = RecordFormat.RECORD_HEADER_BYTES + RECORD_PAYLOAD;

    private SpoolTestSupport() {
    }

    static SpoolSettings smallSegments(Path dir, FsyncPolicy fsync) {
        return new SpoolSettings(dir, 1L << 20, SMALL_SEGMENT, fsync, Duration.ofSeconds(1), OnFull.BLOCK);
    }

    /** {@code size} bytes that start with "record-{i}|" and are filled with a pattern depending on {@code i}. */
    static byte[] payload(int i, int size) {
        byte[] label = ("record-" + i + "|").getBytes(StandardCharsets.US_ASCII);
        byte[] bytes = new byte[size];
        for (int k = 0; k < size; k++) {
            bytes[k] = k < label.length ? label[k] : (byte) (i * 31 + k);
        }
        return bytes;
    }

    static byte[] payload(int i) {
        return payload(i, RECORD_PAYLOAD);
    }

    static List<Path> segmentFiles(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".seg")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path newestSegment(Path dir) {
        List<Path> files = segmentFiles(dir);
        return files.get(files.size() - 1);
    }

    /** Segment files that hold at least one record (the writer may have started an empty one). */
    static List<Path> segmentsWithRecords(Path dir) {
        List<Path> result = new ArrayList<>();
        for (Path file : segmentFiles(dir)) {
            if (size(file) > RecordFormat.SEGMENT_HEADER_BYTES) {
                result.add(file);
            }
        }
        return result;
    }

    static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void truncate(Path file, long size) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(size);
        }
    }

    static void flipByte(Path file, long offset) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, offset);
            one.flip();
            byte flipped = (byte) (one.get(0) ^ 0x5a);
            channel.write(ByteBuffer.wrap(new byte[] {flipped}), offset);
        }
    }

    static List<SpoolRecord> readAll(Spool spool, SpoolPosition from) {
        List<SpoolRecord> records = new ArrayList<>();
        try (SpoolReader reader = spool.openReader(from)) {
            for (SpoolRecord r = reader.poll(); r != null; r = reader.poll()) {
                records.add(r);
            }
        }
        return records;
    }

    static boolean samePayload(SpoolRecord record, byte[] expected) {
        return Arrays.equals(record.payload(), expected);
    }
}
