package dev.tandem.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Drives a real admin server on an ephemeral port with the JDK's HTTP client. */
class AdminServerTest {

    private static final String TOKEN = "s3cret-admin-token";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final RecordingActions actions = new RecordingActions();
    private final CountDownLatch neverReleased = new CountDownLatch(1);
    private AdminServer server;
    private AutoCloseable jvmMetrics;

    @AfterEach
    void stop() throws Exception {
        neverReleased.countDown();
        if (server != null) {
            server.close();
        }
        if (jvmMetrics != null) {
            jvmMetrics.close();
        }
        registry.close();
    }

    private AdminServer start(AdminConfig config, List<ReadinessCheck> checks, StatusProvider status) {
        server = new AdminServer(config.withListen("127.0.0.1", 0), registry, checks, status, actions);
        server.start();
        return server;
    }

    private AdminServer startDefault() {
        return start(AdminConfig.defaults().withToken(Optional.of(AdminToken.of(TOKEN))), List.of(),
                () -> Map.of("mode", "async"));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return client.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest.Builder get(String path) {
        return HttpRequest.newBuilder(uri(path)).GET();
    }

    private HttpRequest.Builder post(String path, String token) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.noBody());
        return token == null ? builder : builder.header("Authorization", "Bearer " + token);
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private static JsonNode json(HttpResponse<String> response) throws IOException {
        assertThat(response.headers().firstValue("Content-Type")).contains("application/json; charset=utf-8");
        return JSON.readTree(response.body());
    }

    private static void assertError(HttpResponse<String> response, int status, String messagePart)
            throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode body = json(response);
        assertThat(body.get("status").asInt()).isEqualTo(status);
        assertThat(body.get("error").asText()).contains(messagePart);
    }

    @Test
    void healthIsUp() throws Exception {
        startDefault();
        HttpResponse<String> response = send(get("/health"));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response).get("status").asText()).isEqualTo("UP");
    }

    @Test
    void metricsExposeRegisteredMetersJvmAndNettyInPrometheusText() throws Exception {
        jvmMetrics = AdminMetrics.bindJvm(registry);
        AdminMetrics.bindNettyAllocators(registry);
        Counter.builder("tandem.test.requests").tag("kind", "probe").register(registry).increment(3);
        startDefault();

        HttpResponse<String> response = send(get("/metrics"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).contains(AdminHttpHandler.PROMETHEUS_TEXT);
        assertThat(response.body())
                .contains("tandem_test_requests_total{kind=\"probe\"} 3.0")
                .contains("jvm_memory_used_bytes{")
                .contains("jvm_threads_live_threads ")
                .contains("jvm_classes_loaded_classes ")
                .contains("jvm_gc_")
                .contains("system_cpu_count ")
                .contains("process_uptime_seconds ")
                .contains("tandem_netty_memory_used_bytes{allocator=\"pooled\",type=\"direct\"}")
                .contains("tandem_netty_memory_used_bytes{allocator=\"adaptive\",type=\"heap\"}");
    }

    @Test
    void readyWhenEveryCheckPasses() throws Exception {
        start(AdminConfig.defaults(), List.of(
                ReadinessCheck.of("source", () -> ReadinessCheck.Result.ready("source 127.0.0.1:5432 answered")),
                ReadinessCheck.of("target", () -> ReadinessCheck.Result.ready("mirroring off"))), Map::of);

        HttpResponse<String> response = send(get("/ready"));

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = json(response);
        assertThat(body.get("status").asText()).isEqualTo("READY");
        assertThat(body.get("checks")).hasSize(2);
        assertThat(body.get("checks").get(0).get("name").asText()).isEqualTo("source");
        assertThat(body.get("checks").get(0).get("ready").asBoolean()).isTrue();
        assertThat(body.get("checks").get(0).get("message").asText()).isEqualTo("source 127.0.0.1:5432 answered");
    }

    @Test
    void notReadyWhenACheckFailsThrowsOrHangs() throws Exception {
        start(AdminConfig.defaults().withProviderTimeout(Duration.ofMillis(300)), List.of(
                ReadinessCheck.of("source", () -> ReadinessCheck.Result.ready("ok")),
                ReadinessCheck.of("target", () -> ReadinessCheck.Result.notReady("target 10.0.0.9:5432 refused")),
                ReadinessCheck.of("broken", () -> {
                    throw new IllegalStateException("boom with internal detail");
                }),
                ReadinessCheck.of("hanging", () -> {
                    neverReleased.await();
                    return ReadinessCheck.Result.ready("late");
                })), Map::of);

        HttpResponse<String> response = send(get("/ready"));

        assertThat(response.statusCode()).isEqualTo(503);
        JsonNode body = json(response);
        assertThat(body.get("status").asText()).isEqualTo("NOT_READY");
        Map<String, String> messages = new LinkedHashMap<>();
        body.get("checks").forEach(check -> {
            assertThat(check.get("ready").asBoolean()).isEqualTo(check.get("name").asText().equals("source"));
            messages.put(check.get("name").asText(), check.get("message").asText());
        });
        assertThat(messages).containsEntry("target", "target 10.0.0.9:5432 refused");
        assertThat(messages.get("broken")).contains("see the proxy log").doesNotContain("internal detail");
        assertThat(messages.get("hanging")).contains("no answer within 300 ms");
    }

    @Test
    void statusSerialisesRecordsMapsOptionalsAndTimes() throws Exception {
        record Spool(long bytes, Optional<Instant> oldest) {
        }
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("mode", "async");
        status.put("dualWriteStart", Instant.parse("2026-11-27T03:00:00Z"));
        status.put("spool", new Spool(4096, Optional.empty()));
        status.put("lag", Duration.ofSeconds(2));
        start(AdminConfig.defaults(), List.of(), () -> status);

        HttpResponse<String> response = send(get("/status"));

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = json(response);
        assertThat(body.get("mode").asText()).isEqualTo("async");
        assertThat(body.get("dualWriteStart").asText()).isEqualTo("2026-11-27T03:00:00Z");
        assertThat(body.get("spool").get("bytes").asLong()).isEqualTo(4096);
        assertThat(body.get("spool").get("oldest").isNull()).isTrue();
        assertThat(body.get("lag").asText()).isEqualTo("PT2S");
    }

    @Test
    void failingStatusProviderGivesGeneric500() throws Exception {
        start(AdminConfig.defaults(), List.of(), () -> {
            throw new IllegalStateException("password=hunter2 leaked in a message");
        });
        HttpResponse<String> response = send(get("/status"));
        assertError(response, 500, "internal error while handling /status");
        assertThat(response.body()).doesNotContain("hunter2");
    }

    @Test
    void providerRefusalKeepsItsStatusAndMessage() throws Exception {
        start(AdminConfig.defaults(), List.of(), () -> {
            throw new AdminRequestException(503, "target not reachable yet");
        });
        assertError(send(get("/status")), 503, "target not reachable yet");
    }

    @Test
    void slowStatusProviderTimesOutWith503AndServerStaysResponsive() throws Exception {
        start(AdminConfig.defaults().withProviderTimeout(Duration.ofMillis(300)), List.of(), () -> {
            neverReleased.await();
            return Map.of();
        });
        assertError(send(get("/status")), 503, "no answer within 300 ms");
        assertThat(send(get("/health")).statusCode()).isEqualTo(200);
    }

    @Test
    void metricsAnswerWhileEveryWorkerIsStuckInAStatusLookUp() throws Exception {
        // a JDBC connect to a target that does not answer ignores interrupts, so its worker stays busy past the timeout
        CountDownLatch stuck = new CountDownLatch(2);
        start(AdminConfig.defaults().withProviderTimeout(Duration.ofMillis(500)), List.of(), () -> {
            stuck.countDown();
            while (neverReleased.getCount() > 0) {
                try {
                    neverReleased.await();
                } catch (InterruptedException ignored) {
                    // as a blocked socket connect would
                }
            }
            return Map.of();
        });
        CompletableFuture<HttpResponse<String>> first = client.sendAsync(get("/status").build(),
                HttpResponse.BodyHandlers.ofString());
        CompletableFuture<HttpResponse<String>> second = client.sendAsync(get("/status").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(stuck.await(10, TimeUnit.SECONDS)).as("both workers are in the status provider").isTrue();
        assertThat(send(get("/metrics")).statusCode()).isEqualTo(200);
        assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(503);
        assertThat(second.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(503);
    }

    @Test
    void unknownPathIs404() throws Exception {
        startDefault();
        assertError(send(get("/nope")), 404, "no admin endpoint at /nope");
    }

    @Test
    void wrongMethodIs405WithAllowHeader() throws Exception {
        startDefault();
        HttpResponse<String> postMetrics = send(post("/metrics", TOKEN));
        assertError(postMetrics, 405, "/metrics accepts GET only");
        assertThat(postMetrics.headers().firstValue("Allow")).contains("GET");

        HttpResponse<String> getPause = send(get("/mirror/pause"));
        assertError(getPause, 405, "/mirror/pause accepts POST only");
        assertThat(getPause.headers().firstValue("Allow")).contains("POST");
    }

    @Test
    void malformedHttpIs400() throws Exception {
        startDefault();
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write("THIS IS NOT HTTP AT ALL\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String answer = readAll(socket.getInputStream());
            assertThat(answer).startsWith("HTTP/1.1 400 Bad Request").contains("\"status\" : 400");
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        CountDownLatch slow = new CountDownLatch(1);
        start(AdminConfig.defaults(), List.of(), () -> {
            slow.await();
            return Map.of("mode", "async");
        });
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                    + "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                    + "GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            slow.countDown();
            String answers = readAll(socket.getInputStream());
            int status = answers.indexOf("\"mode\" : \"async\"");
            int health = answers.indexOf("\"status\" : \"UP\"");
            int notFound = answers.indexOf("HTTP/1.1 404 Not Found");
            assertThat(status).as(answers).isGreaterThan(0);
            assertThat(health).as(answers).isGreaterThan(status);
            assertThat(notFound).as(answers).isGreaterThan(health);
        }
    }

    @Test
    void badPercentEncodingIs400AndOversizedHeadersAre431() throws Exception {
        startDefault();
        assertThat(rawExchange("GET /metrics%zz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 400 Bad Request").contains("malformed request target");
        assertThat(rawExchange("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + "a".repeat(20_000)
                + "\r\n\r\n")).startsWith("HTTP/1.1 431 Request Header Fields Too Large").contains("\"status\" : 431");
    }

    /**
     * DNS rebinding: a page in an operator's browser that points its own name at 127.0.0.1 could read GET /status and
     * /metrics through the browser, which sends the page's name as Host. Only an IP address, localhost, the
     * admin.listen host or a name in admin.allowed-hosts is answered; /health says nothing worth reading and stays
     * open to any Host (a load balancer's health check may send its own name).
     */
    @Test
    void aHostHeaderNamingAnotherSiteIsRefusedWith421() throws Exception {
        start(AdminConfig.defaults().withAllowedHosts(List.of("tandem.internal")), List.of(),
                () -> Map.of("mode", "async"));
        String refused = rawExchange("GET /status HTTP/1.1\r\nHost: attacker.example:" + server.port()
                + "\r\nConnection: close\r\n\r\n");
        assertThat(refused).startsWith("HTTP/1.1 421 Misdirected Request").contains("attacker.example",
                "admin.allowed-hosts").doesNotContain("async");
        assertThat(rawExchange("GET /metrics HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 421");
        for (String host : List.of("127.0.0.1", "127.0.0.1:" + server.port(), "localhost:" + server.port(),
                "LocalHost", "[::1]:" + server.port(), "10.1.2.3", "tandem.internal:9187", "TANDEM.internal.")) {
            assertThat(rawExchange("GET /status HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n"))
                    .as(host).startsWith("HTTP/1.1 200").contains("async");
        }
        assertThat(rawExchange("GET /status HTTP/1.0\r\n\r\n")).as("HTTP/1.0 without Host: no browser sends that")
                .startsWith("HTTP/1.1 200");
        assertThat(rawExchange("GET /health HTTP/1.1\r\nHost: lb.example\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 200");
        for (String host : List.of("127.0.0.1.attacker.example", "localhost.attacker.example", "[::1",
                "1.2.3.4:80:80")) {
            assertThat(rawExchange("GET /status HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n"))
                    .as(host).startsWith("HTTP/1.1 421");
        }
    }

    private String rawExchange(String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            return readAll(socket.getInputStream());
        }
    }

    @Test
    void connectionsOverTheCapAreRefusedWith503AndTheOthersKeepWorking() throws Exception {
        start(AdminConfig.defaults().withMaxConnections(2), List.of(), Map::of);
        try (Socket first = new Socket("127.0.0.1", server.port());
             Socket second = new Socket("127.0.0.1", server.port());
             Socket third = new Socket("127.0.0.1", server.port())) {
            third.setSoTimeout(30_000);
            assertThat(readAll(third.getInputStream()))
                    .startsWith("HTTP/1.1 503 Service Unavailable").contains("too many admin connections");
            second.setSoTimeout(30_000);
            second.getOutputStream().write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            assertThat(readAll(second.getInputStream())).startsWith("HTTP/1.1 200 OK");
        }
    }

    @Test
    void aClientTricklingHeadersIsDisconnectedAtTheRequestDeadline() throws Exception {
        start(AdminConfig.defaults().withRequestTimeout(Duration.ofMillis(300)), List.of(), Map::of);
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            OutputStream out = socket.getOutputStream();
            out.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
            boolean disconnected = false;
            for (int header = 0; header < 300 && !disconnected; header++) {
                Thread.sleep(50);
                try {
                    out.write(("X-Slow-" + header + ": a\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                } catch (IOException e) {
                    disconnected = true;
                }
            }
            assertThat(disconnected).as("the server closed the connection of a request never completed").isTrue();
        }
    }

    @Test
    void malformedMarkBodyIs400() throws Exception {
        startDefault();
        assertError(send(post("/dual-write/mark", TOKEN).POST(HttpRequest.BodyPublishers.ofString("{not json"))),
                400, "malformed JSON");
        assertError(send(post("/dual-write/mark", TOKEN).POST(HttpRequest.BodyPublishers.ofString("[1]"))),
                400, "must be empty or a JSON object");
        assertError(send(post("/dual-write/mark", TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString("{\"db\": \"app\"}"))), 400, "unknown field 'db'");
        assertThat(actions.calls).isEmpty();
    }

    @Test
    void aQueryOnAMutatingEndpointIs400AndDoesNothing() throws Exception {
        startDefault();
        assertError(send(post("/dual-write/mark?database=app", TOKEN)), 400,
                "/dual-write/mark takes no query parameters; to mark one database send the body {\"database\": \"app\"}");
        assertError(send(post("/mirror/pause?for=5m", TOKEN)), 400, "/mirror/pause takes no query parameters");
        assertThat(actions.calls).isEmpty();
        assertThat(send(get("/status?pretty")).statusCode()).isEqualTo(200);
    }

    @Test
    void markBodyWithADuplicateFieldOrTrailingContentIs400() throws Exception {
        startDefault();
        assertError(send(post("/dual-write/mark", TOKEN).POST(HttpRequest.BodyPublishers.ofString(
                "{\"database\": \"app\", \"database\": \"other\"}"))), 400, "Duplicate field 'database'");
        assertError(send(post("/dual-write/mark", TOKEN).POST(HttpRequest.BodyPublishers.ofString(
                "{\"database\": \"app\"} {\"database\": \"other\"}"))), 400, "malformed JSON");
        assertThat(actions.calls).isEmpty();
    }

    @Test
    void bodyOverTheCapIs413AndTheConnectionStaysUsable() throws Exception {
        startDefault();
        byte[] big = new byte[AdminConfig.DEFAULT_MAX_REQUEST_BYTES + 1];
        assertError(send(post("/dual-write/mark", TOKEN).POST(HttpRequest.BodyPublishers.ofByteArray(big))), 413,
                "request body larger than 65536 bytes");
        assertThat(send(get("/health")).statusCode()).isEqualTo(200);
        assertThat(rawExchange("POST /dual-write/mark HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TOKEN
                + "\r\nExpect: 100-continue\r\nContent-Length: " + big.length + "\r\n\r\n"))
                .as("answered before the body is sent, and the connection closed")
                .startsWith("HTTP/1.1 413 Request Entity Too Large").contains("\"status\" : 413");
        assertThat(actions.calls).isEmpty();
    }

    @Test
    void mutatingEndpointsAreDisabledWithoutAToken() throws Exception {
        start(AdminConfig.defaults(), List.of(), Map::of);
        for (String path : List.of("/mirror/pause", "/mirror/resume", "/dual-write/mark")) {
            assertError(send(post(path, "anything")), 403, "admin.token-env");
        }
        assertThat(actions.calls).isEmpty();
    }

    @Test
    void missingOrWrongTokenIs401() throws Exception {
        startDefault();
        HttpResponse<String> missing = send(post("/mirror/pause", null));
        assertError(missing, 401, "Authorization: Bearer");
        assertThat(missing.headers().firstValue("WWW-Authenticate")).contains("Bearer realm=\"tandem-admin\"");
        assertError(send(post("/mirror/pause", TOKEN + "x")), 401, "wrong");
        assertError(send(post("/mirror/pause", TOKEN.substring(1))), 401, "wrong");
        assertError(send(post("/mirror/pause", null).header("Authorization", "Basic " + TOKEN)), 401,
                "Authorization: Bearer");
        assertThat(actions.calls).isEmpty();
    }

    @Test
    void rightTokenRunsTheActions() throws Exception {
        startDefault();
        HttpResponse<String> paused = send(post("/mirror/pause", TOKEN));
        assertThat(paused.statusCode()).as(paused.body()).isEqualTo(200);
        assertThat(json(paused).get("paused").asBoolean()).isTrue();
        assertThat(send(post("/mirror/resume", TOKEN)).statusCode()).isEqualTo(200);
        assertThat(send(post("/dual-write/mark", TOKEN)).statusCode()).isEqualTo(200);
        HttpResponse<String> marked = send(post("/dual-write/mark", TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString("{\"database\": \"app\"}")));
        assertThat(json(marked).get("marked").asText()).isEqualTo("app");
        assertThat(actions.calls).containsExactly("pause", "resume", "mark:*", "mark:app");
    }

    @Test
    void markThatOutlivesTheDeadlineSaysItMayStillBeRecorded() throws Exception {
        server = new AdminServer(AdminConfig.defaults().withListen("127.0.0.1", 0)
                .withToken(Optional.of(AdminToken.of(TOKEN))).withProviderTimeout(Duration.ofMillis(300)), registry,
                List.of(), Map::of, new RecordingActions() {
                    @Override
                    public Object markDualWrite(Optional<String> database) throws Exception {
                        neverReleased.await();
                        return Map.of();
                    }
                });
        server.start();
        HttpResponse<String> response = send(post("/dual-write/mark", TOKEN));
        assertError(response, 503, "no answer within 300 ms");
        assertThat(response.body()).contains("may still be recorded").contains("GET /status")
                .contains("moves the mark later");
        assertThat(send(get("/health")).statusCode()).isEqualTo(200);
    }

    @Test
    void aRestartRightAfterAStopBindsTheSamePortThoughTheConnectionsItClosedLinger() throws Exception {
        int port = startDefault().port();
        try (Socket scrape = new Socket("127.0.0.1", port)) {
            scrape.setSoTimeout(30_000);
            OutputStream out = scrape.getOutputStream();
            out.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = scrape.getInputStream();
            assertThat(in.read()).as("the server answers").isNotNegative();
            // the stopping server closes the connection first: its end waits in TIME_WAIT for a minute
            server.close();
            while (in.read() >= 0) {
                // the rest of the answer, up to the server's close
            }
        }
        server = new AdminServer(AdminConfig.defaults().withListen("127.0.0.1", port), registry, List.of(), Map::of,
                actions);
        server.start();
        assertThat(send(get("/health")).statusCode()).isEqualTo(200);
    }

    @Test
    void actionRefusalKeepsItsStatus() throws Exception {
        server = new AdminServer(AdminConfig.defaults().withListen("127.0.0.1", 0)
                .withToken(Optional.of(AdminToken.of(TOKEN))), registry, List.of(), Map::of, AdminActions.MIRROR_OFF);
        server.start();
        assertError(send(post("/mirror/pause", TOKEN)), 409, "mirroring is off");
    }

    @Test
    void closeStopsListeningAndIsIdempotent() throws Exception {
        startDefault();
        int port = server.port();
        server.close();
        server.close();
        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(ConnectException.class);
    }

    @Test
    void closeLetsARequestInFlightFinish() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        start(AdminConfig.defaults(), List.of(), () -> {
            entered.countDown();
            release.await();
            return Map.of("mode", "async");
        });
        int port = server.port();
        CompletableFuture<HttpResponse<String>> pending = client.sendAsync(
                get("/status").timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        entered.await();
        Thread closer = new Thread(server::close, "admin-closer");
        closer.start();
        while (accepts(port)) {
            Thread.onSpinWait();
        }
        release.countDown();
        HttpResponse<String> response = pending.get(30, TimeUnit.SECONDS);
        closer.join();
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response).get("mode").asText()).isEqualTo("async");
    }

    private static boolean accepts(int port) {
        try (Socket probe = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void bindFailureNamesTheAddress() {
        startDefault();
        AdminServer second = new AdminServer(AdminConfig.defaults().withListen("127.0.0.1", server.port()), registry,
                List.of(), Map::of, actions);
        assertThatThrownBy(second::start).hasMessageContaining("cannot bind the admin server to 127.0.0.1:"
                + server.port());
        second.close();
    }

    private static String readAll(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    /** Records each call; answers like a mirror would. */
    private static class RecordingActions implements AdminActions {
        final List<String> calls = Collections.synchronizedList(new ArrayList<>());

        @Override
        public Object pauseMirror() {
            calls.add("pause");
            return Map.of("paused", true);
        }

        @Override
        public Object resumeMirror() {
            calls.add("resume");
            return Map.of("paused", false);
        }

        @Override
        public Object markDualWrite(Optional<String> database) throws Exception {
            calls.add("mark:" + database.orElse("*"));
            return Map.of("marked", database.orElse("*"));
        }
    }
}
