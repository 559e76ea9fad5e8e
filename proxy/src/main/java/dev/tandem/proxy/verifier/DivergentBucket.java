package dev.tandem.proxy.verifier;

import java.util.Objects;

/**
 * A bucket whose count or checksum differs between source and target.
 *
 * @param sourceRows rows in the bucket on the source
 * @param targetRows rows in the bucket on the target
 */
record DivergentBucket(VerifiedTable table, Bucket bucket, long sourceRows, long targetRows, boolean checksumsEqual) {

    /** Null when both sides agree. */
    static DivergentBucket compare(VerifiedTable table, Bucket bucket, long sourceRows, String sourceChecksum,
                                   long targetRows, String targetChecksum) {
        boolean checksumsEqual = Objects.equals(sourceChecksum, targetChecksum);
        if (sourceRows == targetRows && checksumsEqual) {
            return null;
        }
        return new DivergentBucket(table, bucket, sourceRows, targetRows, checksumsEqual);
    }

    /** The count difference, or the bucket's count when only the contents differ. */
    long divergentRows() {
        return sourceRows != targetRows ? Math.abs(sourceRows - targetRows) : sourceRows;
    }

    String message() {
        return "verifier: source " + sourceRows + " rows, target " + targetRows + " rows, checksums "
                + (checksumsEqual ? "equal" : "differ");
    }
}
