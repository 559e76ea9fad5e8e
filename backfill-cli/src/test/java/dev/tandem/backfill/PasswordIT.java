package dev.tandem.backfill;

import static dev.tandem.backfill.Fixtures.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.EmbeddedPgServer;
import dev.tandem.testing.PostgresPairExtension;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Passwords come from PGPASSWORD or the named variables, work with SCRAM, and are never printed. */
class PasswordIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static final String SOURCE_PASSWORD = "source-Secr3t";
    private static final String TARGET_PASSWORD = "target-Secr3t";

    @BeforeAll
    static void scram() {
        for (var server : new EmbeddedPgServer[] {(EmbeddedPgServer) PG.source(), (EmbeddedPgServer) PG.target()}) {
            String password = server == PG.source() ? SOURCE_PASSWORD : TARGET_PASSWORD;
            server.execute("postgres", "SET password_encryption = 'scram-sha-256';"
                    + "DROP ROLE IF EXISTS backfiller; CREATE ROLE backfiller LOGIN SUPERUSER PASSWORD '" + password + "'");
            server.setHbaRules("host all all 127.0.0.1/32 scram-sha-256");
        }
    }

    @AfterAll
    static void trust() {
        ((EmbeddedPgServer) PG.source()).setHbaRules("host all all 127.0.0.1/32 trust");
        ((EmbeddedPgServer) PG.target()).setHbaRules("host all all 127.0.0.1/32 trust");
    }

    private static String[] args(String command, String db, String... extra) {
        String[] base = {command,
            "--source", "postgres://backfiller@127.0.0.1:" + PG.source().port() + "/" + db, "--source-password-env", "SRC_PW",
            "--target", "postgresql://backfiller@127.0.0.1:" + PG.target().port() + "/" + db};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    @Test
    void namedVariableAndPgpasswordAuthenticateWithScram() {
        String db = PG.pair().freshDatabase("scram");
        Fixtures.metrics(PG.pair(), db, "metrics");
        Map<String, String> env = Map.of("SRC_PW", SOURCE_PASSWORD, "PGPASSWORD", TARGET_PASSWORD);

        Cli.Run stage = ok(Cli.run(env, args("stage", db, "--table", "metrics:t", "--until", Fixtures.T)));
        Cli.Run copy = ok(Cli.run(env, args("copy", db)));
        Cli.Run verify = ok(Cli.run(env, args("verify", db)));
        Fixtures.assertCopied(PG.pair(), db, "metrics");
        for (Cli.Run run : new Cli.Run[] {stage, copy, verify}) {
            assertThat(run.out() + run.err()).doesNotContain(SOURCE_PASSWORD).doesNotContain(TARGET_PASSWORD);
        }
    }

    @Test
    void aWrongPasswordFailsWithoutPrintingIt() {
        String db = PG.pair().freshDatabase("wrongpw");
        Cli.Run copy = Cli.run(Map.of("SRC_PW", "not-the-password", "PGPASSWORD", TARGET_PASSWORD), args("copy", db));
        assertThat(copy.exitCode()).isEqualTo(ExitCodes.FAILURE);
        assertThat(copy.err()).contains("cannot connect to the source").contains("password authentication failed")
                .doesNotContain("not-the-password");
    }

    @Test
    void aHostThatDoesNotResolveIsNamed() {
        Cli.Run status = Cli.run("status", "--target", "postgres://tandem@no-such-host.invalid:5432/db");
        assertThat(status.exitCode()).as(status.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(status.err()).contains("cannot connect to the target postgres://tandem@no-such-host.invalid:5432/db:"
                + " The connection attempt failed: unknown host (no-such-host.invalid");
    }

    @Test
    void aMissingPasswordSaysWhereToGiveIt() {
        String db = PG.pair().freshDatabase("nopw");
        // no PGPASSWORD: the target's password was given nowhere
        Cli.Run copy = Cli.run(Map.of("SRC_PW", SOURCE_PASSWORD), args("copy", db));
        assertThat(copy.exitCode()).as(copy.toString()).isEqualTo(ExitCodes.FAILURE);
        assertThat(copy.err()).contains("cannot connect to the target")
                .contains("no password was provided; give it in a file with --target-password-file FILE, in a"
                        + " variable named by --target-password-env NAME, or in PGPASSWORD");
    }
}
