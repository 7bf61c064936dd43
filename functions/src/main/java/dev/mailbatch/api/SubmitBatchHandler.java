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
import dev.mailbatch.job.StoreException;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * POST /emails: validates the batch, writes one PENDING job record, puts the recipients on the
 * queue in chunks, and answers 202 with the job id. Never sends an email itself.
 */
public final class SubmitBatchHandler implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> {
    /** SendMessageBatch calls in flight at once while enqueueing a large batch. */
    private static final int ENQUEUE_CONCURRENCY = 8;

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
            BatchRequest request = parser.parse(HttpEvents.header(event, "content-type"), HttpEvents.body(event));
            String id = JobIds.next();
            Instant now = clock.instant();
            List<ChunkMessage> chunks = Chunks.split(id, request.recipients(), config.chunkSize());
            Job job = new Job(id, new Job.Content(request.from(), request.subject(), request.text(), request.html()),
                    request.recipients().size(), chunks.size(), 0, 0, now, now, null, now.plus(config.retention()));
            jobs.create(job);
            queue.enqueue(chunks);
            context.getLogger().log("job submitted jobId=" + id + " total=" + job.total() + " chunks=" + chunks.size()
                    + " duplicatesRemoved=" + request.duplicatesRemoved(), LogLevel.INFO);

            String statusUrl = "/emails/" + id;
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("jobId", id);
            body.put("state", job.state().name());
            body.put("total", job.total());
            body.put("duplicatesRemoved", request.duplicatesRemoved());
            body.put("statusUrl", statusUrl);
            return HttpResponses.json(202, body, Map.of("location", statusUrl));
        } catch (ApiException e) {
            return HttpResponses.error(e);
        } catch (StoreException e) {
            context.getLogger().log("submit failed requestId=" + HttpEvents.requestId(event) + ": " + e.getMessage()
                    + (e.getCause() == null ? "" : " (" + e.getCause().getClass().getSimpleName() + ")"), LogLevel.ERROR);
            return HttpResponses.unavailable(HttpEvents.requestId(event));
        }
    }
}
