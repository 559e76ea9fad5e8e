package dev.tandem.proxy.spool;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy instance a spool directory belongs to, kept in its {@value #FILE} file.
 *
 * <p>Exactly-once mirroring rests on it: the target stores the applied spool position per instance id
 * ({@code tandem.mirror_progress}), so a spool read under another id finds no position there and every record on disk
 * would be applied again, duplicating its rows without an error. A spool that holds records therefore opens only for
 * the id it was written for; one without records may change owner, since there is nothing to apply twice. Which
 * records the target has applied is known only on the target, so every record on disk counts, even applied ones.
 *
 * <p>A directory without the file was written before Tandem recorded the owner, or never used: it is taken for the
 * configured id, the only id there is to go by.
 */
final class SpoolOwner {

    static final String FILE = "instance-id";

    private static final Logger LOG = LoggerFactory.getLogger(SpoolOwner.class);

    private SpoolOwner() {
    }

    /**
     * Records {@code instanceId} as the owner of {@code directory}, or refuses when the directory belongs to another
     * instance and still holds records. Call it with the directory locked, before anything reads the spool.
     *
     * @param holdsRecords whether any segment of the directory holds a record
     * @throws SpoolOwnerMismatchException when another instance owns the directory and it holds records
     */
    static void claim(SpoolDirectory directory, String instanceId, boolean holdsRecords) throws IOException {
        Optional<String> owner = read(directory.path());
        if (owner.isPresent() && owner.get().equals(instanceId)) {
            return;
        }
        if (owner.isPresent() && holdsRecords) {
            throw new SpoolOwnerMismatchException(directory.path(), owner.get(), instanceId);
        }
        directory.replaceFile(FILE, (instanceId + "\n").getBytes(StandardCharsets.UTF_8));
        if (owner.isPresent()) {
            LOG.info("spool directory {} belonged to instance-id '{}' and holds no spooled transactions: it now belongs"
                    + " to '{}'", directory.path(), owner.get(), instanceId);
        } else if (holdsRecords) {
            LOG.warn("spool directory {} holds spooled transactions but had no {} file (it was written before Tandem"
                    + " recorded the owner): taking them as written by instance-id '{}'. If another instance id wrote"
                    + " them, stop the proxy now and start it with that id, or the target applies them again",
                    directory.path(), FILE, instanceId);
        } else {
            LOG.info("spool directory {} had no {} file: it now belongs to instance-id '{}'", directory.path(), FILE,
                    instanceId);
        }
    }

    /** The owner recorded in {@code dir}, empty when there is no {@value #FILE} file. */
    static Optional<String> read(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        String content;
        try {
            content = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (content.isEmpty() || content.chars().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
            throw new SpoolException("spool directory " + dir + ": " + FILE + " should hold the instance id the spool"
                    + " was written for, on one line, but holds '" + content + "'; write that id into it");
        }
        return Optional.of(content);
    }
}
