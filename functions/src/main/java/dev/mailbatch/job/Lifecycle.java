package dev.mailbatch.job;

import java.time.Instant;

/**
 * When a job went through each step of its life; null for a step it has not reached.
 *
 * @param updatedAt when the counters last changed
 * @param startedAt when a worker first picked up the job's work
 * @param enqueuedAt when the submit finished putting every chunk on the queue; workers send
 *     nothing for a job without it
 * @param cancelledAt when cancelling was asked for
 * @param abandonedAt when the job was given up because its submit never finished enqueueing
 *     (nothing of it was sent)
 */
public record Lifecycle(
        Instant createdAt,
        Instant updatedAt,
        Instant startedAt,
        Instant enqueuedAt,
        Instant cancelledAt,
        Instant abandonedAt) {

    /** A job just written: created (and last updated) now, nothing else yet. */
    public static Lifecycle created(Instant now) {
        return new Lifecycle(now, now, null, null, null, null);
    }
}
