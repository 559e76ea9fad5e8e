package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * NegotiateProtocolVersion ('v'): the server does not support the requested minor version or some {@code _pq_.}
 * options; it offers {@code newestVersion} and lists the options it did not recognise.
 *
 * @param newestVersion the newest version the server speaks, as a whole version number (major in the high 16 bits,
 *                      {@code 0x00030000} for 3.0): the "Message Formats" page calls it the newest minor version, but
 *                      PostgreSQL sends, and libpq reads, the whole number
 */
public record NegotiateProtocolVersion(int newestVersion, List<String> unrecognizedOptions)
        implements BackendMessage {

    public static final byte TYPE = 'v';

    public NegotiateProtocolVersion {
        unrecognizedOptions = List.copyOf(unrecognizedOptions);
    }

    public static NegotiateProtocolVersion decode(ByteBuf frame) {
        MessageBody body = MessageBody.typed(frame, TYPE, "NegotiateProtocolVersion");
        int version = body.readInt();
        int n = body.readInt();
        if (n < 0 || n > body.remaining()) {
            throw body.malformed("option count " + n + " does not fit in the " + body.remaining() + " bytes left");
        }
        List<String> options = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            options.add(body.readCString("option name"));
        }
        body.expectEnd();
        return new NegotiateProtocolVersion(version, options);
    }

    @Override
    public void encode(ByteBuf out) {
        int lengthAt = MessageWriter.begin(out, TYPE);
        out.writeInt(newestVersion);
        out.writeInt(unrecognizedOptions.size());
        for (String option : unrecognizedOptions) {
            MessageWriter.cString(out, option);
        }
        MessageWriter.end(out, lengthAt);
    }
}
