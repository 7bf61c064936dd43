package dev.mailbatch.it;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mailbatch.api.CancelJobHandler;
import dev.mailbatch.api.JobStatusHandler;
import dev.mailbatch.api.SubmitBatchHandler;
import dev.mailbatch.config.Json;
import dev.mailbatch.config.Wiring;
import dev.mailbatch.local.apigateway.ApiRoutes;
import dev.mailbatch.local.emulator.Backend;
import dev.mailbatch.local.emulator.StackResources;
import dev.mailbatch.local.eventsource.SqsEventSource;
import dev.mailbatch.local.iam.FunctionRoles;
import dev.mailbatch.local.lambda.LambdaEvents;
import dev.mailbatch.local.lambda.LocalContext;
import dev.mailbatch.local.template.Template;
import dev.mailbatch.mail.EmailSender;
import dev.mailbatch.worker.Faults;
import dev.mailbatch.worker.SendEmailsHandler;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * One mailbatch stack on the emulator, built from template.yaml: its queue, dead-letter queue
 * and table (template properties), the three real handlers configured from the template's
 * environment variables, an API Gateway stand-in that builds payload-2.0 events, and the SQS
 * event source mapping's emulation with the template's batch size.
 */
public final class TestStack {
    public static final LocalContext.LogSink LOG = LocalContext.LogSink.STDOUT;
    /** The caller every request of a test comes from, unless it names another. */
    static final LambdaEvents.Caller CALLER = LambdaEvents.Caller.of("it-caller", "mailbatch/send", "mailbatch/read");
    /** The owner of the jobs {@link #CALLER} submits, as the functions record it. */
    public static final String OWNER = "jwt:it-caller";

    final Backend backend;
    public final Template template;
    public final StackResources resources;
    public final DynamoDbClient dynamo;
    public final SqsClient sqs;
    /** The API handlers' clock: a test moves it forward to be past a deadline. */
    public final OffsetClock clock = new OffsetClock();
    /**
     * The worker's clock. A test that brings a crashed batch back at once moves it on by the queue's
     * visibility timeout, the time that passes in AWS before the batch comes back ({@link #crashed}):
     * by then a dead invocation's claims have ended.
     */
    public final OffsetClock workerClock = new OffsetClock();

    private final Map<String, String> env;
    private final FunctionRoles roles;

    public static final List<String> FUNCTIONS =
            List.of("SubmitBatchFunction", "JobStatusFunction", "CancelJobFunction", "SendEmailsFunction");
    private final SubmitBatchHandler submit;
    private final JobStatusHandler status;
    private final CancelJobHandler cancel;
    public final SqsEventSource events;
    private final ApiRoutes routes;

    /**
     * @param env environment variables to set over the template's (provider URL, retry base...)
     * @param sender the worker's sender, or null for the one the configuration names
     * @param wrapWorker lets a test put a fault in front of the real worker handler
     */
    public TestStack(
            Backend backend,
            Map<String, String> env,
            EmailSender sender,
            UnaryOperator<RequestHandler<SQSEvent, SQSBatchResponse>> wrapWorker) {
        this(backend, env, sender, wrapWorker, Faults.NONE);
    }

    /** @param faults where the worker dies (the fault-injection seam) */
    public TestStack(
            Backend backend,
            Map<String, String> env,
            EmailSender sender,
            UnaryOperator<RequestHandler<SQSEvent, SQSBatchResponse>> wrapWorker,
            Faults faults) {
        this(backend, env, sender, wrapWorker, faults, Map.of());
    }

    /** @param parameters template parameters (MaxDeliveries, say) over the template's defaults */
    public TestStack(
            Backend backend,
            Map<String, String> env,
            EmailSender sender,
            UnaryOperator<RequestHandler<SQSEvent, SQSBatchResponse>> wrapWorker,
            Faults faults,
            Map<String, String> parameters) {
        this.backend = backend;
        this.env = env;
        this.dynamo = backend.dynamo();
        this.sqs = backend.sqs();
        Path root = Path.of(System.getProperty("mailbatch.root", ".."))
                .toAbsolutePath()
                .normalize();
        Map<String, String> all = new HashMap<>(Map.of("JwtIssuer", "https://issuer.example")); // no authorizer here
        all.putAll(parameters);
        this.template = Template.read(root.resolve("template.yaml"), all).check();
        String stack = "it-" + UUID.randomUUID().toString().substring(0, 8);
        this.resources = StackResources.create(template, dynamo, sqs, stack, Map.<QueueAttributeName, String>of());
        // each function under its own role, as template.yaml gives it, every call checked (IamIT)
        this.roles = FunctionRoles.create(stack, template, FUNCTIONS, backend, backend);
        this.submit = new SubmitBatchHandler(wiring("SubmitBatchFunction", env));
        this.status = new JobStatusHandler(wiring("JobStatusFunction", env));
        this.cancel = new CancelJobHandler(wiring("CancelJobFunction", env));
        SendEmailsHandler worker = worker(wiring("SendEmailsFunction", env), sender, faults);
        int batchSize = Integer.parseInt(String.valueOf(eventProperties().get("BatchSize")));
        int timeout = Integer.parseInt(String.valueOf(template.property("SendEmailsFunction", "Timeout")));
        this.events = new SqsEventSource(
                sqs,
                resources.queueUrl(),
                resources.queueArn(),
                batchSize,
                Duration.ofSeconds(timeout),
                true,
                wrapWorker.apply(worker),
                () -> new LocalContext("SendEmails", timeout, LOG));
        this.routes = ApiRoutes.from(template);
    }

    public TestStack(Backend backend, Map<String, String> env) {
        this(backend, env, null, UnaryOperator.identity());
    }

    Map<String, Object> eventProperties() {
        return Template.map(template.property("SendEmailsFunction", "Events", "Work", "Properties"));
    }

    /** What a function of this stack is built from: its template environment with the test's overrides. */
    public Wiring wiring(String function, Map<String, String> overrides) {
        Map<String, String> env = new HashMap<>(template.environment(function));
        env.put("MAX_SEND_RATE", "1000"); // the ITs' outboxes take any rate; RateIT sets its own
        env.putAll(overrides);
        // The API handlers run on the test's clock; the worker on its own, moved on after a crash.
        Clock functionClock = function.equals("SendEmailsFunction") ? workerClock : clock;
        String name = function.replace("Function", "");
        Backend as = roles.backend(function);
        return new Wiring(
                env::get,
                as::dynamo,
                as::sqs,
                as::ses,
                as::ssm,
                functionClock,
                line -> LOG.log(name, com.amazonaws.services.lambda.runtime.logging.LogLevel.INFO, line));
    }

    /** A function's wiring whose DynamoDB calls pass through {@code faults}. */
    public Wiring wiringWithStoreFaults(
            String function, Map<String, String> overrides, ExecutionInterceptor... faults) {
        Wiring plain = wiring(function, overrides);
        DynamoDbClient faulty = roles.backend(function).dynamo(List.of(faults));
        return plain.withDynamo(() -> faulty);
    }

    /** Hands an event to a handler a test built (from the stack's caller). */
    public Response invoke(
            RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> handler, APIGatewayV2HTTPEvent event) {
        return read(event, handler.handleRequest(authorized(event, CALLER), new LocalContext("Test", 29, LOG)));
    }

    /** @param sender the test's sender, or null for the one the configuration names */
    private static SendEmailsHandler worker(Wiring wiring, EmailSender sender, Faults faults) {
        return sender == null ? new SendEmailsHandler(wiring, faults) : new SendEmailsHandler(wiring, sender, faults);
    }

    public record Response(int status, Map<String, String> headers, JsonNode body) {}

    public Response postJson(String body) {
        return post(Map.of("Content-Type", "application/json"), body.getBytes(StandardCharsets.UTF_8), false);
    }

    public Response postJson(Object body) {
        return postJson(Json.write(body));
    }

    public Response post(Map<String, String> headers, byte[] body, boolean base64) {
        return submit(LambdaEvents.http("POST", "/emails", "/emails", Map.of(), Map.of(), headers, body, base64));
    }

    /** POST /emails with a JSON body, as API Gateway hands it to SubmitBatch. */
    public static APIGatewayV2HTTPEvent postEvent(String body) {
        return postEvent(Map.of("Content-Type", "application/json"), body);
    }

    /** POST /emails with {@code headers} and a text body. */
    public static APIGatewayV2HTTPEvent postEvent(Map<String, String> headers, String body) {
        return LambdaEvents.http(
                "POST",
                "/emails",
                "/emails",
                Map.of(),
                Map.of(),
                headers,
                body.getBytes(StandardCharsets.UTF_8),
                false);
    }

    /** Hands an event, as a test shaped it, to the stack's SubmitBatch handler, from the stack's caller. */
    public Response submit(APIGatewayV2HTTPEvent event) {
        return submit(event, CALLER);
    }

    /** The same, from {@code caller} (as API Gateway's authorizer passes it; null: no authorizer ran). */
    public Response submit(APIGatewayV2HTTPEvent event, LambdaEvents.Caller caller) {
        return read(event, submit.handleRequest(authorized(event, caller), new LocalContext("SubmitBatch", 29, LOG)));
    }

    private static APIGatewayV2HTTPEvent authorized(APIGatewayV2HTTPEvent event, LambdaEvents.Caller caller) {
        return caller == null ? event : LambdaEvents.withCaller(event, caller);
    }

    /** GET a path such as /emails/{id} or /emails/{id}/recipients?status=SENT, routed by the template's routes. */
    public Response get(String pathAndQuery) {
        return get(pathAndQuery, CALLER);
    }

    /** The same, from {@code caller}. */
    public Response get(String pathAndQuery, LambdaEvents.Caller caller) {
        String[] parts = pathAndQuery.split("\\?", 2);
        var match = routes.match("GET", parts[0]);
        if (match.isEmpty()) {
            return new Response(
                    404, Map.of(), Json.MAPPER.createObjectNode().put("message", "Not Found")); // API Gateway: no route
        }
        var event = LambdaEvents.http(
                "GET",
                match.get().route().path(),
                parts[0],
                match.get().pathParameters(),
                parts.length > 1 ? parts[1] : "",
                Map.of(),
                null,
                false);
        return read(event, status.handleRequest(authorized(event, caller), new LocalContext("JobStatus", 29, LOG)));
    }

    /** Another worker on the same queue (a healthy one after a test's faulty one, say). */
    public SqsEventSource worker(EmailSender sender, Faults faults) {
        SendEmailsHandler worker = worker(wiring("SendEmailsFunction", env), sender, faults);
        int batchSize = Integer.parseInt(String.valueOf(eventProperties().get("BatchSize")));
        int timeout = Integer.parseInt(String.valueOf(template.property("SendEmailsFunction", "Timeout")));
        return new SqsEventSource(
                sqs,
                resources.queueUrl(),
                resources.queueArn(),
                batchSize,
                Duration.ofSeconds(timeout),
                true,
                worker,
                () -> new LocalContext("SendEmails", timeout, LOG));
    }

    /** DELETE /emails/{id}, routed by the template's routes. */
    public Response delete(String path) {
        return delete(path, CALLER);
    }

    /** The same, from {@code caller}. */
    public Response delete(String path, LambdaEvents.Caller caller) {
        var match = routes.match("DELETE", path);
        if (match.isEmpty()) {
            return new Response(404, Map.of(), Json.MAPPER.createObjectNode().put("message", "Not Found"));
        }
        var event = LambdaEvents.http(
                "DELETE", match.get().route().path(), path, match.get().pathParameters(), "", Map.of(), null, false);
        return read(event, cancel.handleRequest(authorized(event, caller), new LocalContext("CancelJob", 29, LOG)));
    }

    /** POST /emails through a SubmitBatch whose queue URL names no queue: enqueueing fails. */
    public Response postWithBrokenQueue(String body) {
        return postWithBrokenQueue(postEvent(body));
    }

    public Response postWithBrokenQueue(APIGatewayV2HTTPEvent event) {
        // the queue answers every send as a queue that is gone
        ExecutionInterceptor gone = new ExecutionInterceptor() {
            @Override
            public void beforeTransmission(
                    software.amazon.awssdk.core.interceptor.Context.BeforeTransmission context,
                    software.amazon.awssdk.core.interceptor.ExecutionAttributes attributes) {
                throw software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException.builder()
                        .statusCode(400)
                        .message("The specified queue does not exist (injected)")
                        .build();
            }
        };
        SqsClient broken = roles.backend("SubmitBatchFunction").sqs(List.of(gone));
        Wiring plain = wiring("SubmitBatchFunction", env);
        SubmitBatchHandler handler = new SubmitBatchHandler(new Wiring(
                plain.env(), plain.dynamo(), () -> broken, plain.ses(), plain.ssm(), plain.clock(), plain.logs()));
        return read(event, handler.handleRequest(authorized(event, CALLER), new LocalContext("SubmitBatch", 29, LOG)));
    }

    /** Runs the worker until the queue is empty; a batch whose invocation died comes back at once (its visibility ends). */
    public int drainThroughCrashes(Duration deadline) {
        java.time.Instant end = java.time.Instant.now().plus(deadline);
        int crashes = 0;
        while (events.backlog() > 0) {
            if (java.time.Instant.now().isAfter(end)) {
                throw new IllegalStateException(
                        "queue not drained within " + deadline + "; backlog " + events.backlog());
            }
            SqsEventSource.Batch batch = events.pollOnce(Duration.ofSeconds(1));
            if (batch.crashed()) {
                crashes++;
                crashed(batch.messages());
            }
        }
        return crashes;
    }

    /**
     * A batch whose invocation died comes back now, as it does in AWS once its visibility timeout
     * has passed: that time passes for the worker too (its clock moves on by the queue's
     * VisibilityTimeout), so the claims the dead invocation left have ended.
     */
    public void crashed(List<software.amazon.awssdk.services.sqs.model.Message> messages) {
        workerClock.advance(Duration.ofSeconds(
                Long.parseLong(String.valueOf(template.property("WorkQueue", "VisibilityTimeout")))));
        events.expireVisibility(messages);
    }

    /** The handler's response, checked against the API contract for the event's route ({@link Contract}). */
    private static Response read(
            APIGatewayV2HTTPEvent event,
            com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse response) {
        JsonNode json = LambdaEvents.toJson(response);
        Map<String, String> headers = new HashMap<>();
        json.path("headers")
                .fields()
                .forEachRemaining(
                        e -> headers.put(e.getKey().toLowerCase(), e.getValue().asText()));
        String routeKey = event.getRouteKey() == null ? "" : event.getRouteKey();
        if (routeKey.contains(" ")) {
            Contract.SPEC.record(
                    routeKey.substring(0, routeKey.indexOf(' ')),
                    routeKey.substring(routeKey.indexOf(' ') + 1),
                    json.path("statusCode").asInt(),
                    headers,
                    json.path("body").asText());
        }
        try {
            JsonNode body = Json.MAPPER.readTree(json.path("body").asText());
            return new Response(json.path("statusCode").asInt(), headers, body);
        } catch (java.io.IOException e) {
            throw new AssertionError("response body is not JSON: " + json, e);
        }
    }

    /** Items in the table (jobs and recipients): a test's way to see that nothing was stored. */
    public int storedItems() {
        return dynamo.scan(r -> r.tableName(resources.table()).select("COUNT")).count();
    }

    public int dlqDepth() {
        return Integer.parseInt(sqs.getQueueAttributes(r -> r.queueUrl(resources.dlqUrl())
                        .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES))
                .attributes()
                .get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES));
    }
}
