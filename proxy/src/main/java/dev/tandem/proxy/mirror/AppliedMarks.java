package dev.tandem.proxy.mirror;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.proxy.spool.Spool;
import dev.tandem.proxy.spool.SpoolPosition;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last record this proxy applied to each target database, kept in the spool directory ({@value #FILE}) so that
 * a target that went back in time while the proxy was stopped (restored from a backup, failed over to a replica that
 * was behind) is noticed on the next start, not only within one run; and how far the spool was applied everywhere, so
 * that a proxy restarted while the target cannot be reached does not count in its lag what it had applied before;
 * per target database, how far it was applied ({@link #load}'s {@code read} and {@code parked}), so that one the
 * restarted proxy cannot reach is shown where it was, not at the spool's oldest record;
 * and the target databases whose progress row may still say this instance stopped cleanly, so that the next start
 * clears them before it relays anything, or says loudly that it could not.
 * Written once the target has committed what it describes, so it is never ahead of what the target committed (only of
 * what a target that went back in time still has), and without fsync: a host crash that loses the newest version only
 * makes the check miss a regression, never report one that did not happen, and the lag count more.
 */
final class AppliedMarks {

    static final String FILE = "applied.json";

    private static final Logger LOG = LoggerFactory.getLogger(AppliedMarks.class);
    /** Reads what a later version adds as this one's content: a downgrade keeps its marks and its lag. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** One database's last applied record: its sequence number (for people) and its position (to compare). */
    record Mark(long sequence, long segment, long offset) {
        SpoolPosition position() {
            return new SpoolPosition(segment, offset);
        }
    }

    /**
     * Every record before {@code (segment, offset)}, of epoch {@code epoch} and earlier ones, was applied or ledgered
     * on its target database: what the spool was {@link Spool#acknowledge}d up to.
     */
    record Acknowledged(long epoch, long segment, long offset) {
        static Acknowledged at(Spool spool, SpoolPosition position) {
            return new Acknowledged(spool.epochOf(position), position.segment(), position.offset());
        }

        SpoolPosition position() {
            return new SpoolPosition(segment, offset);
        }
    }

    /**
     * Every record of a target database before {@code (segment, offset)}, of epoch {@code epoch} and earlier ones, was
     * applied or ledgered there; {@code before} is the sequence number of the record before that position.
     */
    record Reached(long epoch, long segment, long offset, long before) {
        static Reached at(Spool spool, SpoolPosition position, long before) {
            return new Reached(spool.epochOf(position), position.segment(), position.offset(), before);
        }

        SpoolPosition position() {
            return new SpoolPosition(segment, offset);
        }
    }

    /**
     * The file's content: marks are only meaningful to the instance whose progress rows they describe.
     * {@code acknowledged} is null in files written before it was kept, and until the first acknowledgement;
     * {@code stoppedIn} (the databases a clean stop marked or asked to be marked by hand, not cleared since) is null
     * in files written before it was kept. {@code read}: how far every target database not in {@code parked} was
     * applied (where the applier's reader was); {@code parked}: how far each parked one was. Null in files written
     * before they were kept, and {@code read} until the applier read a record.
     */
    record Content(String instanceId, Map<String, Mark> databases, Acknowledged acknowledged, Set<String> stoppedIn,
                   Reached read, Map<String, Reached> parked) {
    }

    private AppliedMarks() {
    }

    /**
     * What this instance saved, its databases, stoppedIn and parked never null; nothing when there is no file, or it belongs
     * to another instance.
     */
    static Content load(Spool spool, String instanceId) {
        Content none = new Content(instanceId, Map.of(), null, Set.of(), null, Map.of());
        try {
            Optional<byte[]> text = spool.readNote(FILE);
            if (text.isEmpty()) {
                return none;
            }
            Content content = JSON.readValue(text.get(), Content.class);
            if (!instanceId.equals(content.instanceId())) {
                return none;
            }
            return new Content(instanceId, content.databases() == null ? Map.of() : content.databases(),
                    content.acknowledged(), content.stoppedIn() == null ? Set.of() : content.stoppedIn(),
                    content.read(), content.parked() == null ? Map.of() : content.parked());
        } catch (IOException e) {
            LOG.warn("mirror: {}: a target that lost transactions while the proxy was stopped will not be noticed this"
                    + " time, and the lag counts every transaction in the spool until the target is reached",
                    e.getMessage());
            return none;
        }
    }

    static void save(Spool spool, String instanceId, Map<String, Mark> marks, Acknowledged acknowledged,
                     Set<String> stoppedIn, Reached read, Map<String, Reached> parked) {
        save(spool, new Content(instanceId, Map.copyOf(marks), acknowledged, Set.copyOf(stoppedIn), read,
                Map.copyOf(parked)));
    }

    static void save(Spool spool, Content content) {
        try {
            spool.replaceNote(FILE, JSON.writeValueAsBytes(content));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            LOG.warn("mirror: {}", e.getMessage());
        }
    }
}
