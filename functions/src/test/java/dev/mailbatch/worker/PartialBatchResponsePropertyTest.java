package dev.mailbatch.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.amazonaws.services.lambda.runtime.serialization.PojoSerializer;
import com.amazonaws.services.lambda.runtime.serialization.events.LambdaEventSerializers;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mailbatch.config.Json;
import dev.mailbatch.config.WorkerConfig;
import dev.mailbatch.job.ChunkMessage;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The partial-batch contract of the SendEmails adapter, for any mix of outcomes: the response
 * names exactly the messages to retry (each once, nothing else), under the key names the Lambda
 * service reads ({@code batchItemFailures[].itemIdentifier}, through the runtime's own
 * serializer); every message to retry is kept away for a back-off; a dying worker fails the
 * whole batch.
 *
 * <p>Property-based, without a library: every batch of up to two messages over all fates
 * (exhaustively), then 1,000 random batches of up to ten from fixed seeds (a failure names its
 * seed, so it can be replayed). jqwik is not used: its engine asks AI agents not to use it.
 */
class PartialBatchResponsePropertyTest {
    private static final int RANDOM_BATCHES = 1_000;
    private static final PojoSerializer<SQSBatchResponse> SERIALIZER = LambdaEventSerializers.serializerFor(
            SQSBatchResponse.class, PartialBatchResponsePropertyTest.class.getClassLoader());
    private static final WorkerConfig CONFIG = WorkerConfig.from(Map.of(
            "TABLE_NAME",
            "t",
            "QUEUE_URL",
            "http://q",
            "PROVIDER_URL",
            "http://127.0.0.1/p",
            "RETRY_BASE_SECONDS",
            "10",
            "RETRY_MAX_SECONDS",
            "900")::get);

    /** How long another delivery's claim holds a HELD chunk's recipients. */
    private static final Duration HELD_FOR = Duration.ofSeconds(40);

    /** What the chunk work comes to for one message. */
    enum Fate {
        SENT,
        NOTHING_TO_DO,
        CANCELLED,
        TRANSIENT,
        TRANSIENT_WITH_RETRY_AFTER,
        NOT_READY,
        /** some recipients held by another delivery's claim: a copy comes back when it ends */
        HELD,
        HELD_AND_TRANSIENT,
        STORE_FAULT,
        UNREADABLE,
        UNKNOWN_VERSION;

        boolean retried() {
            return this != SENT && this != NOTHING_TO_DO && this != CANCELLED && this != NOT_READY && this != HELD;
        }

        boolean delayed() {
            return retried() && this != UNREADABLE && this != UNKNOWN_VERSION;
        }
    }

    record Case(String messageId, Fate fate, int delivery) {}

    /** Every batch of zero, one or two messages, over every fate and the first and a late delivery. */
    private static Stream<List<Case>> smallBatches() {
        List<Case> singles = new ArrayList<>();
        for (Fate fate : Fate.values()) {
            singles.add(new Case("m-" + fate, fate, 1));
            singles.add(new Case("late-" + fate, fate, 7));
        }
        Stream<List<Case>> pairs = singles.stream()
                .flatMap(a -> singles.stream()
                        .filter(b -> !b.messageId().equals(a.messageId()))
                        .map(b -> List.of(a, b)));
        return Stream.concat(
                Stream.of(List.<Case>of()), Stream.concat(singles.stream().map(List::of), pairs));
    }

    /** A random batch of up to ten messages with distinct ids (as SQS gives), from one seed. */
    private static List<Case> randomBatch(long seed) {
        Random random = new Random(seed);
        int size = random.nextInt(11);
        List<Case> batch = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            StringBuilder id = new StringBuilder(i + "-");
            for (int k = random.nextInt(36); k > 0; k--) {
                id.append("abcdefghijklmnopqrstuvwxyz0123456789-".charAt(random.nextInt(37)));
            }
            batch.add(new Case(
                    id.toString(), Fate.values()[random.nextInt(Fate.values().length)], 1 + random.nextInt(12)));
        }
        return batch;
    }

    @Test
    void theResponseNamesExactlyTheMessagesToRetry() throws Exception {
        for (List<Case> batch : smallBatches().toList()) {
            check(batch, "batch " + batch);
        }
        for (long seed = 1; seed <= RANDOM_BATCHES; seed++) {
            check(randomBatch(seed), "seed " + seed);
        }
    }

    private static void check(List<Case> batch, String which) throws Exception {
        Map<String, Duration> delays = new ConcurrentHashMap<>();
        Map<String, Duration> requeued = new ConcurrentHashMap<>();
        SendEmailsHandler handler = new SendEmailsHandler(
                CONFIG,
                work(batch),
                (m, d) -> delays.put(m.getMessageId(), d),
                (m, d) -> requeued.put(m.getMessageId(), d),
                line -> {});

        SQSBatchResponse response = handler.handleRequest(event(batch), new TestContext());

        JsonNode json = serialize(response);
        assertThat(fieldNames(json)).containsExactly("batchItemFailures");
        List<String> named = new ArrayList<>();
        for (JsonNode failure : json.path("batchItemFailures")) {
            assertThat(fieldNames(failure)).containsExactly("itemIdentifier");
            named.add(failure.path("itemIdentifier").asText());
        }
        List<String> toRetry = batch.stream()
                .filter(c -> c.fate().retried())
                .map(Case::messageId)
                .toList();
        assertThat(named).as(which).containsExactlyElementsOf(toRetry);

        for (Case c : batch) {
            // A chunk whose job is not ready, or whose recipients another delivery holds, comes back
            // later as a copy: waiting never uses up the deliveries sending has (issue 11, defect 4).
            assertThat(requeued.get(c.messageId()))
                    .as("%s: %s", which, c)
                    .isEqualTo(
                            switch (c.fate()) {
                                case NOT_READY -> ChunkProcessor.NOT_READY_DELAY;
                                case HELD, HELD_AND_TRANSIENT -> HELD_FOR;
                                default -> null;
                            });
            if (!c.fate().delayed()) {
                assertThat(delays).as(which).doesNotContainKey(c.messageId());
                continue;
            }
            Duration delay = delays.get(c.messageId());
            assertThat(delay)
                    .as("%s: %s is kept away before its retry", which, c)
                    .isNotNull();
            switch (c.fate()) {
                case TRANSIENT_WITH_RETRY_AFTER -> assertThat(delay).isGreaterThanOrEqualTo(Duration.ofSeconds(120));
                default -> {
                    long backoff = Math.min(900, 10L << (c.delivery() - 1));
                    assertThat(delay.toSeconds())
                            .as("%s: equal jitter around %d s", which, backoff)
                            .isBetween(backoff / 2, backoff);
                }
            }
        }
    }

    @Test
    void aWorkerThatDiesFailsTheWholeBatch() {
        for (long seed = 1; seed <= RANDOM_BATCHES / 4; seed++) {
            List<Case> batch = randomBatch(seed);
            if (batch.isEmpty()) {
                continue;
            }
            String dies = batch.get(new Random(-seed).nextInt(batch.size())).messageId();
            SendEmailsHandler.ChunkWork healthy = work(batch);
            SendEmailsHandler handler = new SendEmailsHandler(
                    CONFIG,
                    (message, delivery, recordBy) -> {
                        if (message.jobId().equals(dies)) {
                            throw new OutOfMemoryError("injected");
                        }
                        return healthy.process(message, delivery, recordBy);
                    },
                    (m, d) -> {},
                    (m, d) -> {},
                    line -> {});
            SQSEvent event = event(batch.stream()
                    .map(c -> c.messageId().equals(dies) ? new Case(c.messageId(), Fate.SENT, c.delivery()) : c)
                    .toList());

            assertThatThrownBy(() -> handler.handleRequest(event, new TestContext()))
                    .as("seed %d", seed)
                    .isInstanceOf(OutOfMemoryError.class);
        }
    }

    /** The work seam: each message's chunk names its case (the job id is the message id). */
    private static SendEmailsHandler.ChunkWork work(List<Case> batch) {
        Map<String, Case> byId = new HashMap<>();
        batch.forEach(c -> byId.put(c.messageId(), c));
        return (message, delivery, recordBy) -> {
            Case c = byId.get(message.jobId());
            assertThat(delivery).isEqualTo(c.delivery());
            return switch (c.fate()) {
                case SENT -> new ChunkResult(3, 0, 0, 0, null, null);
                case NOTHING_TO_DO -> ChunkResult.NOTHING_TO_DO;
                case CANCELLED -> new ChunkResult(0, 0, 3, 0, null, null);
                case TRANSIENT -> new ChunkResult(1, 0, 0, 2, null, null);
                case TRANSIENT_WITH_RETRY_AFTER -> new ChunkResult(0, 0, 0, 1, Duration.ofSeconds(120), null);
                case NOT_READY -> ChunkResult.notReady(ChunkProcessor.NOT_READY_DELAY);
                case HELD -> new ChunkResult(2, 0, 0, 0, null, HELD_FOR);
                case HELD_AND_TRANSIENT -> new ChunkResult(1, 0, 0, 1, null, HELD_FOR);
                case STORE_FAULT -> throw new dev.mailbatch.store.StoreException("injected", null);
                case UNREADABLE, UNKNOWN_VERSION -> throw new AssertionError("never reaches the work");
            };
        };
    }

    private static SQSEvent event(List<Case> batch) {
        List<SQSEvent.SQSMessage> records = new ArrayList<>();
        for (Case c : batch) {
            SQSEvent.SQSMessage m = new SQSEvent.SQSMessage();
            m.setMessageId(c.messageId());
            m.setReceiptHandle("rh-" + c.messageId());
            m.setAttributes(Map.of("ApproximateReceiveCount", Integer.toString(c.delivery())));
            m.setBody(
                    switch (c.fate()) {
                        case UNREADABLE -> "{not json";
                        case UNKNOWN_VERSION ->
                            Json.write(new ChunkMessage(
                                    ChunkMessage.VERSION + 1, c.messageId(), 0, List.of("a@b.example")));
                        default -> Json.write(ChunkMessage.of(c.messageId(), 0, List.of("a@b.example")));
                    });
            records.add(m);
        }
        SQSEvent event = new SQSEvent();
        event.setRecords(records);
        return event;
    }

    private static JsonNode serialize(SQSBatchResponse response) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SERIALIZER.toJson(response, out);
        return Json.MAPPER.readTree(out.toByteArray());
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
