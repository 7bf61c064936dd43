package dev.mailbatch.it;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mailbatch.api.JobStatusHandler;
import dev.mailbatch.api.Json;
import dev.mailbatch.api.SubmitBatchHandler;
import dev.mailbatch.config.Config;
import dev.mailbatch.local.ApiRoutes;
import dev.mailbatch.local.Backend;
import dev.mailbatch.local.LambdaEvents;
import dev.mailbatch.local.LocalContext;
import dev.mailbatch.local.SqsEventSource;
import dev.mailbatch.local.StackResources;
import dev.mailbatch.local.Template;
import dev.mailbatch.mail.EmailSender;
import dev.mailbatch.worker.SendEmailsHandler;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * One mailbatch stack on the emulator, built from template.yaml: its queue, dead-letter queue
 * and table (template properties), the three real handlers configured from the template's
 * environment variables, an API Gateway stand-in that builds payload-2.0 events, and the SQS
 * event source mapping's emulation with the template's batch size.
 */
final class TestStack {
    static final PrintStream LOG = System.out;
    final Backend backend;
    final Template template;
    final StackResources resources;
    final DynamoDbClient dynamo;
    final SqsClient sqs;
    private final SubmitBatchHandler submit;
    private final JobStatusHandler status;
    final SqsEventSource events;
    private final ApiRoutes routes;

    /**
     * @param env environment variables to set over the template's (provider URL, retry base...)
     * @param sender the worker's sender, or null for the one the configuration names
     * @param wrapWorker lets a test put a fault in front of the real worker handler
     */
    TestStack(Backend backend, Map<String, String> env, EmailSender sender,
              UnaryOperator<RequestHandler<SQSEvent, SQSBatchResponse>> wrapWorker) {
        this.backend = backend;
        this.dynamo = backend.dynamo();
        this.sqs = backend.sqs();
        Path root = Path.of(System.getProperty("mailbatch.root", "..")).toAbsolutePath().normalize();
        this.template = Template.read(root.resolve("template.yaml"), Map.of());
        this.resources = StackResources.create(template, dynamo, sqs, "it-" + UUID.randomUUID().toString().substring(0, 8),
                Map.<QueueAttributeName, String>of());
        this.submit = new SubmitBatchHandler(config("SubmitBatchFunction", env), dynamo, sqs, Clock.systemUTC());
        this.status = new JobStatusHandler(config("JobStatusFunction", env), dynamo, Clock.systemUTC());
        SendEmailsHandler worker = new SendEmailsHandler(config("SendEmailsFunction", env), dynamo, sqs, sender);
        int batchSize = Integer.parseInt(String.valueOf(eventProperties().get("BatchSize")));
        int timeout = Integer.parseInt(String.valueOf(template.property("SendEmailsFunction", "Timeout")));
        this.events = new SqsEventSource(sqs, resources.queueUrl(), resources.queueArn(), batchSize, Duration.ofSeconds(timeout),
                true, wrapWorker.apply(worker), () -> new LocalContext("SendEmails", timeout, LOG));
        this.routes = ApiRoutes.from(template);
    }

    TestStack(Backend backend, Map<String, String> env) {
        this(backend, env, null, UnaryOperator.identity());
    }

    Map<String, Object> eventProperties() {
        return Template.map(template.property("SendEmailsFunction", "Events", "Work", "Properties"));
    }

    private Config config(String function, Map<String, String> overrides) {
        Map<String, String> env = new HashMap<>(template.environment(function));
        env.putAll(overrides);
        return Config.from(env::get);
    }

    record Response(int status, Map<String, String> headers, JsonNode body) {
    }

    Response postJson(String body) {
        return post(Map.of("Content-Type", "application/json"), body.getBytes(StandardCharsets.UTF_8), false);
    }

    Response postJson(Object body) {
        return postJson(Json.write(body));
    }

    Response post(Map<String, String> headers, byte[] body, boolean base64) {
        return submit(LambdaEvents.http("POST", "/emails", "/emails", Map.of(), Map.of(), headers, body, base64));
    }

    /** Hands an event, as a test shaped it, to the stack's SubmitBatch handler. */
    Response submit(com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent event) {
        return read(submit.handleRequest(event, new LocalContext("SubmitBatch", 29, LOG)));
    }

    /** GET a path such as /emails/{id} or /emails/{id}/recipients?status=SENT, routed by the template's routes. */
    Response get(String pathAndQuery) {
        String[] parts = pathAndQuery.split("\\?", 2);
        var match = routes.match("GET", parts[0]);
        if (match.isEmpty()) {
            return new Response(404, Map.of(), Json.MAPPER.createObjectNode().put("message", "Not Found")); // API Gateway: no route
        }
        var event = LambdaEvents.http("GET", match.get().route().path(), parts[0], match.get().pathParameters(),
                parts.length > 1 ? parts[1] : "", Map.of(), null, false);
        return read(status.handleRequest(event, new LocalContext("JobStatus", 29, LOG)));
    }

    private static Response read(com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse response) {
        JsonNode json = LambdaEvents.toJson(response);
        Map<String, String> headers = new HashMap<>();
        json.path("headers").fields().forEachRemaining(e -> headers.put(e.getKey().toLowerCase(), e.getValue().asText()));
        try {
            JsonNode body = Json.MAPPER.readTree(json.path("body").asText());
            return new Response(json.path("statusCode").asInt(), headers, body);
        } catch (java.io.IOException e) {
            throw new AssertionError("response body is not JSON: " + json, e);
        }
    }

    /** Items in the table (jobs and recipients): a test's way to see that nothing was stored. */
    int storedItems() {
        return dynamo.scan(r -> r.tableName(resources.table()).select("COUNT")).count();
    }

    int dlqDepth() {
        return Integer.parseInt(sqs.getQueueAttributes(r -> r.queueUrl(resources.dlqUrl())
                .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES)).attributes()
                .get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES));
    }
}
