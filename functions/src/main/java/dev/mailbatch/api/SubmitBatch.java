package dev.mailbatch.api;

import dev.mailbatch.config.SubmitConfig;
import dev.mailbatch.config.Wiring;
import dev.mailbatch.job.ChunkMessage;
import dev.mailbatch.job.Chunks;
import dev.mailbatch.job.Job;
import dev.mailbatch.job.JobIds;
import dev.mailbatch.store.Backoff;
import dev.mailbatch.store.JobStore;
import dev.mailbatch.store.KeyClaimStore;
import dev.mailbatch.store.KeyClaimStore.KeyClaim;
import dev.mailbatch.store.StoreException;
import dev.mailbatch.store.WorkQueue;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

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
 */
final class SubmitBatch {
    /** SendMessageBatch calls in flight at once while enqueueing a large batch. */
    private static final int ENQUEUE_CONCURRENCY = 8;
    /** How long a repeat waits for the first request with its key to finish enqueueing. */
    private static final Duration KEY_WAIT = Duration.ofSeconds(5);
    /** How often a waiting repeat reads the first request's job: many repeats at once spread out. */
    private static final Duration KEY_POLL = Duration.ofMillis(100);

    private static final Duration KEY_POLL_JITTER = Duration.ofMillis(50);
    private static final String ENQUEUE_FAILED = "the job could not be put on the queue; nothing was sent";

    private final SubmitConfig config;
    private final JobStore jobs;
    private final KeyClaimStore claims;
    private final WorkQueue queue;
    private final Clock clock;

    SubmitBatch(SubmitConfig config, JobStore jobs, KeyClaimStore claims, WorkQueue queue, Clock clock) {
        this.config = config;
        this.jobs = jobs;
        this.claims = claims;
        this.queue = queue;
        this.clock = clock;
    }

    static SubmitBatch create(SubmitConfig config, Wiring wiring) {
        var dynamo = wiring.dynamo().get();
        return new SubmitBatch(
                config,
                new JobStore(dynamo, config.tableName()),
                new KeyClaimStore(dynamo, config.tableName()),
                new WorkQueue(wiring.sqs().get(), config.queueUrl(), ENQUEUE_CONCURRENCY),
                wiring.clock());
    }

    /**
     * The job the request made (or, for a repeat, made before).
     *
     * @param replayed whether this is a repeat of an earlier request with the same key
     */
    record Submitted(Job job, boolean replayed) {}

    /**
     * @param key the request's Idempotency-Key, or null
     * @param warnings where to say what went wrong while cleaning up after a failure
     */
    Submitted submit(BatchRequest request, String key, Consumer<String> warnings) {
        String fingerprint = key == null ? null : request.fingerprint();
        for (int round = 1; round <= 3; round++) {
            String id = JobIds.next();
            List<ChunkMessage> chunks = Chunks.split(id, request.recipients(), config.chunkSize());
            Job job = newJob(id, request, chunks.size());
            if (key != null) {
                Optional<KeyClaim> held = claims.createJobClaiming(
                        job, key, fingerprint, job.lifecycle().createdAt());
                if (held.isPresent()) {
                    Optional<Submitted> replay = replay(held.get(), key, fingerprint);
                    if (replay.isPresent()) {
                        return replay.get();
                    }
                    continue; // the key was freed from a job that never got going: claim it afresh
                }
            } else {
                jobs.create(job);
            }
            enqueue(job, chunks, key, warnings);
            return new Submitted(job, false);
        }
        throw new StoreException("the idempotency key changed hands three times", null);
    }

    private Job newJob(String id, BatchRequest request, int chunks) {
        Instant now = clock.instant();
        return Job.submitted(
                id,
                new Job.Content(request.from(), request.subject(), request.text(), request.html()),
                request.recipients().size(),
                chunks,
                request.duplicatesRemoved(),
                now,
                now.plus(config.retention()));
    }

    private void enqueue(Job job, List<ChunkMessage> chunks, String key, Consumer<String> warnings) {
        try {
            queue.enqueue(chunks);
        } catch (StoreException e) {
            giveUp(job, key, warnings);
            throw e;
        }
        if (!jobs.markEnqueued(job.id(), clock.instant())) {
            giveUp(job, key, warnings);
            throw new StoreException("job " + job.id() + " was abandoned before it was enqueued", null);
        }
    }

    /**
     * A repeat of a request with the same key: the first job, a 409, or empty when the key was
     * freed because its job never got going (then the caller claims it afresh).
     */
    private Optional<Submitted> replay(KeyClaim held, String key, String fingerprint) {
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
                claims.release(key, held.jobId());
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
                claims.release(key, job.id());
            }
        } catch (StoreException e) {
            // The job is abandoned when it is next read after the submit deadline; a retry with the key does it too.
            warnings.accept("could not abandon jobId=" + job.id() + ": " + e.getMessage());
        }
    }
}
