package dev.tandem.testing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@Tag("timescaledb")
class TimescalePairIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.timescaledb();

    @Test
    void bothSidesRunTheSameTimescaleDbVersion() {
        String db = PG.pair().freshDatabase("tsdb");
        PG.pair().executeOnBoth(db, "CREATE EXTENSION IF NOT EXISTS timescaledb");
        PG.source().execute(db, "CREATE TABLE m (t timestamptz NOT NULL, v int);"
                + "SELECT create_hypertable('m', 't');"
                + "INSERT INTO m VALUES (now(), 1)");

        assertThat(PG.source().queryValue(db, "SELECT count(*) FROM timescaledb_information.hypertables"))
                .isEqualTo("1");
        assertThat(PG.source().queryValue(db, "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'"))
                .isEqualTo(PG.target().queryValue(db, "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'"));
    }
}
