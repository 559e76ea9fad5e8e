package dev.tandem.proxy.spool;

import java.time.Instant;

/**
 * Records a reader found missing from the spool (a segment file deleted or cut short): gone with the tables and rows
 * they held, so what is left to say which time range to repair is when they were appended.
 *
 * @param firstSequence the first missing sequence number
 * @param lastSequence  the last missing sequence number
 * @param after         when the last record before them was appended; null when the reader read none before them
 * @param before        when the segment after them was started: they were appended before it
 */
public record SpoolLoss(long firstSequence, long lastSequence, Instant after, Instant before) {

    /** How many sequence numbers are missing: each was one spooled transaction. */
    public long records() {
        return lastSequence - firstSequence + 1;
    }
}
