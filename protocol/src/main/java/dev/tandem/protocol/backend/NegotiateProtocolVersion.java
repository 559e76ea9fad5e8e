package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * NegotiateProtocolVersion ('v'): the server does not support the requested minor version or some {@code _pq_.}
 * options; it offers {@code newestMinorVersion} and lists the options it did not recognise.
 */
public record NegotiateProtocolVersion(int newestMinorVersion, List<String> unrecognizedOptions)
        implements BackendMessage {

    public static final byte TYPE = 'v';

    public NegotiateProtocolVersion {
        unrecognizedOptions = List.copyOf(unrecognizedOptions);
    }

    public static NegotiateProtocolVersion decode(ByteBuf frame) {
        MessageBody body = MessageBody.typed(frame, TYPE, "NegotiateProtocolVersion");
        int minor = body.readInt();
        int n = body.readInt();
        if (n < 0 || n > body.remaining()) {
            throw body.malformed("option count " + n + " does not fit in the " + body.remaining() + " bytes left");
        }
        List<String> options = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            options.add(body.readCString("option name"));
        }
        body.expectEnd();
        return new NegotiateProtocolVersion(minor, options);
    }

    @Override
    public void encode(ByteBuf out) {
        int lengthAt = MessageWriter.begin(out, TYPE);
        out.writeInt(newestMinorVersion);
        out.writeInt(unrecognizedOptions.size());
        for (String option : unrecognizedOptions) {
            MessageWriter.cString(out, option);
        }
        MessageWriter.end(out, lengthAt);
    }
}
