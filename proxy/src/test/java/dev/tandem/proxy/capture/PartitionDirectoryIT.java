package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.config.TargetConfig;
import dev.tandem.proxy.config.TlsMode;
import dev.tandem.testing.PostgresPairExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The partition look-up against a real target. */
class PartitionDirectoryIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    @Test
    void everyPartitionAtAnyDepthIsListedWithTheRootOfItsTreeAndEveryOtherTableAsSuch() {
        String db = PG.pair().freshDatabase("parts");
        PG.target().execute(db, "CREATE SCHEMA s;"
                + " CREATE TABLE s.ev (t timestamptz NOT NULL, k int) PARTITION BY RANGE (t);"
                + " CREATE TABLE s.ev_2026 PARTITION OF s.ev FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')"
                + " PARTITION BY LIST (k);"
                + " CREATE TABLE public.\"Ev 2026 k1\" PARTITION OF s.ev_2026 FOR VALUES IN (1);"
                + " CREATE TABLE plain (v int); CREATE VIEW v AS SELECT 1 AS one;"
                + " CREATE SCHEMA _timescaledb_internal; CREATE TABLE _timescaledb_internal._hyper_1_1_chunk (v int)");
        TargetConfig target = new TargetConfig("127.0.0.1", PG.target().port(), "postgres", "UNUSED", Optional.empty(),
                TlsMode.DISABLE, Map.of("app", db), Duration.ofSeconds(5), Optional.empty());
        try (PartitionDirectory dir = new PartitionDirectory(target, Duration.ofMinutes(1))) {
            PartitionDirectory.Partitions found = dir.lookUpNow("app");
            TableName root = new TableName("s", "ev");
            assertThat(found.roots()).containsOnly(Map.entry(new TableName("s", "ev_2026"), root),
                    Map.entry(new TableName("public", "Ev 2026 k1"), root));
            assertThat(found.others()).contains(root, new TableName("public", "plain"), new TableName("public", "v"))
                    .doesNotContain(new TableName("s", "ev_2026"))
                    // TimescaleDB's own schemas are left out: their chunks would be most of a large database's tables
                    .doesNotContain(new TableName("_timescaledb_internal", "_hyper_1_1_chunk"));
        }
    }

    /** What was resolved against an answer is resolved again once the number moves: only when the answer changed. */
    @Test
    void theNumberOfChangesMovesWhenALookUpFindsSomethingElse() {
        String db = PG.pair().freshDatabase("parts_changes");
        PG.target().execute(db, "CREATE TABLE plain (v int)");
        TargetConfig target = new TargetConfig("127.0.0.1", PG.target().port(), "postgres", "UNUSED", Optional.empty(),
                TlsMode.DISABLE, Map.of("app", db), Duration.ofSeconds(5), Optional.empty());
        try (PartitionDirectory dir = new PartitionDirectory(target, Duration.ofMinutes(1))) {
            long before = dir.changes();
            dir.lookUpNow("app");
            long first = dir.changes();
            assertThat(first).as("the first answer").isGreaterThan(before);
            dir.lookUpNow("app");
            assertThat(dir.changes()).as("the same answer again").isEqualTo(first);
            PG.target().execute(db, "CREATE SCHEMA early; CREATE TABLE early.plain (v int)");
            dir.lookUpNow("app");
            assertThat(dir.changes()).as("a table more").isGreaterThan(first);
        }
    }

    /** The series of a dropped table go ({@code DroppedTableSeries}): not while another database still has it. */
    @Test
    void aTableGoneFromEveryDatabaseIsToldOnceAndOneAnotherDatabaseHasIsNot() {
        String db = PG.pair().freshDatabase("parts_dropped");
        String other = PG.pair().freshDatabase("parts_dropped_other");
        PG.target().execute(db, "CREATE TABLE gone (v int); CREATE TABLE shared (v int); CREATE TABLE kept (v int)");
        PG.target().execute(other, "CREATE TABLE shared (v int)");
        TargetConfig target = new TargetConfig("127.0.0.1", PG.target().port(), "postgres", "UNUSED", Optional.empty(),
                TlsMode.DISABLE, Map.of("app", db, "other", other), Duration.ofSeconds(5), Optional.empty());
        List<Set<TableName>> told = new ArrayList<>();
        try (PartitionDirectory dir = new PartitionDirectory(target, Duration.ofMinutes(1))) {
            dir.onDropped(told::add);
            dir.lookUpNow("app");
            dir.lookUpNow("other");
            PG.target().execute(db, "DROP TABLE gone; DROP TABLE shared");
            dir.lookUpNow("app");
            dir.lookUpNow("app");
        }
        assertThat(told).containsExactly(Set.of(new TableName("public", "gone")));
    }
}
