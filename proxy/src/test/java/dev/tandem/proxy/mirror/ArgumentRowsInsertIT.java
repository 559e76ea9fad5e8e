package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.testing.PostgresPairExtension;
import io.micrometer.core.instrument.Counter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * INSERT ... SELECT whose rows come from the statement's own values: the bulk-insert forms time-series applications
 * use, {@code SELECT * FROM unnest($1::timestamptz[], ...)} with one array parameter per column (TimescaleDB's
 * recommended fast insert, asyncpg's and pgx's idiom) and {@code jsonb_populate_recordset}. The target makes the same
 * rows from the same values, so they are mirrored; before, they were counted as {@code insert_select} and not
 * mirrored at all. An INSERT ... SELECT that reads a table still is not.
 */
class ArgumentRowsInsertIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    static RunningMirrorProxy mirror;

    @RegisterExtension
    static final MirrorProxyExtension MIRROR = MirrorProxyExtension.on(PG, "argument_rows", started -> mirror = started)
            .tables("CREATE TABLE metrics (ts timestamptz NOT NULL, device text NOT NULL, v double precision,"
                    + " PRIMARY KEY (ts, device)); CREATE TABLE staging (ts timestamptz, device text, v float8)")
            .flags("--mirror-table", "public.metrics")
            .emptiedBeforeEach("metrics, staging");

    @Test
    void unnestOfArrayParametersIsMirrored() throws Exception {
        double before = unmirrored("insert_select");
        try (Connection c = mirror.connect("prepareThreshold", "1");
             PreparedStatement insert = c.prepareStatement("INSERT INTO metrics (ts, device, v)"
                     + " SELECT * FROM unnest(?::timestamptz[], ?::text[], ?::float8[])"
                     + " ON CONFLICT (ts, device) DO NOTHING")) {
            Instant start = Instant.parse("2026-11-01T00:00:00Z");
            for (int batch = 0; batch < 3; batch++) {
                Timestamp[] times = new Timestamp[100];
                String[] devices = new String[100];
                Double[] values = new Double[100];
                for (int i = 0; i < 100; i++) {
                    times[i] = Timestamp.from(start.plusSeconds(batch * 100L + i));
                    devices[i] = "dev-" + (i % 7);
                    values[i] = i * 0.25;
                }
                insert.setArray(1, c.createArrayOf("timestamptz", times));
                insert.setArray(2, c.createArrayOf("text", devices));
                insert.setArray(3, c.createArrayOf("float8", values));
                assertThat(insert.executeUpdate()).isEqualTo(100);
            }
        }
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            s.execute("BEGIN");
            s.execute("INSERT INTO metrics SELECT ts, 'json', v FROM jsonb_populate_recordset(NULL::metrics,"
                    + " '[{\"ts\": \"2026-11-02T00:00:00Z\", \"v\": 1.5}, {\"ts\": \"2026-11-02T00:00:01Z\"}]')");
            s.execute("INSERT INTO metrics SELECT '2026-11-03'::timestamptz + make_interval(secs => i), 'series', i"
                    + " FROM generate_series(1, 50) AS g(i)");
            s.execute("COMMIT");
            s.execute("BEGIN");
            s.execute("INSERT INTO metrics SELECT * FROM unnest(ARRAY['2026-11-04'::timestamptz], ARRAY['gone'],"
                    + " ARRAY[1.0])");
            s.execute("ROLLBACK");
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        assertThat(PG.source().queryValue(mirror.database, "SELECT count(*) FROM metrics")).isEqualTo("352");
        mirror.assertIdentical("metrics");
        assertThat(unmirrored("insert_select")).isEqualTo(before);
    }

    @Test
    void anInsertThatReadsATableIsStillOnlyCounted() throws Exception {
        double before = unmirrored("insert_select");
        try (Connection c = mirror.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO staging VALUES ('2026-11-05', 'staged', 2)");
            s.execute("INSERT INTO metrics SELECT * FROM unnest(ARRAY['2026-11-05'::timestamptz], ARRAY['a'],"
                    + " ARRAY[1.0]) WHERE NOT EXISTS (SELECT 1 FROM staging WHERE device = 'a')");
            s.execute("INSERT INTO metrics SELECT * FROM staging");
        }
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        assertThat(PG.source().queryValue(mirror.database, "SELECT count(*) FROM metrics")).isEqualTo("2");
        assertThat(PG.target().queryValue(mirror.database, "SELECT count(*) FROM metrics")).isEqualTo("0");
        assertThat(unmirrored("insert_select") - before).isEqualTo(2);
    }

    private static double unmirrored(String kind) {
        Counter c = mirror.app.registry().find("tandem.unmirrored.writes").tag("table", "public.metrics")
                .tag("kind", kind).counter();
        return c == null ? 0 : c.count();
    }
}
