package dev.tandem.proxy.spool;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sequence numbers the spool skipped on purpose, which no record carries.
 *
 * <p>When the target applied records up to a position the spool does not hold (lost in a host crash under
 * {@code fsync: interval}, or the directory was replaced), the records appended next must come after that position,
 * or the mirror would take them for applied ones ({@link SpoolWriter#advancePast}). A position names its segment by
 * the segment's first sequence number, so the writer starts a segment whose first sequence number is past the
 * target's, and jumps over the numbers in between. Counted by sequence numbers, those would be records held
 * ({@code tandem_spool_records}, {@code /status}), and a reader going from the segment before the jump to the one after
 * it would report them missing ({@code tandem_spool_gaps}); this class tells them apart from records really lost.
 *
 * <p>File {@value #FILE}: one line {@code <first skipped> <first used again>} per jump, written (durably, atomically)
 * before the segment after the jump is started, so the jumps are known after a restart too. A jump whose segment does
 * not exist is dropped when the spool is opened: the segment was applied and deleted, or a crash came before it was
 * started (and the numbers will be used after all).
 */
final class SequenceJumps {

    static final String FILE = "sequence-jumps";

    private static final Logger LOG = LoggerFactory.getLogger(SequenceJumps.class);

    /** Numbers {@code from} to {@code to - 1} were skipped; {@code to} is the first sequence of the next segment. */
    private record Jump(long from, long to) {
    }

    private final SpoolDirectory directory;
    private volatile List<Jump> jumps;

    private SequenceJumps(SpoolDirectory directory, List<Jump> jumps) {
        this.directory = directory;
        this.jumps = List.copyOf(jumps);
    }

    /** Reads the directory's jumps, keeping those that lead to one of {@code segments}. */
    static SequenceJumps open(SpoolDirectory directory, List<Segment> segments) throws IOException {
        List<Jump> read = read(directory);
        Set<Long> firsts = segments.stream().map(Segment::firstSequence).collect(Collectors.toSet());
        List<Jump> kept = read.stream().filter(j -> firsts.contains(j.to())).toList();
        SequenceJumps jumps = new SequenceJumps(directory, kept);
        if (kept.size() != read.size()) {
            jumps.write();
        }
        return jumps;
    }

    private static List<Jump> read(SpoolDirectory directory) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(directory.path().resolve(FILE), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        }
        List<Jump> jumps = new ArrayList<>();
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            String[] parts = line.strip().split(" ");
            try {
                if (parts.length != 2) {
                    throw new NumberFormatException("two numbers expected");
                }
                jumps.add(new Jump(Long.parseLong(parts[0]), Long.parseLong(parts[1])));
            } catch (NumberFormatException e) {
                // only counting depends on the file, not which records are applied: not worth refusing to start for
                LOG.warn("spool directory {}: {} has the line '{}', not '<first skipped> <first used again>'; ignoring"
                        + " the file, so sequence numbers the spool skipped on purpose count as pending records and a"
                        + " reader reports them missing", directory.path(), FILE, line);
                return new ArrayList<>();
            }
        }
        return jumps;
    }

    /**
     * Records that numbers {@code from} to {@code to - 1} are skipped, before the segment starting at {@code to} is
     * (writer lock held). Known in memory even when writing the file fails.
     */
    void record(long from, long to) throws IOException {
        List<Jump> more = new ArrayList<>(jumps);
        more.add(new Jump(from, to));
        jumps = List.copyOf(more);
        write();
    }

    private void write() throws IOException {
        StringBuilder text = new StringBuilder();
        for (Jump j : jumps) {
            text.append(j.from()).append(' ').append(j.to()).append('\n');
        }
        byte[] content = text.toString().getBytes(StandardCharsets.UTF_8);
        SegmentChannel.withoutInterrupts(() -> {
            directory.replaceFile(FILE, content);
            return null;
        });
    }

    /** How many numbers from {@code first} to {@code end - 1} were skipped. */
    long skippedBetween(long first, long end) {
        long skipped = 0;
        for (Jump j : jumps) {
            skipped += Math.max(0, Math.min(end, j.to()) - Math.max(first, j.from()));
        }
        return skipped;
    }

    /**
     * Where the numbers skipped right before {@code sequence} begin: the number after the last one a record carries
     * before the segment starting at {@code sequence}; {@code sequence} itself when none were skipped there.
     */
    long skippedBefore(long sequence) {
        for (Jump j : jumps) {
            if (j.to() == sequence) {
                return j.from();
            }
        }
        return sequence;
    }
}
