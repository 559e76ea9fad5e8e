package dev.tandem.proxy.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
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
        Path lockFile = absolute.resolve(LOCK_FILE);
        FileChannel lockChannel = FileChannel.open(lockFile,
                Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE), fileAttributes(posix));
        FileLock lock;
        try {
            lock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            lockChannel.close();
            throw new SpoolException("spool directory " + absolute + " is already open in this process: each spool"
                    + " needs a mirror.spool.dir of its own");
        }
        if (lock == null) {
            lockChannel.close();
            throw new SpoolException("spool directory " + absolute + " is in use by another proxy process"
                    + holder(lockFile) + ", which holds the lock on " + lockFile + " while it runs: each proxy"
                    + " instance needs a mirror.spool.dir of its own. Stop that proxy before starting this one on the"
                    + " directory, or give this one another mirror.spool.dir and instance-id");
        }
        try {
            // names this process to a second one refused the lock: the lock itself says nothing of its holder
            lockChannel.truncate(0);
            lockChannel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n")
                    .getBytes(StandardCharsets.US_ASCII)), 0);
        } catch (IOException e) {
            try {
                lock.release();
                lockChannel.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return new SpoolDirectory(absolute, posix, lockChannel, lock);
    }

    /** " (process 1234)" as the holder of the lock wrote it, or nothing when it wrote none (an older version). */
    private static String holder(Path lockFile) {
        try {
            String pid = Files.readString(lockFile, StandardCharsets.US_ASCII).strip();
            return pid.matches("\\d{1,19}") ? " (process " + pid + ")" : "";
        } catch (IOException e) {
            return "";
        }
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
                Set<PosixFilePermission> actual = Files.getPosixFilePermissions(entry);
                if (!actual.equals(wanted)) {
                    try {
                        Files.setPosixFilePermissions(entry, wanted);
                    } catch (IOException e) {
                        throw notTightened(entry, actual, wanted, e);
                    }
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

    /**
     * An entry whose permissions the proxy cannot narrow, typically one another user put there (only the owner may
     * change them): the start stops rather than leave application data readable, and says whose it is and what to do.
     */
    private static SpoolException notTightened(Path entry, Set<PosixFilePermission> actual,
                                               Set<PosixFilePermission> wanted, IOException cause) {
        String owner;
        try {
            owner = Files.getOwner(entry).getName();
        } catch (IOException e) {
            owner = "?";
        }
        String user = System.getProperty("user.name");
        return new SpoolException("spool directory " + entry.getParent() + " holds " + entry.getFileName()
                + ", owned by user '" + owner + "' with permissions " + PosixFilePermissions.toString(actual)
                + ", and the proxy (running as user '" + user + "') could not set them to "
                + PosixFilePermissions.toString(wanted) + " (" + FileErrors.describe(cause, entry) + "), which every"
                + " entry of the spool directory must have since the spool holds application data. If it is not the"
                + " proxy's, move it out of the directory; if it is (a spool file copied or restored by another user),"
                + " give it to the proxy's user (chown " + user + " " + entry + "); then start the proxy again", cause);
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
