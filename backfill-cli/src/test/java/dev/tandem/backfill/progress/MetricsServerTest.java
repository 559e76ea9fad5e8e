package dev.tandem.backfill.progress;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
            for (String documented : documentedBackfillMetrics()) {
                assertThat(response.body()).as("docs/metrics.md lists %s", documented).contains("\n" + documented);
            }
        }
    }

    /** The names docs/metrics.md gives for the backfill CLI: the catalogue must say what the endpoint serves. */
    private static List<String> documentedBackfillMetrics() throws IOException {
        Path docs = Path.of("").toAbsolutePath();
        while (!Files.exists(docs.resolve("docs/metrics.md"))) {
            docs = docs.getParent();
        }
        List<String> names = new ArrayList<>();
        Matcher m = Pattern.compile("^\\| `(tandem_backfill_[a-z_]+)` \\|.*\\| backfill-cli \\|", Pattern.MULTILINE)
                .matcher(Files.readString(docs.resolve("docs/metrics.md")));
        while (m.find()) {
            names.add(m.group(1));
        }
        assertThat(names).hasSizeGreaterThanOrEqualTo(4);
        return names;
    }
}
