package dev.mailbatch.worker;

import java.time.Duration;

/**
 * What processing one chunk came to.
 *
 * @param sent recipients this delivery moved to SENT
 * @param failed recipients this delivery moved to FAILED
 * @param retrying recipients left PENDING after a transient failure: the message must come back
 * @param retryAfter the longest Retry-After a provider asked for, or null
 */
public record ChunkResult(int sent, int failed, int retrying, Duration retryAfter) {
    public static final ChunkResult NOTHING_TO_DO = new ChunkResult(0, 0, 0, null);

    public boolean needsRetry() {
        return retrying > 0;
    }
}
