package dev.mailbatch.job;

import java.time.Instant;

/**
 * A batch job as the domain sees it (the storage layout is the repository's business).
 *
 * @param startedAt when a worker first picked up the job's work, or null
 * @param updatedAt when the counters last changed
 */
public record Job(String id, Content content, long total, int chunks, long sent, long failed,
                  Instant createdAt, Instant updatedAt, Instant startedAt, Instant expiresAt) {

    /** What is sent to every recipient. text or html may be null, not both. */
    public record Content(String from, String subject, String text, String html) {
    }

    public JobState state() {
        return JobState.derive(false, startedAt != null, total, sent, failed);
    }

    public long pending() {
        return total - sent - failed;
    }

    /** When the last recipient was done: the last counter update of a terminal job. */
    public Instant finishedAt() {
        return state().isTerminal() ? updatedAt : null;
    }
}
