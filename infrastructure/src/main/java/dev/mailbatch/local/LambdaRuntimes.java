package dev.mailbatch.local;

import dev.mailbatch.config.Json;
import dev.mailbatch.local.lambda.HelloHandler;
import dev.mailbatch.local.lambda.LambdaEvents;
import dev.mailbatch.local.lambda.LambdaRuntime;
import dev.mailbatch.local.lambda.LocalFunctions;
import dev.mailbatch.local.template.Template;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Every function of a {@code sam build} output run through the real Lambda runtime
 * ({@link LambdaRuntime}) against a local stack on moto: packaging, the handler's constructor,
 * and the runtime's own event and response serialisation, as Lambda runs them. Also what the
 * benchmark measures there: each function's cold start (the emulator started, then init and the
 * first invocation) against a hello-world handler's, and the worker's memory with its sends in
 * flight against idle.
 *
 * <p>{@code infrastructure/bin/lambda-runtime --build-dir DIR}: invokes each function once and
 * fails unless each answers as it should (the test command runs it on its {@code sam build}).
 */
public final class LambdaRuntimes {
    private static final Duration INVOKE_TIMEOUT = Duration.ofSeconds(60);

    /** One function of the template: its logical id, handler and memory. */
    public record Fn(String id, String handler, int memoryMb) {}

    /** One cold start: the emulator started, init and the first invocation answered. */
    public record ColdStart(String function, double millis, int status) {}

    private final Path root;
    private final Path buildDir;
    private final Path logDir;
    private final LocalRunner stack;
    private final RuntimeEvents events;
    /** The template's functions, read once. */
    private final List<Fn> functions;

    private LambdaRuntimes(Path root, Path buildDir, Path logDir, LocalRunner stack) {
        this.root = root;
        this.buildDir = buildDir;
        this.logDir = logDir;
        this.stack = stack;
        this.events = new RuntimeEvents(stack);
        this.functions = functions(root);
    }

    public static void main(String[] args) throws Exception {
        List<String> list = Arrays.asList(args);
        int at = list.indexOf("--build-dir");
        if (at < 0 || at + 1 >= list.size()) {
            System.err.println("usage: lambda-runtime --build-dir <sam build output>");
            System.exit(2);
            return;
        }
        Path root = Path.of(System.getProperty("mailbatch.root", "."))
                .toAbsolutePath()
                .normalize();
        Path buildDir = Path.of(list.get(at + 1)).toAbsolutePath();
        List<String> failures = new ArrayList<>();
        try (Session session = open(root, buildDir, null, 0)) {
            for (ColdStart c : session.runtimes().coldStarts(1, failures)) {
                System.out.printf(
                        "lambda-runtime: %-22s answered %d, cold start (init + first invocation) %5.0f ms%n",
                        c.function(), c.status(), c.millis());
            }
        }
        if (!failures.isEmpty()) {
            failures.forEach(f -> System.err.println("lambda-runtime: " + f));
            System.exit(1);
        }
        System.out.println("lambda-runtime: every function of " + buildDir + " ran through aws-lambda-rie");
    }

    /** A local stack (its own moto) and the runtimes' harness on it; closes both. */
    public record Session(LambdaRuntimes runtimes, OutputStream console) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            runtimes.stack.close();
            console.close();
        }
    }

    /**
     * @param emulator a running moto server to use (null: the stack starts its own)
     * @param outboxLatencyMs how long the local outbox takes per email (the worker's sends in flight)
     */
    public static Session open(Path root, Path buildDir, java.net.URI emulator, int outboxLatencyMs)
            throws IOException, InterruptedException {
        Path logDir = root.resolve("infrastructure/target/lambda-runtime-logs");
        Files.createDirectories(logDir);
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PORT", "0");
        if (emulator != null) {
            env.put("AWS_ENDPOINT_URL", emulator.toString());
        }
        env.put("STACK_NAME", "rie-" + UUID.randomUUID().toString().substring(0, 8));
        env.put("LOCAL_LOG_DIR", logDir.resolve("stack").toString());
        env.put("OUTBOX_LATENCY_MS", Integer.toString(outboxLatencyMs));
        OutputStream console = Files.newOutputStream(logDir.resolve("stack.log"));
        LocalRunner stack = LocalRunner.start(new LocalRunner.Options(
                root,
                Map.of("QuotaOpenJobs", "1000"),
                env::get,
                new PrintStream(console, true, StandardCharsets.UTF_8)));
        return new Session(new LambdaRuntimes(root, buildDir, logDir, stack), console);
    }

    /** The template's functions: each one's handler and memory (its own MemorySize, else the Globals'). */
    public static List<Fn> functions(Path root) {
        Template template = Template.read(root.resolve("template.yaml"), Map.of());
        Object global = template.globals("Function").get("MemorySize");
        List<Fn> functions = new ArrayList<>();
        template.resources().forEach((id, resource) -> {
            Map<String, Object> r = Template.map(resource);
            if ("AWS::Serverless::Function".equals(r.get("Type"))) {
                Map<String, Object> properties = Template.map(r.get("Properties"));
                Object mb = properties.getOrDefault("MemorySize", global);
                functions.add(new Fn(
                        id,
                        String.valueOf(properties.get("Handler")),
                        mb == null ? 128 : Integer.parseInt(String.valueOf(mb))));
            }
        });
        return functions;
    }

    /**
     * Each function's cold start, {@code runs} times (a new emulator and JVM each time), and a
     * hello-world handler's first; an answer that is not what the function should answer is a
     * failure.
     */
    public List<ColdStart> coldStarts(int runs, List<String> failures) throws IOException, InterruptedException {
        List<ColdStart> all = new ArrayList<>();
        Fn any = functions.getFirst();
        for (int run = 0; run < runs; run++) {
            all.add(hello(any.memoryMb(), run));
            for (Fn fn : functions) {
                String event = events.of(fn);
                try (LambdaRuntime runtime = start(fn, "cold-" + run)) {
                    LambdaRuntime.Answer answer = runtime.invoke(event, INVOKE_TIMEOUT);
                    RuntimeEvents.check(fn, answer, failures);
                    all.add(new ColdStart(fn.id(), answer.atNanos() / 1e6, answer.status()));
                }
            }
        }
        return all;
    }

    private ColdStart hello(int memoryMb, int run) throws IOException, InterruptedException {
        Path dir = Files.createDirectories(
                logDir.resolve("hello/" + HelloHandler.class.getPackageName().replace('.', '/')));
        try (InputStream code = HelloHandler.class.getResourceAsStream(HelloHandler.class.getSimpleName() + ".class")) {
            Files.copy(
                    code,
                    dir.resolve(HelloHandler.class.getSimpleName() + ".class"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        List<Path> classpath = new ArrayList<>(List.of(logDir.resolve("hello")));
        classpath.add(lib(functions.getFirst()).stream()
                .filter(p -> p.getFileName().toString().contains("aws-lambda-java-core-"))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no aws-lambda-java-core in the sam build output")));
        try (LambdaRuntime runtime = LambdaRuntime.start(
                root,
                classpath,
                HelloHandler.class.getName() + "::handleRequest",
                memoryMb,
                Map.of(),
                logDir.resolve("hello-" + run + ".log"))) {
            LambdaRuntime.Answer answer = runtime.invoke("{\"name\":\"world\"}", INVOKE_TIMEOUT);
            return new ColdStart("hello world", answer.atNanos() / 1e6, answer.status());
        }
    }

    /**
     * The worker's resident memory while {@code chunks} chunks of {@code size} recipients are
     * being sent (sampled every 50 ms; the highest), and after a first, empty invocation (idle).
     *
     * @return {idle KiB, busy KiB}
     */
    public long[] workerMemory(int chunks, int size) throws IOException, InterruptedException {
        Fn worker = functions.stream()
                .filter(f -> f.handler().contains("SendEmails"))
                .findFirst()
                .orElseThrow();
        try (LambdaRuntime runtime = start(worker, "memory")) {
            runtime.invoke(LambdaEvents.toJson(events.sqs(List.of())), INVOKE_TIMEOUT);
            long idle = runtime.rssKb();
            String event = LambdaEvents.toJson(events.sqs(events.enqueuedJob(chunks * size, size)));
            long[] busy = {0};
            Thread sampler = Thread.ofVirtual().start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    busy[0] = Math.max(busy[0], runtime.rssKb());
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            LambdaRuntime.Answer answer = runtime.invoke(event, INVOKE_TIMEOUT);
            sampler.interrupt();
            sampler.join();
            if (answer.status() != 200
                    || !Json.MAPPER
                            .readTree(answer.body())
                            .path("batchItemFailures")
                            .isEmpty()) {
                throw new IllegalStateException("the worker did not send every chunk: " + answer.body());
            }
            return new long[] {idle, busy[0]};
        }
    }

    private LambdaRuntime start(Fn fn, String name) throws IOException {
        LocalFunctions.LocalFunction local = stack.functions().stream()
                .filter(f -> f.id().equals(fn.id()))
                .findFirst()
                .orElseThrow();
        Map<String, String> env = new LinkedHashMap<>(local.environment());
        env.put("AWS_ENDPOINT_URL", stack.backend().endpoint().toString());
        env.put("AWS_LAMBDA_FUNCTION_NAME", fn.id());
        // the role's keys, as Lambda hands an execution environment its role's credentials
        var keys = stack.functionBackend(fn.id()).credentials().resolveCredentials();
        env.put("AWS_ACCESS_KEY_ID", keys.accessKeyId());
        env.put("AWS_SECRET_ACCESS_KEY", keys.secretAccessKey());
        if (keys instanceof software.amazon.awssdk.auth.credentials.AwsSessionCredentials session) {
            env.put("AWS_SESSION_TOKEN", session.sessionToken());
        }
        List<Path> classpath = new ArrayList<>(List.of(buildDir.resolve(fn.id())));
        classpath.addAll(lib(fn));
        return LambdaRuntime.start(
                root, classpath, fn.handler(), fn.memoryMb(), env, logDir.resolve(fn.id() + "-" + name + ".log"));
    }

    private List<Path> lib(Fn fn) throws IOException {
        Path lib = buildDir.resolve(fn.id()).resolve("lib");
        if (!Files.isDirectory(lib)) {
            throw new IllegalStateException("no " + lib + ": is " + buildDir + " a sam build output?");
        }
        try (Stream<Path> jars = Files.list(lib)) {
            return jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
        }
    }
}
