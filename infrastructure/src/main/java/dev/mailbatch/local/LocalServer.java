package dev.mailbatch.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import dev.mailbatch.config.Json;
import dev.mailbatch.local.apigateway.ApiGateway;
import dev.mailbatch.local.lambda.LambdaEvents;
import dev.mailbatch.local.outbox.Outbox;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * The local runner's one HTTP port: the API routes (through {@link ApiGateway}), the outbox
 * under {@code /_local/}, and the web page's static files for any other GET.
 */
public final class LocalServer implements AutoCloseable {
    public static final String PROVIDER_PATH = "/_local/provider/send";
    static final String TOKEN_PATH = "/_local/token";
    static final List<String> DEFAULT_SCOPES = List.of("mailbatch/send", "mailbatch/read");
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");
    /** Closes the connection without a response: an answer lost on the way back. */
    private static final ApiGateway.Answer NO_ANSWER = new ApiGateway.Answer(0, Map.of(), new byte[0]);

    private final LocalHttp server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final WebPage page;
    private final Consumer<String> log;
    private volatile ApiGateway api;
    private volatile Outbox outbox;
    private volatile TokenMint tokens;
    private String host = "127.0.0.1";
    private volatile boolean serving;

    /** Mints a local access token: {"sub", "scope", "ttlSeconds"} in, the token out. */
    @FunctionalInterface
    interface TokenMint {
        String mint(String subject, List<String> scopes, Duration ttl);
    }

    /** Binds the port now (so its number is known before the handlers are built); serves after {@link #start}. */
    public LocalServer(InetSocketAddress address, Path webRoot, Consumer<String> log) throws IOException {
        this.page = new WebPage(webRoot.toAbsolutePath().normalize());
        this.log = log;
        this.server = new LocalHttp(address, ApiGateway.MAX_PAYLOAD + 1024 * 1024, executor, this::handle);
    }

    /** Binds {@code host:port} (0: any free port), with a clear message when it is taken. */
    static LocalServer listen(String host, int port, Path webRoot, Consumer<String> log) throws IOException {
        try {
            LocalServer server = new LocalServer(new InetSocketAddress(host, port), webRoot, log);
            server.host = host;
            return server;
        } catch (java.net.BindException e) {
            throw new IllegalStateException("port " + port + " on " + host + " is in use; set PORT to another one");
        }
    }

    /** Where a browser on this machine reaches it. */
    URI baseUrl() {
        return URI.create(
                "http://" + (host.equals("127.0.0.1") || host.equals("0.0.0.0") ? "localhost" : host) + ":" + port());
    }

    public int port() {
        return server.address().getPort();
    }

    /** The provider URL the HTTP sender is pointed at by default. */
    public String providerUrl() {
        return "http://127.0.0.1:" + port() + PROVIDER_PATH;
    }

    /** @param tokens mints local tokens for POST /_local/token, or null when the API uses another issuer */
    void start(ApiGateway api, Outbox outbox, TokenMint tokens) {
        this.api = api;
        this.outbox = outbox;
        this.tokens = tokens;
        serving = true;
    }

    private void handle(HttpExchange exchange) throws IOException {
        if (!serving) { // bound, not started yet
            write(exchange, "GET", ApiGateway.Answer.json(503, "{\"message\":\"Service Unavailable\"}"));
            return;
        }
        long start = System.nanoTime();
        String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
        String path = exchange.getRequestURI().getRawPath();
        ApiGateway.Answer answer;
        try {
            if (path.startsWith("/_local/")) {
                answer = isForeign(exchange)
                        ? ApiGateway.Answer.json(403, "{\"error\":\"the local endpoints serve this origin only\"}")
                        : method.equals("OPTIONS")
                                ? new ApiGateway.Answer(204, Map.of(), new byte[0]) // no CORS: no other origin
                                : path.equals(TOKEN_PATH) ? token(exchange, method) : local(exchange, method, path);
            } else if (api.handles(method, path) || !(method.equals("GET") || method.equals("HEAD"))) {
                answer = api.serve(exchange);
            } else {
                answer = page.file(path);
                if (answer == null) {
                    answer = api.serve(exchange);
                }
            }
        } catch (RuntimeException e) {
            log.accept(time() + " " + method + " " + path + " failed in the local runner: " + e);
            answer = ApiGateway.Answer.json(500, "{\"message\":\"Internal Server Error\"}");
        }
        write(exchange, method, answer);
        boolean quiet = path.equals(PROVIDER_PATH) || (!path.startsWith("/emails") && answer.status() < 400);
        if (!quiet) {
            String query = exchange.getRequestURI().getRawQuery();
            log.accept(time() + " " + method + " " + path + (query == null ? "" : "?" + query) + " -> "
                    + answer.status() + " (" + (System.nanoTime() - start) / 1_000_000 + " ms)");
        }
    }

    private ApiGateway.Answer local(HttpExchange exchange, String method, String path) throws IOException {
        try {
            switch (method + " " + path) {
                case "POST " + PROVIDER_PATH -> {
                    byte[] body = ApiGateway.readAtMost(exchange.getRequestBody(), ApiGateway.MAX_PAYLOAD);
                    Outbox.Reply reply = outbox.deliver(
                            exchange.getRequestHeaders().getFirst("Idempotency-Key"),
                            body == null ? new byte[0] : body,
                            LambdaEvents.queryParameters(
                                            exchange.getRequestURI().getRawQuery())
                                    .get("via"));
                    return reply.lost() ? NO_ANSWER : ApiGateway.Answer.json(reply.status(), reply.json());
                }
                case "GET /_local/outbox" -> {
                    Map<String, String> query = LambdaEvents.queryParameters(
                            exchange.getRequestURI().getRawQuery());
                    String limit = query.getOrDefault("limit", "50");
                    if (!limit.matches("\\d{1,4}")) {
                        return ApiGateway.Answer.json(400, "{\"error\":\"limit: must be 0..1000\"}");
                    }
                    return ApiGateway.Answer.json(
                            200,
                            outbox.list(new Outbox.Query(
                                            query.get("q"),
                                            query.get("job"),
                                            Integer.parseInt(limit),
                                            query.get("cursor")))
                                    .toString());
                }
                case "DELETE /_local/outbox" -> {
                    outbox.clear();
                    return new ApiGateway.Answer(204, Map.of(), new byte[0]);
                }
                case "GET /_local/sink" -> {
                    return ApiGateway.Answer.json(200, outbox.sink().toJson().toString());
                }
                case "PUT /_local/sink" -> {
                    JsonNode change = Json.MAPPER.readTree(exchange.getRequestBody());
                    if (change == null || !change.isObject()) {
                        return ApiGateway.Answer.json(400, "{\"error\":\"body must be a JSON object\"}");
                    }
                    Outbox.Sink sink = outbox.update(change);
                    log.accept(time() + " outbox sink now " + sink.toJson());
                    return ApiGateway.Answer.json(200, sink.toJson().toString());
                }
                default -> {
                    return ApiGateway.Answer.json(404, "{\"error\":\"no such local endpoint\"}");
                }
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return ApiGateway.Answer.json(400, "{\"error\":\"body is not JSON\"}");
        } catch (IllegalArgumentException e) {
            return ApiGateway.Answer.json(
                    400,
                    Json.MAPPER.createObjectNode().put("error", e.getMessage()).toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ApiGateway.Answer.json(503, "{\"error\":\"stopping\"}");
        }
    }

    /**
     * POST /_local/token {"sub": "alice", "scope": "mailbatch/read", "ttlSeconds": 3600}: a token
     * from the local issuer (scope and ttl optional: both scopes, an hour).
     */
    private ApiGateway.Answer token(HttpExchange exchange, String method) throws IOException {
        if (!method.equals("POST")) {
            return ApiGateway.Answer.json(405, "{\"error\":\"POST a JSON object: sub, scope, ttlSeconds\"}");
        }
        if (tokens == null) {
            return ApiGateway.Answer.json(404, "{\"error\":\"the API uses another issuer (JwtIssuer)\"}");
        }
        try {
            JsonNode request = Json.MAPPER.readTree(exchange.getRequestBody());
            if (request == null || !request.isObject() || !request.path("sub").isTextual()) {
                return ApiGateway.Answer.json(400, "{\"error\":\"sub: required, a string\"}");
            }
            List<String> scopes = request.path("scope").isTextual()
                    ? List.of(request.path("scope").asText().trim().split("\\s+"))
                    : DEFAULT_SCOPES;
            Duration ttl = Duration.ofSeconds(request.path("ttlSeconds").asLong(3600));
            String token = tokens.mint(request.path("sub").asText(), scopes, ttl);
            return ApiGateway.Answer.json(
                    200,
                    Json.MAPPER
                            .createObjectNode()
                            .put("access_token", token)
                            .put("token_type", "Bearer")
                            .put("expires_in", ttl.toSeconds())
                            .put("scope", String.join(" ", scopes))
                            .toString());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return ApiGateway.Answer.json(400, "{\"error\":\"body is not JSON\"}");
        } catch (IllegalArgumentException e) {
            return ApiGateway.Answer.json(
                    400,
                    Json.MAPPER.createObjectNode().put("error", e.getMessage()).toString());
        }
    }

    /**
     * Whether a page of another origin sent the request: the local endpoints (the outbox, its
     * faults, the token) are this origin's tools only, and answer no other (nor send CORS headers).
     */
    private static boolean isForeign(HttpExchange exchange) {
        String origin = exchange.getRequestHeaders().getFirst("Origin");
        String host = exchange.getRequestHeaders().getFirst("Host");
        return origin != null && !origin.equals("http://" + host);
    }

    private static void write(HttpExchange exchange, String method, ApiGateway.Answer answer) throws IOException {
        if (answer == NO_ANSWER) {
            exchange.close();
            return;
        }
        answer.headers()
                .forEach((name, values) ->
                        values.forEach(v -> exchange.getResponseHeaders().add(name, v)));
        boolean noBody = method.equals("HEAD") || answer.status() == 204 || answer.status() == 304;
        exchange.sendResponseHeaders(
                answer.status(), noBody ? -1 : (answer.body().length == 0 ? -1 : answer.body().length));
        if (!noBody && answer.body().length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer.body());
            }
        }
        exchange.close();
    }

    private static String time() {
        return LocalTime.now().format(CLOCK);
    }

    @Override
    public void close() {
        server.close();
        executor.shutdownNow();
    }
}
