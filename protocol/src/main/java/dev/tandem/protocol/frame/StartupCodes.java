package dev.tandem.protocol.frame;

/**
 * The request codes of the untyped startup-phase packets ({@code int32 length, int32 code, ...}). The protocol
 * version of a StartupMessage is in the same place: major version in the high 16 bits, minor in the low 16.
 */
public final class StartupCodes {

    public static final int SSL_REQUEST = 80877103;
    public static final int GSSENC_REQUEST = 80877104;
    public static final int CANCEL_REQUEST = 80877102;
    /** Protocol 3.0, the version every client speaks; 3.2 (PostgreSQL 18) differs only in the minor half. */
    public static final int PROTOCOL_3_0 = 196608;

    /** PostgreSQL rejects startup packets whose bytes after the length word exceed this; so does Tandem. */
    public static final int MAX_STARTUP_PACKET = 10000;

    private StartupCodes() {
    }

    public static int majorVersion(int code) {
        return code >>> 16;
    }

    public static int minorVersion(int code) {
        return code & 0xffff;
    }
}
