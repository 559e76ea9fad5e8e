package dev.tandem.proxy.verifier;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.TableName;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

/** The names operators see are the ones docs/metrics.md lists. */
class VerifierMetricsTest {

    @Test
    void prometheusNamesAreTheDocumentedOnes() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        VerifierMetrics metrics = new VerifierMetrics(registry);
        TableName table = new TableName("public", "metrics");

        metrics.divergence(table, 7, 2);
        metrics.ledgered(table);
        metrics.finished(Outcome.DIVERGENT, 1_767_225_600_000L);

        String scrape = registry.scrape();
        assertThat(scrape)
                .contains("tandem_divergence_rows{table=\"public.metrics\"} 7.0")
                .contains("tandem_divergence_buckets{table=\"public.metrics\"} 2.0")
                .contains("tandem_verifier_runs_total{outcome=\"divergent\"} 1.0")
                .contains("tandem_verifier_runs_total{outcome=\"ok\"} 0.0")
                .contains("tandem_verifier_runs_total{outcome=\"error\"} 0.0")
                .contains("tandem_verifier_last_run_timestamp_seconds 1.7672256E9")
                .contains("tandem_ledger_entries_total{reason=\"verifier\",table=\"public.metrics\"} 1.0");
        registry.close();
    }
}
