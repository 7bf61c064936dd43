package dev.mailbatch.api;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.mailbatch.config.Log;
import dev.mailbatch.config.Priming;
import dev.mailbatch.config.TableConfig;
import dev.mailbatch.config.Wiring;
import dev.mailbatch.job.Job;
import dev.mailbatch.job.JobIds;
import dev.mailbatch.job.RecipientPage;
import dev.mailbatch.store.InvalidCursorException;
import dev.mailbatch.store.JobStore;
import dev.mailbatch.store.RecipientStore;
import dev.mailbatch.store.StoreException;
import java.time.Clock;
import java.util.Map;
import java.util.Set;
import org.crac.Resource;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * GET /emails/{jobId} (one consistent read of the job item, whatever the job's size) and
 * GET /emails/{jobId}/recipients (a page of recipient records, optionally by status).
 *
 * <p>Reading a job whose submit died before it was enqueued, {@link Job#SUBMIT_DEADLINE} after
 * its creation, abandons it (one conditional write): it reads as FAILED with a reason, never as
 * PENDING forever.
 */
public final class JobStatusHandler
        implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse>, Resource {
    private final JobStore jobs;
    private final RecipientStore recipients;
    private final Clock clock;
    private final Log log;

    /** The Lambda runtime's constructor. */
    public JobStatusHandler() {
        this(Wiring.lambda());
        Priming.register(this);
    }

    /** The function's factory: its configuration from the wiring's environment, its stores on its client. */
    public JobStatusHandler(Wiring wiring) {
        TableConfig config = TableConfig.from(wiring.env());
        DynamoDbClient dynamo = wiring.dynamo().get();
        this.jobs = new JobStore(dynamo, config.tableName());
        this.recipients = new RecipientStore(dynamo, config.tableName());
        this.log = Log.of("JobStatus", wiring);
        this.clock = wiring.clock();
    }

    /** SnapStart: one harmless request through this handler before the snapshot (see {@link Priming}). */
    @Override
    public void beforeCheckpoint(org.crac.Context<? extends Resource> checkpoint) {
        String id = JobIds.next(); // no such job: a consistent read, then 404
        Priming.attempt(
                log,
                () -> handleRequest(
                        Priming.request("GET", "/emails/{jobId}", "/emails/" + id, Map.of("jobId", id), null),
                        Priming.CONTEXT));
    }

    @Override
    public void afterRestore(org.crac.Context<? extends Resource> restored) {}

    @Override
    public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent event, Context context) {
        try {
            String owner = Caller.of(event);
            String id = HttpEvents.jobId(event);
            if (isRecipientsRoute(event)) {
                RecipientQuery query = RecipientQuery.parse(HttpEvents.query(event, RecipientQuery.PARAMETERS));
                return recipients(owned(id, owner), query);
            }
            HttpEvents.query(event, Set.of());
            Job job = owned(id, owner);
            return JobView.response(200, jobs.settled(job, clock.instant()).orElseThrow(ApiException::notFound));
        } catch (ApiException e) {
            return HttpResponses.error(e);
        } catch (StoreException e) {
            log.error(context, "status read failed: " + e.getMessage())
                    .with("apiRequestId", HttpEvents.requestId(event))
                    .write();
            return HttpResponses.unavailable(HttpEvents.requestId(event));
        }
    }

    private static boolean isRecipientsRoute(APIGatewayV2HTTPEvent event) {
        String route = event.getRouteKey();
        if (route != null && !route.isEmpty() && !route.equals("$default")) {
            return route.endsWith("/recipients");
        }
        return event.getRawPath() != null && event.getRawPath().endsWith("/recipients");
    }

    /** The caller's job: another caller's answers exactly as a job that does not exist. */
    private Job owned(String id, String owner) {
        return jobs.find(id, clock.instant())
                .filter(job -> job.isOwnedBy(owner))
                .orElseThrow(ApiException::notFound);
    }

    private APIGatewayV2HTTPResponse recipients(Job job, RecipientQuery query) {
        RecipientPage page;
        try {
            page = recipients.list(job.id(), job.chunks(), query.status(), query.limit(), query.cursor());
        } catch (InvalidCursorException e) {
            throw ApiException.invalid("cursor", "is not a cursor this API returned for this job and status");
        }
        return HttpResponses.json(200, RecipientView.Page.of(page), Map.of());
    }
}
