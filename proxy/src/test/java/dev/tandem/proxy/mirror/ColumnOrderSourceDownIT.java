package dev.tandem.proxy.mirror;

import static dev.tandem.proxy.mirror.MirrorFixture.simple;
import static dev.tandem.proxy.mirror.MirrorFixture.tx;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.PostgresPairExtension;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mirror applies what the spool holds while the source is down: a table whose columns are compared with the
 * source's again (here at a VALUES row of a length not written before) keeps its last comparison instead of failing
 * the apply until the source is back, also on a new connection to the target. A server of its own: the test stops
 * its source.
 */
class ColumnOrderSourceDownIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    @TempDir
    Path spoolDir;

    @Test
    void aComparisonTheSourceCannotAnswerKeepsTheLastOne() throws Exception {
        String db = PG.pair().freshDatabase("order_source_down");
        PG.source().execute(db, "CREATE TABLE ord (ts timestamptz NOT NULL, a text, b text)");
        PG.target().execute(db, "CREATE TABLE ord (ts timestamptz NOT NULL, b text, a text)");
        try (MirrorFixture f = new MirrorFixture(spoolDir, PG.target(), false, false, 64, Map.of(), PG.source())) {
            f.applier.start();
            f.awaitApplied(f.append(tx(db, simple("ord", 1,
                    "INSERT INTO ord VALUES ('2026-01-01 00:00:01+00', 'a1', 'b1')"))));
            PG.source().stop();
            try {
                f.awaitApplied(f.append(tx(db, simple("ord", 1,
                        "INSERT INTO ord VALUES ('2026-01-01 00:00:02+00', 'a2')"))));
                // a new target connection has compared nothing yet: it goes by the last comparison too
                PG.target().query("postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        + " WHERE application_name LIKE 'tandem-mirror%' AND datname = '" + db + "'");
                f.awaitApplied(f.append(tx(db, simple("ord", 1,
                        "INSERT INTO ord VALUES ('2026-01-01 00:00:03+00', 'a3', 'b3')"))));
            } finally {
                PG.source().start();
            }
            assertThat(PG.target().query(db, "SELECT ts::text, a, coalesce(b, 'null') FROM ord ORDER BY ts"))
                    .containsExactly(List.of("2026-01-01 00:00:01+00", "a1", "b1"),
                            List.of("2026-01-01 00:00:02+00", "a2", "null"),
                            List.of("2026-01-01 00:00:03+00", "a3", "b3"));
        }
    }
}
