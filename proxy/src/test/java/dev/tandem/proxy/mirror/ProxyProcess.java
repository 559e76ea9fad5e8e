package dev.tandem.proxy.mirror;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The packaged proxy ({@code target/tandem-proxy.jar}) as a child process, so that it can be killed with SIGKILL and
 * started again on the same spool, listen port and admin port. Every run appends to one log file.
 */
final class ProxyProcess implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<String> jvmOptions;
    private final List<String> arguments;
    private final String adminToken;
    private final Path log;
    private final int port;
    private final int adminPort;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Process process;

    /** @param arguments the proxy's flags, without {@code --listen} and {@code --admin-listen} */
    ProxyProcess(List<String> arguments, String adminToken, Path log) throws IOException {
        this(List.of("-Xmx512m"), arguments, adminToken, log);
    }

    /** @param jvmOptions the JVM's options, such as its memory limits */
    ProxyProcess(List<String> jvmOptions, List<String> arguments, String adminToken, Path log) throws IOException {
        this.jvmOptions = List.copyOf(jvmOptions);
        this.port = freePort();
        this.adminPort = freePort();
        this.arguments = new ArrayList<>(arguments);
        this.arguments.addAll(List.of("--listen", "127.0.0.1:" + port, "--admin-listen", "127.0.0.1:" + adminPort));
        this.adminToken = adminToken;
        this.log = log;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    int port() {
        return port;
    }

    Path log() {
        return log;
    }

    /** Starts the proxy and waits until its admin endpoint answers. */
    void start() throws IOException, InterruptedException {
        Path jar = Path.of("target", "tandem-proxy.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException("the packaged proxy " + jar.toAbsolutePath() + " is missing (failsafe runs"
                    + " after package: run the test through 'verify')");
        }
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar.toString()));
        command.addAll(arguments);
        Files.writeString(log, "==== proxy started at " + Instant.now() + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("TANDEM_ADMIN_TOKEN", adminToken);
        process = builder.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (status() == null) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the proxy exited with code " + process.exitValue() + "; see " + log);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the proxy did not answer on its admin port within 60 s; see " + log);
            }
            Thread.sleep(100);
        }
    }

    /** SIGKILL: no shutdown hook, no flush, no clean close of the spool. */
    void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly().waitFor();
        }
    }

    /** SIGTERM: the proxy's own orderly shutdown (SIGKILL if it has not ended after 60 s). */
    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }

    /** {@code GET /status}, or null while the proxy does not answer. */
    JsonNode status() {
        String body = get("/status");
        try {
            return body == null ? null : JSON.readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    /** {@code GET /metrics} in the Prometheus text format, or null while the proxy does not answer. */
    String metrics() {
        return get("/metrics");
    }

    /** A mutating admin call ({@code /mirror/pause}, {@code /mirror/resume}); false if the proxy did not say 200. */
    boolean post(String path) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(admin(path))
                    .header("Authorization", "Bearer " + adminToken).timeout(Duration.ofSeconds(5))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private URI admin(String path) {
        return URI.create("http://127.0.0.1:" + adminPort + path);
    }

    private String get(String path) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(admin(path)).timeout(Duration.ofSeconds(5))
                    .build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
