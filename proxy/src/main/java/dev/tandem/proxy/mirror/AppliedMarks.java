package dev.tandem.proxy.mirror;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.proxy.spool.Spool;
import dev.tandem.proxy.spool.SpoolPosition;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last record this proxy applied to each target database, kept in the spool directory ({@value #FILE}) so that
 * a target that went back in time while the proxy was stopped (restored from a backup, failed over to a replica that
 * was behind) is noticed on the next start, not only within one run. Written without fsync: a host crash that loses
 * the newest version only makes the check miss a regression, never report one that did not happen.
 */
final class AppliedMarks {

    static final String FILE = "applied.json";

    private static final Logger LOG = LoggerFactory.getLogger(AppliedMarks.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One database's last applied record: its sequence number (for people) and its position (to compare). */
    record Mark(long sequence, long segment, long offset) {
        SpoolPosition position() {
            return new SpoolPosition(segment, offset);
        }
    }

    /** The file's content: marks are only meaningful to the instance whose progress rows they describe. */
    record Content(String instanceId, Map<String, Mark> databases) {
    }

    private AppliedMarks() {
    }

    /** The marks this instance saved; empty when there are none, or they belong to another instance. */
    static Map<String, Mark> load(Spool spool, String instanceId) {
        try {
            Optional<byte[]> text = spool.readNote(FILE);
            if (text.isEmpty()) {
                return new HashMap<>();
            }
            Content content = JSON.readValue(text.get(), Content.class);
            return instanceId.equals(content.instanceId()) && content.databases() != null
                    ? new HashMap<>(content.databases()) : new HashMap<>();
        } catch (IOException e) {
            LOG.warn("mirror: {}: a target that lost transactions while the proxy was stopped will not be noticed this"
                    + " time", e.getMessage());
            return new HashMap<>();
        }
    }

    static void save(Spool spool, String instanceId, Map<String, Mark> marks) {
        try {
            spool.replaceNote(FILE, JSON.writeValueAsBytes(new Content(instanceId, Map.copyOf(marks))));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            LOG.warn("mirror: {}", e.getMessage());
        }
    }
}
