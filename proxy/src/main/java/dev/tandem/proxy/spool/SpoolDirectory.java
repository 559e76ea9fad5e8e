package dev.tandem.proxy.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The spool directory on disk: created 0700 with its files 0600 (they hold application data), locked against a second
 * process using it, and the place segment files are listed, created and deleted.
 */
final class SpoolDirectory implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SpoolDirectory.class);
    private static final String LOCK_FILE = "spool.lock";
    private static final Set<PosixFilePermission> DIR_PERMISSIONS = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> FILE_PERMISSIONS = PosixFilePermissions.fromString("rw-------");

    private final Path dir;
    private final boolean posix;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private SpoolDirectory(Path dir, boolean posix, FileChannel lockChannel, FileLock lock) {
        this.dir = dir;
        this.posix = posix;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    static SpoolDirectory open(Path dir) throws IOException {
        Path absolute = dir.toAbsolutePath();
        boolean posix = absolute.getFileSystem().supportedFileAttributeViews().contains("posix");
        if (Files.exists(absolute) && !Files.isDirectory(absolute)) {
            throw new SpoolException("mirror.spool.dir " + absolute + " exists and is not a directory");
        }
        if (posix) {
            Files.createDirectories(absolute, PosixFilePermissions.asFileAttribute(DIR_PERMISSIONS));
            Set<PosixFilePermission> actual = Files.getPosixFilePermissions(absolute);
            if (!actual.equals(DIR_PERMISSIONS)) {
                LOG.warn("spool directory {} had permissions {}; setting them to rwx------ because the spool holds"
                        + " application data", absolute, PosixFilePermissions.toString(actual));
                Files.setPosixFilePermissions(absolute, DIR_PERMISSIONS);
            }
            tightenEntries(absolute);
        } else {
            Files.createDirectories(absolute);
        }
        FileChannel lockChannel = FileChannel.open(absolute.resolve(LOCK_FILE),
                Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE), fileAttributes(posix));
        FileLock lock;
        try {
            lock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            lockChannel.close();
            throw new SpoolException("spool directory " + absolute + " is in use by another spool (locked through "
                    + LOCK_FILE + "); every proxy instance needs its own mirror.spool.dir");
        }
        return new SpoolDirectory(absolute, posix, lockChannel, lock);
    }

    Path path() {
        return dir;
    }

    /** Segment files by ascending first sequence; other files are left alone. */
    List<Segment> listSegments() throws IOException {
        List<Segment> segments = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*.seg")) {
            for (Path entry : entries) {
                long first = Segment.parseFileName(entry.getFileName().toString());
                if (first >= 0) {
                    segments.add(new Segment(first, entry, Files.size(entry), true));
                }
            }
        }
        segments.sort((a, b) -> Long.compare(a.firstSequence(), b.firstSequence()));
        return Collections.unmodifiableList(segments);
    }

    /**
     * Creates a segment file with its header and opens it for appending, positioned after the header.
     *
     * @param durable force the header and the directory entry, so the file survives a host crash
     */
    FileChannel createSegment(long firstSequence, long nowMillis, boolean durable) throws IOException {
        Path file = dir.resolve(Segment.fileName(firstSequence));
        FileChannel channel = FileChannel.open(file,
                Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.READ),
                fileAttributes(posix));
        try {
            ByteBuffer header = ByteBuffer.allocate(RecordFormat.SEGMENT_HEADER_BYTES);
            RecordFormat.writeSegmentHeader(header, firstSequence, nowMillis);
            header.flip();
            while (header.hasRemaining()) {
                channel.write(header);
            }
            if (durable) {
                channel.force(true);
                forceDirectory();
            }
            return channel;
        } catch (IOException | RuntimeException e) {
            // Left behind, the half-made file would stand in the way of the next attempt to start this segment.
            try {
                channel.close();
                Files.deleteIfExists(file);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Replaces the small file {@code name} with {@code content} through a temporary file and a rename, so a crash
     * leaves the old content or the new one, never a torn file.
     */
    void replaceFile(String name, byte[] content) throws IOException {
        replaceFile(name, content, true);
    }

    /** As {@link #replaceFile(String, byte[])}; without {@code durable}, a host crash may keep the old content. */
    void replaceFile(String name, byte[] content, boolean durable) throws IOException {
        Path temporary = dir.resolve(name + ".tmp");
        try (FileChannel channel = FileChannel.open(temporary, Set.of(StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE), fileAttributes(posix))) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            if (durable) {
                channel.force(true);
            }
        }
        Files.move(temporary, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        if (durable) {
            forceDirectory();
        }
    }

    /**
     * Writes {@code content} as {@code name} in the sub-directory {@code folder}, both as private as the segments: a
     * record set aside is application data too.
     */
    Path setAside(String folder, String name, byte[] content) throws IOException {
        Path sub = dir.resolve(folder);
        if (posix) {
            Files.createDirectories(sub, PosixFilePermissions.asFileAttribute(DIR_PERMISSIONS));
        } else {
            Files.createDirectories(sub);
        }
        Path file = sub.resolve(name);
        try (FileChannel channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE), fileAttributes(posix))) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        }
        return file;
    }

    /**
     * Permissions given at creation protect only new files: ones copied or restored into the directory, or written
     * by an older version, keep whatever they had, so every entry (and those of its sub-directories) is tightened.
     */
    private static void tightenEntries(Path directory) throws IOException {
        List<Path> loosened = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path entry : entries) {
                if (Files.isSymbolicLink(entry)) {
                    continue;
                }
                boolean isDirectory = Files.isDirectory(entry);
                Set<PosixFilePermission> wanted = isDirectory ? DIR_PERMISSIONS : FILE_PERMISSIONS;
                if (!Files.getPosixFilePermissions(entry).equals(wanted)) {
                    Files.setPosixFilePermissions(entry, wanted);
                    loosened.add(entry.getFileName());
                }
                if (isDirectory) {
                    tightenEntries(entry);
                }
            }
        }
        if (!loosened.isEmpty()) {
            LOG.warn("spool directory {}: set {} to owner-only permissions because the spool holds application data",
                    directory, loosened);
        }
    }

    void delete(Segment segment) throws IOException {
        Files.deleteIfExists(segment.file());
    }

    /** Makes file creations and deletions in the directory durable (Linux allows fsync on a directory). */
    void forceDirectory() throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            if (posix) {
                throw e;
            }
        }
    }

    private static FileAttribute<?>[] fileAttributes(boolean posix) {
        return posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(FILE_PERMISSIONS)}
                : new FileAttribute<?>[0];
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            lockChannel.close();
        }
    }
}
