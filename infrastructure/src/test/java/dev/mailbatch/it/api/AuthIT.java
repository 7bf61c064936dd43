package dev.mailbatch.it.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailbatch.config.Json;
import dev.mailbatch.it.BackendExtension;
import dev.mailbatch.it.LocalRuns;
import dev.mailbatch.it.TestIssuer;
import dev.mailbatch.local.LocalRunner;
import dev.mailbatch.local.emulator.Backend;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * The API's JWT authorizer, over HTTP through the local stack, with tokens of an issuer the test
 * controls (the template's JwtIssuer set to it): every kind of bad token is refused as API Gateway
 * refuses it, and a refused request stores nothing and queues nothing.
 */
@ExtendWith(BackendExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthIT {
    private static final String BODY = "{\"emails\":[\"a@example.com\"],\"subject\":\"Hi\",\"text\":\"Hello\"}";
    private final HttpClient http = HttpClient.newHttpClient();
    private TestIssuer issuer;
    private LocalRunner runner;
    private Backend backend;

    @BeforeAll
    void start(Backend backend) throws Exception {
        this.backend = backend;
        issuer = new TestIssuer();
        runner = LocalRuns.start(
                backend,
                "auth",
                Map.of("JwtIssuer", issuer.url(), "JwtMachineAudience", "machine-client"),
                Map.of(),
                new ByteArrayOutputStream());
    }

    @AfterAll
    void stop() {
        if (runner != null) {
            runner.close();
        }
        if (issuer != null) {
            issuer.close();
        }
    }

    Stream<Arguments> badTokens() {
        Instant now = Instant.now();
        return Stream.of(
                Arguments.of("no token", null),
                Arguments.of("not a JWT", "Bearer not-a-token"),
                Arguments.of(
                        "expired",
                        bearer(issuer.token("alice", c -> c.expirationTime(Date.from(now.minusSeconds(300)))))),
                Arguments.of(
                        "not yet valid",
                        bearer(issuer.token("alice", c -> c.notBeforeTime(Date.from(now.plusSeconds(600)))))),
                Arguments.of("wrong audience", bearer(issuer.token("alice", c -> c.audience("someone-else")))),
                Arguments.of("wrong issuer", bearer(issuer.token("alice", c -> c.issuer("https://other.example")))),
                Arguments.of("no expiry", bearer(issuer.token("alice", c -> c.expirationTime(null)))),
                Arguments.of("bad signature", bearer(issuer.signedByAnotherKey("alice"))),
                Arguments.of("alg none", bearer(issuer.unsigned("alice"))),
                Arguments.of("HS256 signed with the public key", bearer(issuer.hs256WithThePublicKey("alice"))));
    }

    private static String bearer(String token) {
        return "Bearer " + token;
    }

    @ParameterizedTest(name = "{0} -> 401")
    @MethodSource("badTokens")
    void aBadTokenIsUnauthorizedAndStoresNothing(String what, String authorization) throws Exception {
        int items = storedItems();
        HttpResponse<String> response = post(authorization);
        assertThat(response.statusCode()).as(what).isEqualTo(401);
        assertThat(Json.MAPPER.readTree(response.body()).path("message").asText())
                .isEqualTo("Unauthorized");
        assertThat(response.headers().firstValue("www-authenticate").orElse("")).contains("invalid_token");
        assertThat(storedItems()).isEqualTo(items);
        assertThat(queued()).isZero();
    }

    @Test
    void aTokenWithoutTheRouteScopeIsForbiddenAndStoresNothing() throws Exception {
        int items = storedItems();
        HttpResponse<String> response = post(bearer(issuer.token("alice", c -> c.claim("scope", "mailbatch/read"))));
        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(Json.MAPPER.readTree(response.body()).path("message").asText())
                .isEqualTo("Forbidden");
        assertThat(storedItems()).isEqualTo(items);
        // and a read needs mailbatch/read: a send-only token can not read
        HttpResponse<String> read = http.send(
                HttpRequest.newBuilder(runner.baseUrl().resolve("/emails/" + UUID.randomUUID()))
                        .header("Authorization", bearer(issuer.token("alice", c -> c.claim("scope", "mailbatch/send"))))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(read.statusCode()).isEqualTo(403);
    }

    @Test
    void aValidTokenIsLetInAndItsSubjectOwnsTheJob() throws Exception {
        HttpResponse<String> accepted = post(bearer(issuer.token("alice", c -> c)));
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        String location = accepted.headers().firstValue("location").orElseThrow();
        assertThat(get(location, bearer(issuer.token("alice", c -> c))).statusCode())
                .isEqualTo(200);
        // scp as a list, and aud given as client_id, are accepted too
        String scp = issuer.token(
                "alice",
                c -> c.audience((String) null)
                        .claim("client_id", "mailbatch")
                        .claim("scope", null)
                        .claim("scp", java.util.List.of("mailbatch/read")));
        assertThat(get(location, bearer(scp)).statusCode()).isEqualTo(200);
        assertThat(get(location, bearer(issuer.token("bob", c -> c))).statusCode())
                .isEqualTo(404);
    }

    /**
     * Issue 24, item 4: docs/deploy.md (§ 4) describes two app clients, the page's and one for machines
     * (client credentials), but the authorizer named one audience, so a machine's token was
     * refused. JwtMachineAudience names the second; Cognito's access tokens carry it as client_id.
     */
    @Test
    void aMachineClientsTokenIsLetInAndAnotherClientsIsNot() throws Exception {
        String machine =
                issuer.token("service-account", c -> c.audience((String) null).claim("client_id", "machine-client"));
        assertThat(post(bearer(machine)).statusCode()).isEqualTo(202);
        String other =
                issuer.token("service-account", c -> c.audience((String) null).claim("client_id", "other-client"));
        assertThat(post(bearer(other)).statusCode()).isEqualTo(401);
    }

    private HttpResponse<String> post(String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(runner.baseUrl().resolve("/emails"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(BODY));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path, String authorization) throws Exception {
        return http.send(
                HttpRequest.newBuilder(runner.baseUrl().resolve(path))
                        .header("Authorization", authorization)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private int storedItems() {
        return backend.dynamo()
                .scan(r -> r.tableName(runner.resources().table()).select("COUNT"))
                .count();
    }

    private int queued() {
        return Integer.parseInt(backend.sqs()
                .getQueueAttributes(r -> r.queueUrl(runner.resources().queueUrl())
                        .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES))
                .attributes()
                .get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES));
    }
}
