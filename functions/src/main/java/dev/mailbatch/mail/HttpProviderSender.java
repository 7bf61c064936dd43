package dev.mailbatch.mail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mailbatch.config.Json;
import dev.mailbatch.config.Secret;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Sends through an HTTP email provider: POST {"from","to","subject","text","html"} as JSON with
 * an Idempotency-Key header and an optional bearer token.
 *
 * <p>2xx: sent (the provider's message id is kept if the body has {@code id} or
 * {@code messageId}). 408, 409 (the same key still in progress), 429, 5xx, timeouts and I/O
 * faults: transient, honouring Retry-After.
 * Any other status: permanent for that recipient.
 */
public final class HttpProviderSender implements EmailSender {
    private final HttpClient http;
    private final URI url;
    /** At most this much of a provider's answer is read; the rest is never buffered. */
    static final int MAX_ANSWER_BYTES = 16 * 1024;

    private final Supplier<Secret> token;
    private final Duration timeout;

    /** @param token the bearer token, read when a send needs it (an empty one: no Authorization header) */
    public HttpProviderSender(HttpClient http, URI url, Supplier<Secret> token, Duration timeout) {
        this.http = http;
        this.url = url;
        this.token = token;
        this.timeout = timeout;
    }

    public static HttpProviderSender create(URI url, Supplier<Secret> token, Duration timeout) {
        HttpClient http = HttpClient.newBuilder()
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        return new HttpProviderSender(http, url, token, timeout);
    }

    @Override
    public SendResult send(OutgoingEmail email) {
        return send(email, timeout);
    }

    /** @param within the call's time: the provider timeout, or less if the delivery has less left */
    @Override
    public SendResult send(OutgoingEmail email, Duration within) {
        Duration callTimeout = within.compareTo(timeout) < 0 ? within : timeout;
        if (callTimeout.toMillis() < 1) {
            return new SendResult.TransientFailure("no time left to call the provider", null);
        }
        Map<String, String> body = new LinkedHashMap<>();
        body.put("from", email.from());
        body.put("to", email.to());
        body.put("subject", email.subject());
        if (email.text() != null) {
            body.put("text", email.text());
        }
        if (email.html() != null) {
            body.put("html", email.html());
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(url)
                .timeout(callTimeout)
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", email.deliveryKey())
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(body)));
        try {
            Secret bearer = token.get();
            if (!bearer.isEmpty()) {
                request.header("Authorization", "Bearer " + bearer.reveal());
            }
        } catch (RuntimeException e) { // SSM throttled or unreachable: nothing was sent
            return new SendResult.TransientFailure(
                    "provider token unavailable: " + e.getClass().getSimpleName(), null);
        }
        HttpResponse<InputStream> response;
        String answer;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = response.body()) { // the rest of a long answer is never read
                answer = new String(in.readNBytes(MAX_ANSWER_BYTES), StandardCharsets.UTF_8);
            }
        } catch (HttpTimeoutException e) {
            return new SendResult.TransientFailure("provider timed out", null);
        } catch (IOException e) {
            return new SendResult.TransientFailure(
                    "provider unreachable: " + e.getClass().getSimpleName(), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new SendResult.TransientFailure("interrupted", null);
        }
        return classify(response.statusCode(), answer, response.headers().firstValue("retry-after"), Instant.now());
    }

    static SendResult classify(int status, String body, Optional<String> retryAfter, Instant now) {
        if (status >= 200 && status < 300) {
            return new SendResult.Sent(messageId(body));
        }
        String reason = "provider answered " + status + snippet(body);
        // 409: every request carries an Idempotency-Key, and a provider that honours it answers 409
        // while a request with the same key (another delivery of the chunk) is still in progress.
        if (status == 408
                || status == 409
                || status == 429
                || status >= 500
                || status < 200
                || (status >= 300 && status < 400)) {
            return new SendResult.TransientFailure(
                    reason, retryAfter.flatMap(v -> parseRetryAfter(v, now)).orElse(null), status == 429);
        }
        return new SendResult.PermanentFailure(reason);
    }

    /** Retry-After is either delay-seconds or an HTTP-date (RFC 9110 section 10.2.3). */
    static Optional<Duration> parseRetryAfter(String value, Instant now) {
        String v = value.trim();
        if (v.matches("\\d{1,9}")) {
            return Optional.of(Duration.ofSeconds(Long.parseLong(v)));
        }
        try {
            Instant at =
                    ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            return Optional.of(at.isAfter(now) ? Duration.between(now, at) : Duration.ZERO);
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static String messageId(String body) {
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            JsonNode node = Json.MAPPER.readTree(body);
            for (String field : new String[] {"id", "messageId"}) {
                if (node != null && node.path(field).isTextual()) {
                    return node.path(field).textValue();
                }
            }
        } catch (IOException notJson) {
            // a 2xx with a body that is not JSON is still a send
        }
        return null;
    }

    private static String snippet(String body) {
        String text = ProviderText.sanitised(body);
        return text.isEmpty() ? "" : ": " + text;
    }
}
