package dev.tandem.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/metrics.md is the contract for metric names: it must be well-formed and follow Prometheus conventions. */
class MetricsCatalogueTest {

    private static final Set<String> TYPES = Set.of("counter", "gauge", "summary", "histogram");
    /** The only metrics with a series per target database: which one is behind, one series each. */
    private static final Set<String> DATABASE_LABELLED = Set.of("tandem_mirror_database_lag_seconds",
            "tandem_mirror_database_lag_bytes");

    @Test
    void everyEntryFollowsTheNamingConventions() throws Exception {
        MetricsCatalogue catalogue = MetricsCatalogue.load();
        assertThat(catalogue.entries()).hasSizeGreaterThan(30);
        catalogue.entries().values().forEach(entry -> {
            assertThat(entry.name()).as("metric name").matches("[a-z][a-z0-9_]*");
            assertThat(TYPES).as("type of " + entry.name()).contains(entry.type());
            assertThat(entry.exportedBy()).as("component of " + entry.name()).isNotBlank();
            assertThat(entry.meaning()).as("meaning of " + entry.name()).isNotBlank();
            entry.labels().forEach(label -> assertThat(label).as("label of " + entry.name()).matches("[a-z][a-z_]*"));
            if (entry.name().startsWith("tandem_")) {
                if (entry.type().equals("counter")) {
                    assertThat(entry.name()).as("counter name").endsWith("_total");
                } else {
                    assertThat(entry.name()).as(entry.type() + " name").doesNotEndWith("_total");
                }
                assertThat(entry.name()).as("base units only").doesNotContain("_milliseconds", "_ms_", "_kb",
                        "_mb", "_bytes_bytes");
                if (!DATABASE_LABELLED.contains(entry.name())) {
                    assertThat(entry.labels()).as("database must not be a label").doesNotContain("database");
                }
            }
        });
    }

    @Test
    void listsTheDecidedRelayMetricsAndThePlannedOnes() throws Exception {
        MetricsCatalogue catalogue = MetricsCatalogue.load();
        assertThat(catalogue.entries().keySet()).contains(
                "tandem_connections_active", "tandem_connections_total", "tandem_connection_errors_total",
                "tandem_relay_bytes_total", "tandem_relay_messages_total",
                "tandem_mirror_transactions_total", "tandem_mirror_rows_total", "tandem_source_rows_total",
                "tandem_target_rows_total", "tandem_mirror_row_count_mismatches_total", "tandem_mirror_lag_seconds",
                "tandem_mirror_lag_bytes", "tandem_spool_bytes", "tandem_spool_records", "tandem_mirror_retries_total",
                "tandem_ledger_entries_total", "tandem_unmirrored_writes_total",
                "tandem_nondeterministic_inserts_total", "tandem_spool_shed_transactions_total",
                "tandem_divergence_rows", "tandem_divergence_buckets", "tandem_backfill_tasks_total",
                "tandem_backfill_tasks_remaining", "tandem_backfill_rows_total", "tandem_backfill_bytes_total");
        assertThat(catalogue.entries().get("tandem_relay_bytes_total").labels()).containsExactly("direction");
        assertThat(catalogue.entries().get("tandem_relay_messages_total").labels())
                .containsExactly("direction", "type");
        assertThat(catalogue.entries().get("tandem_connection_errors_total").labels()).containsExactly("reason");
        assertThat(catalogue.entries().get("tandem_divergence_rows").labels()).containsExactly("table");
        assertThat(catalogue.entries().get("tandem_connections_active").type()).isEqualTo("gauge");
    }

    @Test
    void everyTandemMetricTheAdminHelpersExportIsDocumented() throws Exception {
        MetricsCatalogue catalogue = MetricsCatalogue.load();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        AutoCloseable jvm = AdminMetrics.bindJvm(registry);
        try {
            AdminMetrics.bindNettyAllocators(registry);
            Set<String> exported = new TreeSet<>();
            Matcher sample = Pattern.compile("(?m)^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]").matcher(registry.scrape());
            while (sample.find()) {
                exported.add(sample.group(1));
            }
            assertThat(exported).filteredOn(name -> name.startsWith("tandem_"))
                    .isNotEmpty()
                    .allSatisfy(name -> assertThat(catalogue.contains(name)).as(name + " in docs/metrics.md").isTrue());
            // Summaries (GC pauses) appear only once the first event is recorded, so only gauges are required here.
            catalogue.entries().values().stream()
                    .filter(entry -> !entry.name().startsWith("tandem_") || entry.name().startsWith("tandem_netty_"))
                    .filter(entry -> entry.type().equals("gauge"))
                    .forEach(entry -> assertThat(exported).as("documented process metric exported")
                            .contains(entry.name()));
        } finally {
            jvm.close();
            registry.close();
        }
    }
}
