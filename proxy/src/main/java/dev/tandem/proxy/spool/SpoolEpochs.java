package dev.tandem.proxy.spool;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The spool's epochs: every open of a spool directory starts one, at the position its first record will take.
 *
 * <p>A position says where a record sits in the spool's files, and the target stores the position after the last
 * record it applied. That alone cannot tell a new record from an applied one when positions are used twice: a host
 * crash under {@code fsync: interval} can cut records off the tail after the target applied them, and a directory
 * emptied or replaced under the same instance id starts again at the first position. The records appended next
 * would sit at or below the stored position and be skipped as applied, silently. So the target also stores the epoch
 * of that last record: a record of a later epoch is new wherever it sits, and a directory whose epochs the target has
 * never seen holds nothing the target applied.
 *
 * <p>File {@value #FILE}: one line per epoch, {@code <id> <segment> <offset>}, oldest first, replaced atomically. A
 * directory written before epochs were kept gets {@link #LEGACY} at its first position, the epoch a target that
 * stored no epoch means.
 */
final class SpoolEpochs {

    static final String FILE = "epochs";
    /** Records written before the spool kept epochs; what a stored progress without an epoch refers to. */
    static final long LEGACY = 0;

    private record Epoch(long id, SpoolPosition start) {
    }

    private final List<Epoch> epochs;

    private SpoolEpochs(List<Epoch> epochs) {
        this.epochs = List.copyOf(epochs);
    }

    /**
     * Reads the directory's epochs, forgets those wholly before {@code oldest} (their records are deleted), adds a
     * new one starting at {@code next} and writes them back, durably, before any record of it is appended.
     *
     * @param holdsRecords whether the directory holds records (a directory without the file and without records is
     *                     new, not legacy)
     */
    static SpoolEpochs open(SpoolDirectory directory, SpoolPosition oldest, SpoolPosition next, boolean holdsRecords)
            throws IOException {
        List<Epoch> epochs = read(directory);
        if (epochs.isEmpty() && holdsRecords) {
            epochs.add(new Epoch(LEGACY, SpoolPosition.ORIGIN));
        }
        while (epochs.size() > 1 && !epochs.get(1).start().isAfter(oldest)) {
            epochs.remove(0);
        }
        long id;
        do {
            id = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        } while (contains(epochs, id));
        epochs.add(new Epoch(id, next));
        StringBuilder text = new StringBuilder();
        for (Epoch e : epochs) {
            text.append(e.id()).append(' ').append(e.start().segment()).append(' ').append(e.start().offset())
                    .append('\n');
        }
        directory.replaceFile(FILE, text.toString().getBytes(StandardCharsets.UTF_8));
        return new SpoolEpochs(epochs);
    }

    private static List<Epoch> read(SpoolDirectory directory) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(directory.path().resolve(FILE), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return new ArrayList<>();
        }
        List<Epoch> epochs = new ArrayList<>();
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            String[] parts = line.strip().split(" ");
            try {
                if (parts.length != 3) {
                    throw new NumberFormatException("three numbers expected");
                }
                epochs.add(new Epoch(Long.parseLong(parts[0]),
                        new SpoolPosition(Long.parseLong(parts[1]), Long.parseLong(parts[2]))));
            } catch (NumberFormatException e) {
                throw new SpoolException("spool directory " + directory.path() + ": " + FILE + " has the line '"
                        + line + "', not '<epoch> <segment> <offset>'; without it the mirror cannot tell applied"
                        + " records from new ones", e);
            }
        }
        return epochs;
    }

    private static boolean contains(List<Epoch> epochs, long id) {
        return epochs.stream().anyMatch(e -> e.id() == id);
    }

    /** The epoch records are appended in now. */
    long current() {
        return epochs.get(epochs.size() - 1).id();
    }

    /** The epoch of the record at {@code position}. */
    long of(SpoolPosition position) {
        for (int i = epochs.size() - 1; i > 0; i--) {
            if (!epochs.get(i).start().isAfter(position)) {
                return epochs.get(i).id();
            }
        }
        return epochs.get(0).id();
    }

    /**
     * Whether the record at {@code position} is one the target applied, when it stored {@code appliedEpoch} (null:
     * stored by a proxy that kept no epochs) and {@code appliedBefore} for the last record it applied.
     */
    boolean applied(SpoolPosition position, Long appliedEpoch, SpoolPosition appliedBefore) {
        int stored = indexOf(appliedEpoch == null ? LEGACY : appliedEpoch);
        if (stored < 0) {
            return false; // the target's progress is of another spool: none of these records reached it
        }
        int record = indexOf(of(position));
        return record < stored || record == stored && position.compareTo(appliedBefore) < 0;
    }

    /** Whether the record at {@code position} is of an epoch before {@code id}; false when {@code id} is not known. */
    boolean earlier(SpoolPosition position, long id) {
        int epoch = indexOf(id);
        return epoch > 0 && indexOf(of(position)) < epoch;
    }

    /** Whether {@code id} (null: {@link #LEGACY}) is one of this directory's epochs. */
    boolean knows(Long id) {
        return indexOf(id == null ? LEGACY : id) >= 0;
    }

    /**
     * The position before which every record is one {@link #applied} takes for applied given {@code appliedEpoch} and
     * {@code appliedBefore}, and after which none is: those records come first in the spool. {@link SpoolPosition#ORIGIN}
     * when the epoch is not among this directory's.
     */
    SpoolPosition appliedEnd(long appliedEpoch, SpoolPosition appliedBefore) {
        int stored = indexOf(appliedEpoch);
        if (stored < 0) {
            return SpoolPosition.ORIGIN;
        }
        if (stored + 1 < epochs.size()) {
            // a later epoch may have taken positions below appliedBefore (a tail cut off in a host crash): its records
            // are new wherever they sit
            SpoolPosition later = epochs.get(stored + 1).start();
            return later.isAfter(appliedBefore) ? appliedBefore : later;
        }
        return appliedBefore;
    }

    private int indexOf(long id) {
        for (int i = 0; i < epochs.size(); i++) {
            if (epochs.get(i).id() == id) {
                return i;
            }
        }
        return -1;
    }
}
