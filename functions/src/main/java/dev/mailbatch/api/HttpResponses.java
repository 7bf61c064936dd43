package dev.mailbatch.api;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.mailbatch.config.Json;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds every API response, and the one error envelope, in one place. */
public final class HttpResponses {
    private HttpResponses() {}

    /** The error envelope: {"error": {"code", "message", "details": [{"field", "message"}]}}. */
    record ErrorBody(Error error) {
        record Error(String code, String message, List<ApiException.FieldError> details) {}
    }

    public static APIGatewayV2HTTPResponse json(int status, Object body, Map<String, String> extraHeaders) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("content-type", "application/json");
        headers.put("cache-control", "no-store");
        headers.put("x-content-type-options", "nosniff");
        headers.putAll(extraHeaders);
        return APIGatewayV2HTTPResponse.builder()
                .withStatusCode(status)
                .withHeaders(headers)
                .withBody(Json.write(body))
                .withIsBase64Encoded(false)
                .build();
    }

    public static APIGatewayV2HTTPResponse error(ApiException e) {
        return json(
                e.status(),
                new ErrorBody(new ErrorBody.Error(e.code(), e.getMessage(), e.details())),
                e.retryAfterSeconds() == null ? Map.of() : Map.of("retry-after", e.retryAfterSeconds()));
    }

    /** For faults of ours or of AWS: a retryable 5xx that tells nothing of the internals. */
    public static APIGatewayV2HTTPResponse unavailable(String requestId) {
        return error(new ApiException(
                        503,
                        "SERVICE_UNAVAILABLE",
                        "The service could not take the request; retry it. Request id: " + requestId,
                        List.of())
                .retryAfter("1"));
    }
}
