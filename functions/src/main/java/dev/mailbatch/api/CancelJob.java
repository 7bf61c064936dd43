package dev.mailbatch.api;

import dev.mailbatch.job.Job;
import dev.mailbatch.store.JobStore;
import dev.mailbatch.store.StoreException;
import java.time.Clock;
import java.util.List;

/**
 * The cancel use case: asks for a job that is not finished to be cancelled. The write is
 * conditional on the counters the decision was made from; when a worker moved them first, the
 * failed write returns the job as it now is, and the decision is made again from that.
 */
final class CancelJob {
    private static final int MAX_TRIES = 5;

    private final JobStore jobs;
    private final Clock clock;

    CancelJob(JobStore jobs, Clock clock) {
        this.jobs = jobs;
        this.clock = clock;
    }

    /**
     * @param owner the caller: another caller's job answers as an unknown one
     * @return the job, now cancelled
     * @throws ApiException 404 for an unknown job, 409 for a finished one
     */
    Job cancel(String id, String owner) {
        Job job = jobs.find(id, clock.instant())
                .filter(found -> found.isOwnedBy(owner))
                .flatMap(found -> jobs.settled(found, clock.instant()))
                .orElseThrow(ApiException::notFound);
        for (int tries = 1; tries <= MAX_TRIES; tries++) {
            if (job.state().isTerminal()) {
                throw new ApiException(
                        409,
                        "JOB_FINISHED",
                        "The job is already " + job.state().name() + ".",
                        List.of(new ApiException.FieldError(
                                "jobId", "names a job that is " + job.state().name())));
            }
            JobStore.Update update = jobs.cancel(job, clock.instant());
            if (update.applied()) {
                return update.job().orElse(job);
            }
            job = update.job()
                    .flatMap(now -> jobs.settled(now, clock.instant()))
                    .orElseThrow(ApiException::notFound);
        }
        throw new StoreException("job " + id + " kept changing while it was being cancelled", null);
    }
}
