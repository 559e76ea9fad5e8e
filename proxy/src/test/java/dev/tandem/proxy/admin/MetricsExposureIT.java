package dev.tandem.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.state.TandemSchema;
import dev.tandem.proxy.ProxyApplication;
import dev.tandem.proxy.config.ProxyOptions;
import dev.tandem.proxy.relay.Transport;
import dev.tandem.testing.PostgresPairExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code GET /metrics} exposes every metric {@code docs/metrics.md} documents for the proxy, once a workload has
 * produced the events behind them.
 */
class MetricsExposureIT {

    private static final Pattern LABEL = Pattern.compile("([a-z_]+)=\"");

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    /** Counters of events this workload cannot provoke without breaking the others; each is unit-tested elsewhere. */
    private static final Set<String> EVENT_ONLY = Set.of(
            "tandem_spool_shed_transactions_total", // needs on-full: shed (MirrorModesIT)
            "tandem_connection_errors_total",       // needs a failing connection (RelayRobustnessIT)
            "tandem_mirror_late_rows_total",        // needs a dual-write mark before the rows (MirrorApplierIT)
            "tandem_mirror_commit_order_uncertain_total", // needs concurrent upserts of a key (SessionCaptureIT)
            "jvm_gc_pause_seconds");                // appears after the first garbage collection (AdminServerTest)

    @Test
    void everyDocumentedProxyMetricIsExposed(@TempDir Path dir) throws Exception {
        String db = PG.pair().freshDatabase("metrics");
        PG.pair().executeOnBoth(db, "CREATE TABLE m (t timestamptz NOT NULL, id int PRIMARY KEY)");
        PG.target().execute(db, "INSERT INTO m VALUES (now() - interval '30 minutes', 999)");
        // the verifier compares what the target should hold: from the dual-write mark on
        PG.target().execute(db, TandemSchema.ddl() + "; INSERT INTO tandem.dual_write (database, marked_at)"
                + " VALUES ('" + db + "', now() - interval '1 day')");
        Path config = dir.resolve("tandem.yaml");
        Files.writeString(config, String.join("\n",
                "source: {host: 127.0.0.1, port: " + PG.source().port() + ", tls: disable, user: postgres}",
                "target: {host: 127.0.0.1, port: " + PG.target().port() + ", tls: disable, user: postgres}",
                "mirror:",
                "  tables: {include: [public.m]}",
                "  spool: {dir: " + dir.resolve("spool") + "}",
                "verifier: {enabled: true, interval: 1s, margin: 1s, time-columns: {public.m: t}}",
                "listen: 127.0.0.1:0",
                "admin: {listen: 127.0.0.1:0}", ""));
        ProxyOptions options = new ProxyOptions();
        new CommandLine(options).parseArgs("--config", config.toString());
        try (ProxyApplication app = new ProxyApplication(options.load(Map.of())).start(Transport.choose("auto"))) {
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + app.relayAddress().getPort()
                    + "/" + db, "postgres", ""); Statement s = c.createStatement()) {
                s.execute("INSERT INTO m VALUES (now() - interval '30 minutes', 1)");       // mirrored, non-deterministic
                s.execute("INSERT INTO m VALUES ('2026-01-01', 999) ON CONFLICT DO NOTHING"); // 1 row here, 0 there
                s.execute("UPDATE m SET t = t WHERE id = 1");                               // not mirrored
                s.execute("BEGIN; INSERT INTO m VALUES ('2026-01-02', 3); PREPARE TRANSACTION 'p1'");
                s.execute("ROLLBACK PREPARED 'p1'");
            }
            PG.source().execute(db, "ALTER TABLE m ADD COLUMN extra int");
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + app.relayAddress().getPort()
                    + "/" + db, "postgres", ""); Statement s = c.createStatement()) {
                s.execute("INSERT INTO m (t, id, extra) VALUES ('2026-01-03', 4, 1)");   // the target rejects it
            } finally {
                PG.source().execute(db, "ALTER TABLE m DROP COLUMN extra");
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!app.mirrorCaughtUp() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            PG.target().stop(); // a retry
            Thread.sleep(500);
            PG.target().start();
            Thread.sleep(2500); // a verifier run over the table

            String scrape = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + app.adminPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            MetricsCatalogue catalogue = MetricsCatalogue.load();
            Set<String> missing = new TreeSet<>();
            for (MetricsCatalogue.Entry entry : catalogue.entries().values()) {
                if (entry.exportedBy().startsWith("proxy") && !EVENT_ONLY.contains(entry.name())
                        && !scrape.contains("\n" + entry.name() + "{") && !scrape.contains("\n" + entry.name() + " ")) {
                    missing.add(entry.name());
                }
            }
            assertThat(missing).as("documented proxy metrics missing from /metrics").isEmpty();
            List<String> undocumented = scrape.lines().filter(l -> l.startsWith("tandem_"))
                    .map(l -> l.replaceAll("[{ ].*", "")).distinct()
                    .filter(name -> !catalogue.contains(name)).toList();
            assertThat(undocumented).as("tandem_ metrics on /metrics that docs/metrics.md does not list").isEmpty();
            Set<String> wrongLabels = new TreeSet<>();
            for (String line : scrape.lines().filter(l -> l.startsWith("tandem_") && l.contains("{")).toList()) {
                MetricsCatalogue.Entry entry = catalogue.entries().get(line.substring(0, line.indexOf('{')));
                Set<String> labels = new TreeSet<>();
                Matcher label = LABEL.matcher(line.substring(line.indexOf('{'), line.lastIndexOf('}')));
                while (label.find()) {
                    labels.add(label.group(1));
                }
                labels.remove("proxy_instance"); // on every meter, see docs/metrics.md
                if (entry != null && !labels.equals(new TreeSet<>(entry.labels()))) {
                    wrongLabels.add(entry.name() + " has " + labels + ", the doc says " + entry.labels());
                }
            }
            assertThat(wrongLabels).as("labels on /metrics that differ from docs/metrics.md").isEmpty();
        }
    }
}
