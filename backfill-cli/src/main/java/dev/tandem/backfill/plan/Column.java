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
 */
public record Column(String name, String type, boolean generated, boolean binaryIo, boolean nullable) {
}
