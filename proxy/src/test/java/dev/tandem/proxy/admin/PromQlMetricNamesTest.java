package dev.tandem.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PromQlMetricNamesTest {

    @Test
    void findsMetricsInsideFunctionsAggregationsAndArithmetic() {
        assertThat(PromQlMetricNames.of(
                "sum by (table) (rate(tandem_source_rows_total{table=~\"$table\"}[$__rate_interval]))"
                        + " - sum by (table) (tandem_target_rows_total{table=~\"a|b\"})"))
                .containsExactly("tandem_source_rows_total", "tandem_target_rows_total");
    }

    @Test
    void ignoresLabelsStringsDurationsKeywordsAndNumbers() {
        assertThat(PromQlMetricNames.of("sum(tandem_backfill_tasks{state=\"done\"}) / sum(tandem_backfill_tasks) "
                + "> bool 0.5e3 offset 5m"))
                .containsExactly("tandem_backfill_tasks");
        assertThat(PromQlMetricNames.of("max without (instance, job) (a_metric) * on (table) group_left (kind) b"))
                .containsExactly("a_metric", "b");
    }

    @Test
    void aBareSelectorIsAMetric() {
        assertThat(PromQlMetricNames.of("tandem_mirror_lag_seconds")).containsExactly("tandem_mirror_lag_seconds");
    }
}
