package dev.tandem.backfill;

/** A bad command-line value found after parsing (e.g. a malformed URL): reported as a usage error, exit code 2. */
public final class UsageException extends RuntimeException {

    public UsageException(String message) {
        super(message);
    }
}
