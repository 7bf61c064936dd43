package dev.mailbatch.store;

import dev.mailbatch.config.Json;
import dev.mailbatch.config.Parallel;
import dev.mailbatch.job.ChunkMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.BatchResultErrorEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;

/**
 * Puts a job's chunks on the work queue: SendMessageBatch calls of 10 messages, made
 * concurrently, each retrying the entries SQS reports as failed (a batch call can succeed
 * as a whole while single entries fail).
 */
public final class WorkQueue {
    static final int SQS_BATCH = 10;
    private static final int MAX_TRIES = 4;

    private final SqsClient sqs;
    private final String queueUrl;
    private final Semaphore inFlight;

    public WorkQueue(SqsClient sqs, String queueUrl, int maxConcurrentCalls) {
        this.sqs = sqs;
        this.queueUrl = queueUrl;
        this.inFlight = new Semaphore(maxConcurrentCalls);
    }

    /** Enqueues every chunk, or throws {@link StoreException} if any could not be enqueued. */
    public void enqueue(List<ChunkMessage> chunks) {
        List<List<ChunkMessage>> calls = new ArrayList<>();
        for (int from = 0; from < chunks.size(); from += SQS_BATCH) {
            calls.add(chunks.subList(from, Math.min(from + SQS_BATCH, chunks.size())));
        }
        try {
            Parallel.map(calls, call -> {
                inFlight.acquireUninterruptibly();
                try {
                    return sendBatch(call);
                } finally {
                    inFlight.release();
                }
            });
        } catch (StoreException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new StoreException("could not enqueue", e);
        }
    }

    private int sendBatch(List<ChunkMessage> chunks) {
        List<SendMessageBatchRequestEntry> entries = new ArrayList<>(chunks.size());
        for (ChunkMessage chunk : chunks) {
            entries.add(SendMessageBatchRequestEntry.builder()
                    .id(Integer.toString(chunk.chunk()))
                    .messageBody(Json.write(chunk))
                    .build());
        }
        for (int tries = 1; ; tries++) {
            SendMessageBatchResponse response;
            try {
                List<SendMessageBatchRequestEntry> current = entries;
                response = sqs.sendMessageBatch(r -> r.queueUrl(queueUrl).entries(current));
            } catch (SdkException e) {
                throw new StoreException("could not enqueue chunks", e);
            }
            if (!response.hasFailed() || response.failed().isEmpty()) {
                return chunks.size();
            }
            List<String> failedIds =
                    response.failed().stream().map(BatchResultErrorEntry::id).toList();
            boolean senderFault = response.failed().stream().anyMatch(BatchResultErrorEntry::senderFault);
            if (senderFault || tries >= MAX_TRIES) {
                throw new StoreException(
                        "SQS refused " + failedIds.size() + " chunk(s): "
                                + response.failed().getFirst().code(),
                        null);
            }
            entries = entries.stream().filter(e -> failedIds.contains(e.id())).toList();
            Backoff.beforeRetry(tries);
        }
    }
}
