package dev.tandem.proxy;

import dev.tandem.protocol.sql.TableName;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes the {@code table}-labelled counters (the mirror's, the capture's, the ledger's) of tables the target's
 * catalog look-up no longer finds in any database: a proxy in front of short-lived tables kept each one's series until
 * it restarted. The counters come back if the table is written again. The verifier's divergence gauges follow the
 * tables of its own runs.
 */
final class DroppedTableSeries implements Consumer<Set<TableName>> {

    private static final Logger LOG = LoggerFactory.getLogger(DroppedTableSeries.class);

    private final MeterRegistry registry;
    /** Told the {@code table} label values removed: the counters they cache must be made anew. */
    private final List<Consumer<Set<String>>> caches;

    DroppedTableSeries(MeterRegistry registry, List<Consumer<Set<String>>> caches) {
        this.registry = registry;
        this.caches = caches;
    }

    @Override
    public void accept(Set<TableName> tables) {
        Set<String> names = tables.stream().map(TableName::toString).collect(Collectors.toSet());
        int removed = 0;
        for (Meter meter : registry.getMeters()) {
            if (meter instanceof Counter && meter.getId().getName().startsWith("tandem.")
                    && names.contains(meter.getId().getTag("table"))) {
                registry.remove(meter);
                removed++;
            }
        }
        // after the registry: a count between the two goes into a removed counter (lost with the table), where the
        // other order could cache one the sweep then removes, losing every later count of a table created again
        caches.forEach(cache -> cache.accept(names));
        if (removed > 0) {
            LOG.debug("removed {} series of tables no longer on the target: {}", removed, names);
        }
    }
}
