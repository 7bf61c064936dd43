package dev.mailbatch.job;

import java.time.Duration;
import java.time.Instant;

/**
 * A batch job as the domain sees it (the storage layout is the repository's business).
 *
 * @param sent recipients sent
 * @param failed recipients failed (including those of a job whose submit never finished)
 * @param cancelled recipients cancelled before they were attempted
 * @param updatedAt when the counters last changed
 * @param startedAt when a worker first picked up the job's work, or null
 * @param enqueuedAt when the submit finished putting every chunk on the queue, or null; workers
 *     send nothing for a job without it
 * @param cancelledAt when cancelling was asked for, or null
 * @param abandonedAt when the job was given up because its submit never finished enqueueing
 *     (nothing of it was sent), or null
 * @param reason why the job was abandoned, or null
 * @param duplicatesRemoved addresses dropped at submit as repeats (part of the submit's answer)
 */
public record Job(
        String id,
        Content content,
        long total,
        int chunks,
        long sent,
        long failed,
        long cancelled,
        Instant createdAt,
        Instant updatedAt,
        Instant startedAt,
        Instant enqueuedAt,
        Instant cancelledAt,
        Instant abandonedAt,
        String reason,
        int duplicatesRemoved,
        Instant expiresAt) {

    /**
     * How long a job may wait for its submit to finish enqueueing before it is abandoned: well
     * over the SubmitBatch function's 29 s timeout, so a submit still running is never overtaken.
     */
    public static final Duration SUBMIT_DEADLINE = Duration.ofMinutes(2);
    /** The reason of a job abandoned because its submit died before enqueueing it. */
    public static final String ABANDONED_REASON =
            "the submit did not finish putting the job on the queue; nothing was sent";

    /** What is sent to every recipient. text or html may be null, not both. */
    public record Content(String from, String subject, String text, String html) {}

    /** A job as submitted, before any work. */
    public static Job submitted(
            String id, Content content, long total, int chunks, int duplicatesRemoved, Instant now, Instant expiresAt) {
        return new Job(
                id,
                content,
                total,
                chunks,
                0,
                0,
                0,
                now,
                now,
                null,
                null,
                null,
                null,
                null,
                duplicatesRemoved,
                expiresAt);
    }

    public JobState state() {
        return JobState.derive(cancelledAt != null, startedAt != null, total, sent, failed, cancelled);
    }

    public long pending() {
        return Math.max(0, total - sent - failed - cancelled);
    }

    /** Whether its submit died or failed between writing it and enqueueing all of it. */
    public boolean isOrphaned(Instant now) {
        return enqueuedAt == null
                && abandonedAt == null
                && !createdAt.plus(SUBMIT_DEADLINE).isAfter(now);
    }

    /** When the last recipient was done: the last counter update of a finished job. */
    public Instant finishedAt() {
        return pending() == 0 ? updatedAt : null;
    }
}
