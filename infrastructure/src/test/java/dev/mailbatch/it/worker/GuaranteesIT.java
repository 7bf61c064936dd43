package dev.mailbatch.it.worker;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.mailbatch.api.CancelJobHandler;
import dev.mailbatch.api.SubmitBatchHandler;
import dev.mailbatch.config.Json;
import dev.mailbatch.it.BackendExtension;
import dev.mailbatch.it.StoreFaults;
import dev.mailbatch.it.TestStack;
import dev.mailbatch.job.ChunkMessage;
import dev.mailbatch.job.Chunks;
import dev.mailbatch.job.Content;
import dev.mailbatch.job.EmailAddress;
import dev.mailbatch.job.Job;
import dev.mailbatch.job.JobIds;
import dev.mailbatch.local.emulator.Backend;
import dev.mailbatch.local.lambda.LambdaEvents;
import dev.mailbatch.store.JobStore;
import dev.mailbatch.store.WorkQueue;
import dev.mailbatch.worker.Faults;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

/**
 * Cancel, idempotent submit and the jobs a dying submit leaves behind, on the emulator with the
 * real handlers and an HTTP provider (WireMock).
 */
@ExtendWith(BackendExtension.class)
class GuaranteesIT {
    private static final Duration DRAIN = Duration.ofSeconds(120);
    private WireMockServer provider;

    @BeforeEach
    void startProvider() {
        provider = new WireMockServer(
                options().dynamicPort().bindAddress("127.0.0.1").containerThreads(64));
        provider.start();
        provider.stubFor(post(urlEqualTo("/send"))
                .willReturn(aResponse()
                        .withStatus(200)
                        .withHeader("Content-Type", "application/json")
                        .withBody("{\"id\":\"m\"}")));
    }

    @AfterEach
    void stopProvider() {
        provider.stop();
    }

    private TestStack stack(Backend backend) {
        Map<String, String> env = new HashMap<>();
        env.put("PROVIDER_URL", "http://127.0.0.1:" + provider.port() + "/send");
        env.put("DEFAULT_FROM", "news@mailbatch.example");
        env.put("RETRY_BASE_SECONDS", "0");
        return new TestStack(backend, env);
    }

    private static String batch(int n, String tag) {
        List<String> emails =
                IntStream.range(0, n).mapToObj(i -> tag + i + "@example.com").toList();
        return Json.write(Map.of("emails", emails, "subject", "Hello", "text", "body"));
    }

    private List<LoggedRequest> deliveries() {
        return provider.findAll(postRequestedFor(urlEqualTo("/send")));
    }

    private static TestStack.Response submit(TestStack stack, String body, String key) {
        Map<String, String> headers = new HashMap<>();
        headers.put("Content-Type", "application/json");
        if (key != null) {
            headers.put("Idempotency-Key", key);
        }
        return stack.post(headers, body.getBytes(StandardCharsets.UTF_8), false);
    }

    /** The job items in the table (not recipients, not keys). */
    private static List<Map<String, AttributeValue>> jobItems(TestStack stack) {
        return stack.dynamo
                .scan(r -> r.tableName(stack.resources.table())
                        .filterExpression("sk = :job")
                        .expressionAttributeValues(Map.of(":job", AttributeValue.fromS("JOB"))))
                .items();
    }

    private static void assertCountersMatchRecords(TestStack stack, String jobId) {
        JsonNode s = stack.get("/emails/" + jobId).body();
        assertThat(s.path("sent").asLong()
                        + s.path("failed").asLong()
                        + s.path("cancelled").asLong()
                        + s.path("pending").asLong())
                .isEqualTo(s.path("total").asLong());
        for (String status : List.of("SENT", "FAILED", "CANCELLED")) {
            int listed = stack.get("/emails/" + jobId + "/recipients?limit=1000&status=" + status)
                    .body()
                    .path("items")
                    .size();
            assertThat(listed).as(status).isEqualTo(s.path(status.toLowerCase()).asInt());
        }
    }

    // --- cancel ---

    @Test
    void cancellingBeforeAnyWorkSendsNothingAndEveryRecipientEndsCancelled(Backend backend) {
        TestStack stack = stack(backend);
        String jobId = submit(stack, batch(120, "c"), null).body().path("jobId").asText();

        TestStack.Response cancel = stack.delete("/emails/" + jobId);
        assertThat(cancel.status()).isEqualTo(202);
        assertThat(cancel.body().path("state").asText()).isEqualTo("CANCELLED");
        assertThat(cancel.body().path("cancelledAt").asText()).isNotEmpty();

        stack.events.drain(DRAIN);

        assertThat(deliveries()).isEmpty();
        JsonNode status = stack.get("/emails/" + jobId).body();
        assertThat(status.path("state").asText()).isEqualTo("CANCELLED");
        assertThat(status.path("cancelled").asInt()).isEqualTo(120);
        assertThat(status.path("pending").asInt()).isZero();
        assertThat(status.path("finishedAt").isNull()).isFalse();
        assertCountersMatchRecords(stack, jobId);

        TestStack.Response again = stack.delete("/emails/" + jobId);
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.body().path("error").path("code").asText()).isEqualTo("JOB_FINISHED");
        assertThat(again.body()
                        .path("error")
                        .path("details")
                        .get(0)
                        .path("field")
                        .asText())
                .isEqualTo("jobId");
    }

    @Test
    void cancellingWhileSendingStopsTheRestAndEveryCounterStaysExact(Backend backend) throws Exception {
        provider.resetAll();
        provider.stubFor(post(urlEqualTo("/send"))
                .willReturn(aResponse()
                        .withStatus(200)
                        .withFixedDelay(40)
                        .withHeader("Content-Type", "application/json")
                        .withBody("{\"id\":\"m\"}")));
        TestStack stack = stack(backend);
        String jobId = submit(stack, batch(400, "w"), null).body().path("jobId").asText();

        CountDownLatch thirtySent = new CountDownLatch(30);
        provider.addMockServiceRequestListener((request, response) -> thirtySent.countDown());
        try (ExecutorService worker = Executors.newSingleThreadExecutor()) {
            Future<Integer> drained = worker.submit(() -> stack.events.drain(DRAIN));
            assertThat(thirtySent.await(60, java.util.concurrent.TimeUnit.SECONDS))
                    .as("the worker is sending")
                    .isTrue();
            assertThat(stack.delete("/emails/" + jobId).status()).isEqualTo(202);
            drained.get();
        }

        JsonNode status = stack.get("/emails/" + jobId).body();
        assertThat(status.path("state").asText()).isEqualTo("CANCELLED");
        assertThat(status.path("pending").asInt()).isZero();
        assertThat(status.path("sent").asInt())
                .as("some were sent before the cancel")
                .isPositive();
        assertThat(status.path("cancelled").asInt()).as("the rest were not").isPositive();
        assertThat(status.path("sent").asInt() + status.path("cancelled").asInt())
                .isEqualTo(400);
        Set<String> keys = new HashSet<>();
        deliveries().forEach(d -> keys.add(d.getHeader("Idempotency-Key")));
        assertThat(keys)
                .as("every email the provider got is counted as sent, once")
                .hasSize(status.path("sent").asInt());
        assertCountersMatchRecords(stack, jobId);
    }

    @Test
    void cancellingAFinishedJobIsAConflictAndAnUnknownOneIsNotFound(Backend backend) {
        TestStack stack = stack(backend);
        String jobId = submit(stack, batch(3, "f"), null).body().path("jobId").asText();
        stack.events.drain(DRAIN);

        TestStack.Response finished = stack.delete("/emails/" + jobId);
        assertThat(finished.status()).isEqualTo(409);
        assertThat(finished.body().path("error").path("message").asText()).contains("SUCCEEDED");
        assertThat(stack.delete("/emails/" + JobIds.next()).status()).isEqualTo(404);
        assertThat(stack.delete("/emails/not-a-job-id").status()).isEqualTo(404);
        assertThat(stack.get("/emails/" + jobId).body().path("state").asText()).isEqualTo("SUCCEEDED");
    }

    // --- idempotent submit ---

    @Test
    void theSameKeyAndBodyGetTheSameJobAndAnotherBodyAConflict(Backend backend) {
        TestStack stack = stack(backend);
        TestStack.Response first = submit(stack, batch(5, "i"), "order-42");
        TestStack.Response repeat = submit(stack, batch(5, "i"), "order-42");
        // The same request, spaced and ordered differently (and with a domain in capitals), is the same request.
        TestStack.Response reformatted = submit(
                stack,
                "{ \"text\": \"body\",\n \"subject\": \"Hello\", \"emails\": "
                        + Json.write(IntStream.range(0, 5)
                                .mapToObj(i -> "i" + i + "@EXAMPLE.com")
                                .toList()) + " }",
                "order-42");

        assertThat(first.status()).isEqualTo(202);
        assertThat(repeat.status()).isEqualTo(202);
        assertThat(repeat.body()).isEqualTo(first.body());
        assertThat(repeat.headers())
                .containsEntry("idempotent-replayed", "true")
                .containsEntry("location", first.headers().get("location"));
        assertThat(reformatted.body()).isEqualTo(first.body());
        assertThat(first.headers()).doesNotContainKey("idempotent-replayed");

        TestStack.Response other = submit(stack, batch(6, "i"), "order-42");
        assertThat(other.status()).isEqualTo(409);
        assertThat(other.body().path("error").path("code").asText()).isEqualTo("IDEMPOTENCY_KEY_REUSED");
        assertThat(other.body()
                        .path("error")
                        .path("details")
                        .get(0)
                        .path("field")
                        .asText())
                .isEqualTo("Idempotency-Key");

        assertThat(jobItems(stack)).hasSize(1);
        stack.events.drain(DRAIN);
        assertThat(deliveries()).hasSize(5);
        assertThat(submit(stack, batch(5, "i"), "order-43").body().path("jobId").asText())
                .as("another key is another job")
                .isNotEqualTo(first.body().path("jobId").asText());
    }

    @Test
    void aMalformedKeyIsA400NamingTheHeaderAndStoresNothing(Backend backend) {
        TestStack stack = stack(backend);
        for (String key : List.of("", " ", "x".repeat(256), "caf\u00e9", "tab\there", "line\nbreak")) {
            TestStack.Response response = submit(stack, batch(2, "k"), key);
            assertThat(response.status()).as("key %s", key).isEqualTo(400);
            assertThat(response.body()
                            .path("error")
                            .path("details")
                            .get(0)
                            .path("field")
                            .asText())
                    .isEqualTo("Idempotency-Key");
        }
        assertThat(submit(stack, batch(2, "k"), "x".repeat(255)).status()).isEqualTo(202);
        assertThat(submit(stack, batch(2, "k"), "~!@#$%^&*() printable").status())
                .isEqualTo(202);
        assertThat(jobItems(stack)).hasSize(2);
    }

    @Test
    void aThousandConcurrentSubmitsWithOneKeyMakeExactlyOneJob(Backend backend) throws Exception {
        TestStack stack = stack(backend);
        String body = batch(120, "many");
        int n = 1000;
        CountDownLatch start = new CountDownLatch(1);
        List<Future<TestStack.Response>> answers = new ArrayList<>();
        try (ExecutorService callers = Executors.newFixedThreadPool(100)) {
            for (int i = 0; i < n; i++) {
                answers.add(callers.submit(() -> {
                    start.await();
                    return submit(stack, body, "one-key-for-all");
                }));
            }
            start.countDown();
        }
        Map<Integer, Integer> statuses = new HashMap<>();
        Set<String> jobIds = new HashSet<>();
        for (Future<TestStack.Response> answer : answers) {
            TestStack.Response r = answer.get();
            statuses.merge(r.status(), 1, Integer::sum);
            if (r.status() == 202) {
                jobIds.add(r.body().path("jobId").asText());
            } else {
                assertThat(r.status()).as(r.body().toString()).isEqualTo(409);
                assertThat(r.body().path("error").path("code").asText()).isEqualTo("IDEMPOTENCY_KEY_IN_USE");
            }
        }
        System.out.println("1000 concurrent submits with one key: answers " + statuses);
        assertThat(jobIds).hasSize(1);
        assertThat(jobItems(stack)).hasSize(1);
        assertThat(statuses.get(202)).isGreaterThan(n / 2);

        stack.events.drain(DRAIN);
        assertThat(deliveries()).hasSize(120);
        JsonNode status = stack.get("/emails/" + jobIds.iterator().next()).body();
        assertThat(status.path("sent").asInt()).isEqualTo(120);
    }

    // --- no orphans at submit ---

    @Test
    void whenEnqueueingFailsTheCallerGetsARetryable503AndTheJobEndsWithNothingSent(Backend backend) {
        TestStack stack = stack(backend);
        TestStack.Response failed = stack.postWithBrokenQueue(batch(4, "o"));

        assertThat(failed.status()).isEqualTo(503);
        assertThat(failed.headers()).containsKey("retry-after");
        List<Map<String, AttributeValue>> jobs = jobItems(stack);
        assertThat(jobs).hasSize(1);
        String jobId = jobs.get(0).get("pk").s().substring("JOB#".length());
        JsonNode status = stack.get("/emails/" + jobId).body();
        assertThat(status.path("state").asText()).isEqualTo("FAILED");
        assertThat(status.path("pending").asInt()).isZero();
        assertThat(status.path("reason").asText()).contains("nothing was sent");
    }

    @Test
    void aRetryWithTheKeyAfterAFailedEnqueueMakesAWorkingJob(Backend backend) {
        TestStack stack = stack(backend);
        Map<String, String> headers = Map.of("Content-Type", "application/json", "Idempotency-Key", "retry-me");
        var event = TestStack.postEvent(headers, batch(4, "r"));
        // First try: the queue is unreachable.
        assertThat(stack.postWithBrokenQueue(event).status()).isEqualTo(503);
        // The retry: the same key and body.
        TestStack.Response retry = submit(stack, batch(4, "r"), "retry-me");
        assertThat(retry.status()).isEqualTo(202);
        assertThat(retry.headers()).doesNotContainKey("idempotent-replayed");
        stack.events.drain(DRAIN);
        assertThat(stack.get("/emails/" + retry.body().path("jobId").asText())
                        .body()
                        .path("state")
                        .asText())
                .isEqualTo("SUCCEEDED");
        assertThat(deliveries()).hasSize(4);
    }

    @Test
    void aJobWhoseSubmitDiedIsAbandonedAfterTheDeadlineAndItsQueuedChunksAreNeverSent(Backend backend) {
        TestStack stack = stack(backend);
        // A submit that wrote the job, enqueued its chunks, and died before marking it enqueued.
        JobStore jobs = new JobStore(stack.dynamo, stack.resources.table());
        String id = JobIds.next();
        Instant now = Instant.now();
        List<EmailAddress> to = IntStream.range(0, 60)
                .mapToObj(i -> EmailAddress.ofNormalized("d" + i + "@example.com"))
                .toList();
        List<ChunkMessage> chunks = Chunks.split(id, to, 50);
        jobs.create(
                Job.submitted(id, TestStack.OWNER, 60, chunks.size(), 0, now, now.plus(Duration.ofDays(1)), "Hi"),
                new Content("news@mailbatch.example", "Hi", "body", null));
        new WorkQueue(stack.sqs, stack.resources.queueUrl(), 1).enqueue(chunks);

        // Until the deadline the job is PENDING and the worker leaves its chunks alone.
        stack.events.pollOnce(Duration.ofSeconds(1));
        assertThat(deliveries()).isEmpty();
        assertThat(stack.get("/emails/" + id).body().path("state").asText()).isEqualTo("PENDING");

        stack.clock.advance(Job.SUBMIT_DEADLINE.plusSeconds(1));
        JsonNode status = stack.get("/emails/" + id).body();
        assertThat(status.path("state").asText()).isEqualTo("FAILED");
        assertThat(status.path("failed").asInt()).isEqualTo(60);
        assertThat(status.path("pending").asInt()).isZero();
        assertThat(status.path("reason").asText()).contains("did not finish");
        assertThat(stack.delete("/emails/" + id).status()).as("a finished job").isEqualTo(409);

        stack.events.drain(DRAIN);
        assertThat(deliveries())
                .as("an abandoned job's chunks are dropped unsent")
                .isEmpty();
        assertThat(stack.get("/emails/" + id).body().path("failed").asInt()).isEqualTo(60);
    }

    /**
     * Regression (issue 11, defect 4): deliveries that find the job's submit still enqueueing must
     * not use up MaxDeliveries. With 5 allowed, a submit that takes longer than five "not ready"
     * deliveries used to send the chunk to the dead-letter queue with nothing recorded, and the job
     * stayed PENDING for ever; now each such delivery leaves a fresh copy behind.
     */
    @Test
    void waitingForASlowSubmitNeverSendsAChunkToTheDeadLetterQueue(Backend backend) {
        Map<String, String> env = new HashMap<>();
        env.put("PROVIDER_URL", "http://127.0.0.1:" + provider.port() + "/send");
        env.put("DEFAULT_FROM", "news@mailbatch.example");
        env.put("MAX_DELIVERIES", "5");
        TestStack stack =
                new TestStack(backend, env, null, UnaryOperator.identity(), Faults.NONE, Map.of("MaxDeliveries", "5"));
        JobStore jobs = new JobStore(stack.dynamo, stack.resources.table());
        String id = JobIds.next();
        Instant now = Instant.now();
        List<EmailAddress> to = IntStream.range(0, 5)
                .mapToObj(i -> EmailAddress.ofNormalized("slow" + i + "@example.com"))
                .toList();
        List<ChunkMessage> chunks = Chunks.split(id, to, 50);
        jobs.create(
                Job.submitted(id, TestStack.OWNER, 5, chunks.size(), 0, now, now.plus(Duration.ofDays(1)), "Hi"),
                new Content("news@mailbatch.example", "Hi", "body", null));
        new WorkQueue(stack.sqs, stack.resources.queueUrl(), 1).enqueue(chunks);

        // The submit is slow: the chunk is delivered more often than the queue allows, never ready.
        Instant end = Instant.now().plusSeconds(35);
        while (Instant.now().isBefore(end)) {
            stack.events.pollOnce(Duration.ofSeconds(1));
        }
        assertThat(deliveries()).isEmpty();
        assertThat(stack.dlqDepth())
                .as("the chunk is still to be sent, not dead-lettered")
                .isZero();

        assertThat(jobs.markEnqueued(id, Instant.now())).isTrue();
        stack.events.drain(DRAIN);
        JsonNode status = stack.get("/emails/" + id).body();
        assertThat(status.path("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(status.path("sent").asInt()).isEqualTo(5);
        assertThat(deliveries()).hasSize(5);
    }

    /**
     * Regression (issue 11, defect 1): a worker sends a chunk, the provider has the emails, and the
     * worker dies before recording them; then the caller cancels. The next delivery used to mark
     * every unrecorded recipient CANCELLED although the provider had delivered it (the job read
     * "sent 0, cancelled 20"). A recipient an earlier delivery may have sent is resolved: sent
     * with its delivery key (the provider answers for the email it has), and recorded SENT.
     */
    @Test
    void aCancelNeverReportsADeliveredEmailAsCancelled(Backend backend) {
        java.util.concurrent.atomic.AtomicBoolean killed = new java.util.concurrent.atomic.AtomicBoolean();
        Faults diesAfterSending = point -> {
            if (point.equals(Faults.BEFORE_RECORD) && killed.compareAndSet(false, true)) {
                throw new PipelineIT.WorkerKilled();
            }
        };
        Map<String, String> env = new HashMap<>();
        env.put("PROVIDER_URL", "http://127.0.0.1:" + provider.port() + "/send");
        env.put("DEFAULT_FROM", "news@mailbatch.example");
        env.put("RETRY_BASE_SECONDS", "0");
        TestStack stack = new TestStack(backend, env, null, UnaryOperator.identity(), diesAfterSending);
        String id =
                submit(stack, batch(20, "delivered"), null).body().path("jobId").asText();

        var crashed = stack.events.pollOnce(Duration.ofSeconds(2));
        assertThat(crashed.crashed()).isTrue();
        stack.crashed(crashed.messages()); // back at once, as after its visibility timeout
        assertThat(deliveries()).as("the provider has all 20").hasSize(20);
        assertThat(stack.delete("/emails/" + id).status()).isEqualTo(202);
        stack.drainThroughCrashes(DRAIN);

        JsonNode status = stack.get("/emails/" + id).body();
        assertThat(status.path("state").asText()).isEqualTo("CANCELLED");
        assertThat(status.path("sent").asInt())
                .as("what the provider has is reported sent")
                .isEqualTo(20);
        assertThat(status.path("cancelled").asInt()).isZero();
        assertThat(status.path("pending").asInt()).isZero();
        assertThat(deliveries().stream()
                        .map(r -> r.getHeader("Idempotency-Key"))
                        .distinct())
                .as("the resends carried the same keys: a provider that honours them delivers each once")
                .hasSize(20);
    }

    /**
     * Issue 23, hole 1: a job cancelled while its provider is down (every send transient) stayed
     * CANCELLED with its recipients pending and no finishedAt for ever: the cancelled path resolved
     * the recipients an earlier delivery had tried by sending them again, and never recorded them
     * FAILED on the message's last deliveries, so the message went to the dead-letter queue with
     * nothing settled. Now they are marked FAILED (retryable) first on the last two deliveries, as
     * any job's are. Here the worker also dies on those deliveries (after its sends, before it
     * records): the message goes to the dead-letter queue, and the job has ended all the same.
     */
    @Test
    void aJobCancelledDuringAProviderOutageEndsWithEveryRecipientSettled(Backend backend) {
        provider.stubFor(
                post(urlEqualTo("/send")).atPriority(1).willReturn(aResponse().withStatus(503)));
        java.util.concurrent.atomic.AtomicInteger deliveries = new java.util.concurrent.atomic.AtomicInteger();
        Faults diesOnTheLastTwo = point -> {
            if (point.equals(Faults.BEFORE_SEND)) {
                deliveries.incrementAndGet();
            } else if (point.equals(Faults.BEFORE_RECORD) && deliveries.get() >= 4) {
                throw new PipelineIT.WorkerKilled();
            }
        };
        TestStack stack = cancelledJobStack(backend, diesOnTheLastTwo);
        String id = sendOnceThenCancel(stack, "outage");

        stack.drainThroughCrashes(DRAIN);

        assertThat(stack.dlqDepth()).as("the message ran out of deliveries").isEqualTo(1);
        assertEnded(stack, id);
    }

    /** The same with every answer lost: the provider has each email, the worker never learns it. */
    @Test
    void aJobCancelledWhileEveryAnswerIsLostEndsWithEveryRecipientSettled(Backend backend) {
        provider.stubFor(post(urlEqualTo("/send"))
                .atPriority(1)
                .willReturn(
                        aResponse().withFault(com.github.tomakehurst.wiremock.http.Fault.CONNECTION_RESET_BY_PEER)));
        TestStack stack = cancelledJobStack(backend, Faults.NONE);
        String id = sendOnceThenCancel(stack, "lost");

        stack.events.drain(DRAIN);

        assertEnded(stack, id);
    }

    private TestStack cancelledJobStack(Backend backend, Faults faults) {
        Map<String, String> env = new HashMap<>();
        env.put("PROVIDER_URL", "http://127.0.0.1:" + provider.port() + "/send");
        env.put("DEFAULT_FROM", "news@mailbatch.example");
        env.put("RETRY_BASE_SECONDS", "0");
        return new TestStack(backend, env, null, UnaryOperator.identity(), faults, Map.of("MaxDeliveries", "5"));
    }

    /** Submits 10 recipients, lets one delivery try them all (each may have gone out), then cancels. */
    private String sendOnceThenCancel(TestStack stack, String tag) {
        String id = submit(stack, batch(10, tag), null).body().path("jobId").asText();
        var first = stack.events.pollOnce(Duration.ofSeconds(2));
        assertThat(first.failedIds())
                .as("the first delivery's sends all failed")
                .hasSize(1);
        assertThat(stack.get("/emails/" + id + "/recipients").body().path("items"))
                .as("each was tried: it may have gone out")
                .hasSize(10)
                .allSatisfy(r -> assertThat(r.path("attempts").asInt()).isPositive());
        assertThat(stack.delete("/emails/" + id).status()).isEqualTo(202);
        return id;
    }

    private static void assertEnded(TestStack stack, String id) {
        JsonNode status = stack.get("/emails/" + id).body();
        assertThat(status.path("state").asText()).isEqualTo("CANCELLED");
        assertThat(status.path("pending").asInt()).isZero();
        assertThat(status.path("finishedAt").isNull()).as("the job ended").isFalse();
        assertThat(status.path("failed").asInt())
                .as("tried, never confirmed: failed (retryable), not cancelled")
                .isEqualTo(10);
        assertThat(stack.get("/emails/" + id + "/recipients?status=FAILED")
                        .body()
                        .path("items"))
                .allSatisfy(r -> assertThat(r.path("retryable").asBoolean()).isTrue());
        assertCountersMatchRecords(stack, id);
    }

    /**
     * Issue 23, hole 3: a copy of a chunk that arrives with a receive count of 1 (a dead-letter
     * redrive starts the count again) after a cancel, carrying recipients an earlier copy had sent
     * (its worker died before recording them): "may have been sent" was read from the count, so
     * they were recorded CANCELLED though the provider had them. Now it is read from the claim
     * written before the send: they are resolved with their keys and recorded SENT.
     */
    @Test
    void aRedrivenCopyAfterACancelRecordsWhatAnEarlierCopySentAsSent(Backend backend) {
        java.util.concurrent.atomic.AtomicBoolean killed = new java.util.concurrent.atomic.AtomicBoolean();
        Faults diesAfterSending = point -> {
            if (point.equals(Faults.BEFORE_RECORD) && killed.compareAndSet(false, true)) {
                throw new PipelineIT.WorkerKilled();
            }
        };
        Map<String, String> env = new HashMap<>();
        env.put("PROVIDER_URL", "http://127.0.0.1:" + provider.port() + "/send");
        env.put("DEFAULT_FROM", "news@mailbatch.example");
        env.put("RETRY_BASE_SECONDS", "0");
        TestStack stack = new TestStack(backend, env, null, UnaryOperator.identity(), diesAfterSending);
        String id =
                submit(stack, batch(20, "redriven"), null).body().path("jobId").asText();
        var crashed = stack.events.pollOnce(Duration.ofSeconds(2));
        assertThat(crashed.crashed()).isTrue();
        assertThat(deliveries()).as("the provider has all 20").hasSize(20);
        // The message leaves the queue for the dead-letter queue (as after its last delivery), time
        // passes, and the documented redrive brings it back as a new message: its count starts at 1.
        var message = crashed.messages().getFirst();
        stack.sqs.sendMessage(r -> r.queueUrl(stack.resources.dlqUrl()).messageBody(message.body()));
        stack.sqs.deleteMessage(r -> r.queueUrl(stack.resources.queueUrl()).receiptHandle(message.receiptHandle()));
        stack.workerClock.advance(Duration.ofMinutes(30));
        assertThat(stack.delete("/emails/" + id).status()).isEqualTo(202);
        assertThat(dev.mailbatch.local.eventsource.Redrive.move(
                        stack.sqs, stack.resources.dlqUrl(), stack.resources.queueUrl()))
                .isEqualTo(1);

        stack.events.drain(DRAIN);

        JsonNode status = stack.get("/emails/" + id).body();
        assertThat(status.path("state").asText()).isEqualTo("CANCELLED");
        assertThat(status.path("sent").asInt())
                .as("what the provider has is reported sent")
                .isEqualTo(20);
        assertThat(status.path("cancelled").asInt()).isZero();
        assertThat(status.path("pending").asInt()).isZero();
        assertThat(deliveries().stream()
                        .map(r -> r.getHeader("Idempotency-Key"))
                        .distinct())
                .as("resolved with the same keys")
                .hasSize(20);
        assertCountersMatchRecords(stack, id);
    }

    /**
     * A cancel whose write meets a worker's transaction on the job item: DynamoDB refuses it with
     * TransactionConflict, which the SDK does not retry. It is retried, not answered with a 503.
     */
    @Test
    void aCancelThatMeetsAWorkersTransactionIsRetried(Backend backend) {
        TestStack stack = stack(backend);
        String id = submit(stack, batch(5, "busy"), null).body().path("jobId").asText();
        StoreFaults busy = StoreFaults.conflicts(
                r -> r instanceof UpdateItemRequest u && u.updateExpression().contains("cancelledAt"), 2);
        CancelJobHandler cancel =
                new CancelJobHandler(stack.wiringWithStoreFaults("CancelJobFunction", Map.of(), busy));
        TestStack.Response answer = stack.invoke(
                cancel,
                LambdaEvents.http(
                        "DELETE", "/emails/{jobId}", "/emails/" + id, Map.of("jobId", id), "", Map.of(), null, false));
        assertThat(answer.status()).isEqualTo(202);
        assertThat(answer.body().path("state").asText()).isEqualTo("CANCELLED");
        assertThat(busy.conflicted()).isEqualTo(2);
    }

    /**
     * A submit whose "enqueued" mark landed but whose answer was lost (every attempt answered 500
     * after the write applied): the job runs, so the caller gets its 202, not a 503.
     */
    @Test
    void aSubmitWhoseEnqueuedMarkLandedButItsAnswerWasLostIsAccepted(Backend backend) {
        TestStack stack = stack(backend);
        StoreFaults lost = StoreFaults.answersLost(
                r -> r instanceof UpdateItemRequest u && u.updateExpression().contains("enqueuedAt"));
        SubmitBatchHandler submit = new SubmitBatchHandler(stack.wiringWithStoreFaults(
                "SubmitBatchFunction",
                Map.of(
                        "PROVIDER_URL",
                        "http://127.0.0.1:" + provider.port() + "/send",
                        "DEFAULT_FROM",
                        "news@mailbatch.example"),
                lost));
        TestStack.Response answer = stack.invoke(submit, TestStack.postEvent(batch(4, "landed")));
        assertThat(lost.lost()).as("the mark's answer was lost").isPositive();
        assertThat(answer.status()).isEqualTo(202);
        stack.events.drain(DRAIN);
        JsonNode status =
                stack.get("/emails/" + answer.body().path("jobId").asText()).body();
        assertThat(status.path("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(status.path("sent").asInt()).isEqualTo(4);
    }
}
