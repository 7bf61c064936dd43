package dev.mailbatch.it.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mailbatch.it.BackendExtension;
import dev.mailbatch.it.TestStack;
import dev.mailbatch.local.emulator.Backend;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzzes the API's handlers on the emulator: every request answers 2xx or 4xx, never 5xx, and
 * a refused POST stores nothing and queues nothing. Regression mode in the test command (the
 * inputs under {@code src/test/resources/dev/mailbatch/it/api/ApiFuzzITInputs/}); docs/testing.md
 * ("Fuzzing") has the command for a ten-minute fuzzing run.
 */
@ExtendWith(BackendExtension.class)
class ApiFuzzIT {
    private static final List<String> CONTENT_TYPES =
            List.of("application/json", "application/json; charset=utf-8", "text/plain", "");
    private static final List<String> KEYS = List.of("k1", "k2", "order-42");
    private static TestStack stack;
    private static int emulatorPort;

    @BeforeAll
    static void start(Backend backend) {
        Map<String, String> env = new HashMap<>();
        env.put("PROVIDER_URL", "http://127.0.0.1:9/send");
        env.put("DEFAULT_FROM", "news@mailbatch.example");
        env.put("ALLOWED_FROM", "team@mailbatch.example");
        env.put("MAX_RECIPIENTS", "200");
        stack = new TestStack(backend, env);
        emulatorPort = backend.endpoint().getPort();
    }

    /**
     * The handlers talk to the emulator over HTTP: those connections, and only those, are
     * expected (Jazzer's SSRF detector flags any other).
     */
    private static SilentCloseable onlyTheEmulator() {
        return BugDetectors.allowNetworkConnections(
                (host, port) -> (host.equals("localhost") || host.equals("127.0.0.1")) && port == emulatorPort);
    }

    @FuzzTest(maxDuration = "10m")
    void submitAnswers2xxOr4xxAndARefusalStoresNothing(FuzzedDataProvider data) {
        try (SilentCloseable allowed = onlyTheEmulator()) {
            submit(data);
        }
    }

    private static void submit(FuzzedDataProvider data) {
        Map<String, String> headers = new HashMap<>();
        headers.put("Content-Type", data.consumeBoolean() ? data.pickValue(CONTENT_TYPES) : data.consumeString(40));
        if (data.consumeBoolean()) {
            headers.put("Idempotency-Key", data.consumeBoolean() ? data.pickValue(KEYS) : data.consumeString(260));
        }
        boolean base64 = data.consumeBoolean();
        byte[] body = data.consumeRemainingAsBytes();
        if (base64) {
            body = java.util.Base64.getEncoder().encode(body);
        }
        int itemsBefore = stack.storedItems();
        int queuedBefore = stack.events.backlog();

        TestStack.Response response = stack.post(headers, body, base64);

        assertThat(response.status()).as("%s", response.body()).isBetween(200, 499);
        if (response.status() >= 400) {
            assertThat(response.body().path("error").path("code").asText()).isNotEmpty();
            assertThat(stack.storedItems())
                    .as("a refused request stores nothing")
                    .isEqualTo(itemsBefore);
            assertThat(stack.events.backlog())
                    .as("a refused request queues nothing")
                    .isEqualTo(queuedBefore);
        } else {
            assertThat(response.status()).isEqualTo(202);
            String jobId = response.body().path("jobId").asText();
            assertThat(stack.get("/emails/" + jobId).status()).isEqualTo(200);
        }
    }

    @FuzzTest(maxDuration = "10m")
    void statusRecipientsAndCancelAnswer2xxOr4xx(FuzzedDataProvider data) {
        try (SilentCloseable allowed = onlyTheEmulator()) {
            readAndCancel(data);
        }
    }

    private static void readAndCancel(FuzzedDataProvider data) {
        String id = data.consumeString(60);
        String query = data.consumeString(200);
        String path = "/emails/" + java.net.URLEncoder.encode(id, java.nio.charset.StandardCharsets.UTF_8);
        for (TestStack.Response response :
                List.of(stack.get(path + "?" + query), stack.get(path + "/recipients?" + query), stack.delete(path))) {
            assertThat(response.status()).as("%s", response.body()).isBetween(200, 499);
        }
    }
}
