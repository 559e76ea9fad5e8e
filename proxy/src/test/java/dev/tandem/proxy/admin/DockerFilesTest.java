package dev.tandem.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.tandem.testing.ContainerPgServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import dev.tandem.proxy.config.ConfigLoader;
import dev.tandem.proxy.config.Overrides;
import dev.tandem.proxy.config.ProxyConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Docker is not available where Tandem is developed, so the container files are checked by reading them: the
 * compose stack, Prometheus and Grafana provisioning, the dashboard's queries against docs/metrics.md, the Dockerfile.
 */
class DockerFilesTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode yaml(String relative) throws IOException {
        return YAML.readTree(RepositoryFiles.path(relative).toFile());
    }

    private static List<String> texts(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(value -> values.add(value.asText()));
        return values;
    }

    @Test
    void composeRunsSourceTargetProxyPrometheusGrafanaAndBackfill() throws IOException {
        JsonNode services = yaml("docker/compose.yaml").path("services");
        Set<String> names = new TreeSet<>();
        services.fieldNames().forEachRemaining(names::add);
        assertThat(names).containsExactlyInAnyOrder("source", "target", "proxy", "backfill", "prometheus", "grafana");
        services.properties().forEach(service -> {
            JsonNode body = service.getValue();
            assertThat(body.has("image") || body.has("build")).as(service.getKey() + " has an image").isTrue();
            assertThat(body.path("image").asText()).as(service.getKey() + " image is pinned").doesNotEndWith(":latest");
        });
    }

    @Test
    void sourceAndTargetRunTheSameTimescaleDbImageAsTheTests() throws IOException {
        JsonNode services = yaml("docker/compose.yaml").path("services");
        String source = services.path("source").path("image").asText();
        String target = services.path("target").path("image").asText();
        assertThat(source).startsWith("timescale/timescaledb:").isEqualTo(target)
                .isEqualTo(ContainerPgServer.IMAGE);
        for (String side : List.of("source", "target")) {
            assertThat(texts(services.path(side).path("healthcheck").path("test"))).contains("pg_isready");
            assertThat(services.path("proxy").path("depends_on").path(side).path("condition").asText())
                    .isEqualTo("service_healthy");
        }
        assertThat(texts(services.path("source").path("ports")))
                .isNotEqualTo(texts(services.path("target").path("ports")));
    }

    @Test
    void proxyIsBuiltFromTheDockerfileAndPublishesItsPortsOnLoopback() throws IOException {
        JsonNode proxy = yaml("docker/compose.yaml").path("services").path("proxy");
        assertThat(proxy.path("build").path("context").asText()).isEqualTo("..");
        assertThat(RepositoryFiles.root().resolve(proxy.path("build").path("dockerfile").asText())).isRegularFile();
        assertThat(texts(proxy.path("ports"))).containsExactlyInAnyOrder("127.0.0.1:6432:6432",
                "127.0.0.1:" + AdminConfig.DEFAULT_PORT + ":" + AdminConfig.DEFAULT_PORT);
        assertThat(proxy.path("hostname").asText())
                .as("the spool volume outlives the container; the instance id ($HOSTNAME) must too").isNotEmpty();
        assertThat(proxy.path("environment").has("TANDEM_ADMIN_TOKEN")).isTrue();
        assertThat(proxy.path("environment").path("TANDEM_ADMIN_TOKEN").asText())
                .as("the admin token defaults to empty (disabled), never to a known secret").isEqualTo("${TANDEM_ADMIN_TOKEN:-}");

        JsonNode config = yaml("docker/tandem.yaml");
        assertThat(config.path("admin").path("listen").asText()).endsWith(":" + AdminConfig.DEFAULT_PORT);
        assertThat(config.path("admin").path("token-env").asText()).isEqualTo("TANDEM_ADMIN_TOKEN");
        assertThat(proxy.path("environment").has(config.path("target").path("password-env").asText())).isTrue();
        assertThat(config.path("source").path("host").asText()).isEqualTo("source");
        assertThat(config.path("target").path("host").asText()).isEqualTo("target");
    }

    @Test
    void everyBindMountedFileExists() throws IOException {
        JsonNode services = yaml("docker/compose.yaml").path("services");
        Path docker = RepositoryFiles.path("docker");
        services.properties().forEach(service -> service.getValue().path("volumes").forEach(volume -> {
            String host = volume.asText().split(":")[0];
            if (host.startsWith(".")) {
                assertThat(docker.resolve(host)).as(service.getKey() + " mounts " + host).exists();
            }
        }));
    }

    @Test
    void prometheusScrapesTheProxyAndTheBackfill() throws IOException {
        List<String> targets = new ArrayList<>();
        yaml("docker/prometheus.yml").path("scrape_configs").forEach(job -> job.path("static_configs")
                .forEach(config -> targets.addAll(texts(config.path("targets")))));
        assertThat(targets).containsExactlyInAnyOrder("proxy:" + AdminConfig.DEFAULT_PORT, "backfill:9188");
        assertThat(texts(yaml("docker/tandem.yaml").path("admin").path("allowed-hosts")))
                .as("the Host Prometheus sends, which the admin endpoint answers only when allowed").contains("proxy");
        JsonNode backfill = yaml("docker/compose.yaml").path("services").path("backfill");
        assertThat(backfill.path("entrypoint").toString()).contains("/opt/tandem/backfill/tandem-backfill.jar");
        assertThat(texts(backfill.path("command"))).as("the default command, status, takes the target only: with"
                + " --source it stops at once with a usage error").startsWith("status").doesNotContain("--source");
    }

    @Test
    void grafanaProvisionsThePrometheusDataSourceAndTheDashboard() throws IOException {
        JsonNode source = yaml("docker/grafana/provisioning/datasources/prometheus.yaml").path("datasources").get(0);
        assertThat(source.path("type").asText()).isEqualTo("prometheus");
        assertThat(source.path("url").asText()).isEqualTo("http://prometheus:9090");
        JsonNode provider = yaml("docker/grafana/provisioning/dashboards/tandem.yaml").path("providers").get(0);
        String dashboardsPath = provider.path("options").path("path").asText();
        List<String> grafanaMounts = texts(yaml("docker/compose.yaml").path("services").path("grafana")
                .path("volumes"));
        assertThat(grafanaMounts).contains("./grafana/dashboards:" + dashboardsPath + ":ro",
                "./grafana/provisioning:/etc/grafana/provisioning:ro");

        JsonNode dashboard = JSON.readTree(RepositoryFiles.path("docker/grafana/dashboards/tandem.json").toFile());
        String uid = source.path("uid").asText();
        Set<Integer> ids = new HashSet<>();
        dashboard.path("panels").forEach(panel -> {
            assertThat(ids.add(panel.path("id").asInt())).as("unique panel id " + panel.path("id")).isTrue();
            if (!panel.path("type").asText().equals("row")) {
                assertThat(panel.path("datasource").path("uid").asText()).isEqualTo(uid);
                assertThat(panel.path("targets")).as("queries of " + panel.path("title")).isNotEmpty();
            }
        });
    }

    @Test
    void everyMetricTheDashboardQueriesIsDocumented() throws IOException {
        MetricsCatalogue catalogue = MetricsCatalogue.load();
        JsonNode dashboard = JSON.readTree(RepositoryFiles.path("docker/grafana/dashboards/tandem.json").toFile());
        Set<String> used = new TreeSet<>();
        dashboard.path("panels").forEach(panel -> panel.path("targets").forEach(target -> {
            Set<String> names = PromQlMetricNames.of(target.path("expr").asText());
            assertThat(names).as("metrics in " + target.path("expr")).isNotEmpty();
            used.addAll(names);
        }));
        dashboard.path("templating").path("list").forEach(variable -> {
            String definition = variable.path("definition").asText();
            assertThat(definition).startsWith("label_values(");
            used.add(definition.substring("label_values(".length(), definition.indexOf(',')).strip());
        });
        assertThat(used).hasSizeGreaterThan(20)
                .allSatisfy(metric -> assertThat(catalogue.contains(metric))
                        .as(metric + " is queried by the dashboard but not listed in docs/metrics.md").isTrue());
        assertThat(used).as("the dashboard covers throughput, lag, rows, divergence, spool, errors and backfill")
                .contains("tandem_mirror_rows_total", "tandem_mirror_lag_seconds", "tandem_source_rows_total",
                        "tandem_target_rows_total", "tandem_divergence_rows", "tandem_spool_bytes",
                        "tandem_connection_errors_total", "tandem_backfill_tasks_total", "tandem_backfill_tasks_remaining");
    }

    @Test
    void dockerfileBuildsBothJarsIntoANonRootJreImageWithAHealthCheck() throws IOException {
        List<String> lines = Files.readAllLines(RepositoryFiles.path("docker/Dockerfile"));
        String dockerfile = String.join("\n", lines);
        List<String> froms = lines.stream().filter(line -> line.startsWith("FROM ")).toList();
        assertThat(froms).hasSize(2);
        assertThat(froms.get(0)).startsWith("FROM eclipse-temurin:17-jdk AS build");
        assertThat(froms.get(1)).isEqualTo("FROM eclipse-temurin:17-jre");
        assertThat(dockerfile).contains("./mvnw -B", "package")
                .contains("/src/proxy/target/tandem-proxy.jar", "/src/proxy/target/lib/",
                        "/src/backfill-cli/target/tandem-backfill.jar", "/src/backfill-cli/target/lib/");
        List<String> users = lines.stream().filter(line -> line.startsWith("USER ")).toList();
        assertThat(users).hasSize(1).first().asString().doesNotContain("root").isNotEqualTo("USER 0");
        assertThat(dockerfile.indexOf("USER ")).as("USER comes after the root-only setup")
                .isGreaterThan(dockerfile.indexOf("useradd"));
        assertThat(dockerfile).contains("HEALTHCHECK").contains("curl -fsS")
                .contains("http://127.0.0.1:" + AdminConfig.DEFAULT_PORT + "/health");
        assertThat(dockerfile).contains("ENTRYPOINT [\"java\", \"-jar\", \"/opt/tandem/proxy/tandem-proxy.jar\"]");
        assertThat(RepositoryFiles.path("docker/Dockerfile.dockerignore")).content().contains("**/target");
    }

    @Test
    void theComposeProxyConfigurationLoads() {
        ProxyConfig config = ConfigLoader.load(RepositoryFiles.path("docker/tandem.yaml"), Overrides.none(),
                Map.of("TANDEM_TARGET_PASSWORD", "x", "TANDEM_ADMIN_TOKEN", "y"));
        assertThat(config.mirror().tables().include()).hasSize(1);
        assertThat(config.target().host()).isEqualTo("target");
    }
}
