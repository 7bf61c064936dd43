package dev.mailbatch.worker;

import dev.mailbatch.store.JobStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/** Whether a job was cancelled, read again at most every half second while its chunk is sent. */
final class CancelWatch {
    private static final Duration CHECK_INTERVAL = Duration.ofMillis(500);

    private final JobStore jobs;
    private final String jobId;
    private final Clock clock;
    private Instant checkedAt;
    private boolean cancelled;

    CancelWatch(JobStore jobs, String jobId, Clock clock) {
        this.jobs = jobs;
        this.jobId = jobId;
        this.clock = clock;
        this.checkedAt = clock.instant();
    }

    synchronized boolean cancelled() {
        Instant now = clock.instant();
        if (!cancelled && Duration.between(checkedAt, now).compareTo(CHECK_INTERVAL) >= 0) {
            cancelled = jobs.isCancelled(jobId);
            checkedAt = now;
        }
        return cancelled;
    }
}
