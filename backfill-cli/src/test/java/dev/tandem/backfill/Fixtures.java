package dev.tandem.backfill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.PostgresPair;
import java.util.List;

/** A small time-series table shared by the scenario tests. */
final class Fixtures {

    /** Rows every hour from 2026-01-01 00:00 UTC to 2026-01-06 00:00 (inclusive), 121 rows. */
    static final String T = "2026-01-05 00:00:00+00";

    private Fixtures() {
    }

    /** Creates {@code table} on both sides and fills the source. */
    static void metrics(PostgresPair pair, String db, String table) {
        pair.executeOnBoth(db, "CREATE TABLE " + table + " (t timestamptz NOT NULL, device int, v double precision, note text)");
        pair.source().execute(db, "INSERT INTO " + table + " SELECT '2026-01-01 00:00:00+00'::timestamptz + i * interval '1 hour', "
                + "i % 7, i * 0.1, 'row ' || i FROM generate_series(0, 120) i");
    }

    static List<List<String>> rowsBeforeT(PostgresPair pair, boolean source, String db, String table) {
        return (source ? pair.source() : pair.target()).query(db, "SELECT t, device, v, note FROM " + table
                + " WHERE t < '" + T + "' ORDER BY t, device, v, note");
    }

    /** The target holds exactly the source's rows before T (no duplicates, none missing). */
    static void assertCopied(PostgresPair pair, String db, String table) {
        assertThat(rowsBeforeT(pair, false, db, table)).isEqualTo(rowsBeforeT(pair, true, db, table)).hasSize(96);
    }

    static Cli.Run stage(PostgresPair pair, String db, String... extra) {
        String[] args = new String[extra.length + 2];
        args[0] = "--until";
        args[1] = T;
        System.arraycopy(extra, 0, args, 2, extra.length);
        Cli.Run run = Cli.both("stage", pair.source(), pair.target(), db, args);
        assertThat(run.exitCode()).as(run.toString()).isZero();
        return run;
    }

    static Cli.Run ok(Cli.Run run) {
        assertThat(run.exitCode()).as(run.toString()).isZero();
        return run;
    }
}
