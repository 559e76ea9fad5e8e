package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;

/**
 * BackendKeyData ('K'): the process id and secret key a client needs for a CancelRequest. The key is 4 bytes up to
 * protocol 3.1 and up to 256 bytes from 3.2, so it is kept as the bytes received.
 */
public record BackendKeyData(int processId, byte[] secretKey) implements BackendMessage {

    public static final byte TYPE = 'K';
    /** The limit protocol 3.2 sets on the key length. */
    public static final int MAX_KEY_LENGTH = 256;

    public BackendKeyData {
        secretKey = checkedKey(secretKey, "BackendKeyData");
    }

    public static BackendKeyData decode(ByteBuf frame) {
        MessageBody body = MessageBody.typed(frame, TYPE, "BackendKeyData");
        int pid = body.readInt();
        return new BackendKeyData(pid, readKey(body));
    }

    /**
     * A copy of {@code key} after checking its length: the rule for this message's key and for the CancelRequest
     * that gives it back.
     */
    public static byte[] checkedKey(byte[] key, String message) {
        if (key.length == 0 || key.length > MAX_KEY_LENGTH) {
            throw new IllegalArgumentException(message + ": secret key must be 1 to " + MAX_KEY_LENGTH + " bytes, not "
                    + key.length);
        }
        return key.clone();
    }

    /** The rest of {@code body} as a secret key (of this message or of a CancelRequest), after checking its length. */
    public static byte[] readKey(MessageBody body) {
        if (body.remaining() == 0 || body.remaining() > MAX_KEY_LENGTH) {
            throw body.malformed("secret key of " + body.remaining() + " bytes (expected 1 to " + MAX_KEY_LENGTH + ")");
        }
        return body.readRemainingBytes();
    }

    @Override
    public byte[] secretKey() {
        return secretKey.clone();
    }

    @Override
    public void encode(ByteBuf out) {
        int lengthAt = MessageWriter.begin(out, TYPE);
        out.writeInt(processId);
        out.writeBytes(secretKey);
        MessageWriter.end(out, lengthAt);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BackendKeyData other && processId == other.processId
                && Arrays.equals(secretKey, other.secretKey);
    }

    @Override
    public int hashCode() {
        return 31 * processId + Arrays.hashCode(secretKey);
    }

    /** Leaves the key out: it lets anyone who holds it cancel this session's queries. */
    @Override
    public String toString() {
        return "BackendKeyData[processId=" + processId + ", " + secretKey.length + "-byte key]";
    }
}
