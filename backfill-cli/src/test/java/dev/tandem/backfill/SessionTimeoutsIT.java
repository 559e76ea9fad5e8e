package dev.tandem.backfill;

import static dev.tandem.backfill.Fixtures.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.PostgresPairExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Timeouts an administrator gives applications on either side ({@code ALTER ROLE/DATABASE ... SET}) are off for the
 * backfill's sessions: a task runs as long as its range takes, and with them on every run cut the same tasks again.
 */
class SessionTimeoutsIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    @Test
    void copyAndVerifyRunPastTheTimeoutsBothSidesSetForTheirSessions() {
        String db = PG.pair().freshDatabase("timeouts");
        Fixtures.metrics(PG.pair(), db, "metrics");
        // one row takes the target 300 ms: its COPY statement and transaction outlast the timeouts, and the source's
        // read transaction, its COPY done, waits idle for the target's that long
        PG.target().execute(db, "CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                + " IF NEW.note = 'row 30' THEN PERFORM pg_sleep(0.3); END IF; RETURN NEW; END $$;"
                + " CREATE TRIGGER slow BEFORE INSERT ON metrics FOR EACH ROW EXECUTE FUNCTION slow()");
        Fixtures.stage(PG.pair(), db, "--table", "metrics:t");
        PG.pair().executeOnBoth(db, "ALTER DATABASE " + db + " SET statement_timeout = '100ms';"
                + " ALTER DATABASE " + db + " SET idle_in_transaction_session_timeout = '100ms';"
                + " ALTER DATABASE " + db + " SET transaction_timeout = '150ms'");

        ok(Cli.both("copy", PG.source(), PG.target(), db, "--parallelism", "1"));
        Fixtures.assertCopied(PG.pair(), db, "metrics");
        ok(Cli.both("verify", PG.source(), PG.target(), db));
    }
}
