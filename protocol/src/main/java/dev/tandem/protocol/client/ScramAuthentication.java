package dev.tandem.protocol.client;

import com.ongres.scram.client.ScramClient;
import com.ongres.scram.common.StringPreparation;
import com.ongres.scram.common.exception.ScramException;
import dev.tandem.protocol.frontend.PasswordMessage;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One SCRAM-SHA-256 exchange without channel binding, done by the ongres library (the one pgjdbc uses): this class
 * only moves its messages in and out of PasswordMessage bodies.
 */
final class ScramAuthentication {

    static final String MECHANISM = "SCRAM-SHA-256";

    private final ScramClient scram;

    private ScramAuthentication(ScramClient scram) {
        this.scram = scram;
    }

    /** Starts an exchange if the server offers plain SCRAM-SHA-256. */
    static ScramAuthentication start(List<String> offered, String password) {
        if (!offered.contains(MECHANISM)) {
            throw PgException.client(PgException.FEATURE_NOT_SUPPORTED, "server offers SASL mechanisms " + offered
                    + " but this client supports only " + MECHANISM, null);
        }
        // PostgreSQL ignores the SCRAM user name (it has the startup one), so "*" as libpq and pgjdbc send
        return new ScramAuthentication(ScramClient.builder()
                .advertisedMechanisms(List.of(MECHANISM))
                .username("*")
                .password(password.toCharArray())
                .stringPreparation(StringPreparation.POSTGRESQL_PREPARATION)
                .build());
    }

    /** The SASLInitialResponse carrying the client-first-message. */
    PasswordMessage initialResponse() {
        return PasswordMessage.saslInitialResponse(MECHANISM,
                scram.clientFirstMessage().toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The SASLResponse carrying the client-final-message, computed from the server-first-message. */
    PasswordMessage response(byte[] serverFirst) {
        try {
            scram.serverFirstMessage(new String(serverFirst, StandardCharsets.UTF_8));
        } catch (ScramException e) {
            throw PgException.client(PgException.PROTOCOL_VIOLATION, "bad SCRAM server-first-message: "
                    + e.getMessage(), e);
        }
        return PasswordMessage.saslResponse(scram.clientFinalMessage().toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Checks the server signature: a server that does not know the password must not pass for the real one. */
    void verify(byte[] serverFinal) {
        try {
            scram.serverFinalMessage(new String(serverFinal, StandardCharsets.UTF_8));
        } catch (ScramException e) {
            throw PgException.client(PgException.INVALID_AUTHORIZATION, "SCRAM server verification failed: "
                    + e.getMessage(), e);
        }
    }
}
