package dev.mailbatch.local.lambda;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.amazonaws.services.lambda.runtime.serialization.PojoSerializer;
import com.amazonaws.services.lambda.runtime.serialization.events.LambdaEventSerializers;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mailbatch.config.Json;
import java.io.ByteArrayOutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * Lambda events built the way AWS delivers them: as JSON, turned into event objects by the
 * Lambda runtime's own serializer, so that a field-name mismatch shows here and not only in AWS.
 */
public final class LambdaEvents {
    private static final ClassLoader LOADER = LambdaEvents.class.getClassLoader();
    private static final PojoSerializer<APIGatewayV2HTTPEvent> HTTP_EVENT =
            LambdaEventSerializers.serializerFor(APIGatewayV2HTTPEvent.class, LOADER);
    private static final PojoSerializer<APIGatewayV2HTTPResponse> HTTP_RESPONSE =
            LambdaEventSerializers.serializerFor(APIGatewayV2HTTPResponse.class, LOADER);
    private static final PojoSerializer<SQSEvent> SQS_EVENT =
            LambdaEventSerializers.serializerFor(SQSEvent.class, LOADER);
    private static final PojoSerializer<SQSBatchResponse> SQS_RESPONSE =
            LambdaEventSerializers.serializerFor(SQSBatchResponse.class, LOADER);

    private LambdaEvents() {}

    /**
     * Who a JWT authorizer let in: the token's claims (as strings) and scopes, which API Gateway
     * passes to the function in {@code requestContext.authorizer.jwt}.
     */
    public record Caller(Map<String, String> claims, List<String> scopes) {
        /** A caller with only a subject and scopes (what the tests need). */
        public static Caller of(String subject, String... scopes) {
            return new Caller(Map.of("sub", subject), List.of(scopes));
        }
    }

    /** The same event as API Gateway would deliver it for {@code caller}. */
    public static APIGatewayV2HTTPEvent withCaller(APIGatewayV2HTTPEvent event, Caller caller) {
        ObjectNode json = (ObjectNode) serialize(HTTP_EVENT, event);
        ObjectNode context =
                json.has("requestContext") ? (ObjectNode) json.get("requestContext") : json.putObject("requestContext");
        context.set("authorizer", Json.MAPPER.valueToTree(authorizer(caller)));
        return HTTP_EVENT.fromJson(json.toString());
    }

    private static Map<String, Object> authorizer(Caller caller) {
        return Map.of("jwt", Map.of("claims", caller.claims(), "scopes", caller.scopes()));
    }

    /** An HTTP API payload format 2.0 event. Header names are lower-cased, as API Gateway does. */
    public static APIGatewayV2HTTPEvent http(
            String method,
            String routePath,
            String rawPath,
            Map<String, String> pathParameters,
            Map<String, String> query,
            Map<String, String> headers,
            byte[] body,
            boolean base64) {
        Map<String, List<String>> multi = new LinkedHashMap<>();
        headers.forEach((k, v) -> multi.put(k, List.of(v)));
        return http(method, routePath, rawPath, pathParameters, rawQuery(query), multi, body, base64);
    }

    /** The event's requestContext, as API Gateway fills it in for a request from loopback. */
    private static Map<String, Object> requestContext(
            String method, String rawPath, String routeKey, Map<String, Object> lowerHeaders, Instant now) {
        Map<String, Object> http = new LinkedHashMap<>();
        http.put("method", method);
        http.put("path", rawPath);
        http.put("protocol", "HTTP/1.1");
        http.put("sourceIp", "127.0.0.1");
        http.put("userAgent", String.valueOf(lowerHeaders.getOrDefault("user-agent", "")));
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("accountId", "000000000000");
        context.put("apiId", "local");
        context.put("domainName", "localhost");
        context.put("domainPrefix", "localhost");
        context.put("http", http);
        context.put("requestId", UUID.randomUUID().toString());
        context.put("routeKey", routeKey);
        context.put("stage", "$default");
        context.put("time", now.toString());
        context.put("timeEpoch", now.toEpochMilli());
        return context;
    }

    /**
     * An HTTP API payload format 2.0 event from a request as it arrived: the raw query string
     * (parameters repeated in it are joined with commas), headers with all their values (joined
     * with commas, names lower-cased), cookies moved from the Cookie header to {@code cookies}.
     */
    public static APIGatewayV2HTTPEvent http(
            String method,
            String routePath,
            String rawPath,
            Map<String, String> pathParameters,
            String rawQuery,
            Map<String, List<String>> headers,
            byte[] body,
            boolean base64) {
        Instant now = Instant.now();
        String routeKey = method + " " + routePath;
        Map<String, Object> lowerHeaders = new LinkedHashMap<>();
        List<String> cookies = new ArrayList<>();
        headers.forEach((k, values) -> {
            String name = k.toLowerCase(Locale.ROOT);
            if (name.equals("cookie")) {
                values.forEach(v -> Arrays.stream(v.split(";"))
                        .map(String::trim)
                        .filter(c -> !c.isEmpty())
                        .forEach(cookies::add));
            } else {
                lowerHeaders.merge(name, String.join(",", values), (a, b) -> a + "," + b);
            }
        });
        Map<String, Object> context = requestContext(method, rawPath, routeKey, lowerHeaders, now);
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("version", "2.0");
        event.put("routeKey", routeKey);
        event.put("rawPath", rawPath);
        event.put("rawQueryString", rawQuery == null ? "" : rawQuery);
        if (!cookies.isEmpty()) {
            event.put("cookies", cookies);
        }
        event.put("headers", lowerHeaders);
        Map<String, String> query = queryParameters(rawQuery);
        if (!query.isEmpty()) {
            event.put("queryStringParameters", query);
        }
        if (!pathParameters.isEmpty()) {
            event.put("pathParameters", pathParameters);
        }
        event.put("requestContext", context);
        if (body != null) {
            event.put(
                    "body",
                    base64 ? Base64.getEncoder().encodeToString(body) : new String(body, StandardCharsets.UTF_8));
        }
        event.put("isBase64Encoded", base64);
        return HTTP_EVENT.fromJson(Json.write(event));
    }

    /** queryStringParameters as HTTP APIs build them: decoded, a repeated name's values joined with commas. */
    public static Map<String, String> queryParameters(String rawQuery) {
        Map<String, String> query = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return query;
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            String[] kv = pair.split("=", 2);
            String name = URLDecoder.decode(kv[0], StandardCharsets.UTF_8);
            String value = kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "";
            query.merge(name, value, (a, b) -> a + "," + b);
        }
        return query;
    }

    /** An SQS event as the event source mapping delivers it. */
    public static SQSEvent sqs(List<Message> messages, String queueArn) {
        List<Map<String, Object>> records = messages.stream()
                .map(m -> {
                    Map<String, Object> r = new LinkedHashMap<>();
                    r.put("messageId", m.messageId());
                    r.put("receiptHandle", m.receiptHandle());
                    r.put("body", m.body());
                    r.put("attributes", m.attributesAsStrings());
                    r.put("messageAttributes", Map.of());
                    r.put("md5OfBody", m.md5OfBody());
                    r.put("eventSource", "aws:sqs");
                    r.put("eventSourceARN", queueArn);
                    r.put("awsRegion", "us-east-1");
                    return r;
                })
                .toList();
        return SQS_EVENT.fromJson(Json.write(Map.of("Records", records)));
    }

    /** The event as the Lambda service sends it to a runtime (JSON from the runtime's serializer). */
    public static String toJson(APIGatewayV2HTTPEvent event) {
        return serialize(HTTP_EVENT, event).toString();
    }

    /** The event as the Lambda service sends it to a runtime. */
    public static String toJson(SQSEvent event) {
        return serialize(SQS_EVENT, event).toString();
    }

    /** The response as the Lambda service reads it (JSON from the runtime's serializer). */
    public static JsonNode toJson(APIGatewayV2HTTPResponse response) {
        return serialize(HTTP_RESPONSE, response);
    }

    public static JsonNode toJson(SQSBatchResponse response) {
        return serialize(SQS_RESPONSE, response);
    }

    private static <T> JsonNode serialize(PojoSerializer<T> serializer, T value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        serializer.toJson(value, out);
        try {
            return Json.MAPPER.readTree(out.toByteArray());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String rawQuery(Map<String, String> query) {
        StringBuilder s = new StringBuilder();
        query.forEach((k, v) -> {
            if (!s.isEmpty()) {
                s.append('&');
            }
            s.append(java.net.URLEncoder.encode(k, StandardCharsets.UTF_8))
                    .append('=')
                    .append(java.net.URLEncoder.encode(v, StandardCharsets.UTF_8));
        });
        return s.toString();
    }
}
