package dev.mailbatch.local;

import dev.mailbatch.local.apigateway.ApiGateway;
import dev.mailbatch.local.apigateway.ApiRoutes;
import dev.mailbatch.local.apigateway.JwtAuthorizer;
import dev.mailbatch.local.emulator.Backend;
import dev.mailbatch.local.emulator.MotoServer;
import dev.mailbatch.local.emulator.StackResources;
import dev.mailbatch.local.iam.FunctionRoles;
import dev.mailbatch.local.issuer.LocalIssuer;
import dev.mailbatch.local.lambda.LocalContext;
import dev.mailbatch.local.lambda.LocalFunctions;
import dev.mailbatch.local.outbox.Outbox;
import dev.mailbatch.local.template.Template;
import dev.mailbatch.worker.Faults;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
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
     * @param env the environment: the functions' variables, PORT, HOST, AWS_ENDPOINT_URL, OUTBOX_*,
     *     LOCAL_LOG_DIR (default infrastructure/target/local)
     */
    public record Options(
            Path root,
            Map<String, String> parameterOverrides,
            Function<String, String> env,
            PrintStream console,
            Harness harness) {
        public Options(
                Path root, Map<String, String> parameterOverrides, Function<String, String> env, PrintStream console) {
            this(root, parameterOverrides, env, console, Harness.NONE);
        }
    }

    /**
     * What a harness changes in, or watches of, a local stack ({@link #NONE} in normal use): the
     * chaos harness's faults, the benchmark's meter.
     */
    public interface Harness {
        Harness NONE = new Harness() {};

        /** Where the worker dies: handed to every SendEmails instance. */
        default Faults faults() {
            return Faults.NONE;
        }

        /** Called with every batch the event source mapping receives, before the worker sees it. */
        default void received(SqsClient sqs, String queueUrl, List<Message> messages) {}

        /** Queue attributes to set other than the template's (a shorter VisibilityTimeout). */
        default Map<QueueAttributeName, String> queueOverrides() {
            return Map.of();
        }

        /**
         * The worker's Timeout in seconds instead of the template's, or 0 for the template's: a
         * harness with a shorter visibility timeout keeps the timeout under it, as the template
         * keeps 60 s under 360 s (a killed invocation's claims end before its batch comes back).
         */
        default int workerTimeoutSeconds() {
            return 0;
        }

        /**
         * The emulator as the functions reach it (through a faulty network, with store faults);
         * the event source mapping, which stands in for Lambda's poller, keeps {@code backend}.
         */
        public default Backend functions(Backend backend) {
            return backend;
        }

        /** The emulator as the event source mapping reaches it (on AWS its calls are billed SQS requests). */
        default Backend poller(Backend backend) {
            return backend;
        }

        /** Called after every invocation of a function with how long its handler ran. */
        default void invoked(String functionId, Duration took) {}

        /**
         * Called with every answer to a request that matched one of the API's routes (the
         * authorizer's refusals included), as the caller gets it: the contract checks of the ITs.
         */
        default void answered(String method, String routePath, ApiGateway.Answer answer) {}
    }

    private final PrintStream console;
    private final List<AutoCloseable> open = new ArrayList<>();
    private URI baseUrl;
    private Outbox outbox;
    private StackResources resources;
    private Backend backend;
    private String emulator;
    private String issuerUrl;
    private LocalIssuer issuer;
    private List<LocalFunctions.LocalFunction> functions = List.of();
    private FunctionRoles roles;
    private String stackName;
    /** The operator's keys where this runner turned moto's IAM enforcement on (for the banner), or null. */
    private String[] operatorKeys;
    /** LOCAL_IAM: off runs moto without IAM enforcement (the functions' calls are still checked). */
    private String iamSetting;

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
        Path logDir = env.apply("LOCAL_LOG_DIR") == null
                ? options.root().resolve("infrastructure/target/local")
                : Path.of(env.apply("LOCAL_LOG_DIR"));
        Files.createDirectories(logDir);
        this.iamSetting = env.apply("LOCAL_IAM");
        this.backend = startEmulator(options.root(), env.apply("AWS_ENDPOINT_URL"), logDir);
        String stack = orDefault(env.apply("STACK_NAME"), "mailbatch-local");
        this.stackName = stack;
        LocalParameters parameters = LocalParameters.resolve(options.parameterOverrides(), env, stack, backend);
        parameters.issuer().ifPresent(open::add);
        this.issuer = parameters.issuer().orElse(null);
        // what CloudFormation would refuse, the local stack refuses (a parameter out of its range, a rule)
        Template template = Template.read(options.root().resolve("template.yaml"), parameters.values())
                .check();
        template.bind("AWS::StackName", stack);
        this.resources = StackResources.create(
                template,
                backend.dynamo(),
                backend.sqs(),
                stack,
                options.harness().queueOverrides());
        FunctionLog logs = new FunctionLog(logDir.resolve("functions.log"), console);
        open.add(logs);
        LocalServer server = LocalServer.listen(
                orDefault(env.apply("HOST"), "127.0.0.1"),
                Integer.parseInt(orDefault(env.apply("PORT"), "3000")),
                options.root().resolve("infrastructure/web/public"),
                console::println);
        open.add(server);
        this.baseUrl = server.baseUrl();

        StackFunctions stackFunctions = StackFunctions.build(
                template,
                options,
                stack,
                backend,
                resources,
                server.providerUrl(),
                logs,
                line -> console.println(time() + " " + line));
        this.functions = stackFunctions.functions();
        this.roles = stackFunctions.roles();
        open.add(
                stackFunctions
                        .mapping()); // closed in reverse: in-flight invocations finish while the emulator still runs
        this.outbox = new Outbox(Outbox.Sink.fromEnvironment(env));
        startApi(template, stackFunctions, server, logs, options.harness());
        stackFunctions.mapping().start();
    }

    /**
     * Serves the template's routes through the API Gateway stand-in, with its JWT authorizer (the
     * issuer's keys found through discovery) and, with the local issuer, the token endpoint.
     */
    private void startApi(
            Template template,
            StackFunctions stackFunctions,
            LocalServer server,
            LocalContext.LogSink logs,
            Harness harness) {
        ApiRoutes routes = stackFunctions.routes(template);
        JwtAuthorizer authorizer = routes.jwt()
                .map(jwt -> JwtAuthorizer.discover(jwt.issuer(), jwt.audiences()))
                .orElse(null);
        LocalIssuer mint = issuer;
        String audience = routes.jwt().map(jwt -> jwt.audiences().getFirst()).orElse("");
        server.start(
                new ApiGateway(routes, stackFunctions.http()::get, logs, authorizer, harness::answered),
                outbox,
                mint == null ? null : (subject, scopes, ttl) -> mint.token(subject, audience, scopes, ttl));
        this.issuerUrl = routes.jwt().map(ApiRoutes.JwtAuth::issuer).orElse("none");
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
        if (!"off".equalsIgnoreCase(iamSetting)) {
            operatorKeys = moto.enforceIam(); // as AWS: every call signed, each function's role enforced
        }
        return new Backend("moto", moto.endpoint());
    }

    public URI baseUrl() {
        return baseUrl;
    }

    public Outbox outbox() {
        return outbox;
    }

    /** The functions as this stack runs them: each one's environment (the table, queue, outbox). */
    public List<LocalFunctions.LocalFunction> functions() {
        return functions;
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
        console.println(Banner.text(baseUrl, emulator, resources, backend, issuerUrl, operatorKeys));
    }

    /** The emulator as one of the stack's functions reaches it: under its role, every call checked. */
    public Backend functionBackend(String functionId) {
        return roles.backend(functionId);
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

    static String time() {
        return LocalTime.now().format(CLOCK);
    }

    private static String orDefault(String value, String fallback) {
        return value == null || value.isBlank() ? fallback : value.trim();
    }
}
