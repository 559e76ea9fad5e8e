package dev.tandem.proxy.capture;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * The gaps waiting for the target's divergence ledger, on local disk: a shed transaction is data the target lacks and
 * its ledger row is the only trace of it, so a proxy stopped or killed before the target came back must still write
 * it when it starts again. One small file beside the spool (bounded like {@link PendingGaps}), replaced whole: written
 * to a temporary file, synced, renamed over the last one, the directory synced; deleted when nothing waits.
 */
final class GapJournal {

    static final String FILE_NAME = "pending-gaps.json";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<PendingGaps.Entry>> ENTRIES = new TypeReference<>() {
    };

    private final Path file;
    private final Path temporary;

    /** @param directory where the file lives: the spool's directory */
    GapJournal(Path directory) {
        this.file = directory.resolve(FILE_NAME);
        this.temporary = directory.resolve(FILE_NAME + ".tmp");
    }

    Path file() {
        return file;
    }

    /** What the last {@link #save} kept; empty when there is no file. */
    List<PendingGaps.Entry> load() throws IOException {
        try {
            return List.copyOf(JSON.readValue(Files.readAllBytes(file), ENTRIES));
        } catch (NoSuchFileException e) {
            return List.of();
        }
    }

    void save(List<PendingGaps.Entry> entries) throws IOException {
        if (entries.isEmpty()) {
            if (Files.deleteIfExists(file)) {
                syncDirectory();
            }
            return;
        }
        Files.deleteIfExists(temporary);
        // owner-only, like the spool's files: the entries may hold application SQL
        Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
            ByteBuffer bytes = ByteBuffer.wrap(JSON.writeValueAsBytes(entries));
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            channel.force(true);
        }
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDirectory();
    }

    private void syncDirectory() throws IOException {
        try (FileChannel directory = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            directory.force(true);
        }
    }
}
