package dev.mailbatch.it.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mailbatch.it.BackendExtension;
import dev.mailbatch.it.LocalRuns;
import dev.mailbatch.local.LocalRunner;
import dev.mailbatch.local.emulator.Backend;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A local stack survives its runner: a runner started again against the same emulator and stack
 * name attaches to the queue and table it finds, and the jobs they hold finish; resources that
 * do not match the template are a clear one-line error, not a stack trace.
 */
@ExtendWith(BackendExtension.class)
class RestartIT {
    /** Chunks of 10 taken one at a time: a runner stopped mid-drain leaves most of the job queued. */
    private static final Map<String, String> SMALL_STEPS =
            Map.of("MaxSendRate", "1000", "ChunkSize", "10", "WorkerBatchSize", "1", "WorkerMaxConcurrency", "2");

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aRunnerStartedAgainAttachesToTheStackAndItsJobsFinish(Backend backend) throws Exception {
        String stack = "restart-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> slow = Map.of("OUTBOX_LATENCY_MS", "150");
        String location;
        try (LocalRunner first = LocalRuns.startStack(backend, stack, SMALL_STEPS, slow, new ByteArrayOutputStream())) {
            String emails = String.join(
                    ",",
                    IntStream.range(0, 300)
                            .mapToObj(i -> "\"re" + i + "@example.com\"")
                            .toList());
            HttpResponse<String> accepted = http.send(
                    HttpRequest.newBuilder(first.baseUrl().resolve("/emails"))
                            .header("Authorization", "Bearer " + LocalRuns.token(first, "alice"))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(
                                    "{\"emails\":[" + emails + "],\"subject\":\"Again\",\"text\":\"x\"}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(accepted.statusCode()).isEqualTo(202);
            location = accepted.headers().firstValue("location").orElseThrow();
            LocalRuns.poll( // until the first emails went out
                    Duration.ofSeconds(30),
                    Duration.ofMillis(100),
                    () -> first.outbox().emails().size(),
                    sent -> sent > 0);
        } // the runner stops mid-drain

        try (LocalRunner second =
                LocalRuns.startStack(backend, stack, SMALL_STEPS, Map.of(), new ByteArrayOutputStream())) {
            String token = LocalRuns.token(second, "alice");
            JsonNode job = LocalRuns.awaitDone(second, location, token, Duration.ofSeconds(90));
            assertThat(job.path("state").asText()).isEqualTo("SUCCEEDED");
            assertThat(job.path("sent").asInt()).isEqualTo(300);
            assertThat(second.outbox().emails())
                    .as("the second runner sent the rest")
                    .isNotEmpty();
        }

        assertThatThrownBy(() -> LocalRuns.startStack(
                        backend, stack, Map.of("MaxDeliveries", "9"), Map.of(), new ByteArrayOutputStream()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("exists with other attributes")
                .hasMessageContaining(stack);
    }
}
