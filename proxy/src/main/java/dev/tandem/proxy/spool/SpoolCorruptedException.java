package dev.tandem.proxy.spool;

import java.nio.file.Path;

/** A record in the middle of the spool fails its checks; says which file and offset, so an operator can act on it. */
public final class SpoolCorruptedException extends SpoolException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final long offset;

    public SpoolCorruptedException(Path file, long offset, String problem) {
        super("spool file " + file + " is corrupt at offset " + offset + ": " + problem
                + ". The records from this offset on cannot be replayed; move the file away"
                // a file cut at its header's offset is no segment at all: the next open would fail on it again
                + (offset == 0 ? "" : " (or truncate it at this offset)")
                + " to continue, then repair the affected time range on the target with the backfill CLI");
        this.file = file;
        this.offset = offset;
    }

    public Path file() {
        return file;
    }

    public long offset() {
        return offset;
    }
}
