package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.config.TargetConfig;
import dev.tandem.proxy.config.TlsMode;
import dev.tandem.testing.HypertableCatalog;
import dev.tandem.testing.PostgresPairExtension;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The hypertable look-up against a real target. Plain PostgreSQL has no TimescaleDB, so one database carries a stand-in
 * of its catalog ({@link HypertableCatalog}); the real catalog is exercised by the {@code timescaledb}-tagged tests.
 */
class HypertableDirectoryIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static TargetConfig target(Map<String, String> databases) {
        return new TargetConfig("127.0.0.1", PG.target().port(), "postgres", "UNUSED", Optional.empty(), TlsMode.DISABLE,
                databases, Duration.ofSeconds(5), Optional.empty());
    }

    /**
     * A calendar-chunked hypertable (2.25) is missing from the {@code hypertables} view, and the mirror would leave its
     * writes out; a continuous aggregate's materialization hypertable is no table the application writes.
     */
    @Test
    void findsTheHypertablesOfTheTimescaleCatalogCalendarChunkedOnesIncluded() {
        String db = PG.pair().freshDatabase("hyper");
        PG.target().execute(db, HypertableCatalog.CREATE + """
                CREATE TABLE metrics (t timestamptz NOT NULL, v int);
                CREATE SCHEMA iot;
                CREATE TABLE iot."Readings" (at timestamptz NOT NULL, v int);
                CREATE SCHEMA _timescaledb_internal;
                CREATE TABLE _timescaledb_internal._materialized_hypertable_3 (bucket timestamptz, n bigint);
                """ + HypertableCatalog.hypertable(1, "public", "metrics", "t")
                + HypertableCatalog.calendarHypertable(2, "iot", "Readings", "at")
                + HypertableCatalog.continuousAggregate(3, 1, "metrics_daily", "bucket"));
        try (HypertableDirectory dir = new HypertableDirectory(target(Map.of()), Duration.ofMinutes(1))) {
            assertThat(dir.lookUpNow(db)).containsExactlyInAnyOrder(new TableName("public", "metrics"),
                    new TableName("iot", "Readings"));
        }
    }

    @Test
    void aTargetThatDoesNotAnswerLeavesTheHypertablesUnknownNotEmpty() {
        try (HypertableDirectory dir = new HypertableDirectory(target(Map.of("app", "no_such_database")),
                Duration.ofMinutes(1))) {
            assertThat(dir.lookUpNow("app")).isNull();
            assertThat(dir.forSourceDatabase("app").get()).isNull();
        }
    }

    @Test
    void aDatabaseWithoutTimescaleHasNoHypertablesAndTheMappingIsFollowed() {
        String db = PG.pair().freshDatabase("plain");
        try (HypertableDirectory dir = new HypertableDirectory(target(Map.of("app", db)), Duration.ofMinutes(1))) {
            assertThat(dir.lookUpNow("app")).isEmpty();
        }
    }
}
