package dev.tandem.proxy.mirror;

/**
 * A target database's applier lock of this instance is held by a proxy started later with the same instance-id (see
 * {@link ApplierRun}): the database is retried like one that failed, without ending that proxy's connection.
 */
final class InstanceIdConflict extends RuntimeException {

    InstanceIdConflict(String message) {
        super(message);
    }
}
