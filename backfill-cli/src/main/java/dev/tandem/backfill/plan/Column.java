package dev.tandem.backfill.plan;

/**
 * One column as the catalog describes it.
 *
 * @param name      the column name (not quoted)
 * @param type      {@code format_type(atttypid, atttypmod)}
 * @param generated true for a generated column, which COPY cannot write
 * @param binaryIo  false when the type (or the element type of an array, or a composite) cannot be moved safely in
 *                  COPY's binary format: no send/receive functions, or user-defined types whose OIDs differ between servers
 * @param nullable  false when the column is NOT NULL
 * @param enumValued true when an enum is part of the type (itself, or the element, base, attribute or subtype of one),
 *                  whose values verify must hash by their labels: see {@link dev.tandem.protocol.state.RangeChecksum.Column}
 */
public record Column(String name, String type, boolean generated, boolean binaryIo, boolean nullable,
                     boolean enumValued) {
}
