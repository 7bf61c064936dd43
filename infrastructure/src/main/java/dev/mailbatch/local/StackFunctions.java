package dev.mailbatch.local;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.mailbatch.local.apigateway.ApiRoutes;
import dev.mailbatch.local.emulator.Backend;
import dev.mailbatch.local.emulator.StackResources;
import dev.mailbatch.local.eventsource.EventSourceMapping;
import dev.mailbatch.local.eventsource.WorkerMapping;
import dev.mailbatch.local.iam.FunctionRoles;
import dev.mailbatch.local.lambda.LocalContext;
import dev.mailbatch.local.lambda.LocalFunctions;
import dev.mailbatch.local.template.Template;
import dev.mailbatch.worker.Faults;
import java.io.PrintStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import software.amazon.awssdk.services.sesv2.model.AlreadyExistsException;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The template's functions, built for one stack: each under its own role as template.yaml gives
 * it (every call checked against its policy), the HTTP ones as handlers for the API Gateway
 * stand-in, the worker behind its SQS event source mapping (not yet started).
 *
 * @param functions each function with its environment (the table, queue, outbox)
 * @param roles the functions' roles in the emulator
 * @param http the HTTP functions' handlers, by logical id
 * @param mapping the worker's event source mapping
 */
record StackFunctions(
        List<LocalFunctions.LocalFunction> functions,
        FunctionRoles roles,
        Map<String, RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse>> http,
        EventSourceMapping mapping) {

    static StackFunctions build(
            Template template,
            LocalRunner.Options options,
            String stackName,
            Backend backend,
            StackResources resources,
            String providerUrl,
            LocalContext.LogSink logs,
            Consumer<String> timedConsole) {
        LocalRunner.Harness harness = options.harness();
        PrintStream console = options.console();
        SqsClient sqs = harness.poller(backend).sqs();
        Faults faults = harness.faults();
        List<LocalFunctions.LocalFunction> functions = LocalFunctions.read(template, options.env(), providerUrl);
        FunctionRoles roles = FunctionRoles.create(
                stackName,
                template,
                functions.stream().map(LocalFunctions.LocalFunction::id).toList(),
                harness.poller(backend),
                harness.functions(backend));
        Map<String, RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse>> http = new LinkedHashMap<>();
        EventSourceMapping mapping = null;
        for (LocalFunctions.LocalFunction function : functions) {
            Backend reach = roles.backend(function.id());
            if (!WorkerMapping.hasSqsEvent(template, function.id())) {
                http.put(
                        function.id(),
                        timed(harness, function.id(), LocalFunctions.httpHandler(function, reach, faults, logs)));
                continue;
            }
            if ("ses".equalsIgnoreCase(function.environment().get("SENDER"))) {
                verifySenders(backend, functions);
            }
            mapping = WorkerMapping.create(
                    template,
                    function.id(),
                    harness.workerTimeoutSeconds(),
                    resources,
                    sqs,
                    () -> timed(harness, function.id(), LocalFunctions.sqsHandler(function, reach, faults, logs)),
                    logs,
                    harness == LocalRunner.Harness.NONE
                            ? null
                            : messages -> harness.received(sqs, resources.queueUrl(), messages),
                    console,
                    timedConsole);
        }
        if (mapping == null) {
            throw new IllegalStateException("template.yaml has no function with an SQS event (the worker)");
        }
        return new StackFunctions(functions, roles, http, mapping);
    }

    /** The template's HTTP API routes, each checked to go to one of these HTTP functions. */
    ApiRoutes routes(Template template) {
        ApiRoutes routes = ApiRoutes.from(template);
        for (ApiRoutes.Route route : routes.routes()) {
            if (!http.containsKey(route.functionId())) {
                throw new IllegalStateException(
                        "route " + route.key() + " goes to " + route.functionId() + ", which is not an HTTP function");
            }
        }
        return routes;
    }

    /** With SES as the sender, the senders are verified identities in the emulator, as the operator makes them in AWS. */
    private static void verifySenders(Backend backend, List<LocalFunctions.LocalFunction> functions) {
        var ses = backend.ses();
        for (String address : LocalFunctions.senderAddresses(functions)) {
            try {
                ses.createEmailIdentity(r -> r.emailIdentity(address));
            } catch (AlreadyExistsException attached) {
                // a stack started before on this emulator verified it already
            }
        }
    }

    /** The handler, its time reported to the harness after every invocation. */
    private static <I, O> RequestHandler<I, O> timed(
            LocalRunner.Harness harness, String functionId, RequestHandler<I, O> handler) {
        return harness == LocalRunner.Harness.NONE
                ? handler
                : (event, context) -> {
                    long start = System.nanoTime();
                    try {
                        return handler.handleRequest(event, context);
                    } finally {
                        harness.invoked(functionId, Duration.ofNanos(System.nanoTime() - start));
                    }
                };
    }
}
