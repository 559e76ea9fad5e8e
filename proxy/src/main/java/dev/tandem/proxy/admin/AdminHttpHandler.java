package dev.tandem.proxy.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.ReadTimeoutException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers one admin HTTP request at a time per connection.
 *
 * <p>Providers complete on worker threads, so a request that arrives while the previous one is still being answered
 * (HTTP pipelining) waits in a short queue, and reading from the socket stops until the queue drains: answers go
 * out in request order and a client cannot pile up requests. Everything except {@code /health} and the routing
 * errors runs on {@link BlockingCalls}. The busy flag, the queue and the request deadline are touched on the event
 * loop only.
 *
 * <p>While the connection waits for a request, a deadline runs: a client that has not delivered a complete request
 * within {@link AdminConfig#requestTimeout()} is disconnected, however many bytes it trickles in meanwhile (a read
 * timeout alone would let a client hold the connection forever with one header byte a minute).
 */
final class AdminHttpHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(AdminHttpHandler.class);

    private static final int MAX_PIPELINED_REQUESTS = 16;

    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private static final String ENDPOINT_LIST = Stream.of(AdminEndpoint.values())
            .map(endpoint -> endpoint.method() + " " + endpoint.path())
            .collect(Collectors.joining(", "));

    private final AdminConfig config;
    private final PrometheusMeterRegistry registry;
    private final List<ReadinessCheck> checks;
    private final StatusProvider status;
    private final AdminActions actions;
    private final BlockingCalls calls;
    private final BlockingCalls scrapes;
    private final InFlightRequests inFlight;
    private final AllowedHosts allowedHosts;
    private final ArrayDeque<FullHttpRequest> waiting = new ArrayDeque<>();
    private boolean busy;
    private ScheduledFuture<?> requestDeadline;

    AdminHttpHandler(AdminConfig config, PrometheusMeterRegistry registry, List<ReadinessCheck> checks,
                     StatusProvider status, AdminActions actions, BlockingCalls calls, BlockingCalls scrapes,
                     InFlightRequests inFlight) {
        this.config = config;
        this.registry = registry;
        this.checks = checks;
        this.status = status;
        this.actions = actions;
        this.calls = calls;
        this.scrapes = scrapes;
        this.inFlight = inFlight;
        this.allowedHosts = new AllowedHosts(config.host(), config.allowedHosts());
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        awaitRequest(ctx);
        super.channelActive(ctx);
    }

    private void awaitRequest(ChannelHandlerContext ctx) {
        long nanos = config.requestTimeout().toNanos();
        requestDeadline = ctx.executor().schedule(() -> {
            LOG.debug("Closing admin connection from {}: no complete request within {} ms",
                    ctx.channel().remoteAddress(), config.requestTimeout().toMillis());
            ctx.close();
        }, nanos, TimeUnit.NANOSECONDS);
    }

    private void cancelRequestDeadline() {
        if (requestDeadline != null) {
            requestDeadline.cancel(false);
            requestDeadline = null;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
        if (!(message instanceof FullHttpRequest request)) {
            ctx.fireChannelRead(message);
            return;
        }
        if (!busy) {
            busy = true;
            cancelRequestDeadline();
            handleAndRelease(ctx, request);
            return;
        }
        if (waiting.size() >= MAX_PIPELINED_REQUESTS) {
            request.release();
            LOG.debug("Closing admin connection from {}: more than {} pipelined requests",
                    ctx.channel().remoteAddress(), MAX_PIPELINED_REQUESTS);
            ctx.close();
            return;
        }
        waiting.add(request);
        ctx.channel().config().setAutoRead(false);
    }

    /** Takes ownership of {@code request}: everything needed is copied out before it is released. */
    private void handleAndRelease(ChannelHandlerContext ctx, FullHttpRequest request) {
        inFlight.begin();
        try {
            handle(ctx, request);
        } finally {
            request.release();
        }
    }

    /** Runs on the event loop once an answer is written: serves the next queued request or resumes reading. */
    private void answered(ChannelHandlerContext ctx) {
        FullHttpRequest next = waiting.poll();
        if (next != null) {
            handleAndRelease(ctx, next);
            return;
        }
        busy = false;
        awaitRequest(ctx);
        ctx.channel().config().setAutoRead(true);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancelRequestDeadline();
        FullHttpRequest queued;
        while ((queued = waiting.poll()) != null) {
            queued.release();
        }
        super.channelInactive(ctx);
    }

    private void handle(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (request.decoderResult().isFailure()) {
            respond(ctx, malformed(request.decoderResult().cause()), false);
            return;
        }
        String uri = request.uri();
        String path;
        boolean hasQuery;
        try {
            if (!uri.startsWith("/")) {
                throw new IllegalArgumentException("the request target must be a path starting with '/'");
            }
            QueryStringDecoder decoder = new QueryStringDecoder(uri);
            path = decoder.path();
            hasQuery = !decoder.rawQuery().isEmpty();
        } catch (IllegalArgumentException e) {
            respond(ctx, AdminResponse.error(HttpResponseStatus.BAD_REQUEST, "malformed request target: "
                    + e.getMessage()), keepAlive);
            return;
        }
        Optional<AdminEndpoint> found = AdminEndpoint.forPath(path);
        if (found.isEmpty()) {
            respond(ctx, AdminResponse.error(HttpResponseStatus.NOT_FOUND, "no admin endpoint at " + path
                    + "; the endpoints are " + ENDPOINT_LIST), keepAlive);
            return;
        }
        AdminEndpoint endpoint = found.get();
        String host = request.headers().get(HttpHeaderNames.HOST);
        if (endpoint != AdminEndpoint.HEALTH && !allowedHosts.allows(host)) {
            // /health answers any Host: it says nothing worth reading, and a load balancer may send its own name
            respond(ctx, AdminResponse.error(HttpResponseStatus.MISDIRECTED_REQUEST, "the admin endpoint does not"
                    + " answer requests for host '" + host + "' (a defence against DNS rebinding: a web page that"
                    + " points its own name at this address); use an IP address, localhost or the admin.listen host,"
                    + " or add the name to admin.allowed-hosts in tandem.yaml"), keepAlive);
            return;
        }
        if (!endpoint.method().equals(request.method())) {
            respond(ctx, AdminResponse.error(HttpResponseStatus.METHOD_NOT_ALLOWED, endpoint.path() + " accepts "
                            + endpoint.method() + " only, not " + request.method())
                    .withHeader(HttpHeaderNames.ALLOW.toString(), endpoint.method().name()), keepAlive);
            return;
        }
        if (endpoint.needsToken()) {
            Optional<AdminResponse> refusal = authorize(request.headers().get(HttpHeaderNames.AUTHORIZATION));
            if (refusal.isPresent()) {
                respond(ctx, refusal.get(), keepAlive);
                return;
            }
            if (hasQuery) {
                // ignored, /dual-write/mark?database=app marked every database, a mark that cannot be moved earlier
                respond(ctx, AdminResponse.error(HttpResponseStatus.BAD_REQUEST, endpoint.path() + " takes no query"
                        + " parameters" + (endpoint == AdminEndpoint.DUAL_WRITE_MARK
                        ? "; to mark one database send the body {\"database\": \"app\"}" : "")
                        + "; nothing was done"), keepAlive);
                return;
            }
        }
        CompletableFuture<AdminResponse> answer = switch (endpoint) {
            case HEALTH -> CompletableFuture.completedFuture(
                    AdminResponse.json(HttpResponseStatus.OK, Map.of("status", "UP")));
            case METRICS -> scrapes.call(this::scrape);
            case READY -> readiness();
            case STATUS -> calls.call(() -> ok(status.status()));
            case MIRROR_PAUSE -> calls.call(() -> ok(actions.pauseMirror()));
            case MIRROR_RESUME -> calls.call(() -> ok(actions.resumeMirror()));
            case DUAL_WRITE_MARK -> markDualWrite(request.content());
        };
        answer.whenComplete((response, error) -> respond(ctx,
                error == null ? response : failure(endpoint, unwrap(error)), keepAlive));
    }

    /** Parses the body here, while the request is still retained; only the action runs on a worker. */
    private CompletableFuture<AdminResponse> markDualWrite(ByteBuf body) {
        Optional<String> database;
        try {
            database = markedDatabase(body);
        } catch (AdminRequestException e) {
            return CompletableFuture.failedFuture(e);
        }
        return calls.call(() -> ok(actions.markDualWrite(database)));
    }

    private static AdminResponse ok(Object document) {
        return AdminResponse.json(HttpResponseStatus.OK, document == null ? Map.of() : document);
    }

    private Optional<AdminResponse> authorize(String authorization) {
        if (config.token().isEmpty()) {
            return Optional.of(AdminResponse.error(HttpResponseStatus.FORBIDDEN, "mutating admin endpoints are "
                    + "disabled because no admin token is configured; to enable them set admin.token-env in "
                    + "tandem.yaml to the name of an environment variable (default TANDEM_ADMIN_TOKEN), put a secret "
                    + "in that variable, restart the proxy and send 'Authorization: Bearer <secret>'"));
        }
        String presented = bearerToken(authorization);
        if (presented == null || !config.token().get().matches(presented)) {
            String message = presented == null
                    ? "this endpoint needs the admin token in an 'Authorization: Bearer <token>' header"
                    : "the admin token is wrong";
            return Optional.of(AdminResponse.error(HttpResponseStatus.UNAUTHORIZED, message)
                    .withHeader(HttpHeaderNames.WWW_AUTHENTICATE.toString(), "Bearer realm=\"tandem-admin\""));
        }
        return Optional.empty();
    }

    private static String bearerToken(String authorization) {
        if (authorization == null) {
            return null;
        }
        String trimmed = authorization.strip();
        int space = trimmed.indexOf(' ');
        if (space < 0 || !trimmed.substring(0, space).equalsIgnoreCase("Bearer")) {
            return null;
        }
        String token = trimmed.substring(space + 1).strip();
        return token.isEmpty() ? null : token;
    }

    /** The optional {@code {"database": "..."}} body of {@code /dual-write/mark}. */
    private static Optional<String> markedDatabase(ByteBuf body) {
        if (!body.isReadable()) {
            return Optional.empty();
        }
        String expected = "the body of /dual-write/mark must be empty or a JSON object like {\"database\": \"app\"}";
        JsonNode document;
        try {
            document = AdminJson.MAPPER.readTree(ByteBufUtil.getBytes(body));
        } catch (JsonProcessingException e) {
            throw new AdminRequestException(400, "malformed JSON: " + e.getOriginalMessage() + "; " + expected);
        } catch (IOException e) {
            throw new AdminRequestException(400, expected);
        }
        if (document == null || document.isMissingNode()) {
            return Optional.empty();
        }
        if (!document.isObject()) {
            throw new AdminRequestException(400, expected);
        }
        Iterator<String> names = document.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!name.equals("database")) {
                throw new AdminRequestException(400, "unknown field '" + name + "'; " + expected);
            }
        }
        JsonNode database = document.get("database");
        if (database == null || database.isNull()) {
            return Optional.empty();
        }
        if (!database.isTextual() || database.asText().isBlank()) {
            throw new AdminRequestException(400, "'database' must be a non-empty string; " + expected);
        }
        return Optional.of(database.asText());
    }

    private AdminResponse scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        registry.scrape(out, PROMETHEUS_TEXT);
        return new AdminResponse(HttpResponseStatus.OK, PROMETHEUS_TEXT, out.toByteArray(), Map.of());
    }

    /** Runs every check in parallel; a check that throws or times out counts as not ready. */
    private CompletableFuture<AdminResponse> readiness() {
        List<CompletableFuture<Map<String, Object>>> results = new ArrayList<>();
        for (ReadinessCheck check : checks) {
            results.add(calls.call(check::check).handle((result, error) -> checkEntry(check, result, error)));
        }
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
            List<Map<String, Object>> entries = results.stream().map(CompletableFuture::join).toList();
            boolean ready = entries.stream().allMatch(entry -> Boolean.TRUE.equals(entry.get("ready")));
            Map<String, Object> document = new LinkedHashMap<>();
            document.put("status", ready ? "READY" : "NOT_READY");
            document.put("checks", entries);
            return AdminResponse.json(ready ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                    document);
        });
    }

    private Map<String, Object> checkEntry(ReadinessCheck check, ReadinessCheck.Result result, Throwable error) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("name", check.name());
        if (error == null && result != null) {
            entry.put("ready", result.ready());
            entry.put("message", result.message());
            return entry;
        }
        Throwable cause = unwrap(error);
        entry.put("ready", false);
        if (cause instanceof TimeoutException) {
            entry.put("message", "no answer within " + calls.timeout().toMillis() + " ms");
        } else if (cause instanceof RejectedExecutionException) {
            entry.put("message", "not run: the admin server is busy");
        } else {
            LOG.warn("Readiness check '{}' failed", check.name(), cause);
            entry.put("message", "the check failed with an error; see the proxy log");
        }
        return entry;
    }

    private AdminResponse failure(AdminEndpoint endpoint, Throwable cause) {
        if (cause instanceof AdminRequestException refusal) {
            return AdminResponse.error(HttpResponseStatus.valueOf(refusal.status()), refusal.getMessage());
        }
        if (cause instanceof TimeoutException && endpoint == AdminEndpoint.DUAL_WRITE_MARK) {
            // the mark's own commit goes on after the request gave up: saying "not marked" could be false
            return AdminResponse.error(HttpResponseStatus.SERVICE_UNAVAILABLE, endpoint.path() + " got no answer "
                    + "within " + calls.timeout().toMillis() + " ms; the mark may still be recorded (GET /status"
                    + " shows each database's mark). Marking again is safe: it moves the mark later");
        }
        if (cause instanceof TimeoutException) {
            return AdminResponse.error(HttpResponseStatus.SERVICE_UNAVAILABLE, endpoint.path() + " got no answer "
                    + "within " + calls.timeout().toMillis() + " ms; retry later");
        }
        if (cause instanceof RejectedExecutionException) {
            return AdminResponse.error(HttpResponseStatus.SERVICE_UNAVAILABLE, "the admin server is busy; retry "
                    + "later");
        }
        LOG.error("Admin endpoint {} {} failed", endpoint.method(), endpoint.path(), cause);
        return AdminResponse.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error while handling "
                + endpoint.path() + "; see the proxy log");
    }

    private static Throwable unwrap(Throwable error) {
        Throwable cause = error;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    private static AdminResponse malformed(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return AdminResponse.error(HttpResponseStatus.REQUEST_URI_TOO_LONG, "request line too long");
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return AdminResponse.error(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "request headers too "
                    + "large");
        }
        if (cause instanceof TooLongFrameException) {
            return AdminResponse.error(HttpResponseStatus.BAD_REQUEST, "request too large");
        }
        return AdminResponse.error(HttpResponseStatus.BAD_REQUEST, "malformed HTTP request");
    }

    /** Writes the answer (from any thread), then closes or moves on to the next request. */
    private void respond(ChannelHandlerContext ctx, AdminResponse answer, boolean keepAlive) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, answer.status(),
                Unpooled.wrappedBuffer(answer.body()));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, answer.contentType())
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                .set("X-Content-Type-Options", "nosniff");
        answer.headers().forEach(response.headers()::set);
        HttpUtil.setContentLength(response, answer.body().length);
        HttpUtil.setKeepAlive(response, keepAlive);
        ctx.writeAndFlush(response).addListener((ChannelFutureListener) future -> {
            inFlight.end();
            if (future.isSuccess() && keepAlive) {
                answered(ctx);
            } else {
                ctx.close();
            }
        });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof ReadTimeoutException)) {
            LOG.debug("Admin connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        }
        ctx.close();
    }
}
