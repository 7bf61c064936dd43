package dev.mailbatch.bench;

import dev.mailbatch.config.Json;
import dev.mailbatch.local.LambdaRuntimes;
import dev.mailbatch.local.LocalApi;
import dev.mailbatch.local.LocalRunner;
import dev.mailbatch.local.LocalServer;
import dev.mailbatch.local.emulator.Backend;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Mailbatch on the local stack, as the benchmark drives it: a fresh stack per measurement on the
 * shared moto server (a stack name of its own, its outbox at a latency and failure rate, the
 * plan's worker instances and sends per worker), a signed-in submit, and the wait for a job to
 * drain: through the API, or, when the AWS calls are metered ({@link CostMeter}), by reading the
 * job item with a client of its own, which is not counted.
 */
final class Stacks {
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration LIMIT = Duration.ofMinutes(30);

    private final Path root;
    private final Plan plan;
    private final URI emulator;
    private final Path logDir;
    private int opened;

    Stacks(Path root, Plan plan, URI emulator, Path logDir) {
        this.root = root;
        this.plan = plan;
        this.emulator = emulator;
        this.logDir = logDir;
    }

    Path root() {
        return root;
    }

    URI emulator() {
        return emulator;
    }

    /** A running stack and its signed-in API. */
    record Stack(LocalRunner runner, LocalApi api, OutputStream console) implements AutoCloseable {
        /** The stack's outbox, the provider every system of a measurement sends to. */
        String outbox() {
            return "http://127.0.0.1:" + runner.baseUrl().getPort() + LocalServer.PROVIDER_PATH;
        }

        @Override
        public void close() throws IOException {
            runner.close();
            console.close();
        }
    }

    /** A local stack of its own on the shared moto, its outbox at {@code latencyMs}. */
    Stack open(String name, int latencyMs, double failureRate, int workers) throws Exception {
        return open(name, latencyMs, failureRate, workers, LocalRunner.Harness.NONE);
    }

    private Stack open(String name, int latencyMs, double failureRate, int workers, LocalRunner.Harness harness)
            throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("AWS_ENDPOINT_URL", emulator.toString());
        env.put("PORT", "0");
        env.put("STACK_NAME", "bench-" + name + "-" + (++opened));
        env.put("OUTBOX_LATENCY_MS", Integer.toString(latencyMs));
        env.put("OUTBOX_FAILURE_RATE", Double.toString(failureRate));
        env.put("LOCAL_LOG_DIR", logDir.resolve(name).toString());
        env.put("SEND_CONCURRENCY", Integer.toString(plan.sendConcurrency()));
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("WorkerMaxConcurrency", Integer.toString(workers));
        parameters.put("SendConcurrency", Integer.toString(plan.sendConcurrency()));
        parameters.put("MaxSendRate", "100000"); // the outbox takes any rate
        parameters.put("QuotaOpenJobs", "1000");
        parameters.put("QuotaRecipientsPerDay", "100000000");
        if (plan.quick()) { // a check of the harness: a flapping provider's retries must not take minutes
            parameters.put("RetryBaseSeconds", "1");
            parameters.put("RetryMaxSeconds", "2");
        }
        OutputStream console = Files.newOutputStream(logDir.resolve(name + ".log"));
        LocalRunner runner = LocalRunner.start(new LocalRunner.Options(
                root, parameters, env::get, new PrintStream(console, true, StandardCharsets.UTF_8), harness));
        return new Stack(runner, LocalApi.signIn(runner.baseUrl(), "bench"), console);
    }

    /** Submits one job of {@code n} recipients and waits until nothing is pending; its makespan in seconds. */
    static double drain(Stack stack, String name, int n) throws InterruptedException {
        long start = System.nanoTime();
        String id = submit(stack.api(), n, name);
        await(name, () -> stack.api().getJson("/emails/" + id).path("pending").asLong(-1) == 0);
        return (System.nanoTime() - start) / 1e9;
    }

    static String submit(LocalApi api, int n, String name) {
        return submit(api, n, name, "hello");
    }

    private static String submit(LocalApi api, int n, String name, String text) {
        List<String> to = IntStream.range(0, n)
                .mapToObj(i -> name + "-" + i + "@bench.example")
                .toList();
        HttpResponse<String> response =
                api.send(HttpRequest.newBuilder(api.base().resolve("/emails"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                Json.write(Map.of("emails", to, "subject", "bench", "text", text)))));
        if (response.statusCode() != 202) {
            throw new IllegalStateException("bench: submit answered " + response.statusCode() + " " + response.body());
        }
        return LocalApi.readJson(response.body()).path("jobId").asText();
    }

    /**
     * A drain of {@code n} emails whose content is {@code kib} KiB, every AWS call of the functions
     * and of the event source mapping counted ({@link CostMeter}), and the functions' handler
     * time; the wait reads the job item with a client of its own (not counted).
     */
    BenchCost.Priced costed(String name, int n, int latencyMs, int workers, int kib, PrintStream out) throws Exception {
        CostMeter meter = new CostMeter();
        Map<String, Integer> memory = functionMemory();
        LocalRunner.Harness metered = new LocalRunner.Harness() {
            @Override
            public Backend functions(Backend backend) {
                return backend.via(backend.endpoint(), List.of(meter));
            }

            @Override
            public Backend poller(Backend backend) {
                return backend.via(backend.endpoint(), List.of(meter));
            }

            @Override
            public void invoked(String functionId, Duration took) {
                meter.invoked(took, memory.getOrDefault(functionId, 128));
            }
        };
        try (Stack stack = open(name, latencyMs, 0, workers, metered)) {
            long start = System.nanoTime();
            String id = submit(stack.api(), n, name, "x".repeat(kib * 1024));
            var dynamo = stack.runner().backend().dynamo();
            String table = stack.runner().resources().table();
            Map<String, AttributeValue> key =
                    Map.of("pk", AttributeValue.fromS("JOB#" + id), "sk", AttributeValue.fromS("JOB"));
            await(name, () -> {
                var job = dynamo.getItem(r -> r.tableName(table).key(key).consistentRead(true))
                        .item();
                return Stream.of("sent", "failed", "cancelled")
                                .mapToLong(k -> job.containsKey(k)
                                        ? Long.parseLong(job.get(k).n())
                                        : 0)
                                .sum()
                        == n;
            });
            out.printf("bench: %-10s %6d emails in %6.1f s (metered)%n", name, n, (System.nanoTime() - start) / 1e9);
            return new BenchCost.Priced(meter.counted(), n, 1);
        }
    }

    /** Each function's configured memory (MB), from template.yaml. */
    private Map<String, Integer> functionMemory() {
        Map<String, Integer> memory = new LinkedHashMap<>();
        LambdaRuntimes.functions(root).forEach(fn -> memory.put(fn.id(), fn.memoryMb()));
        return memory;
    }

    private static void await(String name, BooleanSupplier done) throws InterruptedException {
        Instant deadline = Instant.now().plus(LIMIT);
        while (!done.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("bench: " + name + " did not finish in 30 min");
            }
            Thread.sleep(POLL);
        }
    }
}
