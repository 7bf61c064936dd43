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
 * @param retrying recipients whose send failed transiently in this delivery (or whose outcome it
 *     could not learn in time): the message must come back (on its last delivery, it goes on to
 *     the dead-letter queue)
 * @param retryAfter the longest Retry-After a provider asked for, or null
 * @param later a fresh copy of the message must come back after this long, or null: the job's
 *     submit has not finished enqueueing (nothing was sent), or another delivery's claim holds
 *     some of the chunk's recipients until then (that delivery may be sending them now)
 */
public record ChunkResult(int sent, int failed, int cancelled, int retrying, Duration retryAfter, Duration later) {
    public static final ChunkResult NOTHING_TO_DO = new ChunkResult(0, 0, 0, 0, null, null);

    /** The job is not ready: come back soon. */
    static ChunkResult notReady(Duration delay) {
        return new ChunkResult(0, 0, 0, 0, null, delay);
    }

    /** Two parts of one delivery's work, together. */
    ChunkResult plus(ChunkResult other) {
        return new ChunkResult(
                sent + other.sent,
                failed + other.failed,
                cancelled + other.cancelled,
                retrying + other.retrying,
                longest(retryAfter, other.retryAfter),
                longest(later, other.later));
    }

    private static Duration longest(Duration a, Duration b) {
        return a == null ? b : b == null || a.compareTo(b) >= 0 ? a : b;
    }

    public boolean needsRetry() {
        return retrying > 0;
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
                retryAfter = longest(retryAfter, t.retryAfter());
            }
        }
        return new ChunkResult(sent, failed, cancelled, retrying, retryAfter, null);
    }
}
