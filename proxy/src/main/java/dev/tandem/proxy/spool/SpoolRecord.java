package dev.tandem.proxy.spool;

import java.time.Instant;

/**
 * One record read back from the spool. {@code payload} is a fresh array owned by the caller.
 *
 * @param sequence   the record's sequence number: 1 for the first record of a spool, then strictly increasing
 * @param position   where the record starts
 * @param next       where the following record starts; what the mirror stores and acknowledges once it applied this one
 * @param appendTime when the record was appended (wall clock of the proxy), the basis of the mirror lag in seconds
 */
public record SpoolRecord(long sequence, SpoolPosition position, SpoolPosition next, Instant appendTime, byte[] payload) {
}
