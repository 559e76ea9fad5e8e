package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/** AuthenticationSASL: the server offers these SASL mechanisms, in its order of preference. */
public record AuthenticationSASL(List<String> mechanisms) implements Authentication {

    public AuthenticationSASL {
        mechanisms = List.copyOf(mechanisms);
    }

    public static AuthenticationSASL decode(ByteBuf frame) {
        return Authentication.decode(frame, AuthenticationSASL.class);
    }

    /** Reads the mechanism names, each NUL-terminated, up to the empty name that ends the list. */
    static AuthenticationSASL read(MessageBody body) {
        List<String> names = new ArrayList<>();
        while (true) {
            String name = body.readCString("SASL mechanism name");
            if (name.isEmpty()) {
                return new AuthenticationSASL(names);
            }
            names.add(name);
        }
    }

    @Override
    public int code() {
        return SASL;
    }

    @Override
    public void encode(ByteBuf out) {
        int lengthAt = Authentication.begin(out, SASL);
        for (String name : mechanisms) {
            MessageWriter.cString(out, name);
        }
        out.writeByte(0);
        MessageWriter.end(out, lengthAt);
    }
}
