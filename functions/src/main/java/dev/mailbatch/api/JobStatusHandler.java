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
import dev.mailbatch.job.Recipient;
import dev.mailbatch.job.RecipientPage;
import dev.mailbatch.job.RecipientStatus;
import dev.mailbatch.job.StoreException;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * GET /emails/{jobId} (one consistent read of the job item, whatever the job's size) and
 * GET /emails/{jobId}/recipients (a page of recipient records, optionally by status).
 *
 * <p>Reading a job whose submit died before it was enqueued, {@link Job#SUBMIT_DEADLINE} after
 * its creation, abandons it (one conditional write): it reads as FAILED with a reason, never as
 * PENDING forever.
 */
public final class JobStatusHandler implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> {
    public static final int DEFAULT_LIMIT = 100;
    public static final int MAX_LIMIT = 1000;
    private static final int MAX_CURSOR_CHARS = 2048;
    private static final Set<String> RECIPIENT_PARAMS = Set.of("status", "limit", "cursor");

    private final JobRepository jobs;
    private final Clock clock;

    public JobStatusHandler() {
        this(Config.from(System::getenv), Clients.dynamoDb(), Clock.systemUTC());
    }

    public JobStatusHandler(Config config, DynamoDbClient dynamo, Clock clock) {
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
            if (isRecipientsRoute(event)) {
                return recipients(id, event.getQueryStringParameters());
            }
            if (event.getQueryStringParameters() != null
                    && !event.getQueryStringParameters().isEmpty()) {
                String name =
                        event.getQueryStringParameters().keySet().iterator().next();
                throw ApiException.invalid(name, "is not a known query parameter");
            }
            return JobViews.status(200, jobs.findSettled(id, clock.instant()).orElseThrow(ApiException::notFound));
        } catch (ApiException e) {
            return HttpResponses.error(e);
        } catch (StoreException e) {
            context.getLogger()
                    .log(
                            "status read failed requestId=" + HttpEvents.requestId(event) + ": " + e.getMessage(),
                            LogLevel.ERROR);
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

    private APIGatewayV2HTTPResponse recipients(String id, Map<String, String> params) {
        Map<String, String> query = params == null ? Map.of() : params;
        for (String name : query.keySet()) {
            if (!RECIPIENT_PARAMS.contains(name)) {
                throw ApiException.invalid(name, "is not a known query parameter");
            }
        }
        RecipientStatus status = null;
        if (query.containsKey("status")) {
            try {
                status = RecipientStatus.valueOf(query.get("status"));
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid("status", "must be one of PENDING, SENT, FAILED, CANCELLED");
            }
        }
        int limit = DEFAULT_LIMIT;
        if (query.containsKey("limit")) {
            String raw = query.get("limit");
            if (raw == null
                    || !raw.matches("\\d{1,4}")
                    || Integer.parseInt(raw) < 1
                    || Integer.parseInt(raw) > MAX_LIMIT) {
                throw ApiException.invalid("limit", "must be a whole number from 1 to " + MAX_LIMIT);
            }
            limit = Integer.parseInt(raw);
        }
        String cursor = query.get("cursor");
        if (query.containsKey("cursor") && (cursor == null || cursor.isEmpty() || cursor.length() > MAX_CURSOR_CHARS)) {
            throw ApiException.invalid("cursor", "is not a cursor this API returned");
        }
        jobs.find(id, clock.instant()).orElseThrow(ApiException::notFound);
        RecipientPage page;
        try {
            page = jobs.listRecipients(id, status, limit, cursor);
        } catch (JobRepository.InvalidCursorException e) {
            throw ApiException.invalid("cursor", "is not a cursor this API returned for this job and status");
        }
        List<Map<String, Object>> items =
                page.items().stream().map(JobStatusHandler::recipient).toList();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("items", items);
        body.put("nextCursor", page.nextCursor());
        return HttpResponses.json(200, body, Map.of());
    }

    private static Map<String, Object> recipient(Recipient r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("email", r.email());
        m.put("status", r.status().name());
        m.put("attempts", r.attempts());
        m.put("error", r.error());
        if (r.status() == RecipientStatus.FAILED) {
            m.put("retryable", r.retryable());
        }
        m.put("sentAt", iso(r.sentAt()));
        m.put("providerMessageId", r.providerMessageId());
        return m;
    }

    private static String iso(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
