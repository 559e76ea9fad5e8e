package dev.tandem.protocol.frontend;

import dev.tandem.protocol.backend.MessageBody;
import dev.tandem.protocol.backend.MessageWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * PasswordMessage ('p'): the body of every frontend 'p' frame, kept raw. The same type byte carries
 * PasswordMessage, SASLInitialResponse, SASLResponse and GSSResponse; only the authentication exchange tells them
 * apart, so the builders below produce each body and decoding keeps the bytes. {@link #toString()} shows no content.
 */
public record PasswordMessage(byte[] data) implements FrontendMessage {

    public static final byte TYPE = 'p';

    public PasswordMessage {
        data = data.clone();
    }

    /** A cleartext password (answer to AuthenticationCleartextPassword): the password NUL-terminated. */
    public static PasswordMessage cleartext(String password) {
        return new PasswordMessage(cString(password));
    }

    /**
     * An MD5 password (answer to AuthenticationMD5Password): {@code "md5" + md5hex(md5hex(password + user) + salt)},
     * NUL-terminated, as libpq computes it.
     */
    public static PasswordMessage md5(String user, String password, byte[] salt) {
        byte[] inner = md5Hex(concat(password.getBytes(StandardCharsets.UTF_8), user.getBytes(StandardCharsets.UTF_8)))
                .getBytes(StandardCharsets.US_ASCII);
        return new PasswordMessage(cString("md5" + md5Hex(concat(inner, salt))));
    }

    /**
     * A SASLInitialResponse: the chosen mechanism NUL-terminated, then the int32 length of the initial response and
     * its bytes (-1 for none).
     */
    public static PasswordMessage saslInitialResponse(String mechanism, byte[] initialResponse) {
        ByteBuf body = Unpooled.buffer();
        try {
            MessageWriter.cString(body, mechanism);
            MessageWriter.nullableBytes(body, initialResponse);
            byte[] bytes = new byte[body.readableBytes()];
            body.readBytes(bytes);
            return new PasswordMessage(bytes);
        } finally {
            body.release();
        }
    }

    /** A SASLResponse: the SASL data as is. */
    public static PasswordMessage saslResponse(byte[] data) {
        return new PasswordMessage(data);
    }

    public static PasswordMessage decode(ByteBuf frame) {
        return new PasswordMessage(MessageBody.typed(frame, TYPE, "PasswordMessage").readRemainingBytes());
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    @Override
    public void encode(ByteBuf out) {
        int lengthAt = MessageWriter.begin(out, TYPE);
        out.writeBytes(data);
        MessageWriter.end(out, lengthAt);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PasswordMessage other && Arrays.equals(data, other.data);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "PasswordMessage[" + data.length + " bytes]";
    }

    private static byte[] cString(String s) {
        byte[] text = s.getBytes(StandardCharsets.UTF_8);
        return Arrays.copyOf(text, text.length + 1);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private static String md5Hex(byte[] input) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(input));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no MD5, which every Java SE runtime must provide", e);
        }
    }
}
