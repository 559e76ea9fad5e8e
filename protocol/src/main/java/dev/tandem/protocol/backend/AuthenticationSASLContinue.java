package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;

/** AuthenticationSASLContinue: a SASL challenge (for SCRAM, the server-first-message). */
public record AuthenticationSASLContinue(byte[] data) implements Authentication {

    public AuthenticationSASLContinue {
        data = data.clone();
    }

    public static AuthenticationSASLContinue decode(ByteBuf frame) {
        return Authentication.decode(frame, AuthenticationSASLContinue.class);
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    @Override
    public int code() {
        return SASL_CONTINUE;
    }

    @Override
    public void encode(ByteBuf out) {
        int lengthAt = Authentication.begin(out, SASL_CONTINUE);
        out.writeBytes(data);
        MessageWriter.end(out, lengthAt);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuthenticationSASLContinue other && Arrays.equals(data, other.data);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(data);
    }

    /** Shows the length only: SASL data is authentication material and must not reach a log. */
    @Override
    public String toString() {
        return "AuthenticationSASLContinue[" + data.length + " bytes]";
    }
}
