package dev.mailbatch.api;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import dev.mailbatch.config.Clients;
import dev.mailbatch.config.Config;
import dev.mailbatch.job.Job;
import dev.mailbatch.job.JobIds;
import dev.mailbatch.job.JobRepository;
import dev.mailbatch.job.StoreException;
import java.time.Clock;
import java.util.List;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * DELETE /emails/{jobId}: cancels a job that is not finished. 202 and the job, now CANCELLED;
 * the workers then mark its recipients not yet attempted CANCELLED and never send them (a send
 * already under way when the cancel lands may still complete, and is counted as sent). 409 for
 * a finished job, 404 for an unknown one.
 */
public final class CancelJobHandler implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> {
    private static final int MAX_TRIES = 5;

    private final JobRepository jobs;
    private final Clock clock;

    public CancelJobHandler() {
        this(Config.from(System::getenv), Clients.dynamoDb(), Clock.systemUTC());
    }

    public CancelJobHandler(Config config, DynamoDbClient dynamo, Clock clock) {
        this.jobs = new JobRepository(dynamo, config.tableName());
        this.clock = clock;
    }

    @Override
    public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent event, Context context) {
        try {
            String id = HttpEvents.pathParameter(event, "jobId");
            if (!JobIds.isWellFormed(id)) {
                throw ApiException.notFound();
            }
            if (event.getQueryStringParameters() != null
                    && !event.getQueryStringParameters().isEmpty()) {
                String name =
                        event.getQueryStringParameters().keySet().iterator().next();
                throw ApiException.invalid(name, "is not a known query parameter");
            }
            for (int tries = 1; tries <= MAX_TRIES; tries++) {
                Job job = jobs.findSettled(id, clock.instant()).orElseThrow(ApiException::notFound);
                if (job.state().isTerminal()) {
                    throw new ApiException(
                            409,
                            "JOB_FINISHED",
                            "The job is already " + job.state().name() + ".",
                            List.of(new ApiException.FieldError(
                                    "jobId",
                                    "names a job that is " + job.state().name())));
                }
                if (jobs.cancel(job, clock.instant())) {
                    context.getLogger()
                            .log(
                                    "job cancelled jobId=" + id + " sent=" + job.sent() + " failed=" + job.failed()
                                            + " pending=" + job.pending(),
                                    LogLevel.INFO);
                    return JobViews.status(202, jobs.find(id, clock.instant()).orElse(job));
                }
                // the counters moved between the read and the write: read again and decide again
            }
            throw new StoreException("job " + id + " kept changing while it was being cancelled", null);
        } catch (ApiException e) {
            return HttpResponses.error(e);
        } catch (StoreException e) {
            context.getLogger()
                    .log(
                            "cancel failed requestId=" + HttpEvents.requestId(event) + ": " + e.getMessage(),
                            LogLevel.ERROR);
            return HttpResponses.unavailable(HttpEvents.requestId(event));
        }
    }
}
