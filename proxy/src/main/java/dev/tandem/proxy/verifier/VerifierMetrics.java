package dev.tandem.proxy.verifier;

import dev.tandem.protocol.sql.TableName;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The verifier's meters, named as {@code docs/metrics.md} lists them once the Prometheus registry renders them:
 * {@code tandem_divergence_rows{table}}, {@code tandem_divergence_buckets{table}},
 * {@code tandem_verifier_runs_total{outcome}}, {@code tandem_verifier_last_run_timestamp_seconds} and
 * {@code tandem_ledger_entries_total{table,reason="verifier"}}.
 */
final class VerifierMetrics {

    static final String DIVERGENCE_ROWS = "tandem.divergence.rows";
    static final String DIVERGENCE_BUCKETS = "tandem.divergence.buckets";
    static final String RUNS = "tandem.verifier.runs";
    static final String LAST_RUN = "tandem.verifier.last.run.timestamp";
    static final String LEDGER_ENTRIES = "tandem.ledger.entries";

    /** The last run's result for one table. */
    private record TableGauges(AtomicLong rows, AtomicLong buckets, List<Meter> meters) {
    }

    private final MeterRegistry registry;
    private final Map<TableName, TableGauges> tables = new ConcurrentHashMap<>();
    private final AtomicLong lastRunMillis = new AtomicLong();
    private final Meter lastRun;

    VerifierMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.lastRun = Gauge.builder(LAST_RUN, lastRunMillis, millis -> millis.get() / 1000.0)
                .description("Unix time at which the last verification run finished")
                .baseUnit("seconds")
                .register(registry);
        for (Outcome outcome : Outcome.counted()) {
            runs(outcome);
        }
    }

    void divergence(TableName table, long rows, long buckets) {
        TableGauges gauges = tables.computeIfAbsent(table, t -> {
            AtomicLong rowCount = new AtomicLong();
            AtomicLong bucketCount = new AtomicLong();
            Meter rowGauge = Gauge.builder(DIVERGENCE_ROWS, rowCount, AtomicLong::get)
                    .description("Rows that differ between source and target in the closed buckets of the last run")
                    .tag("table", t.toString())
                    .register(registry);
            Meter bucketGauge = Gauge.builder(DIVERGENCE_BUCKETS, bucketCount, AtomicLong::get)
                    .description("Time buckets found divergent by the last verification run")
                    .tag("table", t.toString())
                    .register(registry);
            return new TableGauges(rowCount, bucketCount, List.of(rowGauge, bucketGauge));
        });
        gauges.rows().set(rows);
        gauges.buckets().set(buckets);
    }

    /** Removes the gauges of tables not in {@code tables}. */
    void retain(Set<TableName> tables) {
        this.tables.entrySet().removeIf(e -> {
            if (tables.contains(e.getKey())) {
                return false;
            }
            e.getValue().meters().forEach(registry::remove);
            return true;
        });
    }

    void ledgered(TableName table) {
        Counter.builder(LEDGER_ENTRIES)
                .description("Entries written to the divergence ledger (tandem.divergence)")
                .tag("table", table.toString())
                .tag("reason", "verifier")
                .register(registry)
                .increment();
    }

    void finished(Outcome outcome, long epochMillis) {
        runs(outcome).increment();
        lastRunMillis.set(epochMillis);
    }

    /**
     * Removes the gauges: a registry keeps the first gauge registered under a name and tags, so a later
     * verifier (after a restart of this component) could not report through them otherwise.
     */
    void close() {
        tables.values().forEach(g -> g.meters().forEach(registry::remove));
        tables.clear();
        registry.remove(lastRun);
    }

    private Counter runs(Outcome outcome) {
        return Counter.builder(RUNS)
                .description("Verification runs by outcome")
                .tag("outcome", outcome.label())
                .register(registry);
    }
}
