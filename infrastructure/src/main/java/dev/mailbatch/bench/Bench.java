package dev.mailbatch.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mailbatch.config.Json;
import dev.mailbatch.local.LambdaRuntimes;
import dev.mailbatch.local.LocalApi;
import dev.mailbatch.local.LocalRunner;
import dev.mailbatch.local.LocalServer;
import dev.mailbatch.local.emulator.Backend;
import dev.mailbatch.local.emulator.ChildProcesses;
import dev.mailbatch.local.emulator.MotoServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * The benchmark (infrastructure/bin/bench): mailbatch on the local stack against the design it
 * replaces, measured in the same run on the same outbox. Baselines: the original design (one
 * request loops over the addresses, one send after another) and the classic fix, Celery + Redis
 * (infrastructure/bench/celery_peer.py: one task per email, a thread pool of C). Prints one
 * table; the full run also writes it to docs/benchmarks.md with the machine, date and commit.
 *
 * <p>{@code --quick}: small sizes, a check that the harness works end to end (the test command
 * runs it), not a measurement.
 */
public final class Bench {
    private static final Duration POLL = Duration.ofMillis(100);

    /** What a run measures: sizes and the concurrencies to try. */
    record Plan(
            boolean quick,
            int n,
            int latencyMs,
            List<Integer> workers,
            int sendConcurrency,
            int flapN,
            List<Integer> submitSizes,
            int samples,
            int costN,
            int coldRuns,
            int memoryChunks) {
        static Plan fullRun() {
            return new Plan(
                    false, 5000, 200, List.of(5, 10, 20), 16, 1000, List.of(1, 100, 1000, 10_000), 10, 5000, 5, 10);
        }

        static Plan quickRun() {
            return new Plan(true, 200, 20, List.of(2), 4, 100, List.of(1, 100), 3, 100, 1, 1);
        }

        int concurrency(int w) {
            return w * sendConcurrency;
        }
    }

    private final Path root;
    private final Plan plan;
    private final URI emulator;
    private final int redisPort;
    private final PrintStream out;
    private final Path logDir;
    private final Path samBuild;
    private int stacks;

    private Bench(Path root, Plan plan, URI emulator, int redisPort, PrintStream out, Path samBuild) {
        this.root = root;
        this.samBuild = samBuild;
        this.plan = plan;
        this.emulator = emulator;
        this.redisPort = redisPort;
        this.out = out;
        this.logDir = root.resolve("infrastructure/target/bench");
    }

    /** One row of the table: each system's figure, and mailbatch's time ÷ Celery's. */
    record Row(String what, String mailbatch, String peer, String original, String ratio) {}

    public static void main(String[] args) throws Exception {
        boolean quick = Arrays.asList(args).contains("--quick");
        int at = Arrays.asList(args).indexOf("--sam-build");
        if (at < 0 || at + 1 >= args.length) {
            System.err.println(
                    "usage: bench [--quick] --sam-build <sam build output> (infrastructure/bin/bench passes it)");
            System.exit(2);
            return;
        }
        Path samBuild = Path.of(args[at + 1]).toAbsolutePath();
        Plan plan = quick ? Plan.quickRun() : Plan.fullRun();
        Path root = Path.of(System.getProperty("mailbatch.root", "."))
                .toAbsolutePath()
                .normalize();
        Path logDir = root.resolve("infrastructure/target/bench");
        Files.createDirectories(logDir);
        try (MotoServer moto = MotoServer.start(root, logDir.resolve("moto.log"));
                Redis redis = Redis.start(logDir.resolve("redis.log"))) {
            Runtime.getRuntime()
                    .addShutdownHook(new Thread(
                            () -> { // Ctrl-C: no emulator left behind
                                redis.close();
                                moto.close();
                            }));
            Bench bench = new Bench(root, plan, moto.endpoint(), redis.port, System.out, samBuild);
            List<Row> rows = bench.run();
            String table = table(rows);
            System.out.print(table);
            Path target = quick ? logDir.resolve("benchmarks.md") : root.resolve("docs/benchmarks.md");
            Files.writeString(target, bench.document(table));
            System.out.println("bench: written to " + root.relativize(target));
        }
    }

    private List<Row> run() throws Exception {
        List<Row> rows = new ArrayList<>();
        int n = plan.n();
        int l = plan.latencyMs();
        double ideal = (double) n * l / 1000;
        // The original design: one request sends every email, one after another (a 50-email sample).
        double loop = sequential(Math.min(50, n), l) * n / 1000;
        double loopFree = sequential(Math.min(50, n), 0) * n / 1000;

        // 1. Drain at each concurrency C: E = (N * L / C) / makespan, against Celery at the same C.
        double bestMailbatch = Double.MAX_VALUE;
        double bestPeer = Double.MAX_VALUE;
        for (int w : plan.workers()) {
            int c = plan.concurrency(w);
            Drain d = drain("drain-" + c, n, l, w, 0, c);
            bestMailbatch = Math.min(bestMailbatch, d.seconds());
            bestPeer = Math.min(bestPeer, d.peerSeconds());
            rows.add(new Row(
                    "drain N=%d, L=%d ms, C=%d: makespan (E)".formatted(n, l, c),
                    "%.1f s (E %.2f)".formatted(d.seconds(), ideal / c / d.seconds()),
                    "%.1f s (E %.2f)".formatted(d.peerSeconds(), ideal / c / d.peerSeconds()),
                    "%.1f s".formatted(loop),
                    "%.2f".formatted(d.seconds() / d.peerSeconds())));
        }
        rows.add(new Row(
                "drain, each at its best C of "
                        + plan.workers().stream().map(plan::concurrency).toList(),
                "%.1f s".formatted(bestMailbatch),
                "%.1f s".formatted(bestPeer),
                "%.1f s".formatted(loop),
                "%.2f".formatted(bestMailbatch / bestPeer)));

        // 2. System cost: L = 0.
        int w0 = plan.workers().getFirst();
        Drain free = drain("cost", n, 0, w0, 0, plan.concurrency(w0));
        rows.add(new Row(
                "system cost N=%d, L=0, C=%d: emails/s".formatted(n, plan.concurrency(w0)),
                "%.0f".formatted(n / free.seconds()),
                "%.0f".formatted(n / free.peerSeconds()),
                "%.0f".formatted(n / loopFree),
                "%.2f".formatted(free.seconds() / free.peerSeconds())));

        // 3. A flapping provider: 30 % of calls 503, L = 20 ms.
        Drain healthy = drain("healthy", plan.flapN(), 20, w0, 0, 0);
        Drain flapping = drain("flapping", plan.flapN(), 20, w0, 0.3, 0);
        rows.add(new Row(
                "flapping provider N=%d, 30 %% 503, L=20 ms: makespan ÷ healthy".formatted(plan.flapN()),
                "%.1f s ÷ %.1f s = %.1f"
                        .formatted(flapping.seconds(), healthy.seconds(), flapping.seconds() / healthy.seconds()),
                "",
                "",
                ""));

        // 4. Submit latency, with the outbox at 0 and at 1 s.
        Map<Integer, Map<Integer, double[]>> byLatency = new LinkedHashMap<>();
        for (int latency : List.of(0, 1000)) {
            byLatency.put(latency, submits("submit-" + latency, latency));
        }
        for (int size : plan.submitSizes()) {
            double[] fast = byLatency.get(0).get(size);
            double[] slow = byLatency.get(1000).get(size);
            rows.add(new Row(
                    "submit %,d recipients: p50 / p95, outbox at 0; at 1 s".formatted(size),
                    "%.0f / %.0f ms; %.0f / %.0f ms"
                            .formatted(
                                    percentile(fast, 50),
                                    percentile(fast, 95),
                                    percentile(slow, 50),
                                    percentile(slow, 95)),
                    "",
                    "",
                    ""));
        }

        // 5. Cost per 1,000 emails, from the work counted in this run, at 1 KiB and at 100 KiB of content.
        for (int kib : List.of(1, 100)) {
            BenchCost.Priced priced = costed("cost-" + kib + "k", plan.costN(), l, w0, kib);
            String what = "N=%,d, L=%d ms, %d KiB of content".formatted(plan.costN(), l, kib);
            rows.add(new Row("cost per 1,000 emails, " + what, priced.summary(), "", "", ""));
            rows.add(new Row("DynamoDB writes, " + what, priced.writes(), "", "", ""));
            rows.add(new Row(
                    "one job's ceiling on AWS (a partition's 1,000 WRU/s, 3,000 RRU/s), " + what,
                    priced.partition(),
                    "",
                    "",
                    ""));
            out.println("bench: " + what + ": AWS calls " + priced.calls());
        }

        // 6. Cold starts through the real Lambda runtime, and the worker's memory with sends in flight.
        rows.addAll(lambdaRuntime());
        return rows;
    }

    /**
     * Each function of the {@code sam build} output started cold under aws-lambda-rie
     * ({@link LambdaRuntimes}) {@link Plan#coldRuns()} times, against a hello-world handler; and
     * the worker's resident memory while {@link Plan#memoryChunks()} chunks of 50 are sent to an
     * outbox at {@link Plan#latencyMs()}, against idle.
     */
    private List<Row> lambdaRuntime() throws Exception {
        List<Row> rows = new ArrayList<>();
        try (LambdaRuntimes.Session session = LambdaRuntimes.open(root, samBuild, emulator, plan.latencyMs())) {
            List<String> failures = new ArrayList<>();
            List<LambdaRuntimes.ColdStart> starts = session.runtimes().coldStarts(plan.coldRuns(), failures);
            if (!failures.isEmpty()) {
                throw new IllegalStateException("bench: a function answered wrong under aws-lambda-rie: " + failures);
            }
            Map<String, double[]> byFunction = new LinkedHashMap<>();
            for (LambdaRuntimes.ColdStart c : starts) {
                double[] old = byFunction.getOrDefault(c.function(), new double[0]);
                double[] more = Arrays.copyOf(old, old.length + 1);
                more[old.length] = c.millis();
                byFunction.put(c.function(), more);
            }
            double hello = percentile(byFunction.get("hello world"), 50);
            byFunction.forEach((function, ms) -> {
                double median = percentile(ms, 50);
                out.printf("bench: cold start %-20s median %5.0f ms of %d%n", function, median, ms.length);
                if (!function.equals("hello world")) {
                    rows.add(new Row(
                            "cold start %s (init + first invocation, aws-lambda-rie, median of %d)"
                                    .formatted(function.replace("Function", ""), ms.length),
                            "%.0f ms = %.2f × hello world's %.0f ms".formatted(median, median / hello, hello),
                            "",
                            "",
                            ""));
                }
            });
            long[] memory = session.runtimes().workerMemory(plan.memoryChunks(), 50);
            rows.add(new Row(
                    "worker memory (RSS), %d chunks of 50 in flight at %d ms an email, ÷ idle"
                            .formatted(plan.memoryChunks(), plan.latencyMs()),
                    "%.0f MiB ÷ %.0f MiB = %.2f"
                            .formatted(memory[1] / 1024.0, memory[0] / 1024.0, (double) memory[1] / memory[0]),
                    "",
                    "",
                    ""));
        }
        return rows;
    }

    /**
     * A drain of {@code n} emails whose content is {@code kib} KiB, every AWS call of the functions
     * and of the event source mapping counted ({@link CostMeter}), and the functions' handler
     * time; the caller waits by reading the job item with a client of its own (not counted).
     */
    private BenchCost.Priced costed(String name, int n, int latencyMs, int workers, int kib) throws Exception {
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
        try (Stack stack = stack(name, latencyMs, 0, workers, metered)) {
            long start = System.nanoTime();
            String id = submit(stack.api, n, name, "x".repeat(kib * 1024));
            var dynamo = stack.runner.backend().dynamo();
            String table = stack.runner.resources().table();
            Instant deadline = Instant.now().plus(Duration.ofMinutes(30));
            while (true) {
                var job = dynamo.getItem(r -> r.tableName(table)
                                .key(Map.of(
                                        "pk",
                                                software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS(
                                                        "JOB#" + id),
                                        "sk",
                                                software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS(
                                                        "JOB")))
                                .consistentRead(true))
                        .item();
                long done = Stream.of("sent", "failed", "cancelled")
                        .mapToLong(k ->
                                job.containsKey(k) ? Long.parseLong(job.get(k).n()) : 0)
                        .sum();
                if (done == n) {
                    break;
                }
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("bench: " + name + " did not finish in 30 min");
                }
                Thread.sleep(POLL);
            }
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

    /** A drain's makespan, and the peer's on the same outbox (0 when it did not run). */
    private record Drain(double seconds, double peerSeconds) {}

    /**
     * Submits one job of {@code n} recipients to a fresh stack with {@code workers} worker
     * instances of {@link Plan#sendConcurrency()} sends each, and times it until nothing is
     * pending; then, with {@code peerConcurrency > 0}, the Celery peer on the same outbox.
     */
    private Drain drain(String name, int n, int latencyMs, int workers, double failureRate, int peerConcurrency)
            throws Exception {
        try (Stack stack = stack(name, latencyMs, failureRate, workers)) {
            long start = System.nanoTime();
            String id = submit(stack.api, n, name);
            Instant deadline = Instant.now().plus(Duration.ofMinutes(30));
            while (stack.api.getJson("/emails/" + id).path("pending").asLong(-1) != 0) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("bench: " + name + " did not finish in 30 min");
                }
                Thread.sleep(POLL);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            out.printf("bench: %-10s %6d emails in %6.1f s%n", name, n, seconds);
            double peer = peerConcurrency == 0
                    ? 0
                    : celery(stack.outbox(), n, peerConcurrency, name + "-" + System.nanoTime());
            return new Drain(seconds, peer);
        }
    }

    /** Submit latency by size: {@link Plan#samples()} submits each, while the earlier ones drain. */
    private Map<Integer, double[]> submits(String name, int latencyMs) throws Exception {
        Map<Integer, double[]> result = new LinkedHashMap<>();
        try (Stack stack = stack(name, latencyMs, 0, plan.workers().getFirst())) {
            for (int size : plan.submitSizes()) {
                int samples = size >= 10_000 ? Math.max(3, plan.samples() / 2) : plan.samples();
                double[] ms = new double[samples];
                for (int i = 0; i < samples; i++) {
                    long start = System.nanoTime();
                    submit(stack.api, size, name + "-" + size + "-" + i);
                    ms[i] = (System.nanoTime() - start) / 1e6;
                }
                out.printf(
                        "bench: submit %5d recipients, outbox %4d ms: p50 %.0f ms%n",
                        size, latencyMs, percentile(ms, 50));
                result.put(size, ms);
            }
        }
        return result;
    }

    /** A local stack of its own on the shared moto, its outbox at {@code latencyMs}. */
    private Stack stack(String name, int latencyMs, double failureRate, int workers) throws Exception {
        return stack(name, latencyMs, failureRate, workers, LocalRunner.Harness.NONE);
    }

    private Stack stack(String name, int latencyMs, double failureRate, int workers, LocalRunner.Harness harness)
            throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("AWS_ENDPOINT_URL", emulator.toString());
        env.put("PORT", "0");
        env.put("STACK_NAME", "bench-" + name + "-" + (++stacks));
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

    /** A running stack and its signed-in API. */
    private record Stack(LocalRunner runner, LocalApi api, OutputStream console) implements AutoCloseable {
        String outbox() {
            return "http://127.0.0.1:" + runner.baseUrl().getPort() + LocalServer.PROVIDER_PATH;
        }

        @Override
        public void close() throws IOException {
            runner.close();
            console.close();
        }
    }

    private static String submit(LocalApi api, int n, String name) {
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
     * The Celery + Redis peer: {@code n} tasks on a thread pool of {@code c} against the outbox;
     * its makespan in seconds (dispatch included).
     */
    private double celery(String outbox, int n, int c, String run) throws IOException, InterruptedException {
        Path python = root.resolve(".venv-bench/bin/python");
        ProcessBuilder builder = new ProcessBuilder(
                        python.toString(),
                        root.resolve("infrastructure/bench/celery_peer.py").toString(),
                        "--outbox",
                        outbox,
                        "--n",
                        Integer.toString(n),
                        "--concurrency",
                        Integer.toString(c),
                        "--run",
                        run)
                .redirectError(logDir.resolve("celery-" + run + ".log").toFile());
        builder.environment().put("PEER_BROKER", "redis://127.0.0.1:" + redisPort + "/0");
        Process p = builder.start();
        p.getOutputStream().close();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(60, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException("bench: the Celery peer failed: " + output + "; see "
                    + root.relativize(logDir.resolve("celery-" + run + ".log")));
        }
        String[] lines = output.split("\n");
        JsonNode result = Json.MAPPER.readTree(lines[lines.length - 1]);
        if (result.path("failed").asInt() != 0) {
            throw new IllegalStateException("bench: Celery peer tasks failed: " + result);
        }
        double seconds = result.path("makespanSeconds").asDouble();
        out.printf("bench: %-10s %6d emails in %6.1f s (Celery + Redis, %d threads)%n", "peer", n, seconds, c);
        return seconds;
    }

    /** The original design: one request sends the sample's emails one after another; ms per email. */
    private double sequential(int sample, int latencyMs) throws Exception {
        try (Stack stack = stack("sequential", latencyMs, 0, plan.workers().getFirst())) {
            HttpClient http = HttpClient.newHttpClient();
            long start = System.nanoTime();
            for (int i = 0; i < sample; i++) {
                HttpResponse<Void> r = http.send(
                        HttpRequest.newBuilder(URI.create(stack.outbox()))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(Json.write(
                                        Map.of("from", "bench@mailbatch.example", "to", "s" + i + "@bench.example"))))
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() != 200) {
                    throw new IllegalStateException("bench: the outbox answered " + r.statusCode());
                }
            }
            return (System.nanoTime() - start) / 1e6 / sample;
        }
    }

    static double percentile(double[] values, int p) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    static String table(List<Row> rows) {
        StringBuilder t = new StringBuilder();
        t.append("| what | mailbatch | Celery + Redis | original design | mailbatch ÷ Celery (time) |\n");
        t.append("| --- | --- | --- | --- | --- |\n");
        for (Row r : rows) {
            t.append("| %s | %s | %s | %s | %s |\n"
                    .formatted(r.what(), r.mailbatch(), r.peer(), r.original(), r.ratio()));
        }
        return t.toString();
    }

    private String document(String table) throws IOException, InterruptedException {
        String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                .filter(line -> line.startsWith("model name"))
                .findFirst()
                .map(line -> line.substring(line.indexOf(':') + 1).trim())
                .orElse("unknown CPU");
        return """
                # Benchmarks

                `infrastructure/bin/bench` on the local stack (moto server, the real handlers, the outbox as the
                provider), %s. Machine: %d cores (%s), %d GiB; JDK %s; commit %s; %s.

                %s
                C is the number of sends in flight: worker instances (`WorkerMaxConcurrency`) × `SendConcurrency`
                (%d) for mailbatch, the thread pool for Celery (one task per email, Redis as broker and result
                backend, infrastructure/bench/celery_peer.py). The original design is one request that sends
                the emails one after another (measured on 50, scaled to N). E = (N × L ÷ C) ÷ makespan: 1.0 is
                the physical limit at that C. The last column is mailbatch's time ÷ Celery's: below 1,
                mailbatch is faster. Every figure comes from this run.
                """.formatted(
                        plan.quick() ? "quick mode (a check of the harness, not a measurement)" : "full run",
                        Runtime.getRuntime().availableProcessors(),
                        cpu,
                        Math.round(Files.readAllLines(Path.of("/proc/meminfo")).stream()
                                        .filter(line -> line.startsWith("MemTotal"))
                                        .mapToLong(line -> Long.parseLong(line.replaceAll("\\D", "")))
                                        .findFirst()
                                        .orElse(0)
                                / 1024.0
                                / 1024.0),
                        Runtime.version(),
                        commit(),
                        LocalDate.now(),
                        table,
                        plan.sendConcurrency());
    }

    private String commit() throws IOException, InterruptedException {
        Process git = new ProcessBuilder("git", "rev-parse", "--short", "HEAD")
                .directory(root.toFile())
                .start();
        String sha = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        git.waitFor();
        return sha.isEmpty() ? "unknown" : sha;
    }

    /** redis-server (Debian's) as a child process on a free port, without persistence. */
    private record Redis(Process process, int port) implements AutoCloseable {
        static Redis start(Path log) throws IOException, InterruptedException {
            int port = ChildProcesses.freePort();
            Process p;
            try {
                p = new ProcessBuilder(
                                "redis-server",
                                "--port",
                                Integer.toString(port),
                                "--bind",
                                "127.0.0.1",
                                "--save",
                                "",
                                "--appendonly",
                                "no")
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
            } catch (IOException e) {
                throw new IllegalStateException("bench: no redis-server (Debian: apt-get install redis-server)");
            }
            Instant deadline = Instant.now().plusSeconds(20);
            while (true) {
                try (Socket ignored = new Socket("127.0.0.1", port)) {
                    return new Redis(p, port);
                } catch (IOException notYet) {
                    if (!p.isAlive() || Instant.now().isAfter(deadline)) {
                        throw new IllegalStateException("bench: redis-server did not start; see " + log);
                    }
                    Thread.sleep(50);
                }
            }
        }

        @Override
        public void close() {
            ChildProcesses.stop(process, Duration.ofSeconds(5));
        }
    }
}
