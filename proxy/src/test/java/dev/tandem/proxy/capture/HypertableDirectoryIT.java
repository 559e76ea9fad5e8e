package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.config.TargetConfig;
import dev.tandem.proxy.config.TlsMode;
import dev.tandem.testing.PostgresPairExtension;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The hypertable look-up against a real target. Plain PostgreSQL has no TimescaleDB, so one database carries a stand-in
 * for the documented {@code timescaledb_information.hypertables} view (same schema, name and columns); the real
 * catalog is exercised by the {@code timescaledb}-tagged tests.
 */
class HypertableDirectoryIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static TargetConfig target(Map<String, String> databases) {
        return new TargetConfig("127.0.0.1", PG.target().port(), "postgres", "UNUSED", Optional.empty(), TlsMode.DISABLE,
                databases, Duration.ofSeconds(5), Optional.empty());
    }

    @Test
    void findsTheHypertablesListedInTheTimescaleCatalog() {
        String db = PG.pair().freshDatabase("hyper");
        PG.target().execute(db, "CREATE SCHEMA timescaledb_information;"
                + "CREATE VIEW timescaledb_information.hypertables AS SELECT * FROM (VALUES"
                + " ('public'::name, 'metrics'::name), ('iot', 'Readings')) AS h(hypertable_schema, hypertable_name)");
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
