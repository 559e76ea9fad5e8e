package dev.tandem.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.TableName;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DroppedTableSeriesTest {

    private static final TableName GONE = new TableName("public", "gone");

    @Test
    void theCountersOfADroppedTableGoAndEveryOtherMeterStays() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Counter.builder("tandem.mirror.rows").tag("table", "public.gone").tag("outcome", "applied").register(registry);
        Counter.builder("tandem.ledger.entries").tag("table", "public.gone").tag("reason", "shed").register(registry);
        Counter.builder("tandem.mirror.rows").tag("table", "public.kept").tag("outcome", "applied").register(registry);
        // the verifier's gauges follow the tables of its own runs
        Gauge.builder("tandem.verifier.divergence.rows", () -> 0).tag("table", "public.gone").register(registry);
        List<Set<String>> told = new ArrayList<>();

        new DroppedTableSeries(registry, List.of(told::add)).accept(Set.of(GONE));

        assertThat(registry.find("tandem.mirror.rows").tag("table", "public.gone").counters()).isEmpty();
        assertThat(registry.find("tandem.ledger.entries").tag("table", "public.gone").counters()).isEmpty();
        assertThat(registry.find("tandem.mirror.rows").tag("table", "public.kept").counter()).isNotNull();
        assertThat(registry.find("tandem.verifier.divergence.rows").gauge()).isNotNull();
        assertThat(told).containsExactly(Set.of("public.gone"));
    }
}
