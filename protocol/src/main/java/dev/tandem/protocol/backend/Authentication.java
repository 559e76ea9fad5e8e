package dev.tandem.protocol.backend;

import io.netty.buffer.ByteBuf;

/**
 * The Authentication* family ('R'): one type byte, told apart by the int32 code that starts the body.
 * Codes without a dedicated type (Kerberos, SCM, GSS, SSPI) decode to {@link AuthenticationOther}.
 */
public sealed interface Authentication extends BackendMessage
        permits AuthenticationOk, AuthenticationCleartextPassword, AuthenticationMD5Password, AuthenticationSASL,
                AuthenticationSASLContinue, AuthenticationSASLFinal, AuthenticationOther {

    byte TYPE = 'R';

    int OK = 0;
    int CLEARTEXT_PASSWORD = 3;
    int MD5_PASSWORD = 5;
    int SASL = 10;
    int SASL_CONTINUE = 11;
    int SASL_FINAL = 12;

    /** The int32 code that follows the length. */
    int code();

    static Authentication decode(ByteBuf frame) {
        MessageBody body = MessageBody.typed(frame, TYPE, "Authentication");
        int code = body.readInt();
        Authentication message = switch (code) {
            case OK -> AuthenticationOk.INSTANCE;
            case CLEARTEXT_PASSWORD -> AuthenticationCleartextPassword.INSTANCE;
            case MD5_PASSWORD -> new AuthenticationMD5Password(body.readBytes(4, "MD5 salt"));
            case SASL -> AuthenticationSASL.read(body);
            case SASL_CONTINUE -> new AuthenticationSASLContinue(body.readRemainingBytes());
            case SASL_FINAL -> new AuthenticationSASLFinal(body.readRemainingBytes());
            default -> new AuthenticationOther(code, body.readRemainingBytes());
        };
        body.expectEnd();
        return message;
    }

    /** Decodes an 'R' frame that must hold the given kind of authentication request. */
    static <T extends Authentication> T decode(ByteBuf frame, Class<T> kind) {
        Authentication message = decode(frame);
        if (!kind.isInstance(message)) {
            throw new IllegalArgumentException(kind.getSimpleName() + ": frame holds " + message);
        }
        return kind.cast(message);
    }

    /** Writes the frame header and code; the caller adds the body and calls {@link MessageWriter#end}. */
    static int begin(ByteBuf out, int code) {
        int lengthAt = MessageWriter.begin(out, TYPE);
        out.writeInt(code);
        return lengthAt;
    }
}
