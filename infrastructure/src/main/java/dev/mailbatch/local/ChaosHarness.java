package dev.mailbatch.local;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mailbatch.config.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The chaos harness: the whole local stack (moto, the real handlers, the outbox) under the
 * faults at-least-once delivery brings, then an audit of what reached the provider against what
 * the API reports. The faults: the outbox fails a share of calls transiently (503) and accepts a
 * share of emails but loses the answer; a share of the SQS messages the worker receives is
 * delivered a second time; the worker is killed mid-batch a number of times, at the points where
 * dying leaves the most half-done (after reading, after an email reached the provider, between
 * the sends and the record, between the record and the acknowledgement).
 *
 * <p>{@code infrastructure/bin/chaos [--jobs=200] [--recipients=50] [--failure-rate=0.3]
 * [--loss-rate=0.05] [--duplicate-rate=0.05] [--kills=20] [--seed=N]}; exits 0 only when the
 * audit finds nothing lost, nothing delivered twice, every job finished and every counter exact.
 */
public final class ChaosHarness {
    private static final Duration POLL_INTERVAL = Duration.ofMillis(500);

    private ChaosHarness() {}

    /**
     * Runs the scenario on a fresh local stack and audits the result.
     *
     * @param extraEnv environment over the harness's own (AWS_ENDPOINT_URL to use a running emulator, STACK_NAME)
     */
    public static ChaosReport run(Path root, ChaosScenario s, Map<String, String> extraEnv, PrintStream console)
            throws IOException, InterruptedException {
        Path logDir = root.resolve("infrastructure/target/chaos");
        Files.createDirectories(logDir);
        Map<String, String> env = new HashMap<>();
        env.put("PORT", "0");
        env.put("STACK_NAME", "mailbatch-chaos");
        env.put("OUTBOX_FAILURE_RATE", Double.toString(s.failureRate()));
        env.put("OUTBOX_FAILURE_STATUS", "503");
        env.put("OUTBOX_LOSS_RATE", Double.toString(s.lossRate()));
        env.put("OUTBOX_LATENCY_MS", "10"); // long enough for two deliveries of a chunk to meet (409)
        env.putAll(extraEnv);
        Map<String, String> parameters = Map.of(
                "MaxDeliveries",
                Integer.toString(s.maxDeliveries()),
                "RetryBaseSeconds",
                "1",
                "RetryMaxSeconds",
                "4",
                "WorkerBatchSize",
                "5",
                "WorkerMaxConcurrency",
                "4",
                "QuotaOpenJobs", // one caller submits every job at once
                Integer.toString(Math.max(1, s.jobs())),
                "MaxSendRate", // the outbox takes any rate
                "5000");
        ChaosInjector injector = new ChaosInjector(s);
        java.util.concurrent.atomic.AtomicInteger cancelled = new java.util.concurrent.atomic.AtomicInteger();
        Instant start = Instant.now();
        try (OutputStream runnerLog = Files.newOutputStream(logDir.resolve("runner.log"));
                PrintStream runnerConsole = new PrintStream(runnerLog, true, StandardCharsets.UTF_8);
                LocalRunner runner = LocalRunner.start(
                        new LocalRunner.Options(root, parameters, env::get, runnerConsole, injector))) {
            console.printf(
                    "chaos: local stack up at %s (runner log: infrastructure/target/chaos/runner.log)%n",
                    runner.baseUrl());
            LocalApi api = LocalApi.signIn(runner.baseUrl(), "chaos");
            Map<String, List<String>> jobs = submitAll(api, s);
            Thread cancelling = Thread.ofVirtual().start(() -> cancelSome(api, jobs.keySet(), s, cancelled));
            console.printf(
                    "chaos: %d jobs submitted; waiting for them to finish (deadline %d min)%n",
                    jobs.size(), s.deadline().toMinutes());
            cancelling.join();
            Map<String, JsonNode> finalStatus = awaitFinished(api, jobs.keySet(), runner, s.deadline(), console);
            return ChaosAudit.audit(
                    api, runner, jobs, finalStatus, injector, cancelled.get(), Duration.between(start, Instant.now()));
        }
    }

    private static Map<String, List<String>> submitAll(LocalApi api, ChaosScenario s) throws InterruptedException {
        Map<String, List<String>> jobs = new ConcurrentHashMap<>();
        try (ExecutorService callers = Executors.newFixedThreadPool(8)) {
            List<Future<?>> done = new ArrayList<>();
            for (int j = 0; j < s.jobs(); j++) {
                int job = j;
                done.add(callers.submit(() -> {
                    List<String> to = new ArrayList<>();
                    for (int r = 0; r < s.recipients(); r++) {
                        to.add("j" + job + "-r" + r + "@chaos.example");
                    }
                    String body = Json.write(Map.of("emails", to, "subject", "chaos " + job, "text", "hello"));
                    for (int tries = 1; ; tries++) {
                        HttpResponse<String> response =
                                api.send(HttpRequest.newBuilder(api.base().resolve("/emails"))
                                        .header("Content-Type", "application/json")
                                        .header("Idempotency-Key", "chaos-" + s.seed() + "-" + job)
                                        .POST(HttpRequest.BodyPublishers.ofString(body)));
                        if (response.statusCode() == 202) {
                            jobs.put(
                                    LocalApi.readJson(response.body())
                                            .path("jobId")
                                            .asText(),
                                    to);
                            return null;
                        }
                        if (tries >= 5) {
                            throw new IllegalStateException("submit of job " + job + " answered "
                                    + response.statusCode() + " " + response.body());
                        }
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
        return jobs;
    }

    /**
     * Cancels {@code s.cancels()} of the jobs (chosen by the seed) at random moments of the first
     * seconds of the drain, as a caller would; counts those the API cancelled (a job that finished
     * first answers 409).
     */
    private static void cancelSome(
            LocalApi api, java.util.Set<String> ids, ChaosScenario s, java.util.concurrent.atomic.AtomicInteger done) {
        List<String> pick = new ArrayList<>(new java.util.TreeSet<>(ids));
        java.util.Collections.shuffle(pick, new java.util.Random(s.seed()));
        java.util.Random when = new java.util.Random(s.seed() + 1);
        for (String id : pick.subList(0, Math.min(s.cancels(), pick.size()))) {
            try {
                Thread.sleep(when.nextInt(400)); // spread over the drain's first seconds
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            HttpResponse<String> answer =
                    api.send(HttpRequest.newBuilder(api.base().resolve("/emails/" + id))
                            .method("DELETE", HttpRequest.BodyPublishers.noBody()));
            if (answer.statusCode() == 202) {
                done.incrementAndGet();
            }
        }
    }

    private static Map<String, JsonNode> awaitFinished(
            LocalApi api, Set<String> ids, LocalRunner runner, Duration deadline, PrintStream console)
            throws InterruptedException {
        Instant end = Instant.now().plus(deadline);
        Instant nextReport = Instant.now().plusSeconds(15);
        Map<String, JsonNode> finished = new HashMap<>();
        while (true) {
            for (String id : ids) {
                if (!finished.containsKey(id)) {
                    JsonNode status = api.getJson("/emails/" + id);
                    if (status.path("pending").asLong(-1) == 0) {
                        finished.put(id, status);
                    }
                }
            }
            boolean quiet = backlog(runner) == 0;
            if ((finished.size() == ids.size() && quiet) || Instant.now().isAfter(end)) {
                // Read every job once more: a duplicate delivered after a job finished must not have changed it.
                Map<String, JsonNode> last = new HashMap<>();
                for (String id : ids) {
                    last.put(id, api.getJson("/emails/" + id));
                }
                return last;
            }
            if (Instant.now().isAfter(nextReport)) {
                console.printf(
                        "chaos: %d of %d jobs finished; %d messages on the queue; outbox: %d emails%n",
                        finished.size(),
                        ids.size(),
                        backlog(runner),
                        runner.outbox().emails().size());
                nextReport = Instant.now().plusSeconds(15);
            }
            Thread.sleep(POLL_INTERVAL);
        }
    }

    private static int backlog(LocalRunner runner) {
        return SqsEventSource.backlog(runner.backend().sqs(), runner.resources().queueUrl());
    }

    /** {@code infrastructure/bin/chaos [--jobs=N] ...}: prints the table; exit 0 only if the audit is clean. */
    public static void main(String[] args) throws Exception {
        ChaosScenario scenario;
        try {
            scenario = ChaosScenario.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("chaos: " + e.getMessage());
            System.err.println("usage: chaos [--jobs=200] [--recipients=50] [--failure-rate=0.3] [--loss-rate=0.05] "
                    + "[--duplicate-rate=0.05] [--kills=20] [--cancels=20] [--seed=N] [--max-deliveries=15]");
            System.exit(2);
            return;
        }
        Path root = Path.of(System.getProperty("mailbatch.root", "."))
                .toAbsolutePath()
                .normalize();
        System.out.printf(
                "chaos: outbox fails %.0f%% of calls (503) and loses %.0f%% of answers; "
                        + "%.0f%% of messages delivered twice; %d worker kills%n",
                scenario.failureRate() * 100,
                scenario.lossRate() * 100,
                scenario.duplicateRate() * 100,
                scenario.kills());
        ChaosReport report = run(root, scenario, Map.of(), System.out);
        System.out.print(report.table(scenario));
        System.exit(report.clean() ? 0 : 1);
    }
}
