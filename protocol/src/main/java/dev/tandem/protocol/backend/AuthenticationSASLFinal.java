package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;

/** AuthenticationSASLFinal: the SASL outcome (for SCRAM, the server-final-message with the server signature). */
public record AuthenticationSASLFinal(byte[] data) implements Authentication {

    public AuthenticationSASLFinal {
        data = data.clone();
    }

    public static AuthenticationSASLFinal decode(ByteBuf frame) {
        return Authentication.decode(frame, AuthenticationSASLFinal.class);
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    @Override
    public int code() {
        return SASL_FINAL;
    }

    @Override
    public void encode(ByteBuf out) {
        int lengthAt = Authentication.begin(out, SASL_FINAL);
        out.writeBytes(data);
        MessageWriter.end(out, lengthAt);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuthenticationSASLFinal other && Arrays.equals(data, other.data);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(data);
    }

    /** Shows the length only: SASL data is authentication material and must not reach a log. */
    @Override
    public String toString() {
        return "AuthenticationSASLFinal[" + data.length + " bytes]";
    }
}
