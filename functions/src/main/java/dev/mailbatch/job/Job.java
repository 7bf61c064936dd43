package dev.mailbatch.job;

import java.time.Duration;
import java.time.Instant;

/**
 * A batch job as the domain sees it (the storage layout is the store's business).
 *
 * @param owner who submitted it (the caller's identity: a token's subject); only they can see or cancel it
 * @param chunks how many queue messages carry its recipients
 * @param counts its recipients done so far (a job whose submit never finished counts them all FAILED)
 * @param reason why the job was abandoned, or null
 * @param duplicatesRemoved addresses dropped at submit as repeats (part of the submit's answer)
 * @param title the batch's email subject, cut to {@link #TITLE_LENGTH} characters: what its owner
 *     knows the job by (null for a job stored before it was kept)
 */
public record Job(
        String id,
        String owner,
        long total,
        int chunks,
        Counts counts,
        Lifecycle lifecycle,
        String reason,
        int duplicatesRemoved,
        Instant expiresAt,
        String title) {

    /**
     * How long a job may wait for its submit to finish enqueueing before it is abandoned: well
     * over the SubmitBatch function's 29 s timeout, so a submit still running is never overtaken.
     */
    public static final Duration SUBMIT_DEADLINE = Duration.ofMinutes(2);
    /** The reason of a job abandoned because its submit died before enqueueing it. */
    public static final String ABANDONED_REASON =
            "the submit did not finish putting the job on the queue; nothing was sent";

    /** The most of a subject a job keeps as its title: its item stays small, whatever the subject. */
    public static final int TITLE_LENGTH = 200;

    /** A job as submitted, before any work. */
    public static Job submitted(
            String id,
            String owner,
            long total,
            int chunks,
            int duplicatesRemoved,
            Instant now,
            Instant expiresAt,
            String subject) {
        return new Job(
                id,
                owner,
                total,
                chunks,
                Counts.ZERO,
                Lifecycle.created(now),
                null,
                duplicatesRemoved,
                expiresAt,
                titleOf(subject));
    }

    /** A subject as a title: its first {@link #TITLE_LENGTH} characters (code points), with "…" when cut. */
    public static String titleOf(String subject) {
        if (subject == null || subject.codePointCount(0, subject.length()) <= TITLE_LENGTH) {
            return subject;
        }
        return subject.substring(0, subject.offsetByCodePoints(0, TITLE_LENGTH - 1)) + "…";
    }

    /** Whether {@code caller} may see and change this job: only the one who submitted it. */
    public boolean isOwnedBy(String caller) {
        return owner != null && owner.equals(caller);
    }

    public JobState state() {
        return JobState.derive(lifecycle.cancelledAt() != null, lifecycle.startedAt() != null, total, counts);
    }

    public long pending() {
        return Math.max(0, total - counts.done());
    }

    public boolean isEnqueued() {
        return lifecycle.enqueuedAt() != null;
    }

    public boolean isAbandoned() {
        return lifecycle.abandonedAt() != null;
    }

    public boolean isCancelRequested() {
        return lifecycle.cancelledAt() != null;
    }

    /** Whether its submit died or failed between writing it and enqueueing all of it. */
    public boolean isOrphaned(Instant now) {
        return !isEnqueued()
                && !isAbandoned()
                && !lifecycle.createdAt().plus(SUBMIT_DEADLINE).isAfter(now);
    }

    /** When the last recipient was done: the last counter update of a finished job. */
    public Instant finishedAt() {
        return pending() == 0 ? lifecycle.updatedAt() : null;
    }
}
