package dev.mailbatch.it.worker;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.mailbatch.chaos.WorkerKilled;
import dev.mailbatch.config.Json;
import dev.mailbatch.config.Secret;
import dev.mailbatch.it.BackendExtension;
import dev.mailbatch.it.TestStack;
import dev.mailbatch.local.emulator.Backend;
import dev.mailbatch.local.eventsource.Redrive;
import dev.mailbatch.local.eventsource.SqsEventSource;
import dev.mailbatch.mail.EmailSender;
import dev.mailbatch.mail.HttpProviderSender;
import dev.mailbatch.worker.Faults;
import dev.mailbatch.worker.QuickRetries;
import dev.mailbatch.worker.SendEmailsHandler;
import java.net.URI;
import java.time.Duration;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * submit → SQS → worker → status, end to end on the emulator with the real handlers and an
 * HTTP provider (WireMock) — including the faults at-least-once delivery brings.
 */
@ExtendWith(BackendExtension.class)
class PipelineIT {
    private static final Duration DRAIN = Duration.ofSeconds(120);
    private WireMockServer provider;

    @BeforeEach
    void startProvider() {
        provider = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        provider.start();
        startProviderStub();
    }

    private void startProviderStub() {
        provider.stubFor(post(urlEqualTo("/send"))
                .atPriority(10)
                .willReturn(aResponse()
                        .withStatus(200)
                        .withHeader("Content-Type", "application/json")
                        .withBody("{\"id\":\"msg-{{randomValue length=12 type='ALPHANUMERIC'}}\"}")
                        .withTransformers("response-template")));
    }

    @AfterEach
    void stopProvider() {
        provider.stop();
    }

    private Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("PROVIDER_URL", "http://127.0.0.1:" + provider.port() + "/send");
        env.put("DEFAULT_FROM", "news@mailbatch.example");
        env.put("ALLOWED_FROM", "team@mailbatch.example");
        env.put("RETRY_BASE_SECONDS", "0"); // a retried message is visible again at once
        return env;
    }

    private TestStack stack(Backend backend) {
        return new TestStack(backend, env());
    }

    private static List<String> addresses(int n, String domain) {
        return IntStream.range(0, n).mapToObj(i -> "user" + i + "@" + domain).toList();
    }

    private static Map<String, Object> batch(List<String> emails) {
        return Map.of("emails", emails, "subject", "Hello", "text", "plain body", "html", "<p>hi</p>");
    }

    private List<LoggedRequest> deliveries() {
        return provider.findAll(postRequestedFor(urlEqualTo("/send")));
    }

    private static String to(LoggedRequest request) {
        try {
            return Json.MAPPER.readTree(request.getBodyAsString()).path("to").asText();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Every recipient listed, page by page, as email → status. */
    private static Map<String, String> allRecipients(TestStack stack, String jobId, String status, int limit) {
        Map<String, String> seen = new HashMap<>();
        String cursor = null;
        int pages = 0;
        do {
            String q = "/emails/" + jobId + "/recipients?limit=" + limit + (status == null ? "" : "&status=" + status)
                    + (cursor == null ? "" : "&cursor=" + cursor);
            TestStack.Response page = stack.get(q);
            assertThat(page.status()).as(q).isEqualTo(200);
            for (JsonNode item : page.body().path("items")) {
                assertThat(seen.put(
                                item.path("email").asText(), item.path("status").asText()))
                        .as("listed twice")
                        .isNull();
            }
            cursor = page.body().path("nextCursor").isNull()
                    ? null
                    : page.body().path("nextCursor").asText();
            assertThat(++pages).as("pagination ends").isLessThan(1000);
        } while (cursor != null);
        return seen;
    }

    @Test
    void submitDrainAndReadBack(Backend backend) {
        TestStack stack = stack(backend);
        List<String> emails = new ArrayList<>(addresses(120, "example.com"));
        emails.add("USER0@Example.com"); // a case-insensitive duplicate
        emails.add("user1@example.com");
        emails.add("ünï@bücher.example"); // invalid: non-ASCII local part
        emails.remove(emails.size() - 1);
        emails.add("info@bücher.example"); // an internationalised domain, sent as punycode

        TestStack.Response accepted = stack.postJson(batch(emails));
        assertThat(accepted.status()).isEqualTo(202);
        String jobId = accepted.body().path("jobId").asText();
        assertThat(accepted.headers()).containsEntry("location", "/emails/" + jobId);
        assertThat(accepted.body().path("state").asText()).isEqualTo("PENDING");
        assertThat(accepted.body().path("total").asInt()).isEqualTo(121);
        assertThat(accepted.body().path("duplicatesRemoved").asInt()).isEqualTo(2);
        assertThat(accepted.body().path("statusUrl").asText()).isEqualTo("/emails/" + jobId);
        assertThat(deliveries()).as("submit sends nothing itself").isEmpty();
        assertThat(stack.storedItems())
                .as("the job, its content and its owner's usage: three items, whatever the batch size")
                .isEqualTo(3);
        assertThat(stack.events.backlog()).as("121 recipients in chunks of 50").isEqualTo(3);

        TestStack.Response pending = stack.get("/emails/" + jobId);
        assertThat(pending.status()).isEqualTo(200);
        assertThat(pending.body().path("state").asText()).isEqualTo("PENDING");
        assertThat(pending.body().path("subject").asText()).isEqualTo("Hello");
        assertThat(pending.body().path("pending").asInt()).isEqualTo(121);
        assertThat(pending.headers()).containsKey("retry-after");
        assertThat(pending.body().path("finishedAt").isNull()).isTrue();

        stack.events.drain(DRAIN);

        TestStack.Response done = stack.get("/emails/" + jobId);
        assertThat(done.body().path("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(done.body().path("sent").asInt()).isEqualTo(121);
        assertThat(done.body().path("failed").asInt()).isZero();
        assertThat(done.body().path("pending").asInt()).isZero();
        assertThat(done.body().path("finishedAt").isNull()).isFalse();
        assertThat(done.headers()).doesNotContainKey("retry-after");

        List<LoggedRequest> calls = deliveries();
        assertThat(calls).hasSize(121);
        Set<String> keys =
                calls.stream().map(r -> r.getHeader("Idempotency-Key")).collect(Collectors.toSet());
        assertThat(keys).as("one Idempotency-Key per recipient").hasSize(121);
        assertThat(calls.stream().map(PipelineIT::to))
                .contains("info@xn--bcher-kva.example")
                .doesNotContain("USER0@Example.com");
        JsonNode first = readJson(calls.get(0).getBodyAsString());
        assertThat(first.path("from").asText()).isEqualTo("news@mailbatch.example");
        assertThat(first.path("subject").asText()).isEqualTo("Hello");
        assertThat(first.path("html").asText()).isEqualTo("<p>hi</p>");

        Map<String, String> listed = allRecipients(stack, jobId, null, 50);
        assertThat(listed)
                .hasSize(121)
                .allSatisfy((email, status) -> assertThat(status).isEqualTo("SENT"));
        assertThat(allRecipients(stack, jobId, "SENT", 40)).hasSize(121);
        assertThat(allRecipients(stack, jobId, "FAILED", 40)).isEmpty();
        JsonNode one = stack.get("/emails/" + jobId + "/recipients?limit=1")
                .body()
                .path("items")
                .get(0);
        assertThat(one.path("attempts").asInt()).isEqualTo(1);
        assertThat(one.path("providerMessageId").asText()).startsWith("msg-");
        assertThat(one.path("sentAt").asText()).isNotEmpty();
    }

    @Test
    void transientFailureIsRetriedWithTheSameKey(Backend backend) {
        TestStack stack = stack(backend);
        provider.stubFor(post(urlEqualTo("/send"))
                .atPriority(1)
                .inScenario("flaky")
                .withRequestBody(matchingJsonPath("$.to", containing("flaky@")))
                .whenScenarioStateIs(Scenario.STARTED)
                .willSetStateTo("recovered")
                .willReturn(aResponse().withStatus(503).withHeader("Retry-After", "0")));
        String jobId = stack.postJson(batch(List.of("a@example.com", "flaky@example.com", "b@example.com")))
                .body()
                .path("jobId")
                .asText();

        stack.events.drain(DRAIN);

        JsonNode status = stack.get("/emails/" + jobId).body();
        assertThat(status.path("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(status.path("sent").asInt()).isEqualTo(3);
        List<LoggedRequest> flaky =
                deliveries().stream().filter(r -> to(r).startsWith("flaky@")).toList();
        assertThat(flaky).hasSize(2);
        assertThat(flaky.get(0).getHeader("Idempotency-Key"))
                .isEqualTo(flaky.get(1).getHeader("Idempotency-Key"));
        assertThat(deliveries()).hasSize(4);
        JsonNode record =
                stack.get("/emails/" + jobId + "/recipients?status=SENT").body().path("items");
        JsonNode flakyRecord = find(record, "flaky@example.com");
        assertThat(flakyRecord.path("attempts").asInt()).isEqualTo(2);
        assertThat(flakyRecord.path("error").isNull())
                .as("a later success clears the error")
                .isTrue();
    }

    /**
     * Regression (issue 11, defect 2): a provider that honours Idempotency-Key answers 409 while
     * a request with the same key is still in progress (another delivery of the chunk). That is
     * not a refusal: the recipient is retried with the key, and the job ends SENT, not FAILED.
     */
    @Test
    void aConflictOnTheKeyIsRetriedNotRecordedAsAFailure(Backend backend) {
        TestStack stack = stack(backend);
        provider.stubFor(post(urlEqualTo("/send"))
                .atPriority(1)
                .inScenario("in-flight")
                .withRequestBody(matchingJsonPath("$.to", containing("busy@")))
                .whenScenarioStateIs(Scenario.STARTED)
                .willSetStateTo("done")
                .willReturn(aResponse()
                        .withStatus(409)
                        .withBody("{\"error\":\"a request with this Idempotency-Key is in progress\"}")));
        String jobId = stack.postJson(batch(List.of("busy@example.com", "calm@example.com")))
                .body()
                .path("jobId")
                .asText();

        stack.events.drain(DRAIN);

        JsonNode status = stack.get("/emails/" + jobId).body();
        assertThat(status.path("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(status.path("sent").asInt()).isEqualTo(2);
        assertThat(status.path("failed").asInt()).isZero();
        List<LoggedRequest> busy =
                deliveries().stream().filter(r -> to(r).startsWith("busy@")).toList();
        assertThat(busy).hasSize(2);
        assertThat(busy.get(0).getHeader("Idempotency-Key"))
                .isEqualTo(busy.get(1).getHeader("Idempotency-Key"));
    }

    @Test
    void permanentFailureIsRecordedAndNeverRetried(Backend backend) {
        TestStack stack = stack(backend);
        provider.stubFor(post(urlEqualTo("/send"))
                .atPriority(1)
                .withRequestBody(matchingJsonPath("$.to", containing("bounce@")))
                .willReturn(aResponse().withStatus(422).withBody("{\"error\":\"mailbox does not exist\"}")));
        String jobId = stack.postJson(batch(List.of("a@example.com", "bounce@example.com")))
                .body()
                .path("jobId")
                .asText();

        stack.events.drain(DRAIN);

        JsonNode status = stack.get("/emails/" + jobId).body();
        assertThat(status.path("state").asText()).isEqualTo("COMPLETED_WITH_FAILURES");
        assertThat(status.path("sent").asInt()).isEqualTo(1);
        assertThat(status.path("failed").asInt()).isEqualTo(1);
        assertThat(deliveries().stream().filter(r -> to(r).startsWith("bounce@")))
                .hasSize(1);
        JsonNode failed = stack.get("/emails/" + jobId + "/recipients?status=FAILED")
                .body()
                .path("items");
        assertThat(failed).hasSize(1);
        assertThat(failed.get(0).path("email").asText()).isEqualTo("bounce@example.com");
        assertThat(failed.get(0).path("error").asText()).contains("422").contains("mailbox does not exist");
    }

    @Test
    void everyRecipientFailingMakesTheJobFailed(Backend backend) {
        TestStack stack = stack(backend);
        provider.stubFor(
                post(urlEqualTo("/send")).atPriority(1).willReturn(aResponse().withStatus(400)));
        String jobId = stack.postJson(batch(addresses(3, "example.net")))
                .body()
                .path("jobId")
                .asText();
        stack.events.drain(DRAIN);
        JsonNode status = stack.get("/emails/" + jobId).body();
        assertThat(status.path("state").asText()).isEqualTo("FAILED");
        assertThat(status.path("failed").asInt()).isEqualTo(3);
    }

    /**
     * Two deliveries of the same messages at once. Before issue 23 both sent every recipient (300
     * calls, one email each thanks to the keys); now the second meets the first's claims and sends
     * none of them: 150 calls.
     */
    @Test
    void aMessageDeliveredTwiceAtOnceCountsOnceAndIsSentOnce(Backend backend) throws Exception {
        AtomicInteger readAndClaimed = new AtomicInteger();
        Faults counting = point -> {
            if (point.equals(Faults.BEFORE_SEND)) {
                readAndClaimed.incrementAndGet();
            }
        };
        TestStack stack = new TestStack(backend, env(), null, UnaryOperator.identity(), counting);
        // Slow sends, so that both deliveries have read "not done yet" before either records.
        provider.stubFor(post(urlEqualTo("/send"))
                .atPriority(5)
                .willReturn(aResponse().withStatus(200).withFixedDelay(150).withBody("{\"id\":\"slow\"}")));
        String jobId = stack.postJson(batch(addresses(150, "example.org")))
                .body()
                .path("jobId")
                .asText();

        List<Message> messages = stack.events.receive(Duration.ofSeconds(1));
        assertThat(messages).hasSize(3);
        // Two workers get the same messages and run at the same time.
        ExecutorService workers = Executors.newFixedThreadPool(2);
        CountDownLatch start = new CountDownLatch(1);
        try {
            Future<SqsEventSource.Batch> first = workers.submit(() -> {
                start.await();
                return stack.events.invoke(messages);
            });
            Future<SqsEventSource.Batch> second = workers.submit(() -> {
                start.await();
                return stack.events.invoke(messages);
            });
            start.countDown();
            stack.events.settle(first.get());
            stack.events.settle(second.get());
        } finally {
            workers.shutdownNow();
        }
        stack.events.drain(DRAIN);

        assertExact(stack, jobId, 150);
        assertThat(readAndClaimed.get())
                .as("both deliveries of each message read it and claimed before any recorded: the race happened")
                .isEqualTo(6);
        assertThat(deliveries().size())
                .as("a recipient the first delivery holds is not sent by the second")
                .isEqualTo(150);
        assertOneKeyPerRecipient(deliveries());
    }

    @Test
    void aWholeBatchRedeliveredAfterTheWorkerDiedCountsOnce(Backend backend) {
        // The worker dies after its sends but before it answers: Lambda sees an error and the
        // whole batch comes back when the visibility timeout ends.
        AtomicInteger invocations = new AtomicInteger();
        UnaryOperator<RequestHandler<SQSEvent, SQSBatchResponse>> diesAfterFirstBatch = real -> (event, context) -> {
            SQSBatchResponse response = real.handleRequest(event, context);
            if (invocations.getAndIncrement() == 0) {
                throw new IllegalStateException("worker killed before it could answer");
            }
            return response;
        };
        TestStack stack = new TestStack(backend, env(), null, diesAfterFirstBatch);
        String jobId = stack.postJson(batch(addresses(100, "example.org")))
                .body()
                .path("jobId")
                .asText();

        SqsEventSource.Batch crashed = stack.events.invoke(stack.events.receive(Duration.ofSeconds(1)));
        assertThat(crashed.crashed()).isTrue();
        stack.events.settle(crashed); // deletes nothing
        stack.crashed(crashed.messages());
        stack.events.drain(DRAIN);

        assertExact(stack, jobId, 100);
        assertThat(deliveries())
                .as("the redelivered batch sent nothing twice: it was recorded")
                .hasSize(100);
    }

    @Test
    void aWorkerThatDiesBetweenSendAndRecordResendsWithTheSameKey(Backend backend) {
        // A sender seam that "kills" the worker right after the 30th email reached the provider.
        AtomicInteger sends = new AtomicInteger();
        EmailSender real = HttpProviderSender.create(
                URI.create("http://127.0.0.1:" + provider.port() + "/send"),
                () -> new Secret(""),
                Duration.ofSeconds(5));
        EmailSender diesOnce = email -> {
            var result = real.send(email);
            if (sends.incrementAndGet() == 30) {
                throw new IllegalStateException("worker killed between send and record");
            }
            return result;
        };
        TestStack stack = new TestStack(backend, env(), diesOnce, UnaryOperator.identity());
        String jobId = stack.postJson(batch(addresses(60, "example.org")))
                .body()
                .path("jobId")
                .asText();

        stack.events.drain(DRAIN);

        assertExact(stack, jobId, 60);
        List<LoggedRequest> calls = deliveries();
        assertThat(calls.size()).as("the died chunk was sent again").isGreaterThan(60);
        assertOneKeyPerRecipient(calls);
    }

    @Test
    void aMessageThatNeverSucceedsEndsInTheDeadLetterQueueWithItsJobFinishedAndARedriveResumesIt(Backend backend) {
        TestStack stack = stack(backend);
        provider.stubFor(
                post(urlEqualTo("/send")).atPriority(1).willReturn(aResponse().withStatus(503)));
        String jobId = stack.postJson(batch(List.of("a@example.com", "b@example.com")))
                .body()
                .path("jobId")
                .asText();
        int maxReceiveCount = Integer.parseInt(
                String.valueOf(stack.template.property("WorkQueue", "RedrivePolicy", "maxReceiveCount")));

        stack.events.drain(DRAIN);

        assertThat(stack.dlqDepth()).isEqualTo(1);
        Map<String, Long> calls =
                deliveries().stream().collect(Collectors.groupingBy(PipelineIT::to, Collectors.counting()));
        assertThat(calls.values())
                .as("a call per recipient per receive, and quick retries within receives")
                .allSatisfy(n ->
                        assertThat(n).isBetween(maxReceiveCount + 1L, (long) maxReceiveCount * QuickRetries.MAX_CALLS));
        assertThat(deliveries().size() - 2 * maxReceiveCount)
                .as("quick retries stop once the worker's retry budget is half spent")
                .isLessThanOrEqualTo(SendEmailsHandler.QUICK_RETRY_BUDGET / 2 + 2);
        JsonNode status = stack.get("/emails/" + jobId).body();
        assertThat(status.path("state").asText())
                .as("the job ends though its message is in the DLQ")
                .isEqualTo("FAILED");
        assertThat(status.path("failed").asInt()).isEqualTo(2);
        assertThat(status.path("pending").asInt()).isZero();
        JsonNode record = stack.get("/emails/" + jobId + "/recipients?status=FAILED")
                .body()
                .path("items")
                .get(0);
        assertThat(record.path("attempts").asLong())
                .as("every provider call is counted")
                .isEqualTo(calls.get(record.path("email").asText()));
        assertThat(record.path("retryable").asBoolean()).isTrue();
        assertThat(record.path("error").asText())
                .contains("delivery " + maxReceiveCount)
                .contains("503");

        // The provider recovers; the documented redrive moves the message back and the job resumes.
        provider.resetAll();
        startProviderStub();
        assertThat(Redrive.move(stack.sqs, stack.resources.dlqUrl(), stack.resources.queueUrl()))
                .isEqualTo(1);
        stack.events.drain(DRAIN);

        assertThat(stack.dlqDepth()).isZero();
        assertExact(stack, jobId, 2);
        assertThat(deliveries()).hasSize(2);
        assertOneKeyPerRecipient(deliveries());
    }

    @Test
    void aWorkerThatDiesOnEveryDeliveryStillLeavesAFinishedJobAndARedriveSendsIt(Backend backend) {
        // Dies after reading, before sending, on every delivery: the message runs out of them.
        AtomicInteger deaths = new AtomicInteger();
        Faults dies = point -> {
            if (point.equals(Faults.BEFORE_SEND)) {
                deaths.incrementAndGet();
                throw new WorkerKilled();
            }
        };
        TestStack stack = new TestStack(backend, env(), null, UnaryOperator.identity(), dies);
        String jobId = stack.postJson(batch(addresses(3, "example.org")))
                .body()
                .path("jobId")
                .asText();
        int maxReceiveCount = Integer.parseInt(
                String.valueOf(stack.template.property("WorkQueue", "RedrivePolicy", "maxReceiveCount")));

        stack.drainThroughCrashes(DRAIN);

        assertThat(deaths.get()).isEqualTo(maxReceiveCount);
        assertThat(deliveries()).isEmpty();
        assertThat(stack.dlqDepth()).isEqualTo(1);
        JsonNode status = stack.get("/emails/" + jobId).body();
        assertThat(status.path("state").asText()).isEqualTo("FAILED");
        assertThat(status.path("failed").asInt()).isEqualTo(3);
        assertThat(status.path("pending").asInt()).isZero();
        assertThat(stack.get("/emails/" + jobId + "/recipients?status=FAILED")
                        .body()
                        .path("items"))
                .allSatisfy(r -> assertThat(r.path("error").asText()).contains("not sent by delivery"));

        assertThat(Redrive.move(stack.sqs, stack.resources.dlqUrl(), stack.resources.queueUrl()))
                .isEqualTo(1);
        stack.worker(null, dev.mailbatch.worker.Faults.NONE).drain(DRAIN);
        assertExact(stack, jobId, 3);
        assertOneKeyPerRecipient(deliveries());
    }

    /** An injected worker death: an Error, as a process dying mid-line is to the code around it. */
    /**
     * Regression (issue 11): the worker recorded a chunk only after all its sends, so a slow
     * provider could carry a chunk past the function's timeout; the invocation died, nothing was
     * recorded, and the job could end FAILED although its emails were delivered. Now it records
     * what was sent before the deadline the invocation's remaining time sets, and the rest comes
     * back (an unfinished send is resent with its key).
     */
    @Test
    void aChunkThatWouldOutrunTheTimeoutRecordsWhatWasSentByTheDeadline(Backend backend) {
        Map<String, String> env = env();
        env.put("SEND_CONCURRENCY", "1");
        TestStack stack = new TestStack(backend, env);
        provider.stubFor(post(urlEqualTo("/send"))
                .atPriority(1)
                .willReturn(aResponse()
                        .withStatus(200)
                        .withFixedDelay(1500)
                        .withHeader("Content-Type", "application/json")
                        .withBody("{\"id\":\"slow\"}")));
        String jobId = stack.postJson(batch(addresses(10, "slow.example")))
                .body()
                .path("jobId")
                .asText();

        // One invocation with 8 s left (as if the function's Timeout were 8 s): 10 emails at 1.5 s
        // each would take 15 s; it must record by 8 - 5 = 3 s and hand the message back.
        var worker = new dev.mailbatch.worker.SendEmailsHandler(stack.wiring("SendEmailsFunction", env));
        var messages = stack.sqs
                .receiveMessage(r -> r.queueUrl(stack.resources.queueUrl())
                        .maxNumberOfMessages(10)
                        .messageSystemAttributeNames(
                                software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName.ALL))
                .messages();
        SQSBatchResponse response = worker.handleRequest(
                dev.mailbatch.local.lambda.LambdaEvents.sqs(messages, stack.resources.queueArn()),
                new dev.mailbatch.local.lambda.LocalContext("SendEmails", 8, TestStack.LOG));
        assertThat(response.getBatchItemFailures()).as("the rest comes back").hasSize(1);
        JsonNode partial = stack.get("/emails/" + jobId).body();
        assertThat(partial.path("sent").asInt())
                .as("what was sent by the deadline is recorded")
                .isBetween(1, 3);

        stack.events.expireVisibility(messages);
        stack.events.drain(DRAIN);
        JsonNode done = stack.get("/emails/" + jobId).body();
        assertThat(done.path("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(done.path("sent").asInt()).isEqualTo(10);
        assertThat(deliveries().stream()
                        .map(r -> r.getHeader("Idempotency-Key"))
                        .distinct())
                .hasSize(10);
    }

    static final class WorkerKilled extends Error {
        WorkerKilled() {
            super("worker killed (injected)", null, false, false);
        }
    }

    /** sent + failed + pending = total, all sent, and the records agree with the counters. */
    private static void assertExact(TestStack stack, String jobId, int total) {
        JsonNode status = stack.get("/emails/" + jobId).body();
        assertThat(status.path("total").asInt()).isEqualTo(total);
        assertThat(status.path("sent").asInt()).isEqualTo(total);
        assertThat(status.path("failed").asInt()).isZero();
        assertThat(status.path("pending").asInt()).isZero();
        assertThat(status.path("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(allRecipients(stack, jobId, "SENT", 1000)).hasSize(total);
    }

    /** However often an address reached the provider, it always carried one and the same key. */
    private static void assertOneKeyPerRecipient(List<LoggedRequest> calls) {
        Map<String, Set<String>> keysByAddress = new HashMap<>();
        for (LoggedRequest call : calls) {
            keysByAddress.computeIfAbsent(to(call), k -> new HashSet<>()).add(call.getHeader("Idempotency-Key"));
        }
        assertThat(keysByAddress.values()).allSatisfy(keys -> assertThat(keys).hasSize(1));
        assertThat(calls.stream()
                        .map(c -> c.getHeader("Idempotency-Key"))
                        .distinct()
                        .count())
                .isEqualTo(keysByAddress.size());
    }

    private static JsonNode find(JsonNode items, String email) {
        for (JsonNode item : items) {
            if (item.path("email").asText().equals(email)) {
                return item;
            }
        }
        throw new AssertionError(email + " not listed in " + items);
    }

    private static JsonNode readJson(String s) {
        try {
            return Json.MAPPER.readTree(s);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
