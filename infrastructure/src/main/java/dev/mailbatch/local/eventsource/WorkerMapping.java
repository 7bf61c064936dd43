package dev.mailbatch.local.eventsource;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.mailbatch.local.emulator.StackResources;
import dev.mailbatch.local.lambda.LocalContext;
import dev.mailbatch.local.template.Template;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * The worker's SQS event source mapping as the template declares it (batch size, window,
 * maximum concurrency, ReportBatchItemFailures, the function's timeout): one {@link SqsEventSource}
 * per concurrent execution environment, each with its own handler.
 */
public final class WorkerMapping {
    private WorkerMapping() {}

    /**
     * @param timeoutOverride the function's Timeout in seconds instead of the template's, or 0
     * @param handlers builds one handler per execution environment
     * @param onReceive sees every batch received before the worker does (the chaos harness), or null
     */
    public static EventSourceMapping create(
            Template template,
            String functionId,
            int timeoutOverride,
            StackResources resources,
            SqsClient sqs,
            Supplier<RequestHandler<SQSEvent, SQSBatchResponse>> handlers,
            LocalContext.LogSink logs,
            Consumer<List<Message>> onReceive,
            PrintStream console,
            Consumer<String> mappingLog) {
        Map<String, Object> p = sqsEvent(template, functionId);
        if (!resources.queueArn().equals(p.get("Queue"))) {
            throw new IllegalStateException(functionId + " reads a queue other than WorkQueue: " + p.get("Queue"));
        }
        int batchSize = integer(p.getOrDefault("BatchSize", 10));
        int window = integer(p.getOrDefault("MaximumBatchingWindowInSeconds", 0));
        int concurrency = integer(Template.map(p.get("ScalingConfig")).getOrDefault("MaximumConcurrency", 2));
        boolean partial = p.getOrDefault("FunctionResponseTypes", List.of()) instanceof List<?> types
                && types.contains("ReportBatchItemFailures");
        Object own = template.property(functionId, "Timeout");
        int timeoutSeconds = timeoutOverride > 0
                ? timeoutOverride
                : integer(own != null ? own : template.globals("Function").getOrDefault("Timeout", 3));
        List<SqsEventSource> environments = new ArrayList<>();
        for (int i = 0; i < concurrency; i++) {
            SqsEventSource source = new SqsEventSource(
                    sqs,
                    resources.queueUrl(),
                    resources.queueArn(),
                    batchSize,
                    Duration.ofSeconds(timeoutSeconds),
                    partial,
                    handlers.get(),
                    () -> new LocalContext("SendEmails", timeoutSeconds, logs));
            if (onReceive != null) {
                source.onReceive(onReceive);
            }
            environments.add(source);
        }
        console.println("mailbatch local: worker mapping BatchSize " + batchSize + ", window " + window
                + " s, MaximumConcurrency " + concurrency + ", Timeout " + timeoutSeconds + " s"
                + (partial ? ", ReportBatchItemFailures" : ""));
        return new EventSourceMapping(environments, Duration.ofSeconds(window), mappingLog);
    }

    /** Whether the function has an SQS event (it is the worker). */
    public static boolean hasSqsEvent(Template template, String functionId) {
        return events(template, functionId).stream()
                .anyMatch(e -> "SQS".equals(Template.map(e).get("Type")));
    }

    /** The function's events, unresolved (only the SQS event's properties are resolved, when used). */
    private static Collection<Object> events(Template template, String functionId) {
        Object properties = Template.map(template.resources().get(functionId)).get("Properties");
        return Template.map(Template.map(properties).get("Events")).values();
    }

    private static Map<String, Object> sqsEvent(Template template, String functionId) {
        for (Object event : events(template, functionId)) {
            Map<String, Object> e = Template.map(event);
            if ("SQS".equals(e.get("Type"))) {
                return Template.map(template.resolve(e.get("Properties")));
            }
        }
        throw new IllegalStateException(functionId + " has no SQS event in template.yaml");
    }

    private static int integer(Object value) {
        return Integer.parseInt(String.valueOf(value));
    }
}
