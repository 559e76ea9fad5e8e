package dev.tandem.backfill;

/** The documented exit codes of {@code tandem-backfill}. */
public final class ExitCodes {

    public static final int OK = 0;
    public static final int FAILURE = 1;
    /** Bad flags or arguments (picocli's usage-error code). */
    public static final int USAGE = 2;
    /** {@code verify} found rows that differ; with {@code --through}, also divergence ledger entries still open. */
    public static final int MISMATCH = 3;

    private ExitCodes() {
    }
}
