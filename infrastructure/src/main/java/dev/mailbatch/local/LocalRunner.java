package dev.mailbatch.local;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import dev.mailbatch.worker.Faults;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
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
        Path logDir = options.root().resolve("infrastructure/target/local");
        Files.createDirectories(logDir);
        this.backend = startEmulator(options.root(), env.apply("AWS_ENDPOINT_URL"), logDir);
        SqsClient sqs = backend.sqs();
        Template template = Template.read(options.root().resolve("template.yaml"), options.parameterOverrides());
        String stack = orDefault(env.apply("STACK_NAME"), "mailbatch-local");
        template.bind("AWS::StackName", stack);
        this.resources = StackResources.create(
                template,
                backend.dynamo(),
                sqs,
                stack,
                options.chaos() == null ? Map.of() : options.chaos().queueOverrides());
        LocalContext.LogSink logs = functionLog(logDir);
        LocalServer server = startServer(options.root(), env);

        Faults faults = options.chaos() == null ? Faults.NONE : options.chaos().faults();
        Map<String, RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse>> httpFunctions =
                new LinkedHashMap<>();
        EventSourceMapping mapping = null;
        List<LocalFunctions.LocalFunction> functions = LocalFunctions.read(template, env, server.providerUrl());
        for (LocalFunctions.LocalFunction function : functions) {
            if (!WorkerMapping.hasSqsEvent(template, function.id())) {
                httpFunctions.put(function.id(), LocalFunctions.httpHandler(function, backend, faults));
                continue;
            }
            if ("ses".equalsIgnoreCase(function.environment().get("SENDER"))) {
                var ses = backend.ses();
                LocalFunctions.senderAddresses(functions)
                        .forEach(address -> ses.createEmailIdentity(r -> r.emailIdentity(address)));
            }
            mapping = WorkerMapping.create(
                    template,
                    function.id(),
                    resources,
                    sqs,
                    () -> LocalFunctions.sqsHandler(function, backend, faults),
                    logs,
                    options.chaos() == null
                            ? null
                            : messages -> options.chaos().received(sqs, resources.queueUrl(), messages),
                    console,
                    line -> console.println(time() + " " + line));
        }
        if (mapping == null) {
            throw new IllegalStateException("template.yaml has no function with an SQS event (the worker)");
        }
        open.add(mapping); // closed in reverse: in-flight invocations finish while the emulator still runs
        this.outbox = new Outbox(Outbox.Sink.fromEnvironment(env));
        server.start(new ApiGateway(httpRoutes(template, httpFunctions), httpFunctions::get, logs), outbox);
        mapping.start();
    }

    /** moto server, started here; or the emulator AWS_ENDPOINT_URL names. */
    private Backend startEmulator(Path root, String endpoint, Path logDir) throws IOException, InterruptedException {
        if (endpoint != null && !endpoint.isBlank()) {
            emulator = "the emulator at " + endpoint.trim() + " (AWS_ENDPOINT_URL)";
            return new Backend("external", URI.create(endpoint.trim()));
        }
        MotoServer moto = MotoServer.start(root, logDir.resolve("moto.log"));
        open.add(moto);
        emulator = "moto server " + moto.endpoint() + " (pid " + moto.pid() + ", log "
                + root.relativize(logDir.resolve("moto.log")) + ")";
        return new Backend("moto", moto.endpoint());
    }

    /** The functions' log: every line to functions.log, warnings and errors to the console too. */
    private LocalContext.LogSink functionLog(Path logDir) throws IOException {
        PrintStream functionLog =
                new PrintStream(Files.newOutputStream(logDir.resolve("functions.log")), true, "UTF-8");
        open.add(functionLog);
        return (function, level, message) -> {
            String line = time() + " [" + function + "] " + level + " " + message;
            functionLog.println(line);
            if (level == LogLevel.WARN || level == LogLevel.ERROR || level == LogLevel.FATAL) {
                console.println(line);
            }
        };
    }

    private LocalServer startServer(Path root, Function<String, String> env) throws IOException {
        String host = orDefault(env.apply("HOST"), "127.0.0.1");
        int port = Integer.parseInt(orDefault(env.apply("PORT"), "3000"));
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
        return server;
    }

    /** The template's HTTP API routes, each checked to go to an HTTP function. */
    private static ApiRoutes httpRoutes(Template template, Map<String, ?> httpFunctions) {
        ApiRoutes routes = ApiRoutes.from(template);
        for (ApiRoutes.Route route : routes.routes()) {
            if (!httpFunctions.containsKey(route.functionId())) {
                throw new IllegalStateException(
                        "route " + route.key() + " goes to " + route.functionId() + ", which is not an HTTP function");
            }
        }
        return routes;
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
