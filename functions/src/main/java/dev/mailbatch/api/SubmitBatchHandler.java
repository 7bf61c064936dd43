package dev.mailbatch.api;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.mailbatch.config.Log;
import dev.mailbatch.config.Metrics;
import dev.mailbatch.config.Priming;
import dev.mailbatch.config.SubmitConfig;
import dev.mailbatch.config.Wiring;
import dev.mailbatch.job.JobState;
import dev.mailbatch.store.StoreException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.crac.Resource;

/**
 * POST /emails: an adapter from the HTTP API's event to {@link SubmitBatch} and back. 202 with
 * the job id (the same answer for every repeat with the request's Idempotency-Key, which says so
 * in a header); 4xx for a request that is refused, storing nothing; a retryable 503 when a store
 * fails.
 */
public final class SubmitBatchHandler
        implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse>, Resource {
    private final BatchRequestParser parser;
    private final SubmitBatch submit;
    private final Log log;
    private final Metrics metrics;

    /** The Lambda runtime's constructor. */
    public SubmitBatchHandler() {
        this(Wiring.lambda());
        Priming.register(this);
    }

    /** The function's factory: its configuration from the wiring's environment, its stores on its clients. */
    public SubmitBatchHandler(Wiring wiring) {
        SubmitConfig config = SubmitConfig.from(wiring.env());
        this.parser = new BatchRequestParser(config);
        this.submit = SubmitBatch.create(config, wiring);
        this.log = Log.of("SubmitBatch", wiring);
        this.metrics = new Metrics("SubmitBatch", wiring.logs(), wiring.clock());
    }

    /** The 202 body: the same for the first request and every repeat of it. */
    record Accepted(String jobId, String state, long total, int duplicatesRemoved, String statusUrl) {}

    /** SnapStart: one harmless request through this handler before the snapshot (see {@link Priming}). */
    @Override
    public void beforeCheckpoint(org.crac.Context<? extends Resource> checkpoint) {
        Priming.attempt(log, () -> {
            // A batch refused by validation (no subject): Jackson, the parser, the error envelope; nothing stored.
            handleRequest(
                    Priming.request("POST", "/emails", "/emails", Map.of(), "{\"emails\":[\"priming@example.com\"]}"),
                    Priming.CONTEXT);
            submit.prime(); // the SDK client: a read of the priming caller's usage
        });
    }

    @Override
    public void afterRestore(org.crac.Context<? extends Resource> restored) {}

    @Override
    public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent event, Context context) {
        try {
            return submit(event, context);
        } finally {
            metrics.flush();
        }
    }

    private APIGatewayV2HTTPResponse submit(APIGatewayV2HTTPEvent event, Context context) {
        try {
            String owner = Caller.of(event);
            String key = IdempotencyKeyHeader.validate(HttpEvents.header(event, IdempotencyKeyHeader.NAME));
            BatchRequest request = parser.parse(HttpEvents.header(event, "content-type"), HttpEvents.body(event));
            SubmitBatch.Submitted done = submit.submit(
                    request, owner, key, warning -> log.warn(context, warning).write());
            if (!done.replayed()) {
                log.info(context, "job submitted")
                        .with("jobId", done.job().id())
                        .with("total", done.job().total())
                        .with("chunks", done.job().chunks())
                        .with("duplicatesRemoved", request.duplicatesRemoved())
                        .with("idempotencyKey", key != null)
                        .write();
                metrics.count("JobsSubmitted", 1);
                metrics.count("RecipientsSubmitted", done.job().total());
            }
            return accepted(done);
        } catch (ApiException e) {
            return HttpResponses.error(e);
        } catch (StoreException e) {
            log.error(context, "submit failed: " + e.getMessage())
                    .with("apiRequestId", HttpEvents.requestId(event))
                    .with(
                            "cause",
                            e.getCause() == null
                                    ? null
                                    : e.getCause().getClass().getSimpleName())
                    .write();
            return HttpResponses.unavailable(HttpEvents.requestId(event));
        }
    }

    private static APIGatewayV2HTTPResponse accepted(SubmitBatch.Submitted done) {
        String statusUrl = "/emails/" + done.job().id();
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("location", statusUrl);
        if (done.replayed()) {
            headers.put("idempotent-replayed", "true");
        }
        return HttpResponses.json(
                202,
                new Accepted(
                        done.job().id(),
                        JobState.PENDING.name(),
                        done.job().total(),
                        done.job().duplicatesRemoved(),
                        statusUrl),
                headers);
    }
}
