package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;

/** AuthenticationCleartextPassword: the server asks for the password in clear text. It has no data beyond its code, so it is a singleton. */
public final class AuthenticationCleartextPassword implements Authentication {

    public static final AuthenticationCleartextPassword INSTANCE = new AuthenticationCleartextPassword();

    private AuthenticationCleartextPassword() {
    }

    public static AuthenticationCleartextPassword decode(ByteBuf frame) {
        return Authentication.decode(frame, AuthenticationCleartextPassword.class);
    }

    @Override
    public int code() {
        return CLEARTEXT_PASSWORD;
    }

    @Override
    public void encode(ByteBuf out) {
        MessageWriter.end(out, Authentication.begin(out, CLEARTEXT_PASSWORD));
    }

    @Override
    public String toString() {
        return "AuthenticationCleartextPassword";
    }
}
