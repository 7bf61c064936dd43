package dev.mailbatch.local.lambda;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import dev.mailbatch.config.Wiring;
import dev.mailbatch.local.emulator.Backend;
import dev.mailbatch.local.template.Template;
import dev.mailbatch.worker.Faults;
import java.lang.reflect.InvocationTargetException;
import java.time.Clock;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The template's functions, built as Lambda builds them: the class its {@code Handler} names,
 * through that class's own factory constructor, {@code (Wiring)} (or {@code (Wiring, Faults)}
 * when the chaos harness injects faults), with clients for the emulator. The runner wires no
 * object graph of its own.
 */
public final class LocalFunctions {
    /** The sender when DEFAULT_FROM is not set (the deployed stack has none unless given one). */
    public static final String LOCAL_FROM = "mailbatch@example.com";

    /** One function of the template: its id, handler class and environment. */
    public record LocalFunction(String id, String handlerClass, Map<String, String> environment) {}

    private LocalFunctions() {}

    /** Every AWS::Serverless::Function of the template. */
    public static List<LocalFunction> read(Template template, Function<String, String> env, String outboxUrl) {
        return template.resources().entrySet().stream()
                .filter(r -> "AWS::Serverless::Function"
                        .equals(Template.map(r.getValue()).get("Type")))
                .map(r -> new LocalFunction(
                        r.getKey(),
                        String.valueOf(template.property(r.getKey(), "Handler")).split("::")[0],
                        environment(template, r.getKey(), env, outboxUrl)))
                .toList();
    }

    /**
     * A function's environment: the template's, then the process environment's values of the same
     * names (not the table and queue, which are the stack's); the outbox as the HTTP provider and a
     * local sender address where the template leaves them empty.
     */
    static Map<String, String> environment(
            Template template, String functionId, Function<String, String> env, String outboxUrl) {
        Map<String, String> result = new LinkedHashMap<>(template.environment(functionId));
        for (String name : Set.copyOf(result.keySet())) {
            String value = env.apply(name);
            if (value != null && !name.equals("TABLE_NAME") && !name.equals("QUEUE_URL")) {
                result.put(name, value);
            }
        }
        if (result.containsKey("SENDER")
                && !"ses".equalsIgnoreCase(result.get("SENDER"))
                && result.getOrDefault("PROVIDER_URL", "").isBlank()) {
            result.put("PROVIDER_URL", outboxUrl);
        }
        if (result.containsKey("DEFAULT_FROM") && result.get("DEFAULT_FROM").isBlank()) {
            result.put("DEFAULT_FROM", LOCAL_FROM);
        }
        return result;
    }

    /** The sender addresses any function may send from (for SES, each is an identity to verify). */
    public static Set<String> senderAddresses(List<LocalFunction> functions) {
        Set<String> addresses = new LinkedHashSet<>();
        for (LocalFunction f : functions) {
            addresses.add(f.environment().getOrDefault("DEFAULT_FROM", ""));
            addresses.addAll(Arrays.asList(
                    f.environment().getOrDefault("ALLOWED_FROM", "").split(",")));
        }
        addresses.removeIf(String::isBlank);
        return addresses.stream()
                .map(String::trim)
                .collect(java.util.stream.Collectors.toCollection(LinkedHashSet::new));
    }

    /** An HTTP API function's handler (payload format 2.0). */
    @SuppressWarnings("unchecked")
    public static RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> httpHandler(
            LocalFunction function, Backend backend, Faults faults, LocalContext.LogSink logs) {
        return (RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse>)
                instantiate(function, backend, faults, logs);
    }

    /** An SQS-triggered function's handler, one per execution environment. */
    @SuppressWarnings("unchecked")
    public static RequestHandler<SQSEvent, SQSBatchResponse> sqsHandler(
            LocalFunction function, Backend backend, Faults faults, LocalContext.LogSink logs) {
        return (RequestHandler<SQSEvent, SQSBatchResponse>) instantiate(function, backend, faults, logs);
    }

    /** The function's handler, built by its factory constructor, on the backend's clients. */
    public static Object instantiate(
            LocalFunction function, Backend backend, Faults faults, LocalContext.LogSink logs) {
        String name = function.id().replace("Function", "");
        Wiring wiring = new Wiring(
                function.environment()::get,
                backend::dynamo,
                backend::sqs,
                backend::ses,
                backend::ssm,
                Clock.systemUTC(),
                line -> logs.log(name, LogLevel.INFO, line));
        try {
            Class<?> type = Class.forName(function.handlerClass());
            if (faults != Faults.NONE) {
                try {
                    return type.getConstructor(Wiring.class, Faults.class).newInstance(wiring, faults);
                } catch (NoSuchMethodException noFaultSeam) {
                    // a function without the fault seam is built as usual
                }
            }
            return type.getConstructor(Wiring.class).newInstance(wiring);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException r
                    ? r
                    : new IllegalStateException(function.id() + " could not be built", e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("template.yaml's " + function.id() + " names handler "
                    + function.handlerClass() + ", which has no public (Wiring) constructor");
        }
    }
}
