package dev.mailbatch.worker;

import dev.mailbatch.job.Outcome;
import dev.mailbatch.mail.SendResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;

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

    /** Two parts of one delivery's work, together. */
    ChunkResult plus(ChunkResult other) {
        Duration longest = retryAfter == null
                ? other.retryAfter
                : other.retryAfter == null || retryAfter.compareTo(other.retryAfter) >= 0
                        ? retryAfter
                        : other.retryAfter;
        return new ChunkResult(
                sent + other.sent,
                failed + other.failed,
                cancelled + other.cancelled,
                retrying + other.retrying,
                longest,
                notReady || other.notReady);
    }

    public boolean needsRetry() {
        return retrying > 0 || notReady;
    }

    /**
     * What a delivery's attempts came to, counting only the outcomes it recorded (a recipient that
     * another delivery finished first is not counted here).
     */
    static ChunkResult of(List<Outcomes.Attempt> attempts, Map<String, Outcome> recorded) {
        int sent = 0;
        int failed = 0;
        int cancelled = 0;
        int retrying = 0;
        Duration retryAfter = null;
        for (Outcomes.Attempt attempt : attempts) {
            Outcome outcome = recorded.get(attempt.recipient().key());
            if (outcome == null) {
                continue; // done by another delivery
            }
            boolean transientFailure = attempt.result() instanceof SendResult.TransientFailure;
            switch (outcome.status()) {
                case SENT -> sent++;
                case FAILED -> failed += outcome.retryable() && transientFailure ? 0 : 1;
                case CANCELLED -> cancelled++;
                case PENDING -> {}
            }
            if (attempt.result() instanceof SendResult.TransientFailure t) {
                retrying++;
                if (t.retryAfter() != null
                        && (retryAfter == null || t.retryAfter().compareTo(retryAfter) > 0)) {
                    retryAfter = t.retryAfter();
                }
            }
        }
        return new ChunkResult(sent, failed, cancelled, retrying, retryAfter, false);
    }
}
