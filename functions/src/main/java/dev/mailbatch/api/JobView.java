package dev.mailbatch.api;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.mailbatch.job.Job;
import java.time.Instant;
import java.util.Map;

/** A job as the API shows it: GET /emails/{jobId}, and the answer to DELETE. */
record JobView(
        String jobId,
        String subject,
        String state,
        long total,
        long sent,
        long failed,
        long cancelled,
        long pending,
        String createdAt,
        String updatedAt,
        String cancelledAt,
        String finishedAt,
        String reason) {

    /** Seconds a client should wait before polling a job that is not finished. */
    static final String RETRY_AFTER_SECONDS = "2";

    static JobView of(Job job) {
        return new JobView(
                job.id(),
                job.title(),
                job.state().name(),
                job.total(),
                job.counts().sent(),
                job.counts().failed(),
                job.counts().cancelled(),
                job.pending(),
                iso(job.lifecycle().createdAt()),
                iso(job.lifecycle().updatedAt()),
                iso(job.lifecycle().cancelledAt()),
                iso(job.finishedAt()),
                job.reason());
    }

    /** The job as the response to a request: with a Retry-After while it is not finished. */
    static APIGatewayV2HTTPResponse response(int status, Job job) {
        return HttpResponses.json(
                status, of(job), job.pending() == 0 ? Map.of() : Map.of("retry-after", RETRY_AFTER_SECONDS));
    }

    /** An instant as the API writes it: ISO-8601 in UTC, or null. */
    static String iso(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
