package dev.tandem.proxy.spool;

import java.nio.file.Path;

/**
 * The spool directory was written by another proxy instance and still holds records: read under this instance's id,
 * the target would apply them again. A configuration error, reported before the proxy accepts clients.
 */
public final class SpoolOwnerMismatchException extends SpoolException {

    private static final long serialVersionUID = 1L;

    SpoolOwnerMismatchException(Path dir, String owner, String instanceId) {
        super("spool directory " + dir + " was written by instance-id '" + owner + "' and still holds spooled"
                + " transactions, but this proxy is instance-id '" + instanceId + "'. The target records what it"
                + " applied per instance id, so started as '" + instanceId + "' the proxy would apply them again and"
                + " duplicate their rows. Either start it as '" + owner + "' (--instance-id " + owner
                + ", or instance-id: " + owner + " in the configuration file) to mirror them, or, once they are"
                + " applied under '" + owner + "' (status: pendingTransactions 0), point mirror.spool.dir"
                + " (--spool-dir) at a new, empty directory.");
    }
}
