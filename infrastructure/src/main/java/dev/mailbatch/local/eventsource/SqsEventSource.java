package dev.mailbatch.local.eventsource;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mailbatch.local.lambda.Invocation;
import dev.mailbatch.local.lambda.LambdaEvents;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * What Lambda's SQS event source mapping does, done against a real SQS API: receive a batch,
 * invoke the handler with an SQS event, delete the messages the response does not name.
 *
 * <p>{@code ReportBatchItemFailures} semantics, as AWS documents them: an empty or missing list
 * means all succeeded; an item identifier that is null, empty or not in the batch fails the
 * whole batch; an exception (or a timeout) fails the whole batch, which comes back when its
 * visibility timeout ends. Redrive to the dead-letter queue is the queue's own (RedrivePolicy).
 * Without {@code ReportBatchItemFailures} the response is ignored: a return is success for all.
 */
public final class SqsEventSource {
    private final SqsClient sqs;
    private final String queueUrl;
    private final String queueArn;
    private final int batchSize;
    private final Duration timeout;
    private final boolean reportBatchItemFailures;
    private final RequestHandler<SQSEvent, SQSBatchResponse> handler;
    private final Supplier<Context> contexts;
    private volatile java.util.function.Consumer<List<Message>> onReceive = messages -> {};

    /**
     * @param timeout the function's Timeout: an invocation that runs longer fails its whole batch
     * @param reportBatchItemFailures whether the mapping's FunctionResponseTypes has ReportBatchItemFailures
     */
    public SqsEventSource(
            SqsClient sqs,
            String queueUrl,
            String queueArn,
            int batchSize,
            Duration timeout,
            boolean reportBatchItemFailures,
            RequestHandler<SQSEvent, SQSBatchResponse> handler,
            Supplier<Context> contexts) {
        this.sqs = sqs;
        this.queueUrl = queueUrl;
        this.queueArn = queueArn;
        this.batchSize = batchSize;
        this.timeout = timeout;
        this.reportBatchItemFailures = reportBatchItemFailures;
        this.handler = handler;
        this.contexts = contexts;
    }

    /** Sees every batch received, before the handler does (the chaos harness duplicates messages here). */
    public SqsEventSource onReceive(java.util.function.Consumer<List<Message>> hook) {
        this.onReceive = hook;
        return this;
    }

    /**
     * The messages of one invocation, and which of them failed.
     *
     * @param fault why the whole batch failed (the function threw or timed out), or null
     */
    public record Batch(List<Message> messages, Set<String> failedIds, String fault) {
        public boolean crashed() {
            return fault != null;
        }
    }

    /** Receives up to BatchSize messages (empty if none arrives within {@code wait}). */
    public List<Message> receive(Duration wait) {
        return receive(wait, Duration.ZERO);
    }

    /**
     * Receives up to BatchSize messages: waits up to {@code wait} for the first; then, with a
     * batching window, keeps gathering until the batch is full or the window ends; without one,
     * takes what is there at once.
     */
    public List<Message> receive(Duration wait, Duration window) {
        List<Message> messages = new ArrayList<>();
        Instant windowEnd = null;
        while (messages.size() < batchSize) {
            int max = Math.min(10, batchSize - messages.size());
            long waitSeconds;
            if (messages.isEmpty()) {
                waitSeconds = wait.toSeconds();
            } else {
                windowEnd = windowEnd != null ? windowEnd : Instant.now().plus(window);
                waitSeconds =
                        Math.max(0, Duration.between(Instant.now(), windowEnd).toSeconds());
            }
            List<Message> got = sqs.receiveMessage(r -> r.queueUrl(queueUrl)
                            .maxNumberOfMessages(max)
                            .waitTimeSeconds((int) waitSeconds)
                            .messageSystemAttributeNames(MessageSystemAttributeName.ALL))
                    .messages();
            messages.addAll(got);
            boolean windowOpen = windowEnd != null && Instant.now().isBefore(windowEnd);
            if (got.isEmpty() && (messages.isEmpty() || !windowOpen)) {
                break;
            }
        }
        if (!messages.isEmpty()) {
            onReceive.accept(messages);
        }
        return messages;
    }

    /** Invokes the handler once with these messages, within the function's timeout; nothing is deleted yet. */
    public Batch invoke(List<Message> messages) {
        SQSEvent event = LambdaEvents.sqs(messages, queueArn);
        Set<String> all =
                new HashSet<>(messages.stream().map(Message::messageId).toList());
        SQSBatchResponse response;
        try {
            response = Invocation.call(() -> handler.handleRequest(event, contexts.get()), timeout);
        } catch (TimeoutException e) {
            return new Batch(messages, all, "timed out after " + timeout.toSeconds() + " s");
        } catch (ExecutionException e) {
            return new Batch(messages, all, "threw " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Batch(messages, all, "interrupted");
        }
        Set<String> failed = new HashSet<>();
        if (response != null && reportBatchItemFailures) {
            JsonNode failures = LambdaEvents.toJson(response).path("batchItemFailures");
            for (JsonNode failure : failures) {
                String id = failure.path("itemIdentifier").asText("");
                if (id.isEmpty() || !all.contains(id)) {
                    return new Batch(messages, all, null); // AWS fails the whole batch
                }
                failed.add(id);
            }
        }
        return new Batch(messages, failed, null);
    }

    /** Deletes the batch's succeeded messages; failed ones return when their visibility ends. */
    public void settle(Batch batch) {
        List<DeleteMessageBatchRequestEntry> entries = batch.messages().stream()
                .filter(m -> !batch.failedIds().contains(m.messageId()))
                .map(m -> DeleteMessageBatchRequestEntry.builder()
                        .id(m.messageId())
                        .receiptHandle(m.receiptHandle())
                        .build())
                .toList();
        for (int from = 0; from < entries.size(); from += 10) {
            List<DeleteMessageBatchRequestEntry> slice = entries.subList(from, Math.min(from + 10, entries.size()));
            sqs.deleteMessageBatch(r -> r.queueUrl(queueUrl).entries(slice));
        }
    }

    /** Receive, invoke, settle: one turn of the event source mapping. */
    public Batch pollOnce(Duration wait) {
        List<Message> messages = receive(wait);
        if (messages.isEmpty()) {
            return new Batch(List.of(), Set.of(), null);
        }
        Batch batch = invoke(messages);
        settle(batch);
        return batch;
    }

    /** Makes in-flight messages visible now: what the end of their visibility timeout does. */
    public void expireVisibility(List<Message> messages) {
        for (Message m : messages) {
            sqs.changeMessageVisibility(
                    r -> r.queueUrl(queueUrl).receiptHandle(m.receiptHandle()).visibilityTimeout(0));
        }
    }

    /** Messages visible, in flight, and delayed (a copy that comes back later). */
    public int backlog() {
        return backlog(sqs, queueUrl);
    }

    public static int backlog(SqsClient sqs, String queueUrl) {
        Map<QueueAttributeName, String> a = sqs.getQueueAttributes(r -> r.queueUrl(queueUrl)
                        .attributeNames(
                                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE,
                                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_DELAYED))
                .attributes();
        return a.values().stream().mapToInt(Integer::parseInt).sum();
    }

    /** Polls until the queue is empty, or throws when the deadline passes first. */
    public int drain(Duration deadline) {
        Instant end = Instant.now().plus(deadline);
        int invocations = 0;
        while (backlog() > 0) {
            if (Instant.now().isAfter(end)) {
                throw new IllegalStateException("queue not drained within " + deadline + "; backlog " + backlog());
            }
            if (!pollOnce(Duration.ofSeconds(1)).messages().isEmpty()) {
                invocations++;
            }
        }
        return invocations;
    }
}
