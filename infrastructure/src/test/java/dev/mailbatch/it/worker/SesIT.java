package dev.mailbatch.it.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mailbatch.config.Json;
import dev.mailbatch.it.BackendExtension;
import dev.mailbatch.it.TestStack;
import dev.mailbatch.local.emulator.Backend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** SENDER=ses: the worker sends through the emulator's SES v2 API. */
@ExtendWith(BackendExtension.class)
class SesIT {

    private static Map<String, String> env(String from) {
        return Map.of("SENDER", "ses", "PROVIDER_URL", "", "DEFAULT_FROM", from, "RETRY_BASE_SECONDS", "0");
    }

    /**
     * A stack deployed with SenderType=ses and DefaultFrom: the worker's own SES sender on its own
     * role, which allows ses:SendEmail from that address only (IamCheck judges each send).
     */
    private static TestStack sesStack(Backend backend, String from) {
        return sesStack(backend, from, Map.of(), dev.mailbatch.worker.Faults.NONE);
    }

    private static TestStack sesStack(
            Backend backend, String from, Map<String, String> more, dev.mailbatch.worker.Faults faults) {
        Map<String, String> env = new java.util.HashMap<>(env(from));
        env.putAll(more);
        return new TestStack(
                backend,
                env,
                null,
                java.util.function.UnaryOperator.identity(),
                faults,
                Map.of("SenderType", "ses", "DefaultFrom", from));
    }

    @Test
    void sendsThroughSesFromAVerifiedIdentity(Backend backend) throws Exception {
        String from = "verified-" + System.nanoTime() + "@mailbatch.example";
        backend.ses().createEmailIdentity(r -> r.emailIdentity(from));
        TestStack stack = sesStack(backend, from);
        List<String> to = List.of("x1@example.com", "x2@example.com", "x3@example.com");
        String jobId = stack.postJson(Map.of("emails", to, "subject", "SES subject", "text", "ses body"))
                .body()
                .path("jobId")
                .asText();

        stack.events.drain(Duration.ofSeconds(60));

        JsonNode status = stack.get("/emails/" + jobId).body();
        assertThat(status.path("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(status.path("sent").asInt()).isEqualTo(3);
        JsonNode items = stack.get("/emails/" + jobId + "/recipients").body().path("items");
        assertThat(items.findValuesAsText("providerMessageId"))
                .hasSize(3)
                .allSatisfy(id -> assertThat(id).isNotBlank());
        List<String> accepted = new ArrayList<>();
        for (Sent message : sent(backend)) {
            if (message.source().equals(from)) {
                accepted.add(message.to());
                assertThat(message.subject()).isEqualTo("SES subject");
            }
        }
        assertThat(accepted).containsExactlyInAnyOrderElementsOf(to);
    }

    @Test
    void anUnverifiedSenderIsAPermanentFailureNotRetried(Backend backend) {
        assumeTrue(backend.isMoto(), "moto enforces sender verification; LocalStack does not by default");
        TestStack stack = sesStack(backend, "unverified-" + System.nanoTime() + "@mailbatch.example");
        String jobId = stack.postJson(
                        Map.of("emails", List.of("y1@example.com", "y2@example.com"), "subject", "s", "text", "t"))
                .body()
                .path("jobId")
                .asText();

        int invocations = stack.events.drain(Duration.ofSeconds(60));

        assertThat(invocations).as("no retry of a permanent failure").isEqualTo(1);
        JsonNode status = stack.get("/emails/" + jobId).body();
        assertThat(status.path("state").asText()).isEqualTo("FAILED");
        assertThat(status.path("failed").asInt()).isEqualTo(2);
        JsonNode failed = stack.get("/emails/" + jobId + "/recipients?status=FAILED")
                .body()
                .path("items");
        assertThat(failed.findValuesAsText("error"))
                .allSatisfy(e -> assertThat(e).contains("MessageRejected"));
    }

    @Test
    void withSesAWorkerThatDiesResendsOnlyTheWaveItHadNotRecorded(Backend backend) throws Exception {
        String from = "waves-" + System.nanoTime() + "@mailbatch.example";
        backend.ses().createEmailIdentity(r -> r.emailIdentity(from));
        // Dies once, after the third wave of 8 was sent and before it was recorded.
        java.util.concurrent.atomic.AtomicInteger records = new java.util.concurrent.atomic.AtomicInteger();
        dev.mailbatch.worker.Faults diesOnce = point -> {
            if (point.equals(dev.mailbatch.worker.Faults.BEFORE_RECORD) && records.incrementAndGet() == 3) {
                throw new PipelineIT.WorkerKilled();
            }
        };
        TestStack stack = sesStack(backend, from, Map.of("SEND_CONCURRENCY", "8"), diesOnce);
        List<String> to = java.util.stream.IntStream.range(0, 40)
                .mapToObj(i -> "wave" + i + "@example.com")
                .toList();
        String jobId = stack.postJson(Map.of("emails", to, "subject", "waves", "text", "t"))
                .body()
                .path("jobId")
                .asText();

        assertThat(stack.drainThroughCrashes(Duration.ofSeconds(60))).isEqualTo(1);

        assertThat(stack.get("/emails/" + jobId).body().path("sent").asInt()).isEqualTo(40);
        long accepted =
                sent(backend).stream().filter(m -> m.source().equals(from)).count();
        assertThat(accepted)
                .as("40 emails, plus the one unrecorded wave of 8 sent again")
                .isEqualTo(48);
    }

    /** One email the emulator's SES accepted: its sender, first recipient and subject. */
    record Sent(String source, String to, String subject) {}

    /**
     * What the emulator's SES accepted, through its own API: moto's {@code /moto-api/data.json}
     * (ses.Message), or LocalStack's {@code /_aws/ses} (messages, each with Source, Destination
     * and Subject).
     */
    static List<Sent> sent(Backend backend) throws Exception {
        String path = backend.isMoto() ? "/moto-api/data.json" : "/_aws/ses";
        HttpResponse<String> response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(backend.endpoint() + path))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        JsonNode data = Json.MAPPER.readTree(response.body());
        List<Sent> out = new ArrayList<>();
        if (backend.isMoto()) {
            for (JsonNode m : data.path("ses").path("Message")) {
                out.add(new Sent(
                        m.path("source").asText(),
                        m.path("destinations").path("ToAddresses").path(0).asText(),
                        m.path("subject").asText()));
            }
        } else {
            for (JsonNode m : data.path("messages")) {
                out.add(new Sent(
                        m.path("Source").asText(),
                        m.path("Destination").path("ToAddresses").path(0).asText(),
                        m.path("Subject").asText()));
            }
        }
        return out;
    }

    /**
     * Regression (issue 11, defect 3, and issue 23, hole 2): two deliveries of one chunk at once
     * (SQS may deliver a message twice) both read the records before either sends. The second used
     * to send every wave again (80 emails for 40 recipients); then, re-reading before each wave, the
     * one wave it had started (48). Now each wave is claimed before it is sent, and the second
     * delivery skips what the first holds: 40.
     */
    @Test
    void twoDeliveriesThatReadTogetherSendEachRecipientOnce(Backend backend) throws Exception {
        java.util.concurrent.CyclicBarrier bothRead = new java.util.concurrent.CyclicBarrier(2);
        java.util.concurrent.CountDownLatch firstDone = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger arrivals = new java.util.concurrent.atomic.AtomicInteger();
        assertEachRecipientOnce(backend, "together", point -> {
            try {
                if (point.equals(dev.mailbatch.worker.Faults.BEFORE_SEND)) {
                    bothRead.await(20, java.util.concurrent.TimeUnit.SECONDS); // both have read the records
                    if (arrivals.incrementAndGet() == 2) {
                        firstDone.await(20, java.util.concurrent.TimeUnit.SECONDS); // the second goes on last
                    }
                } else if (point.equals(dev.mailbatch.worker.Faults.AFTER_RECORD)) {
                    firstDone.countDown();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /**
     * Issue 23, hole 2: two deliveries of one chunk sending at the same time, wave by wave. The
     * second starts while the first's first wave is under way (its first email has gone out), so
     * each finds some waves claimed by the other: every recipient gets exactly one email.
     */
    @Test
    void twoDeliveriesSendingAtTheSameTimeSendEachRecipientOnce(Backend backend) throws Exception {
        java.util.concurrent.CyclicBarrier bothRead = new java.util.concurrent.CyclicBarrier(2);
        java.util.concurrent.CountDownLatch firstEmail = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger arrivals = new java.util.concurrent.atomic.AtomicInteger();
        assertEachRecipientOnce(backend, "atonce", point -> {
            try {
                if (point.equals(dev.mailbatch.worker.Faults.BEFORE_SEND)) {
                    bothRead.await(20, java.util.concurrent.TimeUnit.SECONDS);
                    if (arrivals.incrementAndGet() == 2) {
                        firstEmail.await(20, java.util.concurrent.TimeUnit.SECONDS); // the other is sending
                    }
                } else if (point.equals(dev.mailbatch.worker.Faults.AFTER_EMAIL)) {
                    firstEmail.countDown();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** 40 recipients, SES in waves of 8, and two deliveries of the chunk interleaved by {@code interleave}. */
    private static void assertEachRecipientOnce(Backend backend, String tag, dev.mailbatch.worker.Faults interleave)
            throws Exception {
        String from = tag + "-" + System.nanoTime() + "@mailbatch.example";
        backend.ses().createEmailIdentity(r -> r.emailIdentity(from));
        TestStack stack = sesStack(backend, from, Map.of("SEND_CONCURRENCY", "8"), interleave);
        List<String> to = java.util.stream.IntStream.range(0, 40)
                .mapToObj(i -> tag + i + "@example.com")
                .toList();
        String jobId = stack.postJson(Map.of("emails", to, "subject", tag, "text", "t"))
                .body()
                .path("jobId")
                .asText();
        // SQS delivers the chunk twice: a copy of its message next to it.
        var message = stack.sqs
                .receiveMessage(r -> r.queueUrl(stack.resources.queueUrl()))
                .messages()
                .getFirst();
        stack.sqs.sendMessage(r -> r.queueUrl(stack.resources.queueUrl()).messageBody(message.body()));
        stack.events.expireVisibility(List.of(message));

        stack.events.drain(Duration.ofSeconds(60));

        JsonNode status = stack.get("/emails/" + jobId).body();
        assertThat(status.path("sent").asInt()).isEqualTo(40);
        assertThat(status.path("state").asText()).isEqualTo("SUCCEEDED");
        Map<String, Long> perRecipient = sent(backend).stream()
                .filter(m -> m.source().equals(from))
                .collect(java.util.stream.Collectors.groupingBy(Sent::to, java.util.stream.Collectors.counting()));
        assertThat(perRecipient).as("every recipient, one email each").hasSize(40);
        assertThat(perRecipient.values()).containsOnly(1L);
    }
}
