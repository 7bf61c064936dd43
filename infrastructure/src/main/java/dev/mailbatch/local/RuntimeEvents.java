package dev.mailbatch.local;

import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mailbatch.config.Json;
import dev.mailbatch.job.ChunkMessage;
import dev.mailbatch.job.Chunks;
import dev.mailbatch.job.Content;
import dev.mailbatch.job.EmailAddress;
import dev.mailbatch.job.Job;
import dev.mailbatch.job.JobIds;
import dev.mailbatch.local.lambda.LambdaEvents;
import dev.mailbatch.local.lambda.LambdaRuntime;
import dev.mailbatch.local.lambda.LocalFunctions;
import dev.mailbatch.store.JobStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;

/**
 * The events {@link LambdaRuntimes} sends each packaged function: what API Gateway or the event
 * source mapping would send it, against jobs written to the local stack as a submit would.
 */
final class RuntimeEvents {
    private static final LambdaEvents.Caller CALLER = LambdaEvents.Caller.of("rie", "mailbatch/send", "mailbatch/read");
    /** The owner the API functions make of {@link #CALLER} (a token's subject, as theirs). */
    private static final String OWNER = "jwt:rie";

    private final LocalRunner stack;

    RuntimeEvents(LocalRunner stack) {
        this.stack = stack;
    }

    /** The event each function gets: what API Gateway or the event source mapping would send. */
    String of(LambdaRuntimes.Fn fn) {
        String handler = fn.handler();
        if (handler.contains("SubmitBatch")) {
            byte[] body = Json.write(Map.of(
                            "emails", List.of("ada@example.com", "bob@example.com"), "subject", "rie", "text", "hello"))
                    .getBytes(StandardCharsets.UTF_8);
            return LambdaEvents.toJson(LambdaEvents.withCaller(
                    LambdaEvents.http(
                            "POST",
                            "/emails",
                            "/emails",
                            Map.of(),
                            Map.of(),
                            Map.of("content-type", "application/json"),
                            body,
                            false),
                    CALLER));
        }
        if (handler.contains("SendEmails")) {
            return LambdaEvents.toJson(sqs(enqueuedJob(2, 50))); // a first batch: one small chunk
        }
        String id = enqueuedJobId(2);
        String method = handler.contains("CancelJob") ? "DELETE" : "GET";
        return LambdaEvents.toJson(LambdaEvents.withCaller(
                LambdaEvents.http(
                        method,
                        "/emails/{jobId}",
                        "/emails/" + id,
                        Map.of("jobId", id),
                        Map.of(),
                        Map.of(),
                        null,
                        false),
                CALLER));
    }

    /** What each function must answer to the event it got: its success, as the runtime serialised it. */
    static void check(LambdaRuntimes.Fn fn, LambdaRuntime.Answer answer, List<String> failures) throws IOException {
        if (answer.status() != 200) {
            failures.add(fn.id() + ": the emulator answered " + answer.status() + " " + answer.body());
            return;
        }
        JsonNode body = Json.MAPPER.readTree(answer.body());
        boolean ok = fn.handler().contains("SendEmails")
                ? body.has("batchItemFailures")
                        && body.path("batchItemFailures").isEmpty()
                : body.path("statusCode").asInt() == (fn.handler().contains("JobStatus") ? 200 : 202);
        if (!ok) {
            failures.add(fn.id() + " answered " + answer.body());
        }
    }

    private String enqueuedJobId(int recipients) {
        return enqueuedJob(recipients, 50).getFirst().jobId();
    }

    /**
     * A job written and marked enqueued as a submit would, its chunks returned instead of queued:
     * the function under test is the only one that sees them.
     */
    List<ChunkMessage> enqueuedJob(int recipients, int chunkSize) {
        JobStore jobs = new JobStore(stack.backend().dynamo(), stack.resources().table());
        String id = JobIds.next();
        Instant now = Instant.now();
        List<EmailAddress> to = IntStream.range(0, recipients)
                .mapToObj(i -> EmailAddress.ofNormalized("r" + i + "@rie.example"))
                .toList();
        List<ChunkMessage> chunks = Chunks.split(id, to, chunkSize);
        jobs.create(
                Job.submitted(id, OWNER, recipients, chunks.size(), 0, now, now.plus(Duration.ofDays(1)), "rie"),
                new Content(LocalFunctions.LOCAL_FROM, "rie", "hello", null));
        jobs.markEnqueued(id, now);
        return chunks;
    }

    SQSEvent sqs(List<ChunkMessage> chunks) {
        List<software.amazon.awssdk.services.sqs.model.Message> messages = chunks.stream()
                .map(c -> software.amazon.awssdk.services.sqs.model.Message.builder()
                        .messageId(UUID.randomUUID().toString())
                        .receiptHandle(UUID.randomUUID().toString())
                        .body(Json.write(c))
                        .md5OfBody("")
                        .attributesWithStrings(Map.of(
                                "ApproximateReceiveCount",
                                "1",
                                "SentTimestamp",
                                Long.toString(System.currentTimeMillis())))
                        .build())
                .toList();
        return LambdaEvents.sqs(messages, stack.resources().queueArn());
    }
}
