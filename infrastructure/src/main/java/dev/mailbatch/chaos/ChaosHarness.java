package dev.mailbatch.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mailbatch.config.Json;
import dev.mailbatch.local.LocalApi;
import dev.mailbatch.local.LocalRunner;
import dev.mailbatch.local.LocalServer;
import dev.mailbatch.local.emulator.Backend;
import dev.mailbatch.local.emulator.MotoServer;
import dev.mailbatch.local.eventsource.SqsEventSource;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The chaos harness: the whole local stack (moto, the real handlers, the outbox) under the
 * faults at-least-once delivery brings, then an audit of what reached the provider against what
 * the API reports. The faults: the outbox fails a share of calls transiently (503), accepts a
 * share of emails but loses the answer, and answers 409 to a key still in progress; a share of
 * the SQS messages the worker receives is delivered a second time; the worker is killed
 * mid-batch at the points where dying leaves the most half-done (after reading, after an email
 * reached the provider, between the sends and the record, between the record and the
 * acknowledgement); callers cancel jobs while they drain; DynamoDB and SQS answer a share of
 * the functions' calls with errors (throttled, conflict, 500, applied and the answer lost); the
 * network between the functions and the emulator fails for moments (Toxiproxy: resets, stalls,
 * refusals); and a second worker, in its own JVM, is killed with SIGKILL and started again.
 *
 * <p>{@code infrastructure/bin/chaos [--jobs=200] ... [--process-kills=10] [--seed=N]}; exits 0
 * only when the audit finds nothing lost, nothing delivered twice, every job finished and every
 * counter exact.
 */
public final class ChaosHarness {
    /** Set when the JVM is stopping (Ctrl-C): what fails after it is the stop, not a finding. */
    private static volatile boolean stopping;

    private static final Duration POLL_INTERVAL = Duration.ofSeconds(2); // each poll reads every unfinished job

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
        // each run's own: several runs in one JVM (ChaosIT) keep every run's log
        env.put(
                "LOCAL_LOG_DIR",
                logDir.resolve("local-" + s.sender().name().toLowerCase(java.util.Locale.ROOT) + "-" + s.seed())
                        .toString());
        if (s.sender() == ChaosScenario.Sender.SES) {
            env.put("SENDER", "ses"); // the runner verifies DEFAULT_FROM with the emulator's SES
            env.put("PROVIDER_URL", "");
            env.put("DEFAULT_FROM", "chaos@mailbatch.example");
            env.put("OUTBOX_FAILURE_RATE", "0"); // SES's throttling is ChaosSes's
        }
        env.putAll(extraEnv);
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("MaxDeliveries", Integer.toString(s.maxDeliveries()));
        parameters.put("RetryBaseSeconds", "1");
        parameters.put("RetryMaxSeconds", "4");
        parameters.put("WorkerBatchSize", "5");
        parameters.put("WorkerMaxConcurrency", s.processKills() > 0 ? "2" : "4"); // 20 chunks in flight in all
        parameters.put("QuotaOpenJobs", Integer.toString(Math.max(1, s.jobs()))); // one caller submits every job
        parameters.put("MaxSendRate", "5000"); // the outbox takes any rate
        ChaosInjector injector = new ChaosInjector(s);
        AtomicInteger cancelled = new AtomicInteger();
        AtomicInteger submitsFailed = new AtomicInteger();
        AtomicInteger submitsInUse = new AtomicInteger();
        Instant start = Instant.now();
        Closer open = new Closer();
        Thread onExit = new Thread(
                () -> { // Ctrl-C: no emulator, proxy or worker process left behind
                    stopping = true;
                    open.close();
                });
        Runtime.getRuntime().addShutdownHook(onExit);
        try (open) {
            if (env.get("AWS_ENDPOINT_URL") == null) {
                MotoServer moto = open.add(MotoServer.start(root, logDir.resolve("moto.log")));
                env.put("AWS_ENDPOINT_URL", moto.endpoint().toString());
            }
            URI emulator = URI.create(env.get("AWS_ENDPOINT_URL"));
            Toxiproxy proxy = s.networkFaults() == 0
                    ? null
                    : open.add(Toxiproxy.start(root, emulator, logDir.resolve("toxiproxy.log")));
            injector.reachThrough(proxy == null ? null : proxy.endpoint());
            PrintStream runnerConsole = open.add(
                    new PrintStream(Files.newOutputStream(logDir.resolve("runner.log")), true, StandardCharsets.UTF_8));
            LocalRunner runner = open.add(
                    LocalRunner.start(new LocalRunner.Options(root, parameters, env::get, runnerConsole, injector)));
            console.printf("chaos: local stack up at %s (logs: infrastructure/target/chaos/)%n", runner.baseUrl());
            WorkerProcess worker = s.processKills() == 0
                    ? null
                    : open.add(workerProcess(root, s, env, parameters, runner, proxy, logDir));
            if (worker != null) {
                worker.start();
                console.println("chaos: worker process up (its logs: infrastructure/target/chaos/worker-N/)");
            }
            LocalApi api = LocalApi.signIn(runner.baseUrl(), "chaos");
            List<String> running = new java.util.concurrent.CopyOnWriteArrayList<>(); // accepted, not cancelled
            ChaosFaults faults = open.add(ChaosFaults.start(
                    s,
                    worker,
                    proxy,
                    new ChaosFaults.Reach(
                            runner.outbox(),
                            injector.ses(),
                            () -> cancelOneRunning(api, running),
                            new ChaosFaults.Queues(
                                    runner.backend().sqs(),
                                    runner.resources().queueUrl(),
                                    runner.resources().dlqUrl()),
                            injector)));
            List<Thread> cancelling = new java.util.concurrent.CopyOnWriteArrayList<>();
            Map<String, List<String>> jobs = submitAll(api, s, submitsFailed, submitsInUse, (id, job) -> {
                if (job < s.cancels()) { // the first jobs submitted, a caller's second thoughts
                    long after = new java.util.Random(s.seed() + job).nextInt(400);
                    cancelling.add(Thread.ofVirtual().start(() -> cancelSoon(api, id, after, cancelled)));
                } else {
                    running.add(id);
                }
            });
            console.printf(
                    "chaos: %d jobs submitted; waiting for them to finish (deadline %d min)%n",
                    jobs.size(), s.deadline().toMinutes());
            for (Thread t : cancelling) {
                t.join();
            }
            awaitFinished(api, jobs.keySet(), runner, Instant.now().plus(s.deadline()), faults, console);
            faults.close(); // every scheduled fault happened; the audit reads a store without faults
            injector.store().off();
            Map<String, JsonNode> finalStatus = new HashMap<>();
            for (String id : jobs.keySet()) {
                // read once more: a duplicate delivered after a job finished must not have changed it
                finalStatus.put(id, api.getJson("/emails/" + id));
            }
            return ChaosAudit.audit(
                    s,
                    api,
                    runner,
                    jobs,
                    finalStatus,
                    injector,
                    faults,
                    cancelled.get(),
                    submitsFailed.get() + submitsInUse.get(),
                    Duration.between(start, Instant.now()));
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(onExit);
            } catch (IllegalStateException exiting) {
                // the JVM is stopping: the hook runs
            }
        }
    }

    /** The second runner, in its own JVM, on the same stack; its provider the harness's outbox. */
    private static WorkerProcess workerProcess(
            Path root,
            ChaosScenario s,
            Map<String, String> env,
            Map<String, String> parameters,
            LocalRunner runner,
            Toxiproxy proxy,
            Path logDir) {
        Map<String, String> child = new HashMap<>();
        child.put("AWS_ENDPOINT_URL", env.get("AWS_ENDPOINT_URL"));
        child.put("STACK_NAME", env.get("STACK_NAME"));
        // the operator's keys: the emulator enforces IAM; the process makes its functions' roles with them
        var operator = Backend.operator().resolveCredentials();
        child.put("AWS_ACCESS_KEY_ID", operator.accessKeyId());
        child.put("AWS_SECRET_ACCESS_KEY", operator.secretAccessKey());
        if (env.get("SENDER") != null) {
            child.put("SENDER", env.get("SENDER"));
            child.put("DEFAULT_FROM", env.get("DEFAULT_FROM"));
        }
        child.put("PORT", "0");
        child.put(
                "PROVIDER_URL",
                "http://127.0.0.1:" + runner.baseUrl().getPort() + LocalServer.PROVIDER_PATH + "?via="
                        + ChaosFaults.VIA_PROCESS);
        child.put("CHAOS_STORE_FAULT_RATE", Double.toString(s.storeFaultRate()));
        child.put("CHAOS_SEED", Long.toString(s.seed()));
        if (proxy != null) {
            child.put("CHAOS_FUNCTIONS_ENDPOINT", proxy.endpoint().toString());
        }
        List<String> overrides = parameters.entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .toList();
        return new WorkerProcess(root, child, overrides, logDir);
    }

    /** Closes what was opened, last first. */
    private static final class Closer implements AutoCloseable {
        private final List<AutoCloseable> open = new ArrayList<>();

        synchronized <T extends AutoCloseable> T add(T resource) {
            open.add(resource);
            return resource;
        }

        @Override
        public synchronized void close() {
            List<AutoCloseable> closing = new ArrayList<>(open);
            open.clear(); // closed once, by the harness or by the shutdown hook
            for (AutoCloseable c : closing.reversed()) {
                try {
                    c.close();
                } catch (Exception e) {
                    System.err.println("chaos: while stopping " + c.getClass().getSimpleName() + ": " + e);
                }
            }
        }
    }

    /**
     * Submits every job as a caller would, counting the answers that made it try again, and tells
     * {@code accepted} of each job (its number and id) as soon as it is accepted.
     */
    private static Map<String, List<String>> submitAll(
            LocalApi api,
            ChaosScenario s,
            AtomicInteger submitsFailed,
            AtomicInteger submitsInUse,
            java.util.function.ObjIntConsumer<String> accepted)
            throws InterruptedException {
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
                    String body = Json.write(Map.of("emails", to, "subject", subject(s, job), "text", "hello"));
                    // As a caller retries: a 5xx again with the same key; a 409 IDEMPOTENCY_KEY_IN_USE after its
                    // Retry-After (an earlier try that failed without freeing its key holds it until the
                    // submit deadline of 2 minutes).
                    Instant giveUp = Instant.now().plus(Duration.ofMinutes(4));
                    for (int tries = 1; ; tries++) {
                        HttpResponse<String> response =
                                api.send(HttpRequest.newBuilder(api.base().resolve("/emails"))
                                        .header("Content-Type", "application/json")
                                        .header("Idempotency-Key", "chaos-" + s.seed() + "-" + job)
                                        .POST(HttpRequest.BodyPublishers.ofString(body)));
                        if (response.statusCode() == 202) {
                            String id = LocalApi.readJson(response.body())
                                    .path("jobId")
                                    .asText();
                            jobs.put(id, to);
                            accepted.accept(id, job);
                            return null;
                        }
                        boolean keyInUse =
                                response.statusCode() == 409 && response.body().contains("IDEMPOTENCY_KEY_IN_USE");
                        if (Instant.now().isAfter(giveUp) || (response.statusCode() < 500 && !keyInUse)) {
                            throw new IllegalStateException("submit of job " + job + " answered "
                                    + response.statusCode() + " " + response.body());
                        }
                        if (keyInUse) {
                            submitsInUse.incrementAndGet();
                        } else {
                            submitsFailed.incrementAndGet();
                        }
                        Thread.sleep(keyInUse ? 1000 : Math.min(2000, 200L * tries));
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

    /** A job's subject: its run's seed and its number (how the audit finds a run's emails in SES). */
    static String subject(ChaosScenario s, int job) {
        return "chaos " + s.seed() + " " + job;
    }

    /**
     * Cancels one job that is still running (the outage schedule's cancel), trying them in turn.
     *
     * @return whether the API cancelled one (202)
     */
    private static boolean cancelOneRunning(LocalApi api, List<String> running) {
        for (String id : running) {
            running.remove(id);
            if (api.getJson("/emails/" + id).path("pending").asLong(0) == 0) {
                continue; // finished already
            }
            HttpResponse<String> answer =
                    api.send(HttpRequest.newBuilder(api.base().resolve("/emails/" + id))
                            .method("DELETE", HttpRequest.BodyPublishers.noBody()));
            if (answer.statusCode() == 202) {
                return true;
            }
        }
        return false;
    }

    /**
     * Cancels a job {@code afterMillis} after it was accepted, while it drains, as a caller would
     * (the first {@code s.cancels()} jobs accepted, each at a moment of its own from the seed);
     * counts it if the API cancelled it (a job that finished first answers 409). Issue 12 made the
     * drain fast enough that cancels sent after every submit found the jobs finished.
     */
    private static void cancelSoon(LocalApi api, String id, long afterMillis, AtomicInteger done) {
        try {
            Thread.sleep(afterMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        for (int tries = 1; tries <= 10; tries++) {
            HttpResponse<String> answer =
                    api.send(HttpRequest.newBuilder(api.base().resolve("/emails/" + id))
                            .method("DELETE", HttpRequest.BodyPublishers.noBody()));
            if (answer.statusCode() == 202) {
                done.incrementAndGet();
            }
            if (answer.statusCode() < 500) {
                break; // 202, or 409: it finished first
            }
            try {
                Thread.sleep(200L * tries); // a 5xx (a store fault): again, as a caller would
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Waits until every job finished, the queue is empty and every scheduled fault happened. */
    private static void awaitFinished(
            LocalApi api, Set<String> ids, LocalRunner runner, Instant end, ChaosFaults faults, PrintStream console)
            throws InterruptedException {
        Instant nextReport = Instant.now().plusSeconds(15);
        Set<String> finished = new java.util.HashSet<>();
        while (true) {
            for (String id : ids) {
                if (!finished.contains(id)
                        && api.getJson("/emails/" + id).path("pending").asLong(-1) == 0) {
                    finished.add(id);
                }
            }
            if ((finished.size() == ids.size() && backlog(runner) == 0 && faults.done())
                    || Instant.now().isAfter(end)) {
                return;
            }
            if (Instant.now().isAfter(nextReport)) {
                console.printf(
                        "chaos: %d of %d jobs finished; %d messages on the queue; outbox: %d emails; %s%n",
                        finished.size(),
                        ids.size(),
                        backlog(runner),
                        runner.outbox().emails().size(),
                        faults.progress());
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
        List<ChaosScenario> runs;
        try {
            runs = ChaosScenario.runs(args);
        } catch (IllegalArgumentException e) {
            System.err.println("chaos: " + e.getMessage());
            System.err.println("usage: chaos [--sender=http|ses] [--jobs=200] [--recipients=50] [--failure-rate=0.3] "
                    + "[--loss-rate=0.05] [--duplicate-rate=0.05] [--kills=20] [--cancels=20] "
                    + "[--store-fault-rate=0.02] [--network-faults=20] [--process-kills=10] [--outages=4] "
                    + "[--redrives=4] [--seed=N] [--max-deliveries=15]");
            System.exit(2);
            return;
        }
        Path root = Path.of(System.getProperty("mailbatch.root", "."))
                .toAbsolutePath()
                .normalize();
        boolean passed = true;
        for (ChaosScenario scenario : runs) {
            passed &= runAndPrint(root, scenario);
        }
        if (runs.size() > 1) {
            System.out.println(passed ? "chaos: every run passed" : "chaos: a run failed");
        }
        System.exit(passed ? 0 : 1);
    }

    /** One run, its table printed; whether it passed. */
    private static boolean runAndPrint(Path root, ChaosScenario scenario) throws Exception {
        System.out.printf(
                "chaos: sender %s: the provider fails %.0f%% of calls (503, or SES throttling) and loses %.0f%% of answers; "
                        + "%.0f%% of messages delivered twice; %d worker kills; %d cancels;%n"
                        + "       %.0f%% of store calls answered with an error; %d network faults; "
                        + "%d worker process kills; %d outages; %d redrives%n",
                scenario.sender().name().toLowerCase(java.util.Locale.ROOT),
                scenario.failureRate() * 100,
                scenario.lossRate() * 100,
                scenario.duplicateRate() * 100,
                scenario.kills(),
                scenario.cancels(),
                scenario.storeFaultRate() * 100,
                scenario.networkFaults(),
                scenario.processKills(),
                scenario.outages(),
                scenario.redrives());
        ChaosReport report;
        try {
            report = run(root, scenario, Map.of(), System.out);
        } catch (RuntimeException e) {
            if (stopping) {
                System.err.println("chaos: stopped; the emulator, the proxy and the worker process are stopped too");
                return false; // the JVM is exiting already
            }
            throw e;
        }
        System.out.print(report.table(scenario));
        return report.passed(scenario);
    }
}
