package dev.mailbatch.it.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mailbatch.config.Json;
import dev.mailbatch.it.BackendExtension;
import dev.mailbatch.it.LocalRuns;
import dev.mailbatch.local.LocalRunner;
import dev.mailbatch.local.emulator.Backend;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The local runner over real HTTP, against the emulator the ITs use (AWS_ENDPOINT_URL): what
 * the README's tour and the web page rely on.
 */
@ExtendWith(BackendExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalRunnerIT {
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private final HttpClient http = HttpClient.newHttpClient();
    private final ByteArrayOutputStream console = new ByteArrayOutputStream();
    private LocalRunner runner;
    private URI base;
    /** A token of the runner's own issuer, as infrastructure/bin/token prints it. */
    private String token;

    @BeforeAll
    void start(Backend backend) throws Exception {
        runner = LocalRuns.start(
                backend,
                "runner",
                Map.of("WorkerMaxConcurrency", "3", "CorsAllowOrigin", "http://page.test"),
                Map.of("RETRY_BASE_SECONDS", "1"),
                console);
        base = runner.baseUrl();
        token = LocalRuns.token(runner, "runner-it");
    }

    @AfterAll
    void stop() throws Exception {
        if (runner != null) {
            runner.close();
        }
        // What the functions logged while serving this class's requests (several hundred emails,
        // tokens on every request, lost answers, retries): no address, no token.
        String log = java.nio.file.Files.readString(Path.of(System.getProperty("mailbatch.root", ".."))
                .resolve("infrastructure/target/local/functions.log"));
        assertThat(log).as("the functions logged something").contains("\"jobId\":\"");
        // structured: each function line a JSON object with the job as a field of its own, and the
        // worker's EMF metrics among them (a job that finished reports how long it took)
        List<JsonNode> lines = new java.util.ArrayList<>();
        for (String line : log.lines().toList()) {
            int json = line.indexOf("{\"");
            if (json >= 0) {
                lines.add(Json.MAPPER.readTree(line.substring(json)));
            }
        }
        assertThat(lines)
                .anySatisfy(l -> assertThat(l.path("service").asText()).isEqualTo("SubmitBatch"))
                .anySatisfy(l -> {
                    assertThat(l.path("service").asText()).isEqualTo("SendEmails");
                    assertThat(l.path("jobId").asText()).isNotBlank();
                    assertThat(l.path("messageId").asText()).isNotBlank();
                })
                .anySatisfy(
                        l -> assertThat(l.path("SendLatency").isMissingNode()).isFalse())
                .anySatisfy(l -> assertThat(l.path("EmailsSent").asDouble()).isPositive())
                .anySatisfy(
                        l -> assertThat(l.path("JobDuration").isMissingNode()).isFalse());
        assertThat(log)
                .doesNotContainPattern("[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}")
                .doesNotContain("eyJ") // a JWT's first bytes
                .doesNotContainIgnoringCase("bearer");
    }

    /**
     * Regression (issue 13): the JDK's HTTP server answered a target that is not a valid URI with
     * its own HTML page ("URISyntaxException thrown") before any handler ran. API Gateway hands
     * such a request to the API, which names the parameter it cannot use. Sent over a raw socket,
     * since HTTP clients refuse to send these targets.
     */
    @Test
    void aMalformedQueryOrPathGetsTheApisJsonErrorNeverAPage() throws Exception {
        HttpResponse<String> accepted =
                postJson("{\"emails\":[\"malformed@example.com\"],\"subject\":\"Query\",\"text\":\"x\"}");
        assertThat(accepted.statusCode()).isEqualTo(202);
        String job = json(accepted).path("jobId").asText();
        RawAnswer cursor = raw("GET /emails/" + job + "/recipients?cursor=%%% HTTP/1.1");
        assertThat(cursor.status()).isEqualTo(400);
        assertThat(cursor.contentType()).startsWith("application/json");
        assertThat(Json.MAPPER
                        .readTree(cursor.body())
                        .at("/error/details/0/field")
                        .asText())
                .isEqualTo("cursor");

        RawAnswer status = raw("GET /emails/" + job + "/recipients?status=%zz|{ HTTP/1.1");
        assertThat(status.status()).isEqualTo(400);
        assertThat(Json.MAPPER
                        .readTree(status.body())
                        .at("/error/details/0/field")
                        .asText())
                .isEqualTo("status");

        RawAnswer path = raw("GET /emails/%zz HTTP/1.1");
        assertThat(path.status()).as(path.body()).isEqualTo(404);
        assertThat(Json.MAPPER.readTree(path.body()).at("/error/code").asText()).isEqualTo("NOT_FOUND");

        RawAnswer garbage = raw("NOT HTTP AT ALL");
        assertThat(garbage.status()).isEqualTo(400);
        assertThat(garbage.contentType()).startsWith("application/json");
        assertThat(garbage.body()).doesNotContain("<h1>");
    }

    private record RawAnswer(int status, String contentType, String body) {}

    /** One request over a plain socket, exactly as written; the answer's status, type and body. */
    private RawAnswer raw(String requestLine) throws Exception {
        try (java.net.Socket socket = new java.net.Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(30_000);
            String request = requestLine + "\r\nHost: " + base.getHost() + ":" + base.getPort()
                    + "\r\nAuthorization: Bearer " + token + "\r\nConnection: close\r\n\r\n";
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int headersEnd = answer.indexOf("\r\n\r\n");
            String head = answer.substring(0, headersEnd);
            String contentType = head.lines()
                    .filter(l -> l.toLowerCase(java.util.Locale.ROOT).startsWith("content-type:"))
                    .map(l -> l.substring("content-type:".length()).strip())
                    .findFirst()
                    .orElse("");
            return new RawAnswer(Integer.parseInt(head.split(" ")[1]), contentType, answer.substring(headersEnd + 4));
        }
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest.Builder at(String path) {
        return HttpRequest.newBuilder(base.resolve(path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token);
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return Json.MAPPER.readTree(response.body());
    }

    private HttpResponse<String> postJson(String body) throws Exception {
        return send(at("/emails")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private JsonNode waitUntilFinished(String location) throws Exception {
        HttpResponse<String> status = LocalRuns.poll(
                DEADLINE,
                Duration.ofMillis(200),
                () -> {
                    HttpResponse<String> read = send(at(location).GET());
                    assertThat(read.statusCode()).isEqualTo(200);
                    return read;
                },
                read -> read.headers().firstValue("retry-after").isEmpty());
        assertThat(status.headers().firstValue("retry-after"))
                .as("job finished before the deadline")
                .isEmpty();
        return json(status);
    }

    @Test
    void aBatchPostedOverHttpIsSentThroughTheOutboxAndReportedDone() throws Exception {
        String emails = IntStream.range(0, 120)
                .mapToObj(i -> "\"http" + i + "@example.com\"")
                .reduce((a, b) -> a + "," + b)
                .orElseThrow();
        int before = runner.outbox().list(0).path("emails").asInt();
        HttpResponse<String> accepted = postJson("{\"emails\":[" + emails + "],\"subject\":\"Hi\",\"text\":\"Hello\"}");
        assertThat(accepted.statusCode()).isEqualTo(202);
        String location = accepted.headers().firstValue("location").orElseThrow();
        assertThat(location).isEqualTo("/emails/" + json(accepted).path("jobId").asText());

        JsonNode done = waitUntilFinished(location);
        assertThat(done.path("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(done.path("sent").asInt()).isEqualTo(120);

        JsonNode outbox = runner.outbox().list(1000);
        assertThat(outbox.path("emails").asInt() - before).isEqualTo(120);
        Set<String> keys = new HashSet<>();
        outbox.path("items").forEach(e -> {
            if (e.path("to").asText().startsWith("http")) {
                keys.add(e.path("idempotencyKey").asText());
                assertThat(e.path("from").asText()).isEqualTo("mailbatch@example.com"); // the runner's DEFAULT_FROM
            }
        });
        assertThat(keys).hasSize(120);

        JsonNode page =
                json(send(at(location + "/recipients?status=SENT&limit=50").GET()));
        assertThat(page.path("items")).hasSize(50);
        String next = page.path("nextCursor").asText();
        JsonNode second = json(send(at(location + "/recipients?status=SENT&limit=50&cursor="
                        + java.net.URLEncoder.encode(next, StandardCharsets.UTF_8))
                .GET()));
        assertThat(second.path("items")).hasSize(50);
        assertThat(second.path("items").get(0).path("email").asText())
                .isGreaterThan(page.path("items").get(49).path("email").asText());
        assertThat(console.toString(StandardCharsets.UTF_8))
                .contains("POST /emails -> 202")
                .contains("SendEmails  ");
    }

    @Test
    void answersLostAfterTheProviderAcceptedAreRetriedWithTheSameKeyAndNoEmailIsSentTwice() throws Exception {
        send(at("/_local/sink").PUT(HttpRequest.BodyPublishers.ofString("{\"lossRate\":0.3}")));
        try {
            String emails = IntStream.range(0, 100)
                    .mapToObj(i -> "\"loss" + i + "@example.com\"")
                    .reduce((a, b) -> a + "," + b)
                    .orElseThrow();
            HttpResponse<String> accepted =
                    postJson("{\"emails\":[" + emails + "],\"subject\":\"Lossy\",\"text\":\"Hello\"}");
            JsonNode done =
                    waitUntilFinished(accepted.headers().firstValue("location").orElseThrow());
            assertThat(done.path("state").asText()).isEqualTo("SUCCEEDED");
            assertThat(done.path("sent").asInt()).isEqualTo(100);
        } finally {
            send(at("/_local/sink").PUT(HttpRequest.BodyPublishers.ofString("{\"lossRate\":0}")));
        }
        JsonNode outbox = runner.outbox().list(1000);
        List<String> delivered = new java.util.ArrayList<>();
        outbox.path("items").forEach(e -> {
            if (e.path("to").asText().startsWith("loss")) {
                delivered.add(e.path("to").asText());
            }
        });
        assertThat(delivered).hasSize(100).doesNotHaveDuplicates();
        assertThat(outbox.path("lostResponses").asInt()).as("answers lost").isPositive();
        assertThat(outbox.path("duplicateDeliveries").asInt())
                .as("retries of emails already accepted")
                .isPositive();
    }

    @Test
    void theApiAnswersPreflightAndAddsCorsHeadersAsTheTemplateConfiguresThem() throws Exception {
        HttpResponse<String> preflight = send(at("/emails")
                .header("Origin", "http://page.test")
                .header("Access-Control-Request-Method", "POST")
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()));
        assertThat(preflight.statusCode()).isEqualTo(204);
        assertThat(preflight.headers().firstValue("access-control-allow-origin"))
                .contains("http://page.test");
        assertThat(preflight
                        .headers()
                        .firstValue("access-control-allow-headers")
                        .orElse(""))
                .contains("content-type")
                .contains("idempotency-key");
        HttpResponse<String> preflightDelete = send(at("/emails/" + UUID.randomUUID())
                .header("Origin", "http://page.test")
                .header("Access-Control-Request-Method", "DELETE")
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()));
        assertThat(preflightDelete.statusCode()).isEqualTo(204);
        assertThat(preflightDelete
                        .headers()
                        .firstValue("access-control-allow-methods")
                        .orElse(""))
                .contains("DELETE");
        HttpResponse<String> get = send(at("/emails/" + UUID.randomUUID())
                .header("Origin", "http://page.test")
                .GET());
        assertThat(get.statusCode()).isEqualTo(404);
        assertThat(get.headers().firstValue("access-control-expose-headers").orElse(""))
                .contains("retry-after");
        HttpResponse<String> otherOrigin = send(at("/emails/" + UUID.randomUUID())
                .header("Origin", "http://evil.example")
                .GET());
        assertThat(otherOrigin.headers().firstValue("access-control-allow-origin"))
                .isEmpty();
        assertThat(get.headers().firstValue("x-content-type-options")).contains("nosniff");
        HttpResponse<String> outboxFromElsewhere = send(at("/_local/outbox").header("Origin", "http://evil.example"));
        assertThat(outboxFromElsewhere.statusCode()).isEqualTo(403);
        assertThat(outboxFromElsewhere.headers().firstValue("access-control-allow-origin"))
                .isEmpty();
    }

    @Test
    void whatApiGatewayAnswersItselfAndBodiesItBase64Encodes() throws Exception {
        HttpResponse<String> noRoute = send(at("/emails").method("DELETE", HttpRequest.BodyPublishers.noBody()));
        assertThat(noRoute.statusCode()).isEqualTo(404);
        assertThat(json(noRoute).path("message").asText()).isEqualTo("Not Found");

        byte[] huge = new byte[10 * 1024 * 1024 + 1];
        HttpResponse<String> tooLarge = send(at("/emails")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(huge)));
        assertThat(tooLarge.statusCode()).isEqualTo(413);

        // Not UTF-8: API Gateway passes it base64-encoded; the handler decodes it and refuses it as JSON.
        byte[] latin1 = "{\"emails\":[\"caf\u00e9@example.com\"],\"subject\":\"s\",\"text\":\"t\"}"
                .getBytes(StandardCharsets.ISO_8859_1);
        HttpResponse<String> binary = send(at("/emails")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(latin1)));
        assertThat(binary.statusCode()).isEqualTo(400);
        assertThat(json(binary).path("error").path("code").asText()).isEqualTo("INVALID_JSON");
    }

    /**
     * Regression: the functions' roles are made and assumed on the operator's line to the
     * emulator, never on the functions' own network (a chaos run's network fault during a worker
     * process's restart made every such restart fail: "the worker process did not start").
     */
    @Test
    void aStackStartsWhileTheFunctionsNetworkIsDown(Backend backend) throws Exception {
        int closed;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        URI down = URI.create("http://127.0.0.1:" + closed);
        LocalRunner.Harness cut = new LocalRunner.Harness() {
            @Override
            public Backend functions(Backend direct) {
                return direct.via(down, List.of());
            }
        };
        try (LocalRunner cutOff = LocalRuns.startStack(
                backend,
                "cut-" + UUID.randomUUID().toString().substring(0, 8),
                Map.of(),
                Map.of(),
                new ByteArrayOutputStream(),
                cut)) {
            assertThat(cutOff.functions()).hasSize(4);
            assertThat(cutOff.functionBackend("JobStatusFunction").endpoint()).isEqualTo(down);
        }
    }

    @Test
    void thePageIsServedAndNothingOutsideItsFolder() throws Exception {
        HttpResponse<String> page = send(at("/").GET());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("content-type").orElse("")).startsWith("text/html");
        assertThat(page.body()).contains("<title>mailbatch</title>");
        assertThat(send(at("/app.js").GET())
                        .headers()
                        .firstValue("content-type")
                        .orElse(""))
                .startsWith("text/javascript");
        assertThat(send(at("/%2e%2e/%2e%2e/pom.xml").GET()).statusCode()).isEqualTo(404);
    }

    @Test
    void theOutboxEndpointsCountRepeatedKeysAndCheckSinkSettings() throws Exception {
        String email = "{\"from\":\"f@example.com\",\"to\":\"dup@example.com\",\"subject\":\"s\",\"text\":\"t\"}";
        JsonNode before = json(send(at("/_local/outbox?limit=0").GET()));
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> r = send(at("/_local/provider/send")
                    .header("Idempotency-Key", "same-key")
                    .POST(HttpRequest.BodyPublishers.ofString(email)));
            assertThat(r.statusCode()).isEqualTo(200);
        }
        JsonNode after = json(send(at("/_local/outbox?limit=0").GET()));
        assertThat(after.path("emails").asInt() - before.path("emails").asInt()).isEqualTo(1);
        assertThat(after.path("duplicateDeliveries").asInt()
                        - before.path("duplicateDeliveries").asInt())
                .isEqualTo(1);

        // A lost response: the email is kept, the caller sees the connection close without an answer.
        send(at("/_local/sink").PUT(HttpRequest.BodyPublishers.ofString("{\"lossRate\":1}")));
        String other = email.replace("dup@", "lost@");
        assertThatThrownBy(() -> send(at("/_local/provider/send")
                        .header("Idempotency-Key", "lost-key")
                        .POST(HttpRequest.BodyPublishers.ofString(other))))
                .isInstanceOf(java.io.IOException.class);
        send(at("/_local/sink").PUT(HttpRequest.BodyPublishers.ofString("{\"lossRate\":0}")));
        JsonNode afterLoss = json(send(at("/_local/outbox?limit=1").GET()));
        assertThat(afterLoss.path("lostResponses").asInt()).isPositive();
        assertThat(afterLoss.path("items").get(0).path("to").asText()).isEqualTo("lost@example.com");

        HttpResponse<String> bad =
                send(at("/_local/sink").PUT(HttpRequest.BodyPublishers.ofString("{\"failureRate\":2}")));
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(json(bad).path("error").asText()).startsWith("failureRate:");
        HttpResponse<String> sink = send(at("/_local/sink").GET());
        assertThat(json(sink).path("failureRate").asDouble()).isZero();
        assertThat(send(at("/_local/nothing").GET()).statusCode()).isEqualTo(404);
        assertThat(List.of(send(at("/_local/outbox?limit=x").GET()).statusCode()))
                .containsExactly(400);
    }

    @Test
    void theApiLetsInOnlyTokensOfItsIssuerWithTheRouteScope() throws Exception {
        String body = "{\"emails\":[\"a@example.com\"],\"subject\":\"Hi\",\"text\":\"Hello\"}";
        HttpResponse<String> none = send(HttpRequest.newBuilder(base.resolve("/emails"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(json(none).path("message").asText()).isEqualTo("Unauthorized");
        assertThat(none.headers().firstValue("www-authenticate").orElse("")).contains("invalid_token");

        HttpResponse<String> readOnly = http.send(
                HttpRequest.newBuilder(base.resolve("/_local/token"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"sub\":\"reader\",\"scope\":\"mailbatch/read\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> forbidden = send(HttpRequest.newBuilder(base.resolve("/emails"))
                .header("Content-Type", "application/json")
                .header(
                        "Authorization",
                        "Bearer " + json(readOnly).path("access_token").asText())
                .POST(HttpRequest.BodyPublishers.ofString(body)));
        assertThat(forbidden.statusCode()).isEqualTo(403);
        assertThat(json(forbidden).path("message").asText()).isEqualTo("Forbidden");
        assertThat(forbidden.headers().firstValue("www-authenticate").orElse(""))
                .contains("insufficient_scope")
                .contains("mailbatch/send");
    }

    @Test
    void theTokenEndpointServesOnlyPagesOfItsOwnOrigin() throws Exception {
        HttpResponse<String> foreign = http.send(
                HttpRequest.newBuilder(base.resolve("/_local/token"))
                        .header("Origin", "http://evil.example")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"sub\":\"mallory\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(foreign.statusCode()).isEqualTo(403);
        assertThat(foreign.headers().firstValue("access-control-allow-origin")).isEmpty();
        assertThat(foreign.body()).doesNotContain("access_token");
    }
}
