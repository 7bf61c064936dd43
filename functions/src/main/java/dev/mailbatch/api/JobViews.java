package dev.mailbatch.api;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.mailbatch.job.Job;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** A job as the API shows it (GET /emails/{jobId}, and the answer to DELETE). */
final class JobViews {
    /** Seconds a client should wait before polling a job that is not finished. */
    static final String RETRY_AFTER_SECONDS = "2";

    private JobViews() {}

    static APIGatewayV2HTTPResponse status(int httpStatus, Job job) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("jobId", job.id());
        body.put("state", job.state().name());
        body.put("total", job.total());
        body.put("sent", job.sent());
        body.put("failed", job.failed());
        body.put("cancelled", job.cancelled());
        body.put("pending", job.pending());
        body.put("createdAt", iso(job.createdAt()));
        body.put("updatedAt", iso(job.updatedAt()));
        body.put("cancelledAt", iso(job.cancelledAt()));
        body.put("finishedAt", iso(job.finishedAt()));
        body.put("reason", job.reason());
        Map<String, String> headers = job.pending() == 0 ? Map.of() : Map.of("retry-after", RETRY_AFTER_SECONDS);
        return HttpResponses.json(httpStatus, body, headers);
    }

    static String iso(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
