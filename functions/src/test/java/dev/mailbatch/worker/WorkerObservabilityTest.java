package dev.mailbatch.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mailbatch.config.Json;
import dev.mailbatch.config.WorkerConfig;
import dev.mailbatch.job.ChunkMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the worker tells about an invocation: a JSON line per chunk with the fields a log query
 * filters on at the top level, and one EMF line whose metrics add up to the chunks' outcomes.
 */
class WorkerObservabilityTest {
    private static final WorkerConfig CONFIG =
            WorkerConfig.from(Map.of(
                    "TABLE_NAME",
                    "t",
                    "QUEUE_URL",
                    "http://q",
                    "PROVIDER_URL",
                    "http://127.0.0.1/p",
                    "MAX_DELIVERIES",
                    "5")::get);

    private static SQSEvent.SQSMessage message(String id, String job, int delivery) {
        SQSEvent.SQSMessage m = new SQSEvent.SQSMessage();
        m.setMessageId(id);
        m.setReceiptHandle("rh-" + id);
        m.setAttributes(Map.of("ApproximateReceiveCount", Integer.toString(delivery)));
        m.setBody(Json.write(ChunkMessage.of(job, 0, List.of("a@b.example"))));
        return m;
    }

    @Test
    void eachChunkIsOneStructuredLineAndTheInvocationOneEmfLine() throws Exception {
        List<String> lines = new ArrayList<>();
        SendEmailsHandler handler = new SendEmailsHandler(
                CONFIG,
                (message, delivery, recordBy) -> message.jobId().equals("job-ok")
                        ? new ChunkResult(3, 1, 0, 0, null, null)
                        : new ChunkResult(0, 0, 0, 2, null, null), // still failing on its last delivery
                (m, d) -> {},
                (m, d) -> {},
                lines::add);
        SQSEvent event = new SQSEvent();
        event.setRecords(List.of(message("m-1", "job-ok", 1), message("m-2", "job-flaky", 5)));

        handler.handleRequest(event, new TestContext());

        List<JsonNode> json = new ArrayList<>();
        for (String line : lines) {
            json.add(Json.MAPPER.readTree(line)); // every line is one JSON object
        }
        JsonNode ok = json.stream()
                .filter(j -> "m-1".equals(j.path("messageId").asText()))
                .findFirst()
                .orElseThrow();
        assertThat(ok.path("service").asText()).isEqualTo("SendEmails");
        assertThat(ok.path("requestId").asText()).isEqualTo("test");
        assertThat(ok.path("jobId").asText()).isEqualTo("job-ok");
        assertThat(ok.path("level").asText()).isEqualTo("INFO");
        assertThat(ok.path("sent").asInt()).isEqualTo(3);
        assertThat(json).anySatisfy(j -> {
            assertThat(j.path("level").asText()).isEqualTo("WARN");
            assertThat(j.path("jobId").asText()).isEqualTo("job-flaky");
            assertThat(j.path("message").asText()).contains("dead-letter queue");
        });

        List<JsonNode> emf = json.stream().filter(j -> j.has("_aws")).toList();
        assertThat(emf).hasSize(1);
        JsonNode metrics = emf.getFirst();
        assertThat(metrics.at("/_aws/CloudWatchMetrics/0/Namespace").asText()).isEqualTo("mailbatch");
        assertThat(metrics.at("/_aws/CloudWatchMetrics/0/Dimensions/0/0").asText())
                .isEqualTo("service");
        assertThat(metrics.path("service").asText()).isEqualTo("SendEmails");
        assertThat(metrics.path("EmailsSent").asDouble()).isEqualTo(3);
        assertThat(metrics.path("EmailsFailed").asDouble()).isEqualTo(1);
        assertThat(metrics.path("EmailsRetried").asDouble()).isEqualTo(2);
        assertThat(metrics.path("ChunksDeadLettered").asDouble()).isEqualTo(1);
        assertThat(metrics.has("EmailsCancelled"))
                .as("a count of 0 is left out")
                .isFalse();
        List<String> declared = metrics.at("/_aws/CloudWatchMetrics/0/Metrics").findValuesAsText("Name");
        assertThat(declared)
                .containsExactlyInAnyOrder("EmailsSent", "EmailsFailed", "EmailsRetried", "ChunksDeadLettered");
    }
}
