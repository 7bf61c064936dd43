package dev.mailbatch.it.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mailbatch.it.BackendExtension;
import dev.mailbatch.it.TestStack;
import dev.mailbatch.local.emulator.Backend;
import dev.mailbatch.local.lambda.LambdaEvents;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Owner isolation (OWASP API1, broken object-level authorization): a caller sees, lists and
 * cancels only its own jobs; another caller's job answers exactly as a job that does not exist,
 * and is left unchanged. Idempotency-Keys are each caller's own.
 */
@ExtendWith(BackendExtension.class)
class OwnershipIT {
    private static final int PAIRS = 500;
    private static final Map<String, String> ENV =
            Map.of("PROVIDER_URL", "http://127.0.0.1:9/send", "DEFAULT_FROM", "news@mailbatch.example");
    private static final String ONE = "{\"emails\":[\"a@example.com\"],\"subject\":\"Hi\",\"text\":\"Hello\"}";

    private static LambdaEvents.Caller caller(String subject) {
        return LambdaEvents.Caller.of(subject, "mailbatch/send", "mailbatch/read");
    }

    @Test
    void anotherCallersJobIsNotFoundForEveryReadListAndCancel(Backend backend) {
        TestStack stack = new TestStack(backend, ENV);
        Random random = new Random(20261126L);
        JsonNode unknown = stack.get("/emails/" + UUID.randomUUID()).body();
        int refused = 0;
        for (int i = 0; i < PAIRS; i++) {
            LambdaEvents.Caller a = caller("a-" + random.nextInt(1_000_000));
            LambdaEvents.Caller b = caller("b-" + random.nextInt(1_000_000));
            TestStack.Response submitted = stack.submit(json(ONE), a);
            assertThat(submitted.status()).isEqualTo(202);
            String path = "/emails/" + submitted.body().path("jobId").asText();

            TestStack.Response read = stack.get(path, b);
            TestStack.Response list = stack.get(path + "/recipients", b);
            TestStack.Response cancel = stack.delete(path, b);
            for (TestStack.Response r : new TestStack.Response[] {read, list, cancel}) {
                assertThat(r.status()).isEqualTo(404);
                assertThat(r.body()).isEqualTo(unknown);
                refused++;
            }
            JsonNode own = stack.get(path, a).body();
            assertThat(own.path("state").asText()).isEqualTo("PENDING");
            assertThat(own.path("cancelledAt").isNull()).isTrue();
        }
        assertThat(refused).isEqualTo(3 * PAIRS);
    }

    @Test
    void twoCallersWithTheSameIdempotencyKeyGetTwoJobs(Backend backend) {
        TestStack stack = new TestStack(backend, ENV);
        Map<String, String> headers = Map.of("Content-Type", "application/json", "Idempotency-Key", "order-7");
        TestStack.Response alice = stack.submit(event(headers), caller("alice"));
        TestStack.Response aliceAgain = stack.submit(event(headers), caller("alice"));
        TestStack.Response bob = stack.submit(event(headers), caller("bob"));
        assertThat(alice.status()).isEqualTo(202);
        assertThat(aliceAgain.headers()).containsEntry("idempotent-replayed", "true");
        assertThat(aliceAgain.body().path("jobId")).isEqualTo(alice.body().path("jobId"));
        assertThat(bob.status()).isEqualTo(202);
        assertThat(bob.headers()).doesNotContainKey("idempotent-replayed");
        assertThat(bob.body().path("jobId")).isNotEqualTo(alice.body().path("jobId"));
        assertThat(stack.get("/emails/" + bob.body().path("jobId").asText(), caller("bob"))
                        .status())
                .isEqualTo(200);
    }

    @Test
    void aRequestWithoutAnAuthenticatedCallerIsRefusedAndStoresNothing(Backend backend) {
        TestStack stack = new TestStack(backend, ENV);
        TestStack.Response response = stack.submit(json(ONE), null);
        assertThat(response.status()).isEqualTo(401);
        assertThat(response.body().path("error").path("code").asText()).isEqualTo("UNAUTHENTICATED");
        assertThat(stack.storedItems()).isZero();
        assertThat(stack.get("/emails/" + UUID.randomUUID(), null).status()).isEqualTo(401);
        assertThat(stack.delete("/emails/" + UUID.randomUUID(), null).status()).isEqualTo(401);
    }

    private static com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent json(String body) {
        return event(Map.of("Content-Type", "application/json"), body);
    }

    private static com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent event(
            Map<String, String> headers) {
        return event(headers, ONE);
    }

    private static com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent event(
            Map<String, String> headers, String body) {
        return TestStack.postEvent(headers, body);
    }
}
