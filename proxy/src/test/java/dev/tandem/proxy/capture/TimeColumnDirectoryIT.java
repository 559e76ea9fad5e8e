package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.protocol.state.TimeType;
import dev.tandem.proxy.config.TargetConfig;
import dev.tandem.proxy.config.TlsMode;
import dev.tandem.testing.PostgresPairExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The time columns the proxy reads its own ledger entries' ranges by, from a real target's catalog. */
class TimeColumnDirectoryIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    @Test
    void theConfigurationThenAHypertablesDimensionThenARangePartitionKeyThenAStagedPlanSayWhichColumnAPartitionHasItsRoots() {
        String db = PG.pair().freshDatabase("time_columns");
        PG.target().execute(db, "CREATE SCHEMA s;"
                // a hypertable, as TimescaleDB's catalog view shows it (a stand-in: its first dimension is t)
                + " CREATE TABLE s.metrics (id int, t timestamptz(3), v float8, twice float8 GENERATED ALWAYS AS"
                + " (v * 2) STORED);"
                + " CREATE SCHEMA timescaledb_information; CREATE VIEW timescaledb_information.dimensions AS"
                + " SELECT * FROM (VALUES ('s'::name, 'metrics'::name, 'id'::name, 2), ('s', 'metrics', 't', 1),"
                + " ('s', 'configured', 'day', 1))"
                + " d(hypertable_schema, hypertable_name, column_name, dimension_number);"
                // partitioned by range on one column, a partition of it partitioned again by list
                + " CREATE TABLE s.ev (k int, at date NOT NULL) PARTITION BY RANGE (at);"
                + " CREATE TABLE s.ev_2026 PARTITION OF s.ev FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')"
                + " PARTITION BY LIST (k);"
                + " CREATE TABLE public.\"Ev 2026 k1\" PARTITION OF s.ev_2026 FOR VALUES IN (1);"
                // partitioned by list, its time column configured: its partitions have it too
                + " CREATE TABLE s.by_list (k int, at date) PARTITION BY LIST (k);"
                + " CREATE TABLE s.by_list_1 PARTITION OF s.by_list FOR VALUES IN (1);"
                + " CREATE TABLE s.by_two (a int, b int) PARTITION BY RANGE (a, b);"
                // the configuration wins over the dimension
                + " CREATE TABLE s.configured (day date, n bigint);"
                + " CREATE TABLE s.planned (id int, tick bigint);"
                + " CREATE TABLE s.texts (id int, at text);"
                + " CREATE SCHEMA tandem; CREATE TABLE tandem.backfill_task (table_schema text, table_name text,"
                + " time_column text); INSERT INTO tandem.backfill_task VALUES ('s', 'planned', 'tick'),"
                + " ('s', 'gone', 'x')");
        TargetConfig target = new TargetConfig("127.0.0.1", PG.target().port(), "postgres", "UNUSED", Optional.empty(),
                TlsMode.DISABLE, Map.of("app", db), Duration.ofSeconds(5), Optional.empty());
        Map<TableName, String> configured = Map.of(new TableName("s", "configured"), "n",
                new TableName("s", "texts"), "at", new TableName("s", "by_list"), "at");
        try (TimeColumnDirectory dir = new TimeColumnDirectory(target, Duration.ofMinutes(1), configured)) {
            Map<TableName, TableTimeColumn> found = dir.lookUpNow("app");
            TableTimeColumn partitionKey = new TableTimeColumn("at", TimeType.DATE, -1, List.of("k", "at"),
                    List.of("k", "at"));
            assertThat(found).containsOnly(
                    Map.entry(new TableName("s", "metrics"), new TableTimeColumn("t", TimeType.TIMESTAMPTZ, 3,
                            List.of("id", "t", "v", "twice"), List.of("id", "t", "v"))),
                    Map.entry(new TableName("s", "ev"), partitionKey),
                    Map.entry(new TableName("s", "ev_2026"), partitionKey),
                    Map.entry(new TableName("public", "Ev 2026 k1"), partitionKey),
                    Map.entry(new TableName("s", "by_list"), partitionKey),
                    Map.entry(new TableName("s", "by_list_1"), partitionKey),
                    Map.entry(new TableName("s", "configured"), new TableTimeColumn("n", TimeType.BIGINT, -1,
                            List.of("day", "n"), List.of("day", "n"))),
                    Map.entry(new TableName("s", "planned"), new TableTimeColumn("tick", TimeType.BIGINT, -1,
                            List.of("id", "tick"), List.of("id", "tick"))));
        }
    }

    @Test
    void thePartitionMapHoldsTablePartitionsOnlyNotThePartitionsOfTheirIndexes() throws SQLException {
        String db = PG.pair().freshDatabase("time_column_indexes");
        PG.target().execute(db, "CREATE TABLE ev (k int, at date NOT NULL) PARTITION BY RANGE (at);"
                + " CREATE INDEX ev_at ON ev (at); ALTER TABLE ev ADD PRIMARY KEY (k, at);"
                + " CREATE TABLE ev_2026 PARTITION OF ev FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')"
                + " PARTITION BY LIST (k);"
                + " CREATE TABLE ev_2026_k1 PARTITION OF ev_2026 FOR VALUES IN (1);"
                + " CREATE TABLE ev_2027 PARTITION OF ev FOR VALUES FROM ('2027-01-01') TO ('2028-01-01')");
        try (Connection c = PG.target().connect(db); Statement s = c.createStatement()) {
            TableName root = new TableName("public", "ev");
            // the indexes' partitions (ev_2026_at_idx, ev_2026_k1_pkey, ...) share the tables' namespace
            assertThat(TimeColumnDirectory.partitionRoots(s)).containsOnly(
                    Map.entry(new TableName("public", "ev_2026"), root),
                    Map.entry(new TableName("public", "ev_2026_k1"), root),
                    Map.entry(new TableName("public", "ev_2027"), root));
        }
    }
}
