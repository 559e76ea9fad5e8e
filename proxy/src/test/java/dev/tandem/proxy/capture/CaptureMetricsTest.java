package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.LoggedWarnings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CaptureMetricsTest {

    @Test
    void eachUnmirroredWriteIsCountedAndLoggedOncePerTableAndKindWithWhatToDo() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        CaptureMetrics metrics = new CaptureMetrics(registry);
        TableName readings = new TableName("public", "readings");
        List<String> warnings = LoggedWarnings.of(CaptureMetrics.class, () -> {
            metrics.unmirroredWrite(readings, "ddl", 1);
            metrics.unmirroredWrite(readings, "ddl", 2);
            metrics.unmirroredWrite(readings, "update", 5);
        });
        assertThat(registry.get("tandem.unmirrored.writes").tag("table", "public.readings").tag("kind", "ddl")
                .counter().count()).isEqualTo(3);
        assertThat(registry.get("tandem.unmirrored.writes").tag("kind", "update").counter().count()).isEqualTo(5);
        assertThat(warnings).hasSize(2);
        // a schema change is not something repair can copy over: the operator must make it on the target
        assertThat(warnings.get(0)).contains("DDL on mirrored table public.readings", "make the same change there",
                "tandem.divergence", "tandem-backfill repair");
        assertThat(warnings.get(1)).contains("UPDATE on mirrored table public.readings is not mirrored",
                "'tandem-backfill verify' and 'repair'");
    }

    /**
     * A table dropped from the target loses its counters (DroppedTableSeries removes them from the registry); created
     * again under the same name it counts in new ones, not into the removed ones.
     */
    @Test
    void aTableWrittenAgainAfterItsCountersWentGetsNewOnes() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        CaptureMetrics metrics = new CaptureMetrics(registry);
        TableName gone = new TableName("public", "gone");
        TableName kept = new TableName("public", "kept");
        LoggedWarnings.of(CaptureMetrics.class, () -> {
            metrics.unmirroredWrite(gone, "update", 1);
            metrics.unmirroredWrite(kept, "update", 1);
            registry.remove(registry.get("tandem.unmirrored.writes").tag("table", "public.gone").counter());
            metrics.forgetTables(Set.of("public.gone"));
            metrics.unmirroredWrite(gone, "update", 2);
            metrics.unmirroredWrite(kept, "update", 1);
        });
        assertThat(registry.get("tandem.unmirrored.writes").tag("table", "public.gone").counter().count())
                .isEqualTo(2);
        assertThat(registry.get("tandem.unmirrored.writes").tag("table", "public.kept").counter().count())
                .isEqualTo(2);
    }

    /**
     * An INSERT whose VALUES look a value up with a sub-SELECT is not mirrored, as an INSERT ... SELECT: the warning
     * must say so, since the application wrote no INSERT ... SELECT.
     */
    @Test
    void anUnmirroredWriteIsCountedAndNamedOnceInWords() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        CaptureMetrics metrics = new CaptureMetrics(registry);
        TableName readings = new TableName("public", "readings");
        List<String> warnings = LoggedWarnings.of(CaptureMetrics.class, () -> {
            metrics.unmirroredWrite(readings, "insert_select", 2);
            metrics.unmirroredWrite(readings, "insert_select", 1);
            metrics.unmirroredWrite(readings, "copy_from_file", 1);
        });
        assertThat(warnings).containsExactly("INSERT ... SELECT (or an INSERT whose VALUES hold a sub-SELECT: it would"
                + " read the target's data) on mirrored table public.readings is not mirrored to the target: the two"
                + " will differ until 'tandem-backfill verify' and 'repair' (logged once per table and kind)",
                "COPY FROM FILE on mirrored table public.readings is not mirrored to the target: the two will differ"
                        + " until 'tandem-backfill verify' and 'repair' (logged once per table and kind)");
        assertThat(registry.find("tandem.unmirrored.writes").tags("table", "public.readings", "kind", "insert_select")
                .counter().count()).isEqualTo(3);
    }
}
