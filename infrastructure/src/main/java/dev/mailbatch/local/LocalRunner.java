package dev.mailbatch.local;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import dev.mailbatch.api.CancelJobHandler;
import dev.mailbatch.api.JobStatusHandler;
import dev.mailbatch.api.SubmitBatchHandler;
import dev.mailbatch.config.Config;
import dev.mailbatch.mail.Senders;
import dev.mailbatch.worker.Faults;
import dev.mailbatch.worker.SendEmailsHandler;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * The whole system on one machine, with no AWS account and no Docker: moto server (or the
 * emulator AWS_ENDPOINT_URL names) holding the queue, dead-letter queue and table created from
 * template.yaml; the real handlers, invoked in-process through an HTTP API stand-in and an SQS
 * event source mapping configured from the template; the outbox as the email provider; the web
 * page. Configuration is the functions' own environment variables.
 */
public final class LocalRunner implements AutoCloseable {
    /** The sender when DEFAULT_FROM is not set (the deployed stack has none unless given one). */
    static final String LOCAL_FROM = "mailbatch@example.com";

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    /**
     * @param root the repository (template.yaml, infrastructure/web)
     * @param parameterOverrides template parameters, as {@code sam deploy --parameter-overrides} takes them
     * @param env the environment: the functions' variables, PORT, HOST, AWS_ENDPOINT_URL, OUTBOX_*
     */
    public record Options(
            Path root,
            Map<String, String> parameterOverrides,
            Function<String, String> env,
            PrintStream console,
            Chaos chaos) {
        public Options(
                Path root, Map<String, String> parameterOverrides, Function<String, String> env, PrintStream console) {
            this(root, parameterOverrides, env, console, null);
        }
    }

    /** What the chaos harness changes in a local stack (null in normal use). */
    public interface Chaos {
        /** Where the worker dies: handed to every SendEmails instance. */
        Faults faults();

        /** Called with every batch the event source mapping receives, before the worker sees it. */
        void received(SqsClient sqs, String queueUrl, List<Message> messages);

        /** Queue attributes to set other than the template's (a shorter VisibilityTimeout). */
        Map<QueueAttributeName, String> queueOverrides();
    }

    private final PrintStream console;
    private final List<AutoCloseable> open = new ArrayList<>();
    private URI baseUrl;
    private Outbox outbox;
    private StackResources resources;
    private Backend backend;
    private String emulator;

    private LocalRunner(Options options) throws IOException, InterruptedException {
        this.console = options.console();
        try {
            build(options);
        } catch (IOException | InterruptedException | RuntimeException e) {
            close(); // no emulator process left behind
            throw e;
        }
    }

    private void build(Options options) throws IOException, InterruptedException {
        Function<String, String> env = options.env();
        Path root = options.root();
        Path logDir = root.resolve("infrastructure/target/local");
        Files.createDirectories(logDir);

        String endpoint = env.apply("AWS_ENDPOINT_URL");
        Backend backend;
        if (endpoint == null || endpoint.isBlank()) {
            MotoServer moto = MotoServer.start(root, logDir.resolve("moto.log"));
            open.add(moto);
            backend = new Backend("moto", moto.endpoint());
            emulator = "moto server " + moto.endpoint() + " (pid " + moto.pid() + ", log "
                    + root.relativize(logDir.resolve("moto.log")) + ")";
        } else {
            backend = new Backend("external", URI.create(endpoint.trim()));
            emulator = "the emulator at " + endpoint.trim() + " (AWS_ENDPOINT_URL)";
        }
        DynamoDbClient dynamo = backend.dynamo();
        SqsClient sqs = backend.sqs();

        Template template = Template.read(root.resolve("template.yaml"), options.parameterOverrides());
        String stack = orDefault(env.apply("STACK_NAME"), "mailbatch-local");
        template.bind("AWS::StackName", stack);
        this.backend = backend;
        this.resources = StackResources.create(
                template,
                dynamo,
                sqs,
                stack,
                options.chaos() == null ? Map.of() : options.chaos().queueOverrides());

        String host = orDefault(env.apply("HOST"), "127.0.0.1");
        int port = Integer.parseInt(orDefault(env.apply("PORT"), "3000"));
        PrintStream functionLog =
                new PrintStream(Files.newOutputStream(logDir.resolve("functions.log")), true, "UTF-8");
        open.add(functionLog);
        LocalContext.LogSink logs = (function, level, message) -> {
            String line = time() + " [" + function + "] " + level + " " + message;
            functionLog.println(line);
            if (level == LogLevel.WARN || level == LogLevel.ERROR || level == LogLevel.FATAL) {
                console.println(line);
            }
        };
        LocalServer server;
        try {
            server = new LocalServer(
                    new InetSocketAddress(host, port), root.resolve("infrastructure/web/public"), console::println);
        } catch (java.net.BindException e) {
            throw new IllegalStateException("port " + port + " on " + host + " is in use; set PORT to another one");
        }
        open.add(server);
        this.baseUrl = URI.create("http://" + (host.equals("127.0.0.1") || host.equals("0.0.0.0") ? "localhost" : host)
                + ":" + server.port());

        Map<String, Config> configs = new LinkedHashMap<>();
        Map<String, String> handlers = new LinkedHashMap<>();
        template.resources().forEach((id, resource) -> {
            if ("AWS::Serverless::Function".equals(Template.map(resource).get("Type"))) {
                configs.put(id, Config.from(functionEnvironment(template, id, env, server.providerUrl())::get));
                handlers.put(id, String.valueOf(template.property(id, "Handler")));
            }
        });
        Clock clock = Clock.systemUTC();
        Map<String, RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse>> httpFunctions =
                new LinkedHashMap<>();
        SqsEventSourceSpec worker = null;
        for (var entry : handlers.entrySet()) {
            String id = entry.getKey();
            Config config = configs.get(id);
            switch (entry.getValue()) {
                case "dev.mailbatch.api.SubmitBatchHandler::handleRequest" ->
                    httpFunctions.put(id, new SubmitBatchHandler(config, dynamo, sqs, clock));
                case "dev.mailbatch.api.JobStatusHandler::handleRequest" ->
                    httpFunctions.put(id, new JobStatusHandler(config, dynamo, clock));
                case "dev.mailbatch.api.CancelJobHandler::handleRequest" ->
                    httpFunctions.put(id, new CancelJobHandler(config, dynamo, clock));
                case "dev.mailbatch.worker.SendEmailsHandler::handleRequest" -> {
                    if (config.sender() == Config.SenderKind.SES) {
                        verifySenders(backend, config);
                    }
                    Faults faults = options.chaos() == null
                            ? Faults.NONE
                            : options.chaos().faults();
                    worker = new SqsEventSourceSpec(
                            id,
                            () -> new SendEmailsHandler(
                                    config, dynamo, sqs, Senders.create(config, backend::ses), faults));
                }
                default ->
                    throw new IllegalStateException("template.yaml's " + id + " has handler " + entry.getValue()
                            + ", which the local runner does not know; add it to LocalRunner");
            }
        }
        ApiRoutes routes = ApiRoutes.from(template);
        for (ApiRoutes.Route route : routes.routes()) {
            if (!httpFunctions.containsKey(route.functionId())) {
                throw new IllegalStateException(
                        "route " + route.key() + " goes to " + route.functionId() + ", which is not an HTTP function");
            }
        }
        if (worker == null) {
            throw new IllegalStateException("template.yaml has no SendEmails function");
        }
        EventSourceMapping mapping = mapping(template, worker, sqs, logs, options.chaos());
        open.add(mapping); // closed in reverse: in-flight invocations finish while the emulator still runs

        this.outbox = new Outbox(Outbox.Sink.fromEnvironment(env));
        server.start(new ApiGateway(routes, httpFunctions::get, logs), outbox);
        mapping.start();
    }

    private record SqsEventSourceSpec(
            String functionId, java.util.function.Supplier<RequestHandler<SQSEvent, SQSBatchResponse>> handlers) {}

    /** The worker's event source mapping, as the template declares it. */
    private EventSourceMapping mapping(
            Template template, SqsEventSourceSpec worker, SqsClient sqs, LocalContext.LogSink logs, Chaos chaos) {
        Object events = Template.map(Template.map(template.resources().get(worker.functionId()))
                        .get("Properties"))
                .get("Events");
        for (Object event : Template.map(events).values()) {
            Map<String, Object> e = Template.map(event);
            if (!"SQS".equals(e.get("Type"))) {
                continue;
            }
            Map<String, Object> p = Template.map(template.resolve(e.get("Properties")));
            if (!resources.queueArn().equals(p.get("Queue"))) {
                throw new IllegalStateException(
                        worker.functionId() + " reads a queue other than WorkQueue: " + p.get("Queue"));
            }
            int batchSize = Integer.parseInt(String.valueOf(p.getOrDefault("BatchSize", 10)));
            int window = Integer.parseInt(String.valueOf(p.getOrDefault("MaximumBatchingWindowInSeconds", 0)));
            int concurrency = Integer.parseInt(
                    String.valueOf(Template.map(p.get("ScalingConfig")).getOrDefault("MaximumConcurrency", 2)));
            Object types = p.getOrDefault("FunctionResponseTypes", List.of());
            boolean partial = types instanceof List<?> l && l.contains("ReportBatchItemFailures");
            Object own = template.property(worker.functionId(), "Timeout");
            int timeoutSeconds = Integer.parseInt(String.valueOf(
                    own != null ? own : template.globals("Function").getOrDefault("Timeout", 3)));
            List<SqsEventSource> environments = new ArrayList<>();
            for (int i = 0; i < concurrency; i++) {
                RequestHandler<SQSEvent, SQSBatchResponse> handler =
                        worker.handlers().get();
                SqsEventSource source = new SqsEventSource(
                        sqs,
                        resources.queueUrl(),
                        resources.queueArn(),
                        batchSize,
                        Duration.ofSeconds(timeoutSeconds),
                        partial,
                        handler,
                        () -> new LocalContext("SendEmails", timeoutSeconds, logs));
                if (chaos != null) {
                    source.onReceive(messages -> chaos.received(sqs, resources.queueUrl(), messages));
                }
                environments.add(source);
            }
            console.println("mailbatch local: worker mapping BatchSize " + batchSize + ", window " + window
                    + " s, MaximumConcurrency " + concurrency + ", Timeout " + timeoutSeconds + " s"
                    + (partial ? ", ReportBatchItemFailures" : ""));
            return new EventSourceMapping(
                    environments, Duration.ofSeconds(window), line -> console.println(time() + " " + line));
        }
        throw new IllegalStateException(worker.functionId() + " has no SQS event in template.yaml");
    }

    /** A function's environment: the template's, then the process environment's values of the same names. */
    static Map<String, String> functionEnvironment(
            Template template, String functionId, Function<String, String> env, String outboxUrl) {
        Map<String, String> result = new LinkedHashMap<>(template.environment(functionId));
        for (String name : Config.VARIABLES) {
            String value = env.apply(name);
            if (value != null && !name.equals("TABLE_NAME") && !name.equals("QUEUE_URL")) {
                result.put(name, value);
            }
        }
        if (!"ses".equalsIgnoreCase(result.getOrDefault("SENDER", "http"))
                && result.getOrDefault("PROVIDER_URL", "").isBlank()) {
            result.put("PROVIDER_URL", outboxUrl);
        }
        if (result.getOrDefault("DEFAULT_FROM", "").isBlank()) {
            result.put("DEFAULT_FROM", LOCAL_FROM);
        }
        return result;
    }

    private static void verifySenders(Backend backend, Config config) {
        var ses = backend.ses();
        List<String> senders = new ArrayList<>(config.allowedFrom());
        if (!config.defaultFrom().isEmpty()) {
            senders.add(config.defaultFrom());
        }
        senders.forEach(address -> ses.createEmailIdentity(r -> r.emailIdentity(address)));
    }

    public URI baseUrl() {
        return baseUrl;
    }

    public Outbox outbox() {
        return outbox;
    }

    /** The queue, dead-letter queue and table. */
    public StackResources resources() {
        return resources;
    }

    /** The AWS-API emulator the stack runs on. */
    public Backend backend() {
        return backend;
    }

    /** Starts everything and prints where it is. */
    public static LocalRunner start(Options options) throws IOException, InterruptedException {
        LocalRunner runner = new LocalRunner(options);
        try {
            runner.banner();
            return runner;
        } catch (RuntimeException e) {
            runner.close();
            throw e;
        }
    }

    private void banner() {
        console.println("""
                mailbatch local is running
                  web page   %1$s/
                  API        POST %1$s/emails, GET|DELETE %1$s/emails/{jobId}
                  outbox     %1$s/_local/outbox   (PUT %1$s/_local/sink to slow it down or make it fail)
                  AWS APIs   %2$s
                  queue %3$s, table %4$s; function logs in infrastructure/target/local/functions.log
                  redrive    AWS_ENDPOINT_URL=%6$s infrastructure/bin/redrive %5$s %3$s
                Ctrl-C stops everything.""".formatted(
                baseUrl, emulator, resources.queueUrl(), resources.table(), resources.dlqUrl(), backend.endpoint()));
    }

    @Override
    public void close() {
        for (AutoCloseable resource : open.reversed()) {
            try {
                resource.close();
            } catch (Exception e) {
                console.println(
                        "mailbatch local: while stopping " + resource.getClass().getSimpleName() + ": " + e);
            }
        }
        open.clear();
    }

    private static String time() {
        return LocalTime.now().format(CLOCK);
    }

    private static String orDefault(String value, String fallback) {
        return value == null || value.isBlank() ? fallback : value.trim();
    }

    /** {@code java dev.mailbatch.local.LocalRunner [Parameter=Value ...]}; see the README. */
    public static void main(String[] args) throws Exception {
        Map<String, String> overrides = new LinkedHashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                System.err.println("usage: run [TemplateParameter=Value ...]   (e.g. WorkerMaxConcurrency=10)");
                System.exit(2);
            }
            overrides.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        Path root = Path.of(System.getProperty("mailbatch.root", "."))
                .toAbsolutePath()
                .normalize();
        LocalRunner runner;
        try {
            runner = start(new Options(root, overrides, System::getenv, System.out));
        } catch (IllegalStateException | IllegalArgumentException e) {
            System.err.println("mailbatch local: " + e.getMessage());
            System.exit(1);
            return;
        }
        Thread main = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("\nmailbatch local: stopping");
            runner.close();
            System.out.println(
                    "mailbatch local: stopped; port " + runner.baseUrl().getPort() + " is free");
            main.interrupt();
        }));
        try {
            Thread.currentThread().join();
        } catch (InterruptedException stopping) {
            // the shutdown hook closed everything
        }
    }
}
