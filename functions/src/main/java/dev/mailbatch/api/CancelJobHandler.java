package dev.mailbatch.api;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.mailbatch.config.Log;
import dev.mailbatch.config.Metrics;
import dev.mailbatch.config.Priming;
import dev.mailbatch.config.TableConfig;
import dev.mailbatch.config.Wiring;
import dev.mailbatch.job.Job;
import dev.mailbatch.job.JobIds;
import dev.mailbatch.store.JobStore;
import dev.mailbatch.store.StoreException;
import java.util.Map;
import java.util.Set;
import org.crac.Resource;

/**
 * DELETE /emails/{jobId}: an adapter to {@link CancelJob}. 202 and the job, now CANCELLED; the
 * workers then mark its recipients not yet attempted CANCELLED and never send them (a send
 * already under way when the cancel lands may still complete, and is counted as sent). 409 for
 * a finished job, 404 for an unknown one.
 */
public final class CancelJobHandler
        implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse>, Resource {
    private final CancelJob cancel;
    private final Log log;
    private final Metrics metrics;

    /** The Lambda runtime's constructor. */
    public CancelJobHandler() {
        this(Wiring.lambda());
        Priming.register(this);
    }

    /** The function's factory: its configuration from the wiring's environment, its store on its client. */
    public CancelJobHandler(Wiring wiring) {
        TableConfig config = TableConfig.from(wiring.env());
        this.cancel = new CancelJob(new JobStore(wiring.dynamo().get(), config.tableName()), wiring.clock());
        this.log = Log.of("CancelJob", wiring);
        this.metrics = new Metrics("CancelJob", wiring.logs(), wiring.clock());
    }

    /** SnapStart: one harmless request through this handler before the snapshot (see {@link Priming}). */
    @Override
    public void beforeCheckpoint(org.crac.Context<? extends Resource> checkpoint) {
        String id = JobIds.next(); // no such job: a consistent read, then 404, nothing written
        Priming.attempt(
                log,
                () -> handleRequest(
                        Priming.request("DELETE", "/emails/{jobId}", "/emails/" + id, Map.of("jobId", id), null),
                        Priming.CONTEXT));
    }

    @Override
    public void afterRestore(org.crac.Context<? extends Resource> restored) {}

    @Override
    public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent event, Context context) {
        try {
            String owner = Caller.of(event);
            String id = HttpEvents.jobId(event);
            HttpEvents.query(event, Set.of());
            Job job = cancel.cancel(id, owner);
            log.info(context, "job cancelled")
                    .with("jobId", id)
                    .with("sent", job.counts().sent())
                    .with("failed", job.counts().failed())
                    .with("pending", job.pending())
                    .write();
            metrics.count("JobsCancelled", 1);
            metrics.flush();
            return JobView.response(202, job);
        } catch (ApiException e) {
            return HttpResponses.error(e);
        } catch (StoreException e) {
            log.error(context, "cancel failed: " + e.getMessage())
                    .with("apiRequestId", HttpEvents.requestId(event))
                    .write();
            return HttpResponses.unavailable(HttpEvents.requestId(event));
        }
    }
}
