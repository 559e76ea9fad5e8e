package dev.tandem.backfill.progress;

import com.sun.net.httpserver.HttpServer;
import dev.tandem.backfill.BackfillException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code --metrics-port}: Prometheus metrics of the running command on {@code GET /metrics} (tasks by outcome, rows,
 * bytes, errors, tasks of the run still to go).
 */
public final class MetricsServer implements ProgressListener {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final HttpServer server;
    private final Counter tasksDone;
    private final Counter tasksFailed;
    private final Counter rows;
    private final Counter bytes;
    private final AtomicLong remaining = new AtomicLong();

    private MetricsServer(HttpServer server) {
        this.server = server;
        tasksDone = Counter.builder("tandem_backfill_tasks").tag("outcome", "done").register(registry);
        tasksFailed = Counter.builder("tandem_backfill_tasks").tag("outcome", "failed").register(registry);
        rows = Counter.builder("tandem_backfill_rows").register(registry);
        bytes = Counter.builder("tandem_backfill_bytes").register(registry);
        registry.gauge("tandem_backfill_tasks_remaining", remaining);
    }

    /** picocli converter of {@code --metrics-port}: a port out of range is a usage error (exit 2), not a stack trace. */
    public static final class PortConverter implements picocli.CommandLine.ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            int port;
            try {
                port = Integer.parseInt(value);
            } catch (NumberFormatException e) {
                throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not a port number");
            }
            if (port < 0 || port > 65535) {
                throw new picocli.CommandLine.TypeConversionException(port + " is not a port: allowed 0 (any free"
                        + " port) to 65535");
            }
            return port;
        }
    }

    /** Listens on 127.0.0.1:port (0 picks a free port, see {@link #port()}). */
    public static MetricsServer start(int port) {
        try {
            HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
            MetricsServer metrics = new MetricsServer(http);
            http.createContext("/metrics", exchange -> {
                byte[] body = metrics.registry.scrape().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream os = exchange.getResponseBody()) {
                    os.write(body);
                }
            });
            http.start();
            return metrics;
        } catch (IOException e) {
            throw new BackfillException("cannot listen for metrics on port " + port + ": " + e.getMessage(), e);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void started(long tasks) {
        remaining.set(tasks);
    }

    @Override
    public void taskDone(long rows, long bytes) {
        tasksDone.increment();
        this.rows.increment(rows);
        this.bytes.increment(bytes);
        remaining.decrementAndGet();
    }

    @Override
    public void taskFailed() {
        tasksFailed.increment();
        remaining.decrementAndGet();
    }

    @Override
    public void close() {
        server.stop(0);
        registry.close();
    }
}
