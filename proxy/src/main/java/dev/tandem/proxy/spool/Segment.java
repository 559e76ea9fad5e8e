package dev.tandem.proxy.spool;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One segment file as the spool tracks it in memory. Only the writer changes {@code size} and {@code sealed} (under its
 * lock); readers and statistics read them without locks, hence volatile. A sealed segment never changes again.
 */
final class Segment {

    private static final Pattern FILE_NAME = Pattern.compile("(\\d{20})\\.seg");

    private final long firstSequence;
    private final Path file;
    private volatile long size;
    private volatile boolean sealed;

    Segment(long firstSequence, Path file, long size, boolean sealed) {
        this.firstSequence = firstSequence;
        this.file = file;
        this.size = size;
        this.sealed = sealed;
    }

    static String fileName(long firstSequence) {
        return String.format("%020d.seg", firstSequence);
    }

    /** Whether {@code name} is a segment file's name. */
    static boolean isFileName(String name) {
        return FILE_NAME.matcher(name).matches();
    }

    /** The first sequence number encoded in a segment file name, or -1 if the name is not a segment's. */
    static long parseFileName(String name) {
        Matcher m = FILE_NAME.matcher(name);
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    long firstSequence() {
        return firstSequence;
    }

    Path file() {
        return file;
    }

    long size() {
        return size;
    }

    boolean sealed() {
        return sealed;
    }

    SpoolPosition start() {
        return new SpoolPosition(firstSequence, RecordFormat.SEGMENT_HEADER_BYTES);
    }

    SpoolPosition end() {
        return new SpoolPosition(firstSequence, size);
    }

    void grow(long bytes) {
        size += bytes;
    }

    /** The writer cut records off the end of the file (the segment being written, never a sealed one). */
    void cutTo(long bytes) {
        size = bytes;
    }

    void seal() {
        sealed = true;
    }

    @Override
    public String toString() {
        return file + " (" + size + " bytes" + (sealed ? ", sealed)" : ")");
    }
}
