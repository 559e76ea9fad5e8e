package dev.tandem.protocol.frontend;

import dev.tandem.protocol.backend.MessageBody;
import dev.tandem.protocol.backend.MessageWriter;
import dev.tandem.protocol.frame.StartupCodes;
import io.netty.buffer.ByteBuf;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * StartupMessage: the first message of a session (no type byte): the protocol version, then name/value pairs
 * ({@code user} is required; {@code database}, {@code application_name}, {@code options} and any run-time
 * parameter may follow) in the order given.
 *
 * @param protocolVersion major version in the high 16 bits, minor in the low 16 ({@link #V3_0} = 196608)
 */
public record StartupMessage(int protocolVersion, Map<String, String> parameters) implements FrontendMessage {

    public static final int V3_0 = StartupCodes.PROTOCOL_3_0;
    public static final int V3_2 = (3 << 16) | 2;

    public StartupMessage {
        parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    }

    public int majorVersion() {
        return protocolVersion >>> 16;
    }

    public int minorVersion() {
        return protocolVersion & 0xffff;
    }

    public static StartupMessage decode(ByteBuf frame) {
        MessageBody body = MessageBody.untyped(frame, "StartupMessage");
        int version = body.readInt();
        if (version >>> 16 != 3) {
            throw body.malformed("unsupported protocol version " + (version >>> 16) + "." + (version & 0xffff));
        }
        Map<String, String> parameters = new LinkedHashMap<>();
        while (true) {
            String name = body.readCString("parameter name");
            if (name.isEmpty()) {
                break;
            }
            parameters.put(name, body.readCString("value of parameter " + name));
        }
        body.expectEnd();
        return new StartupMessage(version, parameters);
    }

    @Override
    public void encode(ByteBuf out) {
        int lengthAt = MessageWriter.beginUntyped(out);
        out.writeInt(protocolVersion);
        for (Map.Entry<String, String> p : parameters.entrySet()) {
            MessageWriter.cString(out, p.getKey());
            MessageWriter.cString(out, p.getValue());
        }
        out.writeByte(0);
        MessageWriter.end(out, lengthAt);
    }
}
