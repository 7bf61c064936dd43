package dev.mailbatch.api;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import dev.mailbatch.job.JobIds;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Set;

/** Reading an HTTP API (payload format 2.0) event. */
final class HttpEvents {
    private HttpEvents() {}

    /** A header by name, whatever its case (API Gateway lower-cases them; not every caller does). */
    static String header(APIGatewayV2HTTPEvent event, String name) {
        Map<String, String> headers = event.getHeaders();
        if (headers == null) {
            return null;
        }
        for (Map.Entry<String, String> h : headers.entrySet()) {
            if (h.getKey() != null && h.getKey().equalsIgnoreCase(name)) {
                return h.getValue();
            }
        }
        return null;
    }

    /** The body's bytes, base64-decoded when the event says so. */
    static byte[] body(APIGatewayV2HTTPEvent event) {
        String body = event.getBody();
        if (body == null) {
            return new byte[0];
        }
        if (event.getIsBase64Encoded()) {
            try {
                return Base64.getDecoder().decode(body);
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid("body", "is not valid base64");
            }
        }
        return body.getBytes(StandardCharsets.UTF_8);
    }

    static String requestId(APIGatewayV2HTTPEvent event) {
        return event.getRequestContext() == null || event.getRequestContext().getRequestId() == null
                ? "-"
                : event.getRequestContext().getRequestId();
    }

    /** The query parameters (never null); a 400 naming the first one not in {@code known}. */
    static Map<String, String> query(APIGatewayV2HTTPEvent event, Set<String> known) {
        Map<String, String> query =
                event.getQueryStringParameters() == null ? Map.of() : event.getQueryStringParameters();
        for (String name : query.keySet()) {
            if (!known.contains(name)) {
                throw ApiException.invalid(name, "is not a known query parameter");
            }
        }
        return query;
    }

    /** The {jobId} path parameter; a 404 when it can not name a job. */
    static String jobId(APIGatewayV2HTTPEvent event) {
        String id = event.getPathParameters() == null
                ? null
                : event.getPathParameters().get("jobId");
        if (!JobIds.isWellFormed(id)) {
            throw ApiException.notFound();
        }
        return id;
    }
}
