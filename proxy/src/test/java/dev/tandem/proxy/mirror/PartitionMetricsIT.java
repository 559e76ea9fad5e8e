package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Writes into partitions named directly count in the {@code table}-labelled series of the mirror and the capture under
 * the root of their partition tree, so a table of thousands of partitions has the series of one table
 * ({@code admin.metrics-per-partition} keeps one set per partition); the counts add up either way.
 */
class PartitionMetricsIT {

    /** A labelled series of Tandem's: {@code name{label="value",...} value}. */
    private static final Pattern SERIES = Pattern.compile("^(tandem_[a-z_]+)\\{([^}]*)} ([0-9.eE+-]+)$");
    private static final Pattern LABEL = Pattern.compile("([a-z_]+)=\"([^\"]*)\"");

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    @Test
    void writesIntoPartitionsByTheirNamesCountUnderTheirPartitionedTable(@TempDir Path dir) throws Exception {
        Map<String, Double> series = seriesAfterWrites(dir, false);

        assertThat(tables(series)).containsExactly("public.ev");
        assertThat(series).containsOnly(
                Map.entry("tandem_mirror_transactions_total public.ev applied", 4.0),
                Map.entry("tandem_mirror_rows_total public.ev applied", 8.0),
                Map.entry("tandem_source_rows_total public.ev", 8.0),
                Map.entry("tandem_target_rows_total public.ev", 8.0),
                Map.entry("tandem_nondeterministic_inserts_total public.ev", 1.0),
                Map.entry("tandem_unmirrored_writes_total public.ev update", 1.0));
    }

    @Test
    void withMetricsPerPartitionEachPartitionWrittenHasItsOwnSeries(@TempDir Path dir) throws Exception {
        Map<String, Double> series = seriesAfterWrites(dir, true);

        assertThat(tables(series)).containsExactly("public.ev_apr", "public.ev_feb", "public.ev_jan",
                "public.ev_mar");
        assertThat(series).containsOnly(
                Map.entry("tandem_mirror_transactions_total public.ev_jan applied", 2.0),
                Map.entry("tandem_mirror_transactions_total public.ev_feb applied", 1.0),
                Map.entry("tandem_mirror_transactions_total public.ev_mar applied", 1.0),
                Map.entry("tandem_mirror_transactions_total public.ev_apr applied", 1.0),
                Map.entry("tandem_mirror_rows_total public.ev_jan applied", 3.0),
                Map.entry("tandem_mirror_rows_total public.ev_feb applied", 1.0),
                Map.entry("tandem_mirror_rows_total public.ev_mar applied", 3.0),
                Map.entry("tandem_mirror_rows_total public.ev_apr applied", 1.0),
                Map.entry("tandem_source_rows_total public.ev_jan", 3.0),
                Map.entry("tandem_source_rows_total public.ev_feb", 1.0),
                Map.entry("tandem_source_rows_total public.ev_mar", 3.0),
                Map.entry("tandem_source_rows_total public.ev_apr", 1.0),
                Map.entry("tandem_target_rows_total public.ev_jan", 3.0),
                Map.entry("tandem_target_rows_total public.ev_feb", 1.0),
                Map.entry("tandem_target_rows_total public.ev_mar", 3.0),
                Map.entry("tandem_target_rows_total public.ev_apr", 1.0),
                Map.entry("tandem_nondeterministic_inserts_total public.ev_apr", 1.0),
                Map.entry("tandem_unmirrored_writes_total public.ev_feb update", 1.0));
    }

    /**
     * A table dropped from the target loses its series at the next look-up of the target's catalog (every
     * {@code mirror.catalog-refresh}, 2 s here), the other tables keep theirs: a proxy in front of short-lived tables
     * (tests that create and drop theirs) kept each one's series until it restarted.
     */
    @Test
    void theSeriesOfATableDroppedFromTheTargetGoAtTheNextCatalogLookUp(@TempDir Path dir) throws Exception {
        String db = PG.pair().freshDatabase("dropped_metrics");
        PG.pair().executeOnBoth(db, "CREATE TABLE kept (id int); CREATE TABLE gone (id int)");
        Path config = dir.resolve("tandem.yaml");
        Files.writeString(config, String.join("\n",
                "source: {host: 127.0.0.1, port: " + PG.source().port() + ", tls: disable}",
                "target: {host: 127.0.0.1, port: " + PG.target().port() + ", tls: disable, user: postgres}",
                "mirror:",
                "  tables: {include: [public.kept, public.gone]}",
                "  spool: {dir: " + dir.resolve("spool") + "}",
                "  catalog-refresh: 2s",
                "listen: 127.0.0.1:0",
                "admin: {listen: 127.0.0.1:0}", ""));
        ProxyOptions options = new ProxyOptions();
        new CommandLine(options).parseArgs("--config", config.toString());
        try (ProxyApplication app = new ProxyApplication(options.load(Map.of())).start(Transport.choose("auto"))) {
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:"
                    + app.relayAddress().getPort() + "/" + db, "postgres", "");
                 Statement s = c.createStatement()) {
                s.execute("INSERT INTO kept VALUES (1)");
                s.execute("INSERT INTO gone VALUES (1)");
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!scrape(app).contains("table=\"public.gone\"") && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(scrape(app)).contains("table=\"public.gone\"", "table=\"public.kept\"");

            PG.pair().executeOnBoth(db, "DROP TABLE gone");
            deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (scrape(app).contains("table=\"public.gone\"") && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(scrape(app)).as("after the next look-up of the target's catalog")
                    .doesNotContain("table=\"public.gone\"").contains("table=\"public.kept\"");
        }
    }

    /**
     * An UPDATE (not mirrored) and four transactions through a mirroring proxy, each naming partitions (one writes
     * two, one a value the server computes), then its {@code table}-labelled series from {@code GET /metrics}:
     * "name table [outcome or kind]" to value.
     */
    private static Map<String, Double> seriesAfterWrites(Path dir, boolean perPartition) throws Exception {
        String db = PG.pair().freshDatabase("partition_metrics");
        PG.pair().executeOnBoth(db, "CREATE TABLE ev (day date NOT NULL, id int, v text) PARTITION BY RANGE (day);"
                + " CREATE INDEX ON ev (day);"
                + " CREATE TABLE ev_jan PARTITION OF ev FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');"
                + " CREATE TABLE ev_feb PARTITION OF ev FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');"
                + " CREATE TABLE ev_mar PARTITION OF ev FOR VALUES FROM ('2026-03-01') TO ('2026-04-01');"
                + " CREATE TABLE ev_apr PARTITION OF ev FOR VALUES FROM ('2026-04-01') TO ('2026-05-01')");
        Path config = dir.resolve("tandem.yaml");
        Files.writeString(config, String.join("\n",
                "source: {host: 127.0.0.1, port: " + PG.source().port() + ", tls: disable}",
                "target: {host: 127.0.0.1, port: " + PG.target().port() + ", tls: disable, user: postgres}",
                "mirror:",
                "  tables: {include: [public.ev]}",
                "  spool: {dir: " + dir.resolve("spool") + "}",
                "listen: 127.0.0.1:0",
                "admin: {listen: 127.0.0.1:0, metrics-per-partition: " + perPartition + "}", ""));
        ProxyOptions options = new ProxyOptions();
        new CommandLine(options).parseArgs("--config", config.toString());
        try (ProxyApplication app = new ProxyApplication(options.load(Map.of())).start(Transport.choose("auto"))) {
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:"
                    + app.relayAddress().getPort() + "/" + db, "postgres", "");
                 Statement s = c.createStatement();
                 PreparedStatement ps = c.prepareStatement("INSERT INTO public.ev_feb VALUES (?, ?, 'extended')")) {
                // the capture knows a partition of a mirrored table once it has read the target's partitions, in the
                // background after the first login: until then its UPDATE is not counted, so it is sent until it is
                // (it changes no row), and the INSERTs below are captured knowing their root
                long known = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                do {
                    s.execute("UPDATE ev_feb SET v = v WHERE id < 0");
                } while (!scrape(app).contains("tandem_unmirrored_writes_total{") && System.nanoTime() < known);
                s.execute("INSERT INTO ev_jan VALUES ('2026-01-05', 1, 'a'), ('2026-01-06', 2, 'b')");
                ps.setObject(1, LocalDate.parse("2026-02-03"));
                ps.setInt(2, 3);
                ps.executeUpdate();
                s.execute("BEGIN; INSERT INTO ev_mar VALUES ('2026-03-01', 4, 'c'), ('2026-03-02', 5, 'd'),"
                        + " ('2026-03-03', 6, 'e'); INSERT INTO ev_jan VALUES ('2026-01-07', 7, 'f'); COMMIT");
                s.execute("INSERT INTO ev_apr VALUES ('2026-04-01', 8, md5(random()::text))");
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!app.mirrorCaughtUp() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(PG.target().queryValue(db, "SELECT count(*) FROM ev")).isEqualTo("8");
            Map<String, Double> series = new TreeMap<>();
            for (String line : scrape(app).lines().toList()) {
                Matcher m = SERIES.matcher(line);
                if (!m.matches()) {
                    continue;
                }
                Map<String, String> labels = new TreeMap<>();
                for (Matcher label = LABEL.matcher(m.group(2)); label.find(); ) {
                    labels.put(label.group(1), label.group(2));
                }
                String table = labels.remove("table");
                labels.remove("proxy_instance");
                if (table != null) {
                    series.put(String.join(" ", m.group(1), table, String.join(" ", labels.values())).strip(),
                            Double.parseDouble(m.group(3)));
                }
            }
            return series;
        }
    }

    /** One client for every scrape: each client keeps its own connections open, and polling would exhaust the admin's. */
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static String scrape(ProxyApplication app) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + app.adminPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static Set<String> tables(Map<String, Double> series) {
        Set<String> tables = new TreeSet<>();
        series.keySet().forEach(key -> tables.add(key.split(" ")[1]));
        return tables;
    }
}
