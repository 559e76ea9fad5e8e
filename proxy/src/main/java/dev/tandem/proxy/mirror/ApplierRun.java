package dev.tandem.proxy.mirror;

import java.time.Instant;

/**
 * One run of a proxy's mirror, named by when it started in the {@code application_name} of its target connections
 * ({@code tandem-mirror run 1796295723123}, epoch milliseconds). A connection that holds the instance's applier lock
 * ({@link MirrorSchema#TRY_LOCK}) when a run connects is an earlier run's (a proxy killed or cut off, whose connection
 * the target has not dropped yet), whose lock the new run takes over; one of a run started later is another proxy
 * started with the same instance-id, which this one must not fight: each would end the other's connections in turn
 * and overwrite the other's progress with positions of another spool.
 */
record ApplierRun(long startedMillis) {

    static final String PREFIX = "tandem-mirror run ";

    static ApplierRun now() {
        return new ApplierRun(System.currentTimeMillis());
    }

    String applicationName() {
        return PREFIX + startedMillis;
    }

    Instant started() {
        return Instant.ofEpochMilli(startedMillis);
    }
}
