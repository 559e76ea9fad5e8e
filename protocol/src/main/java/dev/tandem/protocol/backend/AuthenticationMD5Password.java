package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;

/** AuthenticationMD5Password: the server asks for an MD5-hashed password salted with these 4 bytes. */
public record AuthenticationMD5Password(byte[] salt) implements Authentication {

    public AuthenticationMD5Password {
        if (salt.length != 4) {
            throw new IllegalArgumentException("AuthenticationMD5Password: salt must be 4 bytes, not " + salt.length);
        }
        salt = salt.clone();
    }

    public static AuthenticationMD5Password decode(ByteBuf frame) {
        return Authentication.decode(frame, AuthenticationMD5Password.class);
    }

    @Override
    public byte[] salt() {
        return salt.clone();
    }

    @Override
    public int code() {
        return MD5_PASSWORD;
    }

    @Override
    public void encode(ByteBuf out) {
        int lengthAt = Authentication.begin(out, MD5_PASSWORD);
        out.writeBytes(salt);
        MessageWriter.end(out, lengthAt);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuthenticationMD5Password other && Arrays.equals(salt, other.salt);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(salt);
    }

    /** Shows the length only: SASL data is authentication material and must not reach a log. */
    @Override
    public String toString() {
        return "AuthenticationMD5Password[" + salt.length + " bytes]";
    }
}
