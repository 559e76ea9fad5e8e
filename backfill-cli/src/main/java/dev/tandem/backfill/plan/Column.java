package dev.tandem.backfill.plan;

/**
 * One column as the catalog describes it.
 *
 * @param name      the column name (not quoted)
 * @param type      {@code format_type(atttypid, atttypmod)}
 * @param generated true for a generated column, which COPY cannot write
 * @param binaryIo  false when the type (or the element type of an array, or a composite) cannot be moved safely in
 *                  COPY's binary format: no send/receive functions, user-defined types whose OIDs differ between
 *                  servers, or OID alias types such as {@code regclass}, whose binary form is the OID of an object
 * @param nullable  false when the column is NOT NULL
 * @param hashedAsText true when an enum or an OID alias type such as {@code regclass} is part of the type, whose values
 *                  verify must hash by their text: see {@link dev.tandem.protocol.state.RangeChecksum.Column}
 */
public record Column(String name, String type, boolean generated, boolean binaryIo, boolean nullable,
                     boolean hashedAsText) {
}
