package dev.tandem.backfill.progress;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class MetricsServerTest {

    @Test
    void servesTaskRowAndByteCountersInPrometheusFormat() throws Exception {
        try (MetricsServer metrics = MetricsServer.start(0)) {
            metrics.started(3);
            metrics.taskDone(100, 4096);
            metrics.taskFailed();
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + metrics.port() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body())
                    .contains("tandem_backfill_tasks_total{outcome=\"done\"} 1.0")
                    .contains("tandem_backfill_tasks_total{outcome=\"failed\"} 1.0")
                    .contains("tandem_backfill_rows_total 100.0")
                    .contains("tandem_backfill_bytes_total 4096.0")
                    .contains("tandem_backfill_tasks_remaining 1.0");
        }
    }
}
