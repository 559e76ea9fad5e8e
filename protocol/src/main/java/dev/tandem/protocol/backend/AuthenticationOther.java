package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;

/**
 * Any authentication request without a dedicated type: KerberosV5 (2), SCMCredential (6), GSS (7),
 * GSSContinue (8), SSPI (9), or a code a future server may add. The body after the code is kept as is.
 */
public record AuthenticationOther(int code, byte[] data) implements Authentication {

    public AuthenticationOther {
        data = data.clone();
    }

    public static AuthenticationOther decode(ByteBuf frame) {
        return Authentication.decode(frame, AuthenticationOther.class);
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    @Override
    public void encode(ByteBuf out) {
        int lengthAt = Authentication.begin(out, code);
        out.writeBytes(data);
        MessageWriter.end(out, lengthAt);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuthenticationOther other && code == other.code && Arrays.equals(data, other.data);
    }

    @Override
    public int hashCode() {
        return 31 * code + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "AuthenticationOther[code=" + code + ", " + data.length + " bytes]";
    }
}
