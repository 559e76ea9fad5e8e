package dev.tandem.protocol.frontend;

import dev.tandem.protocol.backend.MessageBody;

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

    /** Reads the kind byte of a Describe or Close body; any byte but 'S' or 'P' makes the message malformed. */
    static StatementOrPortal read(MessageBody body) {
        byte code = body.readByte();
        return switch (code) {
            case 'S' -> STATEMENT;
            case 'P' -> PORTAL;
            default -> throw body.malformed("kind byte 0x" + Integer.toHexString(code & 0xff)
                    + " is neither 'S' nor 'P'");
        };
    }
}
