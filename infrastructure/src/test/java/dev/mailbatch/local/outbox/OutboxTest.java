package dev.mailbatch.local.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mailbatch.config.Json;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OutboxTest {
    private static byte[] email(String to) {
        return ("{\"from\":\"f@example.com\",\"to\":\"" + to + "\",\"subject\":\"s\",\"text\":\"t\"}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static JsonNode json(String s) throws Exception {
        return Json.MAPPER.readTree(s);
    }

    @Test
    void aRepeatedIdempotencyKeyIsAcknowledgedWithTheFirstIdButNotCountedAsAnEmail() throws Exception {
        Outbox outbox = new Outbox(new Outbox.Sink(0, 0, 503, 0));
        Outbox.Reply first = outbox.deliver("k1", email("a@example.com"));
        Outbox.Reply again = outbox.deliver("k1", email("a@example.com"));
        outbox.deliver("k2", email("b@example.com"));
        outbox.deliver(null, email("c@example.com"));
        outbox.deliver(null, email("c@example.com")); // no key: a provider cannot tell, so two emails
        assertThat(first.status()).isEqualTo(200);
        assertThat(again.status()).isEqualTo(200);
        assertThat(json(again.json()).path("id").asText())
                .isEqualTo(json(first.json()).path("id").asText());
        JsonNode list = outbox.list(10);
        assertThat(list.path("emails").asInt()).isEqualTo(4);
        assertThat(list.path("deliveries").asInt()).isEqualTo(5);
        assertThat(list.path("duplicateDeliveries").asInt()).isEqualTo(1);
        assertThat(list.path("items").get(0).path("to").asText()).isEqualTo("c@example.com"); // newest first
        assertThat(outbox.list(1).path("items")).hasSize(1);
        outbox.clear();
        assertThat(outbox.list(10).path("emails").asInt()).isZero();
    }

    @Test
    void theOutboxPagesNewestFirstAndSearchesByRecipientSubjectAndJob() throws Exception {
        Outbox outbox = new Outbox(new Outbox.Sink(0, 0, 503, 0));
        String job = "0b9f3a52-6c1e-4f7d-a3b2-9d8e7f6a5b4c";
        for (int i = 0; i < 7; i++) {
            outbox.deliver("mb-" + job + "-" + i, email("r" + i + "@example.com"));
        }
        outbox.deliver(
                "mb-11111111-2222-3333-4444-555555555555-x",
                ("{\"from\":\"f@example.com\",\"to\":\"other@example.org\",\"subject\":\"Quarterly News\"}")
                        .getBytes(StandardCharsets.UTF_8));

        JsonNode first = outbox.list(new Outbox.Query("", null, 3, null));
        assertThat(first.path("matching").asInt()).isEqualTo(8);
        assertThat(first.path("items").findValuesAsText("to"))
                .containsExactly("other@example.org", "r6@example.com", "r5@example.com");
        JsonNode second = outbox.list(
                new Outbox.Query("", null, 3, first.path("nextCursor").asText()));
        assertThat(second.path("items").findValuesAsText("to"))
                .containsExactly("r4@example.com", "r3@example.com", "r2@example.com");
        JsonNode last = outbox.list(
                new Outbox.Query("", null, 3, second.path("nextCursor").asText()));
        assertThat(last.path("items").findValuesAsText("to")).containsExactly("r1@example.com", "r0@example.com");
        assertThat(last.path("nextCursor").isNull()).isTrue();

        assertThat(outbox.list(new Outbox.Query("QUARTERLY", null, 10, null))
                        .path("items")
                        .findValuesAsText("to"))
                .containsExactly("other@example.org");
        JsonNode ofJob = outbox.list(new Outbox.Query("", job, 5, null));
        assertThat(ofJob.path("matching").asInt()).isEqualTo(7);
        assertThat(ofJob.path("items").get(0).path("jobId").asText()).isEqualTo(job);
        JsonNode both = outbox.list(new Outbox.Query("R3@", job, 5, null));
        assertThat(both.path("items").findValuesAsText("to")).containsExactly("r3@example.com");
        assertThat(outbox.list(new Outbox.Query("nobody", null, 5, null))
                        .path("matching")
                        .asInt())
                .isZero();
    }

    @Test
    void aQueryOutOfRangeOrACursorNotGivenHereIsRefusedNamingTheField() {
        assertThatThrownBy(() -> new Outbox.Query("", null, 1001, null)).hasMessageStartingWith("limit:");
        assertThatThrownBy(() -> new Outbox.Query("", null, 10, "%%%")).hasMessageStartingWith("cursor:");
        assertThatThrownBy(() -> new Outbox.Query("", null, 10, "local-0")).hasMessageStartingWith("cursor:");
        assertThatThrownBy(() -> new Outbox.Query("", null, 10, "local-99999999999"))
                .hasMessageStartingWith("cursor:");
        assertThat(Outbox.jobOf("mb-0b9f3a52-6c1e-4f7d-a3b2-9d8e7f6a5b4c-ab12"))
                .isEqualTo("0b9f3a52-6c1e-4f7d-a3b2-9d8e7f6a5b4c");
        assertThat(Outbox.jobOf("someone-elses-key")).isNull();
        assertThat(Outbox.jobOf(null)).isNull();
    }

    @Test
    void theSinkFailsCallsWithItsStatusAndRecordsNothing() throws Exception {
        Outbox outbox = new Outbox(new Outbox.Sink(0, 1, 429, 0));
        assertThat(outbox.deliver("k", email("a@example.com")).status()).isEqualTo(429);
        JsonNode list = outbox.list(10);
        assertThat(list.path("emails").asInt()).isZero();
        assertThat(list.path("injectedFailures").asInt()).isEqualTo(1);
        outbox.update(json("{\"failureRate\":0}"));
        assertThat(outbox.deliver("k", email("a@example.com")).status()).isEqualTo(200);
        assertThat(outbox.sink()).isEqualTo(new Outbox.Sink(0, 0, 429, 0)); // fields left out keep their values
    }

    @Test
    void aLostResponseStillRecordsTheEmailSoTheRetryWithTheSameKeyIsADuplicate() throws Exception {
        Outbox outbox = new Outbox(new Outbox.Sink(0, 0, 503, 1));
        Outbox.Reply lost = outbox.deliver("k", email("a@example.com"));
        // the provider is still at work on the request whose answer it lost: a retry at once is a 409
        // (sent before anything else: the linger is 100 ms, and a first assertion's warm-up can take that)
        Outbox.Reply atOnce = outbox.deliver("k", email("a@example.com"));
        assertThat(lost.lost()).isTrue();
        assertThat(atOnce.status()).isEqualTo(409);
        outbox.update(json("{\"lossRate\":0}"));
        Outbox.Reply retry = atOnce;
        for (long deadline = System.nanoTime() + 5_000_000_000L; retry.status() == 409; ) {
            assertThat(System.nanoTime())
                    .as("the key is free again after the linger")
                    .isLessThan(deadline);
            retry = outbox.deliver("k", email("a@example.com"));
        }
        assertThat(retry.status()).isEqualTo(200);
        assertThat(retry.lost()).isFalse();
        JsonNode list = outbox.list(10);
        assertThat(list.path("emails").asInt()).isEqualTo(1);
        assertThat(list.path("lostResponses").asInt()).isEqualTo(1);
        assertThat(list.path("duplicateDeliveries").asInt()).isEqualTo(1);
        assertThat(list.path("conflicts").asInt()).isPositive();
    }

    @Test
    void aHeldRequestWaitsNeitherAcceptedNorRefusedUntilTheHoldEnds() throws Exception {
        Outbox outbox = new Outbox(new Outbox.Sink(0, 0, 503, 0, true));
        java.util.concurrent.CompletableFuture<Outbox.Reply> reply =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return outbox.deliver("k", email("a@example.com"));
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                });
        for (long deadline = System.nanoTime() + 5_000_000_000L; outbox.held() == 0; ) {
            assertThat(System.nanoTime()).as("the request reaches the gate").isLessThan(deadline);
            Thread.onSpinWait();
        }
        JsonNode whileHeld = outbox.list(10);
        assertThat(whileHeld.path("held").asInt()).isEqualTo(1);
        assertThat(whileHeld.path("emails").asInt()).isZero();
        assertThat(whileHeld.path("sink").path("hold").asBoolean()).isTrue();
        assertThat(reply).isNotDone();

        outbox.update(json("{\"hold\":false}"));

        assertThat(reply.get(5, java.util.concurrent.TimeUnit.SECONDS).status()).isEqualTo(200);
        assertThat(outbox.held()).isZero();
        assertThat(outbox.list(10).path("emails").asInt()).isEqualTo(1);
        assertThatThrownBy(() -> outbox.update(json("{\"hold\":1}"))).hasMessageStartingWith("hold:");
    }

    @Test
    void malformedEmailsAreRefusedAsAProviderWould() throws Exception {
        Outbox outbox = new Outbox(new Outbox.Sink(0, 0, 503, 0));
        assertThat(outbox.deliver("k", "nope".getBytes(StandardCharsets.UTF_8)).status())
                .isEqualTo(400);
        assertThat(outbox.deliver("k", "{\"to\":\"a@example.com\"}".getBytes(StandardCharsets.UTF_8))
                        .status())
                .isEqualTo(422);
        assertThat(outbox.list(10).path("emails").asInt()).isZero();
    }

    @Test
    void sinkSettingsAreChecked() {
        Outbox outbox = new Outbox(new Outbox.Sink(0, 0, 503, 0));
        assertThatThrownBy(() -> outbox.update(json("{\"failureRate\":1.5}"))).hasMessageStartingWith("failureRate:");
        assertThatThrownBy(() -> outbox.update(json("{\"failureRate\":\"half\"}")))
                .hasMessageStartingWith("failureRate:");
        assertThatThrownBy(() -> outbox.update(json("{\"latencyMs\":-1}"))).hasMessageStartingWith("latencyMs:");
        assertThatThrownBy(() -> outbox.update(json("{\"latencyMs\":1.5}"))).hasMessageStartingWith("latencyMs:");
        assertThatThrownBy(() -> outbox.update(json("{\"failureStatus\":200}")))
                .hasMessageStartingWith("failureStatus:");
        assertThatThrownBy(() -> outbox.update(json("{\"lossRate\":-0.1}"))).hasMessageStartingWith("lossRate:");
        assertThat(outbox.sink()).isEqualTo(new Outbox.Sink(0, 0, 503, 0));
        assertThat(Outbox.Sink.fromEnvironment(Map.of(
                        "OUTBOX_LATENCY_MS",
                        "200",
                        "OUTBOX_FAILURE_RATE",
                        "0.3",
                        "OUTBOX_FAILURE_STATUS",
                        "500",
                        "OUTBOX_LOSS_RATE",
                        "0.05")::get))
                .isEqualTo(new Outbox.Sink(200, 0.3, 500, 0.05));
        assertThat(Outbox.Sink.fromEnvironment(Map.<String, String>of()::get)).isEqualTo(new Outbox.Sink(0, 0, 503, 0));
    }
}
