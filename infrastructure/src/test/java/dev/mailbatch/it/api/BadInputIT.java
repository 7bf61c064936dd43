package dev.mailbatch.it.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mailbatch.config.Json;
import dev.mailbatch.it.BackendExtension;
import dev.mailbatch.it.TestStack;
import dev.mailbatch.local.emulator.Backend;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input gets a clear 4xx in the one error envelope, naming the field, and stores and
 * queues nothing. Run through the real handlers against the emulator's table and queue.
 */
@ExtendWith(BackendExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputIT {
    private TestStack stack;

    @BeforeAll
    void stack(Backend backend) {
        stack = new TestStack(
                backend,
                Map.of(
                        "PROVIDER_URL", "http://127.0.0.1:9/never-called",
                        "DEFAULT_FROM", "news@mailbatch.example",
                        "ALLOWED_FROM", "team@mailbatch.example",
                        "MAX_RECIPIENTS", "5",
                        "MAX_CONTENT_BYTES", "2000",
                        "MAX_BODY_BYTES", "20000"));
    }

    private static final String OK_REST = "\"subject\":\"Hi\",\"text\":\"body\"";

    static Stream<Arguments> badPosts() {
        String longLocal = "a".repeat(65) + "@example.com";
        String six = IntStream.range(0, 6)
                .mapToObj(i -> "\"u" + i + "@example.com\"")
                .reduce((a, b) -> a + "," + b)
                .orElseThrow();
        String nested = "[".repeat(100) + "]".repeat(100);
        return Stream.of(
                // name, content-type, body, status, code, field
                post(
                        "no content type",
                        null,
                        "{\"emails\":[\"a@example.com\"]," + OK_REST + "}",
                        415,
                        "UNSUPPORTED_MEDIA_TYPE",
                        "content-type"),
                post(
                        "text/plain",
                        "text/plain",
                        "{\"emails\":[\"a@example.com\"]," + OK_REST + "}",
                        415,
                        "UNSUPPORTED_MEDIA_TYPE",
                        "content-type"),
                post(
                        "form encoded",
                        "application/x-www-form-urlencoded",
                        "emails=a@example.com",
                        415,
                        "UNSUPPORTED_MEDIA_TYPE",
                        "content-type"),
                post("truncated JSON", "application/json", "{\"emails\":[", 400, "INVALID_JSON", "body"),
                post("empty body", "application/json", "", 400, null, "body"),
                post("a JSON array", "application/json", "[]", 400, "INVALID_REQUEST", "body"),
                post("a JSON string", "application/json", "\"hello\"", 400, "INVALID_REQUEST", "body"),
                post(
                        "duplicate keys",
                        "application/json",
                        "{\"emails\":[\"a@example.com\"],\"subject\":\"a\",\"subject\":\"b\",\"text\":\"x\"}",
                        400,
                        "INVALID_JSON",
                        "body"),
                post(
                        "nesting too deep",
                        "application/json",
                        "{\"emails\":" + nested + "}",
                        400,
                        "INVALID_JSON",
                        "body"),
                post("emails missing", "application/json", "{" + OK_REST + "}", 400, "INVALID_REQUEST", "emails"),
                post(
                        "emails not an array",
                        "application/json",
                        "{\"emails\":\"a@example.com\"," + OK_REST + "}",
                        400,
                        "INVALID_REQUEST",
                        "emails"),
                post(
                        "emails empty",
                        "application/json",
                        "{\"emails\":[]," + OK_REST + "}",
                        400,
                        "INVALID_REQUEST",
                        "emails"),
                post(
                        "an address not a string",
                        "application/json",
                        "{\"emails\":[\"a@example.com\",42]," + OK_REST + "}",
                        400,
                        "INVALID_REQUEST",
                        "emails[1]"),
                post(
                        "not an address",
                        "application/json",
                        "{\"emails\":[\"not-an-email\"]," + OK_REST + "}",
                        400,
                        "INVALID_REQUEST",
                        "emails[0]"),
                post(
                        "domain without a dot",
                        "application/json",
                        "{\"emails\":[\"a@example.com\",\"b@example.com\",\"c@localhost\"]," + OK_REST + "}",
                        400,
                        "INVALID_REQUEST",
                        "emails[2]"),
                post(
                        "local part too long",
                        "application/json",
                        "{\"emails\":[\"" + longLocal + "\"]," + OK_REST + "}",
                        400,
                        "INVALID_REQUEST",
                        "emails[0]"),
                post(
                        "header injection in an address",
                        "application/json",
                        "{\"emails\":[\"a@example.com\\r\\nBcc: x@evil.example\"]," + OK_REST + "}",
                        400,
                        "INVALID_REQUEST",
                        "emails[0]"),
                post(
                        "too many recipients",
                        "application/json",
                        "{\"emails\":[" + six + "]," + OK_REST + "}",
                        413,
                        "TOO_MANY_RECIPIENTS",
                        "emails"),
                post(
                        "subject missing",
                        "application/json",
                        "{\"emails\":[\"a@example.com\"],\"text\":\"x\"}",
                        400,
                        "INVALID_REQUEST",
                        "subject"),
                post(
                        "subject not a string",
                        "application/json",
                        "{\"emails\":[\"a@example.com\"],\"subject\":7,\"text\":\"x\"}",
                        400,
                        "INVALID_REQUEST",
                        "subject"),
                post(
                        "subject blank",
                        "application/json",
                        "{\"emails\":[\"a@example.com\"],\"subject\":\"  \",\"text\":\"x\"}",
                        400,
                        "INVALID_REQUEST",
                        "subject"),
                post(
                        "subject too long",
                        "application/json",
                        "{\"emails\":[\"a@example.com\"],\"subject\":\"" + "s".repeat(999) + "\",\"text\":\"x\"}",
                        400,
                        "INVALID_REQUEST",
                        "subject"),
                post(
                        "subject with a line break",
                        "application/json",
                        "{\"emails\":[\"a@example.com\"],\"subject\":\"Hi\\r\\nBcc: x@evil.example\",\"text\":\"x\"}",
                        400,
                        "INVALID_REQUEST",
                        "subject"),
                post(
                        "neither text nor html",
                        "application/json",
                        "{\"emails\":[\"a@example.com\"],\"subject\":\"Hi\"}",
                        400,
                        "INVALID_REQUEST",
                        "text"),
                post(
                        "text not a string",
                        "application/json",
                        "{\"emails\":[\"a@example.com\"],\"subject\":\"Hi\",\"text\":[\"x\"]}",
                        400,
                        "INVALID_REQUEST",
                        "text"),
                post(
                        "html not a string",
                        "application/json",
                        "{\"emails\":[\"a@example.com\"],\"subject\":\"Hi\",\"html\":{\"p\":1}}",
                        400,
                        "INVALID_REQUEST",
                        "html"),
                post(
                        "an unknown field",
                        "application/json",
                        "{\"emails\":[\"a@example.com\"]," + OK_REST + ",\"bcc\":[\"x@evil.example\"]}",
                        400,
                        "INVALID_REQUEST",
                        "bcc"),
                post(
                        "a field with an empty name (found by fuzzing)",
                        "application/json",
                        "{\"emails\":[\"a@example.com\"]," + OK_REST + ",\"\":{}}",
                        400,
                        "INVALID_REQUEST",
                        "body"),
                post(
                        "from not allowed",
                        "application/json",
                        "{\"emails\":[\"a@example.com\"]," + OK_REST + ",\"from\":\"ceo@elsewhere.example\"}",
                        400,
                        "INVALID_REQUEST",
                        "from"),
                post(
                        "from not an address",
                        "application/json",
                        "{\"emails\":[\"a@example.com\"]," + OK_REST + ",\"from\":\"team\"}",
                        400,
                        "INVALID_REQUEST",
                        "from"),
                post(
                        "content too large",
                        "application/json",
                        "{\"emails\":[\"a@example.com\"],\"subject\":\"Hi\",\"html\":\"" + "h".repeat(2100) + "\"}",
                        413,
                        "PAYLOAD_TOO_LARGE",
                        "html"),
                post(
                        "body too large",
                        "application/json",
                        "{\"emails\":[\"a@example.com\"]," + OK_REST + ",\"pad\":\"" + "p".repeat(20_001) + "\"}",
                        413,
                        "PAYLOAD_TOO_LARGE",
                        "body"));
    }

    private static Arguments post(String name, String contentType, String body, int status, String code, String field) {
        return Arguments.of(name, contentType, body, status, code, field);
    }

    @ParameterizedTest(name = "POST {0} -> {3} {5}")
    @MethodSource("badPosts")
    void badPostIsRejectedAndStoresNothing(
            String name, String contentType, String body, int status, String code, String field) {
        Map<String, String> headers = contentType == null ? Map.of() : Map.of("Content-Type", contentType);
        TestStack.Response response = stack.post(headers, body.getBytes(StandardCharsets.UTF_8), false);
        assertError(response, status, code, field);
        assertNothingStored();
    }

    @Test
    void aBodyThatIsNotBase64WhereTheEventSaysItIsIsRejected() {
        var event = dev.mailbatch.local.lambda.LambdaEvents.http(
                "POST",
                "/emails",
                "/emails",
                Map.of(),
                Map.of(),
                Map.of("content-type", "application/json"),
                "{}".getBytes(StandardCharsets.UTF_8),
                false);
        event.setIsBase64Encoded(true);
        event.setBody("%%% not base64 %%%");
        TestStack.Response response = stack.submit(event);
        assertError(response, 400, "INVALID_REQUEST", "body");
        assertThat(response.body().path("error").path("details").findValuesAsText("message"))
                .anyMatch(m -> m.contains("base64"));
        assertNothingStored();
    }

    @Test
    void manyBadAddressesAreListedUpToALimit() {
        List<String> emails = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            emails.add("bad" + i);
        }
        TestStack.Response response = stack.postJson(Map.of("emails", emails, "subject", "Hi", "text", "x"));
        assertError(response, 400, "INVALID_REQUEST", "emails[0]");
        assertThat(response.body().path("error").path("details")).hasSize(5);
        assertNothingStored();
    }

    static Stream<Arguments> badGets() {
        String unknown = UUID.randomUUID().toString();
        return Stream.of(
                Arguments.of("/emails/not-a-job-id", 404, "NOT_FOUND", null),
                Arguments.of("/emails/" + unknown, 404, "NOT_FOUND", null),
                Arguments.of("/emails/" + unknown.toUpperCase(), 404, "NOT_FOUND", null),
                Arguments.of("/emails/" + unknown + "/recipients", 404, "NOT_FOUND", null),
                Arguments.of("/emails/" + unknown + "?verbose=1", 400, "INVALID_REQUEST", "verbose"),
                Arguments.of("/emails/" + unknown + "/recipients?status=BOUNCED", 400, "INVALID_REQUEST", "status"),
                Arguments.of("/emails/" + unknown + "/recipients?status=sent", 400, "INVALID_REQUEST", "status"),
                Arguments.of("/emails/" + unknown + "/recipients?limit=0", 400, "INVALID_REQUEST", "limit"),
                Arguments.of("/emails/" + unknown + "/recipients?limit=1001", 400, "INVALID_REQUEST", "limit"),
                Arguments.of("/emails/" + unknown + "/recipients?limit=ten", 400, "INVALID_REQUEST", "limit"),
                Arguments.of("/emails/" + unknown + "/recipients?limit=-5", 400, "INVALID_REQUEST", "limit"),
                Arguments.of("/emails/" + unknown + "/recipients?cursor=", 400, "INVALID_REQUEST", "cursor"),
                Arguments.of("/emails/" + unknown + "/recipients?page=2", 400, "INVALID_REQUEST", "page"));
    }

    @ParameterizedTest(name = "GET {0} -> {1}")
    @MethodSource("badGets")
    void badGetIsRejected(String path, int status, String code, String field) {
        assertError(stack.get(path), status, code, field);
        assertNothingStored();
    }

    @Test
    void aCursorForAnotherJobOrStatusOrMadeUpIsRejected(Backend backend) {
        TestStack own = new TestStack(
                backend, Map.of("PROVIDER_URL", "http://127.0.0.1:9/x", "DEFAULT_FROM", "news@mailbatch.example"));
        String a = own.postJson(
                        Map.of("emails", List.of("a@example.com", "b@example.com"), "subject", "Hi", "text", "x"))
                .body()
                .path("jobId")
                .asText();
        String b = own.postJson(Map.of("emails", List.of("c@example.com"), "subject", "Hi", "text", "x"))
                .body()
                .path("jobId")
                .asText();
        // Records exist only once a worker tried; a failing provider makes them PENDING records.
        own.events.pollOnce(java.time.Duration.ofSeconds(1));
        String cursorOfA = own.get("/emails/" + a + "/recipients?limit=1")
                .body()
                .path("nextCursor")
                .asText();
        assertThat(cursorOfA).isNotEmpty();
        assertThat(own.get("/emails/" + a + "/recipients?limit=1&cursor=" + cursorOfA)
                        .status())
                .isEqualTo(200);

        assertError(own.get("/emails/" + b + "/recipients?cursor=" + cursorOfA), 400, "INVALID_REQUEST", "cursor");
        assertError(
                own.get("/emails/" + a + "/recipients?status=SENT&cursor=" + cursorOfA),
                400,
                "INVALID_REQUEST",
                "cursor");
        assertError(own.get("/emails/" + a + "/recipients?cursor=bm90LWpzb24"), 400, "INVALID_REQUEST", "cursor");
        assertError(own.get("/emails/" + a + "/recipients?cursor=!!!"), 400, "INVALID_REQUEST", "cursor");
        String forged = java.util.Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(
                        Json.write(Map.of("job", b, "status", "", "chunk", 0)).getBytes(StandardCharsets.UTF_8));
        assertError(own.get("/emails/" + a + "/recipients?cursor=" + forged), 400, "INVALID_REQUEST", "cursor");
    }

    private static void assertError(TestStack.Response response, int status, String code, String field) {
        assertThat(response.status()).as(response.body().toString()).isEqualTo(status);
        JsonNode error = response.body().path("error");
        assertThat(error.path("message").asText()).isNotBlank();
        if (code != null) {
            assertThat(error.path("code").asText()).isEqualTo(code);
        }
        assertThat(error.path("details").isArray()).isTrue();
        if (field != null) {
            assertThat(error.path("details").findValuesAsText("field")).contains(field);
        }
        assertThat(response.headers()).containsEntry("content-type", "application/json");
    }

    private void assertNothingStored() {
        assertThat(stack.storedItems()).as("items in the table").isZero();
        assertThat(stack.events.backlog()).as("messages on the queue").isZero();
    }
}
