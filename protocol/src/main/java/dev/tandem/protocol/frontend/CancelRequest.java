package dev.tandem.protocol.frontend;

import dev.tandem.protocol.backend.BackendKeyData;
import dev.tandem.protocol.backend.MessageBody;
import dev.tandem.protocol.frame.StartupCodes;
import io.netty.buffer.ByteBuf;
import java.util.Arrays;

/**
 * CancelRequest: sent on a new connection to cancel what process {@code processId} runs. The secret key is the one
 * BackendKeyData gave, 4 bytes up to protocol 3.1 and up to 256 from 3.2, kept as the bytes received.
 */
public record CancelRequest(int processId, byte[] secretKey) implements FrontendMessage {

    public static final int CODE = StartupCodes.CANCEL_REQUEST;

    public CancelRequest {
        secretKey = BackendKeyData.checkedKey(secretKey, "CancelRequest");
    }

    public static CancelRequest decode(ByteBuf frame) {
        MessageBody body = MessageBody.request(frame, CODE, "CancelRequest");
        int pid = body.readInt();
        return new CancelRequest(pid, BackendKeyData.readKey(body));
    }

    @Override
    public byte[] secretKey() {
        return secretKey.clone();
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeInt(12 + secretKey.length);
        out.writeInt(CODE);
        out.writeInt(processId);
        out.writeBytes(secretKey);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CancelRequest other && processId == other.processId
                && Arrays.equals(secretKey, other.secretKey);
    }

    @Override
    public int hashCode() {
        return 31 * processId + Arrays.hashCode(secretKey);
    }

    /** Leaves the key out: whoever holds it can cancel that session's queries. */
    @Override
    public String toString() {
        return "CancelRequest[processId=" + processId + ", " + secretKey.length + "-byte key]";
    }
}
