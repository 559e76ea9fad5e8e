package dev.tandem.proxy.mirror;

import java.util.Set;

/**
 * How a stop of the mirror ended ({@link MirrorApplier#drain}).
 *
 * @param applied  every spooled record was applied (or ledgered) before the stop
 * @param marked   target databases whose {@code tandem.mirror_progress} row now says this instance stopped cleanly
 * @param unmarked target databases this instance applied to whose row could not be marked: it still says the instance
 *                 runs, and the backfill waits for it
 */
public record MirrorDrain(boolean applied, Set<String> marked, Set<String> unmarked) {

    /** The drain did not get to the end of the spool: no row was marked. */
    static final MirrorDrain UNFINISHED = new MirrorDrain(false, Set.of(), Set.of());
}
