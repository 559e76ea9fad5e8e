package dev.tandem.backfill.plan;

/**
 * One column as the catalog describes it.
 *
 * @param name      the column name (not quoted)
 * @param type      {@code format_type(atttypid, atttypmod)}
 * @param generated true for a generated column, which COPY cannot write
 * @param binaryIo  false when the type (or what it is made of: a domain's base type, an array's elements, a
 *                  composite) cannot be moved safely in COPY's binary format: no send/receive functions, arrays and
 *                  composites, whose binary form holds their elements' and fields' type OIDs, which differ between
 *                  servers for user-defined types (a target before PostgreSQL 17.6 refuses them: "wrong element
 *                  type"), or OID alias types such as {@code regclass}, whose binary form is the OID of an object
 * @param nullable  false when the column is NOT NULL
 * @param hashedAsText true when an enum, an OID alias type such as {@code regclass}, or a type whose equal values may
 *                  differ (numeric 1.50 and 1.5) is part of the type, or its collation is nondeterministic: verify
 *                  must hash its values by their text:
 *                  see {@link dev.tandem.protocol.state.RangeChecksum.Column}
 * @param defaultExpression the column's DEFAULT as {@code pg_get_expr} prints it, null when it has none or is generated
 * @param identity  whether and how the column is an identity column
 */
public record Column(String name, String type, boolean generated, boolean binaryIo, boolean nullable,
                     boolean hashedAsText, String defaultExpression, Identity identity) {

    /** {@code attidentity}: whether an INSERT may give the column a value without OVERRIDING SYSTEM VALUE. */
    public enum Identity { NONE, BY_DEFAULT, ALWAYS }
}
