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
 * Writes into partitions named directly count in the mirror's {@code table}-labelled series under the root of their
 * partition tree, so a table of thousands of partitions has the series of one table ({@code admin.metrics-per-partition}
 * keeps one set per partition); the ledger-free counts add up either way.
 */
class PartitionMetricsIT {

    /** A series of a {@code table}-labelled mirror metric: {@code name{...table="...",...} value}. */
    private static final Pattern SERIES = Pattern.compile(
            "^(tandem_[a-z_]+)\\{([^}]*)} ([0-9.eE+-]+)$");
    private static final Pattern TABLE = Pattern.compile("table=\"([^\"]*)\"");
    private static final Pattern OUTCOME = Pattern.compile("outcome=\"([^\"]*)\"");

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    @Test
    void writesIntoPartitionsByTheirNamesCountUnderTheirPartitionedTable(@TempDir Path dir) throws Exception {
        Map<String, Double> series = seriesAfterWrites(dir, false);

        assertThat(tables(series)).containsExactly("public.ev");
        assertThat(series).containsOnly(
                Map.entry("tandem_mirror_transactions_total public.ev applied", 3.0),
                Map.entry("tandem_mirror_rows_total public.ev applied", 7.0),
                Map.entry("tandem_source_rows_total public.ev", 7.0),
                Map.entry("tandem_target_rows_total public.ev", 7.0));
    }

    @Test
    void withMetricsPerPartitionEachPartitionWrittenHasItsOwnSeries(@TempDir Path dir) throws Exception {
        Map<String, Double> series = seriesAfterWrites(dir, true);

        assertThat(tables(series)).containsExactly("public.ev_feb", "public.ev_jan", "public.ev_mar");
        assertThat(series).containsOnly(
                Map.entry("tandem_mirror_transactions_total public.ev_jan applied", 2.0),
                Map.entry("tandem_mirror_transactions_total public.ev_feb applied", 1.0),
                Map.entry("tandem_mirror_transactions_total public.ev_mar applied", 1.0),
                Map.entry("tandem_mirror_rows_total public.ev_jan applied", 3.0),
                Map.entry("tandem_mirror_rows_total public.ev_feb applied", 1.0),
                Map.entry("tandem_mirror_rows_total public.ev_mar applied", 3.0),
                Map.entry("tandem_source_rows_total public.ev_jan", 3.0),
                Map.entry("tandem_source_rows_total public.ev_feb", 1.0),
                Map.entry("tandem_source_rows_total public.ev_mar", 3.0),
                Map.entry("tandem_target_rows_total public.ev_jan", 3.0),
                Map.entry("tandem_target_rows_total public.ev_feb", 1.0),
                Map.entry("tandem_target_rows_total public.ev_mar", 3.0));
    }

    /**
     * Three transactions through a mirroring proxy, each naming partitions (one writes two), then its
     * {@code table}-labelled series from {@code GET /metrics}: "name table [outcome]" to value.
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
                s.execute("INSERT INTO ev_jan VALUES ('2026-01-05', 1, 'a'), ('2026-01-06', 2, 'b')");
                ps.setObject(1, LocalDate.parse("2026-02-03"));
                ps.setInt(2, 3);
                ps.executeUpdate();
                s.execute("BEGIN; INSERT INTO ev_mar VALUES ('2026-03-01', 4, 'c'), ('2026-03-02', 5, 'd'),"
                        + " ('2026-03-03', 6, 'e'); INSERT INTO ev_jan VALUES ('2026-01-07', 7, 'f'); COMMIT");
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!app.mirrorCaughtUp() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(PG.target().queryValue(db, "SELECT count(*) FROM ev")).isEqualTo("7");
            String scrape = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + app.adminPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            Map<String, Double> series = new TreeMap<>();
            for (String line : scrape.lines().toList()) {
                Matcher m = SERIES.matcher(line);
                Matcher table = TABLE.matcher(line);
                if (m.matches() && table.find()) {
                    Matcher outcome = OUTCOME.matcher(m.group(2));
                    series.put(m.group(1) + " " + table.group(1) + (outcome.find() ? " " + outcome.group(1) : ""),
                            Double.parseDouble(m.group(3)));
                }
            }
            return series;
        }
    }

    private static Set<String> tables(Map<String, Double> series) {
        Set<String> tables = new TreeSet<>();
        series.keySet().forEach(key -> tables.add(key.split(" ")[1]));
        return tables;
    }
}
