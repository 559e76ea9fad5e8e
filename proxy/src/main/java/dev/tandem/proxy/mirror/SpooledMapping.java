package dev.tandem.proxy.mirror;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.proxy.capture.TransactionCodec;
import dev.tandem.proxy.spool.Spool;
import dev.tandem.proxy.spool.SpoolException;
import dev.tandem.proxy.spool.SpoolPosition;
import java.io.IOException;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code target.databases} mapping the spool's records are applied under, kept in the spool directory
 * ({@value #FILE}). The spool keeps each transaction's source database and the mapping picks its target database when
 * it is applied, so a restart on the same spool with another mapping would send what still waits there to the new
 * target database, and what the old one applied and a segment file still holds too: the new database has no progress
 * of this instance, and would get those rows a second time.
 *
 * <p>{@link #adopt} compares the saved mapping with the configured one at start. A source database whose target
 * changed while records of it wait that its old target database has not applied (as far as the applier's notes,
 * {@link AppliedMarks}, can tell) is refused ({@link MappingChangedException}). Otherwise the new mapping is taken, and
 * the records of that source database the spool holds at the switch, all applied to the old target database, are
 * settled: the applier passes them over ({@link Content#settledBefore}, the epoch the switch opened; every record held
 * then is of an earlier one). The old target databases no longer mapped are {@link Content#leftBehind}: the applier
 * leaves their progress rows alone once they say this instance stopped cleanly.
 *
 * <p>A directory without the file (a new one, or one written by a version that kept none) takes the configured mapping
 * as the one its records were spooled under. Written durably: losing it would let a changed mapping through.
 */
final class SpooledMapping {

    static final String FILE = "mapping.json";

    private static final Logger LOG = LoggerFactory.getLogger(SpooledMapping.class);
    /** Reads what a later version adds as this one's content. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /**
     * The file's content.
     *
     * @param databases     the {@code target.databases} mapping; a source database not in it keeps its name
     * @param settledBefore per source database whose target changed while the spool held records of it: the epoch the
     *                      switch opened. Its records of earlier epochs were applied to its former target database and
     *                      are applied nowhere else. Dropped once the spool no longer knows the epoch (every record
     *                      before it deleted).
     * @param leftBehind    target databases a change of the mapping no longer sends anything to, whose bookkeeping
     *                      ({@link AppliedMarks}) the applier has yet to drop
     */
    record Content(Map<String, String> databases, Map<String, Long> settledBefore, Set<String> leftBehind) {
        Content {
            databases = Map.copyOf(databases == null ? Map.of() : databases);
            settledBefore = Map.copyOf(settledBefore == null ? Map.of() : settledBefore);
            leftBehind = Set.copyOf(leftBehind == null ? Set.of() : leftBehind);
        }
    }

    /** What waits in the spool for one source database whose target database changed. */
    record Waiting(String source, String oldTarget, String newTarget, long records, long bytes) {
    }

    private SpooledMapping() {
    }

    /** The target database {@code mapping} sends {@code source} to. */
    static String target(Map<String, String> mapping, String source) {
        return mapping.getOrDefault(source, source);
    }

    /** The source databases {@code before} and {@code after} send to different target databases, sorted. */
    static Set<String> changed(Map<String, String> before, Map<String, String> after) {
        Set<String> sources = new TreeSet<>(before.keySet());
        sources.addAll(after.keySet());
        sources.removeIf(source -> target(before, source).equals(target(after, source)));
        return sources;
    }

    /**
     * The target databases {@code before} sent a {@code changed} source database to and {@code after} sends none of
     * the source databases either names to. One reached only by a source database of its own name, which neither
     * names, is among them: this instance then treats it as a database it never applied to.
     */
    static Set<String> leftBehind(Map<String, String> before, Map<String, String> after, Set<String> changed) {
        Set<String> left = new TreeSet<>();
        changed.forEach(source -> left.add(target(before, source)));
        left.removeAll(stillTargeted(before, after));
        return left;
    }

    private static Set<String> stillTargeted(Map<String, String> before, Map<String, String> after) {
        Set<String> sources = new HashSet<>(before.keySet());
        sources.addAll(after.keySet());
        Set<String> targets = new HashSet<>();
        sources.forEach(source -> targets.add(target(after, source)));
        return targets;
    }

    /** What the directory holds, or empty when there is no file. */
    static Optional<Content> load(Spool spool) {
        try {
            Optional<byte[]> text = spool.readNote(FILE);
            return text.isEmpty() ? Optional.empty() : Optional.of(JSON.readValue(text.get(), Content.class));
        } catch (IOException e) {
            throw new SpoolException("spool directory " + spool.settings().dir().toAbsolutePath() + ": " + FILE
                    + " cannot be read (" + e.getMessage() + "); it says which target.databases mapping the spooled"
                    + " transactions were spooled under, and without it the proxy cannot tell where they belong."
                    + " Restore it, or, once the spool is drained, delete it", e);
        }
    }

    static void save(Spool spool, Content content) {
        try {
            spool.replaceNoteDurably(FILE, JSON.writeValueAsBytes(content));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new SpoolException(e.getMessage() + ": without it a restart could apply spooled transactions to"
                    + " another target database", e);
        }
    }

    /**
     * Takes {@code configured} as the mapping of {@code spool} and returns what the applier must know of it, the file
     * not yet written ({@link #save}): the caller drops the databases left behind from its notes first.
     *
     * @param marks the applier's notes of what each target database applied
     * @throws MappingChangedException when a source database's target changed while its old target has records of it
     *                                 to apply
     */
    static Content adopt(Spool spool, Map<String, String> configured, AppliedMarks.Content marks) {
        Optional<Content> saved = load(spool);
        Map<String, String> before = saved.map(Content::databases).orElse(configured);
        Map<String, Long> settled = new TreeMap<>();
        Set<String> left = new TreeSet<>();
        saved.ifPresent(s -> {
            s.settledBefore().forEach((source, epoch) -> {
                if (spool.knowsEpoch(epoch)) {
                    settled.put(source, epoch);
                }
            });
            left.addAll(s.leftBehind());
        });
        Set<String> changed = changed(before, configured);
        if (!changed.isEmpty()) {
            Map<String, long[]> held = new TreeMap<>();
            Map<String, long[]> waiting = new TreeMap<>();
            spool.forEachHeld(record -> {
                String source;
                try {
                    source = TransactionCodec.database(record.payload());
                } catch (IllegalArgumentException e) {
                    return; // set aside by the applier, whichever the mapping
                }
                if (!changed.contains(source)) {
                    return;
                }
                add(held, source, record.payload().length);
                Long switched = settled.get(source);
                if (switched != null && spool.ofEarlierEpoch(record.position(), switched)) {
                    return; // applied to its target before an earlier change
                }
                if (!applied(spool, marks, target(before, source), record.position())) {
                    add(waiting, source, record.payload().length);
                }
            });
            if (!waiting.isEmpty()) {
                throw new MappingChangedException(spool.settings().dir().toAbsolutePath(), waiting.entrySet().stream()
                        .map(w -> new Waiting(w.getKey(), target(before, w.getKey()), target(configured, w.getKey()),
                                w.getValue()[0], w.getValue()[1]))
                        .toList());
            }
            for (String source : changed) {
                long[] h = held.get(source);
                if (h == null) {
                    settled.remove(source);
                    LOG.info("mirror: target.databases sends source database {} to target database {} now, no longer"
                            + " to {}; the spool holds none of its transactions", source, target(configured, source),
                            target(before, source));
                } else {
                    settled.put(source, spool.currentEpoch());
                    LOG.info("mirror: target.databases sends source database {} to target database {} now, no longer"
                            + " to {}: the {} transaction(s) of it still in the spool were applied to {} and are not"
                            + " applied to {}", source, target(configured, source), target(before, source), h[0],
                            target(before, source), target(configured, source));
                }
            }
            left.addAll(leftBehind(before, configured, changed));
        }
        left.removeAll(stillTargeted(before, configured));
        return new Content(configured, settled, left);
    }

    private static void add(Map<String, long[]> counts, String source, long bytes) {
        long[] c = counts.computeIfAbsent(source, s -> new long[2]);
        c[0]++;
        c[1] += bytes;
    }

    /**
     * Whether the applier's notes say target database {@code database} applied the record at {@code position}: the
     * spool was acknowledged past it, or the applier's reader was past it and the database was not parked, or the
     * database was parked past it.
     */
    static boolean applied(Spool spool, AppliedMarks.Content marks, String database, SpoolPosition position) {
        AppliedMarks.Acknowledged acknowledged = marks.acknowledged();
        if (acknowledged != null && spool.applied(position, acknowledged.epoch(), acknowledged.position())) {
            return true;
        }
        AppliedMarks.Reached reached = marks.parked().containsKey(database) ? marks.parked().get(database)
                : marks.read();
        return reached != null && spool.applied(position, reached.epoch(), reached.position());
    }
}
