package dev.mailbatch.worker;

import java.time.Duration;

/**
 * What processing one chunk came to.
 *
 * @param sent recipients this delivery moved to SENT
 * @param failed recipients this delivery moved to FAILED
 * @param cancelled recipients this delivery moved to CANCELLED
 * @param retrying recipients whose send failed transiently in this delivery: the message must
 *     come back (on its last delivery, it goes on to the dead-letter queue)
 * @param retryAfter the longest Retry-After a provider asked for, or null
 * @param notReady the job's submit has not finished enqueueing: come back soon, nothing was sent
 */
public record ChunkResult(int sent, int failed, int cancelled, int retrying, Duration retryAfter, boolean notReady) {
    public static final ChunkResult NOTHING_TO_DO = new ChunkResult(0, 0, 0, 0, null, false);
    public static final ChunkResult NOT_READY = new ChunkResult(0, 0, 0, 0, null, true);

    public boolean needsRetry() {
        return retrying > 0 || notReady;
    }
}
