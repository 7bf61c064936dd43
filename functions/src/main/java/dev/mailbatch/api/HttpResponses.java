package dev.mailbatch.api;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds every API response, and the one error envelope, in one place. */
public final class HttpResponses {
    private HttpResponses() {}

    public static APIGatewayV2HTTPResponse json(int status, Object body, Map<String, String> extraHeaders) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("content-type", "application/json");
        headers.put("cache-control", "no-store");
        headers.putAll(extraHeaders);
        return APIGatewayV2HTTPResponse.builder()
                .withStatusCode(status)
                .withHeaders(headers)
                .withBody(Json.write(body))
                .withIsBase64Encoded(false)
                .build();
    }

    /** {"error": {"code", "message", "details": [{"field", "message"}]}} */
    public static APIGatewayV2HTTPResponse error(ApiException e) {
        List<Map<String, String>> details = e.details().stream()
                .map(d -> Map.of("field", d.field(), "message", d.message()))
                .toList();
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", e.code());
        error.put("message", e.getMessage());
        error.put("details", details);
        return json(e.status(), Map.of("error", error), Map.of());
    }

    /** For faults of ours or of AWS: a retryable 5xx that tells nothing of the internals. */
    public static APIGatewayV2HTTPResponse unavailable(String requestId) {
        ApiException e = new ApiException(
                503,
                "SERVICE_UNAVAILABLE",
                "The service could not take the request; retry it. Request id: " + requestId,
                List.of());
        APIGatewayV2HTTPResponse response = error(e);
        response.getHeaders().put("retry-after", "1");
        return response;
    }
}
