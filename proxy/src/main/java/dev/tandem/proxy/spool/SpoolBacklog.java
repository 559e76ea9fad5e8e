package dev.tandem.proxy.spool;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The spooled records a reader has still to go through, from its position on ({@link Spool#backlog}).
 *
 * @param records      records from that position on, neither acknowledged nor presumed applied
 * @param bytes        their bytes, headers included
 * @param oldestAppend when the first of them was appended; empty when there is none
 */
public record SpoolBacklog(long records, long bytes, Optional<Instant> oldestAppend) {

    /** How long the first of those records has waited; zero when there is none. */
    public Duration lag(Instant now) {
        return oldestAppend.map(oldest -> Duration.between(oldest, now)).filter(d -> !d.isNegative())
                .orElse(Duration.ZERO);
    }
}
