package dev.tandem.proxy.spool;

import static dev.tandem.proxy.spool.SpoolTestSupport.payload;
import static dev.tandem.proxy.spool.SpoolTestSupport.smallSegments;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spool errors caused by the file system say what happened in words, with the path, on real files and directories.
 * The JDK's exceptions for these carry only the path as their message.
 */
class SpoolFileErrorsTest {

    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

    @TempDir
    Path dir;

    @AfterEach
    void writableAgain() throws IOException {
        // lets @TempDir clean up after a test that took write permission away
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.filter(Files::isDirectory).toList()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
            }
        }
    }

    /**
     * An entry whose permissions the proxy may not change: owned by another user, or, as here where the tests may run
     * as root, immutable (chattr +i), which refuses root the same way (operation not permitted).
     */
    @Test
    void aStrayFileThatCannotBeMadeOwnerOnlyIsNamedWithItsOwnerAndWhatToDo() throws Exception {
        Path spoolDir = Files.createDirectory(dir.resolve("spool"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Path stray = Files.createFile(spoolDir.resolve("notes.txt"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-r--r--")));
        Process chattr = new ProcessBuilder("chattr", "+i", stray.toString()).redirectErrorStream(true).start();
        assumeTrue(chattr.waitFor() == 0, "chattr +i is needed to make a file whose permissions cannot be changed");
        try {
            String user = System.getProperty("user.name");
            assertThatThrownBy(() -> Spool.open(smallSegments(spoolDir, FsyncPolicy.NEVER)))
                    .isInstanceOf(SpoolException.class)
                    .hasMessage("spool directory " + spoolDir + " holds notes.txt, owned by user '"
                            + Files.getOwner(stray).getName() + "' with permissions rw-r--r--, and the proxy (running"
                            + " as user '" + user + "') could not set them to rw------- (operation not permitted),"
                            + " which every entry of the spool directory must have since the spool holds application"
                            + " data. If it is not the proxy's, move it out of the directory; if it is (a spool file"
                            + " copied or restored by another user), give it to the proxy's user (chown " + user + " "
                            + stray + "); then start the proxy again");
        } finally {
            new ProcessBuilder("chattr", "-i", stray.toString()).start().waitFor();
        }
    }

    @Test
    void aSpoolDirectoryUnderARegularFileNamesTheFile() throws IOException {
        Path file = Files.createFile(dir.resolve("not-a-directory"));
        Path spoolDir = file.resolve("spool");

        assertThatThrownBy(() -> Spool.open(smallSegments(spoolDir, FsyncPolicy.NEVER)))
                .isInstanceOf(SpoolException.class)
                .hasMessage("cannot open spool directory " + spoolDir + ": " + file + " is not a directory");
    }

    @Test
    void aSpoolDirectoryRemovedWhileTheProxyRunsIsNamedWhenTheNextSegmentCannotBeCreated() throws IOException {
        Path spoolDir = dir.resolve("spool");
        try (Spool spool = Spool.open(smallSegments(spoolDir, FsyncPolicy.NEVER))) {
            for (int i = 0; i < 4; i++) {
                spool.writer().append(payload(i)).join();
            }
            deleteTree(spoolDir);

            assertThatThrownBy(() -> spool.writer().append(payload(4)).join()).cause()
                    .isInstanceOf(SpoolException.class)
                    .hasMessage("could not start spool segment " + spoolDir.resolve(Segment.fileName(5))
                            + ": directory " + spoolDir + " does not exist; the record of 200 bytes was not written");
        }
    }

    @Test
    void aSpoolDirectoryThatCannotBeCreatedInAReadOnlyDirectoryIsPermissionDenied() throws IOException {
        assumeFalse(ROOT, "root may write into a read-only directory: run the tests as another user to check this");
        Path readOnly = Files.createDirectory(dir.resolve("read-only"));
        Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-x------"));
        Path spoolDir = readOnly.resolve("spool");

        assertThatThrownBy(() -> Spool.open(smallSegments(spoolDir, FsyncPolicy.NEVER)))
                .isInstanceOf(SpoolException.class)
                .hasMessage("cannot open spool directory " + spoolDir + ": permission denied (the proxy runs as user '"
                        + System.getProperty("user.name") + "')");
    }

    @Test
    void aSegmentThatCannotBeCreatedInADirectoryMadeReadOnlyIsPermissionDenied() throws IOException {
        assumeFalse(ROOT, "root may write into a read-only directory: run the tests as another user to check this");
        Path spoolDir = dir.resolve("spool");
        try (Spool spool = Spool.open(smallSegments(spoolDir, FsyncPolicy.NEVER))) {
            for (int i = 0; i < 4; i++) {
                spool.writer().append(payload(i)).join();
            }
            Files.setPosixFilePermissions(spoolDir, PosixFilePermissions.fromString("r-x------"));

            assertThatThrownBy(() -> spool.writer().append(payload(4)).join()).cause()
                    .isInstanceOf(SpoolException.class)
                    .hasMessage("could not start spool segment " + spoolDir.resolve(Segment.fileName(5))
                            + ": permission denied (the proxy runs as user '" + System.getProperty("user.name")
                            + "'); the record of 200 bytes was not written");
            Files.setPosixFilePermissions(spoolDir, PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Test
    void aNoteThatCannotBeWrittenNamesItsFileAndTheReason() throws IOException {
        Path spoolDir = dir.resolve("spool");
        try (Spool spool = Spool.open(smallSegments(spoolDir, FsyncPolicy.NEVER))) {
            // a directory where the note's temporary file goes: a real error no user is exempt from
            Path inTheWay = Files.createDirectory(spoolDir.resolve("applied.json.tmp"));

            assertThatThrownBy(() -> spool.replaceNote("applied.json", new byte[] {1}))
                    .isInstanceOf(IOException.class)
                    .hasMessage("cannot write " + spoolDir.resolve("applied.json") + ": is a directory (" + inTheWay
                            + ")");
            assertThat(spool.readNote("applied.json")).isEmpty();
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
