package dev.tandem.proxy.mirror;

/**
 * {@link SchemaShapesMirrorIT}'s scenarios through a proxy without {@code source.user}: the mirror cannot map type
 * OIDs by name, so the capture leaves the user-defined types of text parameters, and of parameters the client left
 * to the server to type (asyncpg's), to the target to infer, and ledgers the transactions of binary parameters
 * declared with a user-defined type's OID (psycopg 3's registered enums and composites), saying what to do.
 */
class SchemaShapesWithoutSourceUserIT extends SchemaShapesMirrorIT {

    @Override
    boolean sourceUser() {
        return false;
    }
}
