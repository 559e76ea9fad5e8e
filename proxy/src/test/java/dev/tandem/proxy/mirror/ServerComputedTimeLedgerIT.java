package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.state.TandemSchema;
import dev.tandem.testing.PostgresPairExtension;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;

/**
 * A transaction the target refuses (a CHECK constraint only the target has) whose rows' times the server computes:
 * {@code now()} (truncated too), the time column's {@code DEFAULT now()}, a COPY field {@code now}. The range of a ledger entry is
 * computed by replaying the rows into a scratch copy of the table on the target, where those times are the target's
 * clock at the replay, not the source's at its commit: the entry named a range microseconds wide that did not hold
 * the source's rows, so {@code repair} re-copied nothing and closed it, and the rows stayed missing without a word.
 * Such an entry has no range (its window is re-copied and {@code settle}d); times the application wrote keep theirs.
 */
class ServerComputedTimeLedgerIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    static RunningMirrorProxy mirror;

    @RegisterExtension
    static final MirrorProxyExtension MIRROR = MirrorProxyExtension.on(PG, "computed_times", started -> mirror = started)
            .prepared(db -> {
                PG.source().execute(db, "CREATE TABLE checked (ts timestamptz NOT NULL DEFAULT now(), v int)");
                PG.target().execute(db, "CREATE TABLE checked (ts timestamptz NOT NULL DEFAULT now(),"
                        + " v int CHECK (v < 100)); " + TandemSchema.ddl());
            })
            .flags("--mirror-table", "public.checked", "--set", "verifier.time-columns.public.checked=ts")
            .emptiedBeforeEach("checked");

    @BeforeEach
    void emptyLedger() {
        PG.target().execute(mirror.database, "DELETE FROM tandem.divergence");
    }

    @Test
    void aRefusedRowStampedWithNowHasNoRange() throws Exception {
        refused("INSERT INTO checked VALUES (now(), 500)");
    }

    @Test
    void aRefusedRowStampedWithATruncatedNowHasNoRange() throws Exception {
        refused("INSERT INTO checked VALUES (date_trunc('minute', now()), 500)");
    }

    @Test
    void aRefusedRowStampedByTheColumnsDefaultHasNoRange() throws Exception {
        refused("INSERT INTO checked (v) VALUES (500)");
    }

    @Test
    void aRefusedCopyOfTheTimeNowHasNoRange() throws Exception {
        try (Connection c = mirror.connect()) {
            c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY checked FROM STDIN", new ByteArrayInputStream(
                    "now\t500\n".getBytes(StandardCharsets.UTF_8)));
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        assertThat(PG.target().query(mirror.database, "SELECT sqlstate, range_start, range_end FROM tandem.divergence"))
                .containsExactly(Arrays.asList("23514", null, null));
    }

    @Test
    void aRefusedRowWithTheApplicationsTimeKeepsItsRange() throws Exception {
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO checked VALUES ('2026-01-01 00:00:05+00', 500)");
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        assertThat(PG.target().query(mirror.database, "SELECT sqlstate, range_start::timestamptz"
                + " = '2026-01-01 00:00:05+00' FROM tandem.divergence")).containsExactly(List.of("23514", "t"));
    }

    @Test
    void aRefusedRowWithAFutureApplicationTimeKeepsItsRange() throws Exception {
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO checked VALUES ('2099-01-01 00:00:05+00', 500)");
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        assertThat(PG.target().query(mirror.database, "SELECT sqlstate, range_start::timestamptz"
                + " = '2099-01-01 00:00:05+00' FROM tandem.divergence")).containsExactly(List.of("23514", "t"));
    }

    private static void refused(String insert) throws Exception {
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            s.execute(insert);
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        assertThat(PG.target().query(mirror.database, "SELECT sqlstate, range_start, range_end FROM tandem.divergence"))
                .containsExactly(Arrays.asList("23514", null, null));
    }
}
