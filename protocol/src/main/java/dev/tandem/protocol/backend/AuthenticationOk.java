package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;

/** AuthenticationOk: the server accepted the credentials. It has no data beyond its code, so it is a singleton. */
public final class AuthenticationOk implements Authentication {

    public static final AuthenticationOk INSTANCE = new AuthenticationOk();

    private AuthenticationOk() {
    }

    public static AuthenticationOk decode(ByteBuf frame) {
        return Authentication.decode(frame, AuthenticationOk.class);
    }

    @Override
    public int code() {
        return OK;
    }

    @Override
    public void encode(ByteBuf out) {
        MessageWriter.end(out, Authentication.begin(out, OK));
    }

    @Override
    public String toString() {
        return "AuthenticationOk";
    }
}
