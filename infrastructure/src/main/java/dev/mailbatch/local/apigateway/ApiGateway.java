package dev.mailbatch.local.apigateway;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import dev.mailbatch.local.LocalRunner;
import dev.mailbatch.local.lambda.Invocation;
import dev.mailbatch.local.lambda.LambdaEvents;
import dev.mailbatch.local.lambda.LocalContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * What an HTTP API does in front of the functions: match the route, build a payload-2.0 event
 * from the request, invoke the function within its timeout, turn its response into HTTP. Also
 * the API's CORS (preflight answered by the API itself) and its error answers: 404 with no
 * route, 413 over 10 MB, 500 when the function throws, 503 when it times out.
 */
public final class ApiGateway {
    /** HTTP APIs refuse request payloads over 10 MB. */
    public static final int MAX_PAYLOAD = 10 * 1024 * 1024;

    private final ApiRoutes routes;
    private final Function<String, RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse>> functions;
    private final LocalContext.LogSink logs;
    private final JwtAuthorizer authorizer;
    private final Observer observer;

    /**
     * @param functions the handler behind each route's function id
     * @param authorizer the API's JWT authorizer, or null when its routes need none
     */
    /** Sees every answer to a request that matched a route (see {@link LocalRunner.Harness#answered}). */
    @FunctionalInterface
    public interface Observer {
        void answered(String method, String routePath, Answer answer);
    }

    public ApiGateway(
            ApiRoutes routes,
            Function<String, RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse>> functions,
            LocalContext.LogSink logs,
            JwtAuthorizer authorizer) {
        this(routes, functions, logs, authorizer, (method, path, answer) -> {});
    }

    public ApiGateway(
            ApiRoutes routes,
            Function<String, RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse>> functions,
            LocalContext.LogSink logs,
            JwtAuthorizer authorizer,
            Observer observer) {
        if (authorizer == null && routes.routes().stream().anyMatch(ApiRoutes.Route::authorized)) {
            throw new IllegalArgumentException("the API's routes need its JWT authorizer");
        }
        this.routes = routes;
        this.functions = functions;
        this.logs = logs;
        this.authorizer = authorizer;
        this.observer = observer;
    }

    /** An HTTP answer, ready to write. */
    public record Answer(int status, Map<String, List<String>> headers, byte[] body) {
        public static Answer json(int status, String json) {
            return new Answer(
                    status, Map.of("content-type", List.of("application/json")), json.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** True if this request is the API's: it matches a route, or is a CORS preflight for one. */
    public boolean handles(String method, String rawPath) {
        return routes.match(method, rawPath).isPresent()
                || (method.equals("OPTIONS")
                        && routes.routes().stream()
                                .anyMatch(r -> routes.match(r.method(), rawPath).isPresent()));
    }

    /** Serves one request. */
    public Answer serve(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
        String rawPath = exchange.getRequestURI().getRawPath();
        String origin = exchange.getRequestHeaders().getFirst("Origin");
        Optional<String> allowedOrigin = routes.cors().allowedOrigin(origin);
        if (method.equals("OPTIONS")
                && origin != null
                && exchange.getRequestHeaders().containsKey("Access-Control-Request-Method")) {
            return preflight(allowedOrigin);
        }
        Answer answer = invoke(exchange, method, rawPath);
        routes.match(method, rawPath)
                .ifPresent(m -> observer.answered(method, m.route().path(), answer));
        return allowedOrigin.map(o -> withCors(answer, o)).orElse(answer);
    }

    private Answer invoke(HttpExchange exchange, String method, String rawPath) throws IOException {
        Optional<ApiRoutes.Match> match = routes.match(method, rawPath);
        if (match.isEmpty()) {
            return Answer.json(404, "{\"message\":\"Not Found\"}");
        }
        byte[] body = readAtMost(exchange.getRequestBody(), MAX_PAYLOAD);
        if (body == null) {
            return Answer.json(413, "{\"message\":\"Request Entity Too Large\"}");
        }
        Map<String, List<String>> headers = new LinkedHashMap<>(exchange.getRequestHeaders());
        String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        boolean base64 = body.length > 0 && !(isTextType(contentType) && isUtf8(body));
        ApiRoutes.Route route = match.get().route();
        APIGatewayV2HTTPEvent built = LambdaEvents.http(
                method,
                route.path(),
                rawPath,
                match.get().pathParameters(),
                exchange.getRequestURI().getRawQuery(),
                headers,
                body.length == 0 ? null : body,
                base64);
        APIGatewayV2HTTPEvent event;
        if (route.authorized()) {
            JwtAuthorizer.Decision decision =
                    authorizer.authorize(exchange.getRequestHeaders().getFirst("Authorization"), route.scopes());
            if (decision instanceof JwtAuthorizer.Decision.Denied denied) {
                return denied.answer();
            }
            JwtAuthorizer.Decision.Allowed allowed = (JwtAuthorizer.Decision.Allowed) decision;
            event = LambdaEvents.withCaller(built, new LambdaEvents.Caller(allowed.claims(), allowed.scopes()));
        } else {
            event = built;
        }
        RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> handler = functions.apply(route.functionId());
        String name = route.functionId().replace("Function", "");
        try {
            APIGatewayV2HTTPResponse response = Invocation.call(
                    () -> handler.handleRequest(event, new LocalContext(name, route.timeoutSeconds(), logs)),
                    Duration.ofSeconds(route.timeoutSeconds()));
            return toAnswer(LambdaEvents.toJson(response));
        } catch (TimeoutException e) {
            logs.log(name, LogLevel.ERROR, "Task timed out after " + route.timeoutSeconds() + " seconds");
            return Answer.json(503, "{\"message\":\"Service Unavailable\"}");
        } catch (ExecutionException e) {
            logs.log(name, LogLevel.ERROR, "unhandled " + e.getCause());
            return Answer.json(500, "{\"message\":\"Internal Server Error\"}");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Answer.json(503, "{\"message\":\"Service Unavailable\"}");
        }
    }

    /** The function's response as API Gateway maps it: status, headers, cookies, (base64) body. */
    static Answer toAnswer(JsonNode response) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        response.path("multiValueHeaders").fields().forEachRemaining(e -> {
            List<String> values = new ArrayList<>();
            e.getValue().forEach(v -> values.add(v.asText()));
            headers.put(e.getKey().toLowerCase(Locale.ROOT), values);
        });
        response.path("headers")
                .fields()
                .forEachRemaining(e -> headers.put(
                        e.getKey().toLowerCase(Locale.ROOT),
                        List.of(e.getValue().asText())));
        if (response.path("cookies").isArray() && !response.path("cookies").isEmpty()) {
            List<String> cookies = new ArrayList<>();
            response.path("cookies").forEach(c -> cookies.add(c.asText()));
            headers.put("set-cookie", cookies);
        }
        String body = response.path("body").asText("");
        byte[] bytes = response.path("isBase64Encoded").asBoolean(false)
                ? Base64.getDecoder().decode(body)
                : body.getBytes(StandardCharsets.UTF_8);
        return new Answer(response.path("statusCode").asInt(200), headers, bytes);
    }

    private Answer preflight(Optional<String> allowedOrigin) {
        if (allowedOrigin.isEmpty()) {
            return new Answer(204, Map.of(), new byte[0]);
        }
        ApiRoutes.Cors cors = routes.cors();
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("access-control-allow-origin", List.of(allowedOrigin.get()));
        headers.put("access-control-allow-methods", List.of(String.join(",", cors.allowMethods())));
        if (!cors.allowHeaders().isEmpty()) {
            headers.put("access-control-allow-headers", List.of(String.join(",", cors.allowHeaders())));
        }
        headers.put("access-control-max-age", List.of(Integer.toString(cors.maxAgeSeconds())));
        return new Answer(204, headers, new byte[0]);
    }

    private Answer withCors(Answer answer, String origin) {
        Map<String, List<String>> headers = new LinkedHashMap<>(answer.headers());
        headers.put("access-control-allow-origin", List.of(origin));
        if (!routes.cors().exposeHeaders().isEmpty()) {
            headers.put(
                    "access-control-expose-headers",
                    List.of(String.join(",", routes.cors().exposeHeaders())));
        }
        return new Answer(answer.status(), headers, answer.body());
    }

    /** HTTP APIs pass text bodies as they are and base64-encode anything else. */
    static boolean isTextType(String contentType) {
        if (contentType == null) {
            return false;
        }
        String type = contentType.toLowerCase(Locale.ROOT).split(";", 2)[0].trim();
        return type.startsWith("text/")
                || type.endsWith("json")
                || type.endsWith("+json")
                || type.endsWith("xml")
                || type.equals("application/javascript")
                || type.equals("application/x-www-form-urlencoded");
    }

    private static boolean isUtf8(byte[] body) {
        try {
            StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    /** The body, or null when it is longer than {@code limit}. */
    public static byte[] readAtMost(InputStream in, int limit) throws IOException {
        byte[] bytes = in.readNBytes(limit + 1);
        return bytes.length > limit ? null : bytes;
    }
}
