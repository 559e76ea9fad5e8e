package dev.tandem.protocol.frontend;

/** What a Describe or Close names: a prepared statement ('S') or a portal ('P'). */
public enum StatementOrPortal {
    STATEMENT('S'),
    PORTAL('P');

    private final byte code;

    StatementOrPortal(char code) {
        this.code = (byte) code;
    }

    public byte code() {
        return code;
    }

    /** The kind for a wire byte, or null for a byte that is neither 'S' nor 'P'. */
    public static StatementOrPortal of(byte code) {
        return switch (code) {
            case 'S' -> STATEMENT;
            case 'P' -> PORTAL;
            default -> null;
        };
    }
}
