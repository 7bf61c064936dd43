package dev.mailbatch.api;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import dev.mailbatch.config.Clients;
import dev.mailbatch.config.Config;
import dev.mailbatch.job.ChunkMessage;
import dev.mailbatch.job.Chunks;
import dev.mailbatch.job.Job;
import dev.mailbatch.job.JobIds;
import dev.mailbatch.job.JobQueue;
import dev.mailbatch.job.JobRepository;
import dev.mailbatch.job.JobState;
import dev.mailbatch.job.StoreException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * POST /emails: validates the batch, writes one PENDING job record, puts the recipients on the
 * queue in chunks, marks the job enqueued, and answers 202 with the job id. Never sends an email
 * itself.
 *
 * <p>Workers send nothing for a job until it is marked enqueued. If enqueueing fails, the job is
 * abandoned (FAILED, nothing sent) and the caller gets a retryable 503; if this function dies
 * first, the job is abandoned the first time anything reads it after {@link Job#SUBMIT_DEADLINE}.
 *
 * <p>With an {@code Idempotency-Key} header, the key is claimed in the same transaction as the
 * job: a repeat with the same request gets the first answer again; with another request, a 409.
 */
public final class SubmitBatchHandler implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> {
    /** SendMessageBatch calls in flight at once while enqueueing a large batch. */
    private static final int ENQUEUE_CONCURRENCY = 8;
    /** How long a repeat waits for the first request with its key to finish enqueueing. */
    private static final Duration KEY_WAIT = Duration.ofSeconds(5);

    private static final String ENQUEUE_FAILED = "the job could not be put on the queue; nothing was sent";

    private final Config config;
    private final BatchRequestParser parser;
    private final JobRepository jobs;
    private final JobQueue queue;
    private final Clock clock;

    public SubmitBatchHandler() {
        this(Config.from(System::getenv), Clients.dynamoDb(), Clients.sqs(), Clock.systemUTC());
    }

    public SubmitBatchHandler(Config config, DynamoDbClient dynamo, SqsClient sqs, Clock clock) {
        this.config = config;
        this.parser = new BatchRequestParser(config);
        this.jobs = new JobRepository(dynamo, config.tableName());
        this.queue = new JobQueue(sqs, config.queueUrl(), ENQUEUE_CONCURRENCY);
        this.clock = clock;
    }

    @Override
    public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent event, Context context) {
        try {
            String key = IdempotencyKeys.validate(HttpEvents.header(event, IdempotencyKeys.HEADER));
            BatchRequest request = parser.parse(HttpEvents.header(event, "content-type"), HttpEvents.body(event));
            return submit(request, key, context);
        } catch (ApiException e) {
            return HttpResponses.error(e);
        } catch (StoreException e) {
            context.getLogger()
                    .log(
                            "submit failed requestId=" + HttpEvents.requestId(event) + ": " + e.getMessage()
                                    + (e.getCause() == null
                                            ? ""
                                            : " (" + e.getCause().getClass().getSimpleName() + ")"),
                            LogLevel.ERROR);
            return HttpResponses.unavailable(HttpEvents.requestId(event));
        }
    }

    private APIGatewayV2HTTPResponse submit(BatchRequest request, String key, Context context) {
        String fingerprint = key == null ? null : request.fingerprint();
        for (int round = 1; round <= 3; round++) {
            String id = JobIds.next();
            Instant now = clock.instant();
            List<ChunkMessage> chunks = Chunks.split(id, request.recipients(), config.chunkSize());
            Job job = Job.submitted(
                    id,
                    new Job.Content(request.from(), request.subject(), request.text(), request.html()),
                    request.recipients().size(),
                    chunks.size(),
                    request.duplicatesRemoved(),
                    now,
                    now.plus(config.retention()));
            if (key == null) {
                jobs.create(job);
            } else {
                Optional<JobRepository.KeyRecord> held = jobs.createWithKey(job, key, fingerprint, now);
                if (held.isPresent()) {
                    Optional<APIGatewayV2HTTPResponse> replay = replay(held.get(), key, fingerprint);
                    if (replay.isPresent()) {
                        return replay.get();
                    }
                    continue; // the key was freed from a job that never got going: claim it afresh
                }
            }
            try {
                queue.enqueue(chunks);
            } catch (StoreException e) {
                giveUp(job, key, context);
                throw e;
            }
            if (!jobs.markEnqueued(id, clock.instant())) {
                giveUp(job, key, context);
                throw new StoreException("job " + id + " was abandoned before it was enqueued", null);
            }
            context.getLogger()
                    .log(
                            "job submitted jobId=" + id + " total=" + job.total() + " chunks=" + chunks.size()
                                    + " duplicatesRemoved=" + request.duplicatesRemoved()
                                    + (key == null ? "" : " idempotencyKey=yes"),
                            LogLevel.INFO);
            return accepted(job, false);
        }
        throw new StoreException("the idempotency key changed hands three times", null);
    }

    /**
     * A repeat of a request with the same key: the first answer again, a 409, or empty when the
     * key was freed because its job never got going (then the caller claims it afresh).
     */
    private Optional<APIGatewayV2HTTPResponse> replay(JobRepository.KeyRecord held, String key, String fingerprint) {
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
            if (found.isEmpty()) {
                jobs.releaseKey(key, held.jobId());
                return Optional.empty();
            }
            Job job = found.get();
            if (job.enqueuedAt() != null) {
                return Optional.of(accepted(job, true));
            }
            if (job.abandonedAt() != null) {
                jobs.releaseKey(key, job.id());
                return Optional.empty();
            }
            if (!clock.instant().isBefore(deadline)) {
                ApiException busy = new ApiException(
                        409,
                        "IDEMPOTENCY_KEY_IN_USE",
                        "A request with this Idempotency-Key is still being processed; retry it.",
                        List.of(new ApiException.FieldError(
                                "Idempotency-Key", "is in use by a request still in progress")));
                APIGatewayV2HTTPResponse response = HttpResponses.error(busy);
                response.getHeaders().put("retry-after", "1");
                return Optional.of(response);
            }
            try {
                // Polls one item: with many repeats waiting at once, spread the reads out.
                Thread.sleep(
                        100 + java.util.concurrent.ThreadLocalRandom.current().nextInt(50));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoreException("interrupted", e);
            }
        }
    }

    /** Enqueueing failed: the job is given up (its chunks already queued are dropped unsent) and the key freed. */
    private void giveUp(Job job, String key, Context context) {
        try {
            jobs.abandon(job, clock.instant(), ENQUEUE_FAILED);
            if (key != null) {
                jobs.releaseKey(key, job.id());
            }
        } catch (StoreException e) {
            // The job is abandoned when it is next read after the submit deadline; a retry with the key does it too.
            context.getLogger().log("could not abandon jobId=" + job.id() + ": " + e.getMessage(), LogLevel.WARN);
        }
    }

    /** The 202: the same for the first request and every repeat of it (a repeat says so in a header). */
    private static APIGatewayV2HTTPResponse accepted(Job job, boolean replayed) {
        String statusUrl = "/emails/" + job.id();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("jobId", job.id());
        body.put("state", JobState.PENDING.name());
        body.put("total", job.total());
        body.put("duplicatesRemoved", job.duplicatesRemoved());
        body.put("statusUrl", statusUrl);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("location", statusUrl);
        if (replayed) {
            headers.put("idempotent-replayed", "true");
        }
        return HttpResponses.json(202, body, headers);
    }
}
