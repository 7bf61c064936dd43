package dev.mailbatch.api;

import dev.mailbatch.config.Priming;
import dev.mailbatch.config.SubmitConfig;
import dev.mailbatch.config.Wiring;
import dev.mailbatch.job.ChunkMessage;
import dev.mailbatch.job.Chunks;
import dev.mailbatch.job.Content;
import dev.mailbatch.job.Job;
import dev.mailbatch.job.JobIds;
import dev.mailbatch.job.Usage;
import dev.mailbatch.store.Backoff;
import dev.mailbatch.store.JobStore;
import dev.mailbatch.store.KeyClaimStore;
import dev.mailbatch.store.KeyClaimStore.KeyClaim;
import dev.mailbatch.store.StoreException;
import dev.mailbatch.store.SubmissionStore;
import dev.mailbatch.store.UsageStore;
import dev.mailbatch.store.WorkQueue;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The submit use case: writes one PENDING job, puts its recipients on the queue in chunks, and
 * marks it enqueued. Never sends an email itself.
 *
 * <p>Workers send nothing for a job until it is marked enqueued. If enqueueing fails, the job is
 * abandoned (FAILED, nothing sent) and a {@link StoreException} says the caller may retry; if
 * the function dies first, the job is abandoned the first time anything reads it after
 * {@link Job#SUBMIT_DEADLINE}.
 *
 * <p>With an Idempotency-Key, the key is claimed in the same transaction as the job: a repeat
 * with the same request gets the first job again; with another request, a 409.
 *
 * <p>Each owner's quotas (recipients per 24 hours, unfinished jobs at once) are checked against
 * its usage, and the usage is updated in the job's transaction, on the condition that it is still
 * what was checked: over a quota, a 429 and nothing written.
 */
final class SubmitBatch {
    /** SendMessageBatch calls in flight at once while enqueueing a large batch. */
    private static final int ENQUEUE_CONCURRENCY = 8;
    /** How long a repeat waits for the first request with its key to finish enqueueing. */
    private static final Duration KEY_WAIT = Duration.ofSeconds(5);
    /** How often a waiting repeat reads the first request's job: many repeats at once spread out. */
    private static final Duration KEY_POLL = Duration.ofMillis(100);

    private static final Duration KEY_POLL_JITTER = Duration.ofMillis(50);
    /** Rounds of read-check-write before giving up (each lost to a concurrent submit of the same owner). */
    private static final int MAX_ROUNDS = 15;
    /** When to try again after the unfinished-jobs quota: jobs finish at the workers' pace. */
    private static final Duration OPEN_JOBS_RETRY = Duration.ofSeconds(30);

    private static final String ENQUEUE_FAILED = "the job could not be put on the queue; nothing was sent";

    private final SubmitConfig config;
    private final JobStore jobs;
    private final KeyClaimStore claims;
    private final UsageStore usage;
    private final SubmissionStore submissions;
    private final WorkQueue queue;
    private final Clock clock;

    private SubmitBatch(SubmitConfig config, DynamoDbClient dynamo, WorkQueue queue, Clock clock) {
        this.config = config;
        this.jobs = new JobStore(dynamo, config.tableName());
        this.claims = new KeyClaimStore(dynamo, config.tableName());
        this.usage = new UsageStore(dynamo, config.tableName());
        this.submissions = new SubmissionStore(dynamo, config.tableName());
        this.queue = queue;
        this.clock = clock;
    }

    static SubmitBatch create(SubmitConfig config, Wiring wiring) {
        return new SubmitBatch(
                config,
                wiring.dynamo().get(),
                new WorkQueue(wiring.sqs().get(), config.queueUrl(), ENQUEUE_CONCURRENCY),
                wiring.clock());
    }

    /** SnapStart priming: one read through the SDK client (the priming caller's usage, which is none). */
    void prime() {
        usage.read("jwt:" + Priming.SUBJECT);
    }

    /**
     * The job the request made (or, for a repeat, made before).
     *
     * @param replayed whether this is a repeat of an earlier request with the same key
     */
    record Submitted(Job job, boolean replayed) {}

    /**
     * @param owner the caller, who will own the job
     * @param key the caller's Idempotency-Key, or null
     * @param warnings where to say what went wrong while cleaning up after a failure
     */
    Submitted submit(BatchRequest request, String owner, String key, Consumer<String> warnings) {
        String fingerprint = key == null ? null : request.fingerprint();
        for (int round = 1; round <= MAX_ROUNDS; round++) {
            Instant now = clock.instant();
            Optional<KeyClaim> claimed = key == null ? Optional.empty() : claims.find(owner, key, now);
            if (claimed.isPresent()) { // a repeat gets its first answer, whatever the quotas say now
                Optional<Submitted> replay = replay(claimed.get(), owner, key, fingerprint);
                if (replay.isPresent()) {
                    return replay.get();
                }
                continue; // the key was freed from a job that never got going: claim it afresh
            }
            Usage before = usage.read(owner);
            before = before.withOpenJobs(usage.stillOpen(before.openJobs(), now));
            checkQuotas(before, request.recipients().size(), now);
            String id = JobIds.next();
            List<ChunkMessage> chunks = Chunks.split(id, request.recipients(), config.chunkSize());
            Job job = newJob(id, owner, request, chunks.size(), now);
            Usage after = before.plus(id, job.total(), now);
            switch (submissions.create(job, content(request), key, fingerprint, before, after, now)) {
                case SubmissionStore.Outcome.Created created -> {
                    enqueue(job, chunks, key, warnings);
                    return new Submitted(job, false);
                }
                case SubmissionStore.Outcome.KeyHeld held -> {
                    Optional<Submitted> replay = replay(held.claim(), owner, key, fingerprint);
                    if (replay.isPresent()) {
                        return replay.get();
                    }
                    // the key was freed from a job that never got going: claim it afresh
                }
                case SubmissionStore.Outcome.UsageChanged changed ->
                    Backoff.beforeRetry(round); // another submit of the owner got there first: check again
            }
        }
        throw new StoreException("the owner's usage or the idempotency key kept changing", null);
    }

    /** Over a quota: 429, with how long to wait. */
    private void checkQuotas(Usage usage, int recipients, Instant now) {
        if (usage.openJobs().size() >= config.quotaOpenJobs()) {
            throw new ApiException(
                            429,
                            "QUOTA_EXCEEDED",
                            "You have " + usage.openJobs().size() + " unfinished jobs, the most allowed at once.",
                            List.of(new ApiException.FieldError(
                                    "emails",
                                    "must wait until one of your " + config.quotaOpenJobs()
                                            + " unfinished jobs finishes (or is cancelled)")))
                    .retryAfter(Long.toString(OPEN_JOBS_RETRY.toSeconds()));
        }
        long limit = config.quotaRecipientsPerDay();
        Duration wait = usage.waitFor(recipients, limit, now);
        if (!wait.isZero()) {
            long used = usage.recipientsInWindow(now);
            throw new ApiException(
                            429,
                            "QUOTA_EXCEEDED",
                            "This batch would exceed your quota of " + limit + " recipients per 24 hours.",
                            List.of(new ApiException.FieldError(
                                    "emails",
                                    "has " + recipients + " recipients; " + used + " of your " + limit
                                            + " per 24 hours are used"
                                            + (recipients > limit ? " (the batch alone is over the quota)" : ""))))
                    .retryAfter(Long.toString(wait.toSeconds()));
        }
    }

    private static Content content(BatchRequest request) {
        return new Content(request.from(), request.subject(), request.text(), request.html());
    }

    private Job newJob(String id, String owner, BatchRequest request, int chunks, Instant now) {
        return Job.submitted(
                id,
                owner,
                request.recipients().size(),
                chunks,
                request.duplicatesRemoved(),
                now,
                now.plus(config.retention()),
                request.subject());
    }

    private void enqueue(Job job, List<ChunkMessage> chunks, String key, Consumer<String> warnings) {
        try {
            queue.enqueue(chunks);
        } catch (StoreException e) {
            giveUp(job, key, warnings);
            throw e;
        }
        if (!markEnqueued(job, key, warnings)) {
            giveUp(job, key, warnings);
            throw new StoreException("job " + job.id() + " was abandoned before it was enqueued", null);
        }
    }

    /**
     * Marks the job enqueued. When the write fails, it may still have landed (its answer lost):
     * the job says which, so a running job is never answered with a 503.
     */
    private boolean markEnqueued(Job job, String key, Consumer<String> warnings) {
        try {
            return jobs.markEnqueued(job.id(), clock.instant());
        } catch (StoreException e) {
            if (jobs.find(job.id(), clock.instant()).map(Job::isEnqueued).orElse(false)) {
                return true;
            }
            giveUp(job, key, warnings);
            throw e;
        }
    }

    /**
     * A repeat of a request with the same key: the first job, a 409, or empty when the key was
     * freed because its job never got going (then the caller claims it afresh).
     */
    private Optional<Submitted> replay(KeyClaim held, String owner, String key, String fingerprint) {
        if (!held.fingerprint().equals(fingerprint)) {
            throw new ApiException(
                    409,
                    "IDEMPOTENCY_KEY_REUSED",
                    "This Idempotency-Key was used with a different request.",
                    List.of(new ApiException.FieldError(
                            "Idempotency-Key", "was already used with a different request body")));
        }
        Instant deadline = clock.instant().plus(KEY_WAIT);
        while (true) {
            Optional<Job> found = jobs.findSettled(held.jobId(), clock.instant());
            if (found.isEmpty() || found.get().isAbandoned()) {
                claims.release(owner, key, held.jobId());
                return Optional.empty();
            }
            if (found.get().isEnqueued()) {
                return Optional.of(new Submitted(found.get(), true));
            }
            if (!clock.instant().isBefore(deadline)) {
                throw new ApiException(
                                409,
                                "IDEMPOTENCY_KEY_IN_USE",
                                "A request with this Idempotency-Key is still being processed; retry it.",
                                List.of(new ApiException.FieldError(
                                        "Idempotency-Key", "is in use by a request still in progress")))
                        .retryAfter("1");
            }
            Backoff.poll(KEY_POLL, KEY_POLL_JITTER);
        }
    }

    /** Enqueueing failed: the job is given up (its chunks already queued are dropped unsent) and the key freed. */
    private void giveUp(Job job, String key, Consumer<String> warnings) {
        try {
            jobs.abandon(job, clock.instant(), ENQUEUE_FAILED);
            if (key != null) {
                claims.release(job.owner(), key, job.id());
            }
        } catch (StoreException e) {
            // The job is abandoned when it is next read after the submit deadline; a retry with the key does it too.
            warnings.accept("could not abandon jobId=" + job.id() + ": " + e.getMessage());
        }
    }
}
