package dev.tandem.protocol.frontend;

import dev.tandem.protocol.backend.MessageBody;
import dev.tandem.protocol.backend.MessageWriter;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Bind ('B'): creates {@code portal} from {@code statement} with these parameter values.
 *
 * <p>Everything is kept exactly as sent so a replay is byte-identical: the format-code lists keep their length (none =
 * all text, one = applies to all, else one per parameter), and each value stays raw bytes in its format, null for
 * SQL NULL (length -1). {@link #toString()} never shows values.
 */
public record Bind(String portal, String statement, List<Short> parameterFormats, List<byte[]> parameters,
                   List<Short> resultFormats) implements FrontendMessage {

    public static final byte TYPE = 'B';

    public Bind {
        parameterFormats = List.copyOf(parameterFormats);
        List<byte[]> copy = new ArrayList<>(parameters.size());
        for (byte[] p : parameters) {
            copy.add(p == null ? null : p.clone());
        }
        parameters = Collections.unmodifiableList(copy);
        resultFormats = List.copyOf(resultFormats);
    }

    public static Bind decode(ByteBuf frame) {
        MessageBody body = MessageBody.typed(frame, TYPE, "Bind");
        String portal = body.readCString("portal name");
        String statement = body.readCString("statement name");
        List<Short> parameterFormats = body.readShortList("parameter format");
        int n = body.readCount(4, "parameter");
        List<byte[]> parameters = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            parameters.add(body.readNullableBytes("parameter " + (i + 1)));
        }
        List<Short> resultFormats = body.readShortList("result format");
        body.expectEnd();
        return new Bind(portal, statement, parameterFormats, parameters, resultFormats);
    }

    /**
     * The portal and statement names of a Bind frame, without copying its (possibly huge) parameter values: enough
     * to decide whether the values are needed at all.
     *
     * @return {portal, statement}
     */
    public static String[] peekNames(ByteBuf frame) {
        MessageBody body = MessageBody.typed(frame, TYPE, "Bind");
        return new String[] {body.readCString("portal name"), body.readCString("statement name")};
    }

    /**
     * How many parameter values a Bind frame gives, without reading them: a statement that takes another number makes
     * the server refuse the Bind.
     */
    public static int peekParameterCount(ByteBuf frame) {
        MessageBody body = MessageBody.typed(frame, TYPE, "Bind");
        body.readCString("portal name");
        body.readCString("statement name");
        body.readShortList("parameter format");
        return body.readCount(4, "parameter");
    }

    @Override
    public void encode(ByteBuf out) {
        int lengthAt = MessageWriter.begin(out, TYPE);
        MessageWriter.cString(out, portal);
        MessageWriter.cString(out, statement);
        MessageWriter.shortList(out, parameterFormats);
        out.writeShort(parameters.size());
        for (byte[] p : parameters) {
            MessageWriter.nullableBytes(out, p);
        }
        MessageWriter.shortList(out, resultFormats);
        MessageWriter.end(out, lengthAt);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Bind other) || !portal.equals(other.portal) || !statement.equals(other.statement)
                || !parameterFormats.equals(other.parameterFormats) || !resultFormats.equals(other.resultFormats)
                || parameters.size() != other.parameters.size()) {
            return false;
        }
        for (int i = 0; i < parameters.size(); i++) {
            if (!Arrays.equals(parameters.get(i), other.parameters.get(i))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = portal.hashCode() * 31 + statement.hashCode();
        for (byte[] p : parameters) {
            h = 31 * h + Arrays.hashCode(p);
        }
        return 31 * (31 * h + parameterFormats.hashCode()) + resultFormats.hashCode();
    }

    /** Never shows parameter values: they are application data and may be secrets. */
    @Override
    public String toString() {
        return "Bind[portal=" + portal + ", statement=" + statement + ", parameterFormats=" + parameterFormats
                + ", " + parameters.size() + " parameters, resultFormats=" + resultFormats + "]";
    }
}
