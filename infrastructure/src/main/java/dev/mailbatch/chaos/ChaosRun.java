package dev.mailbatch.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mailbatch.local.LocalApi;
import dev.mailbatch.local.LocalRunner;
import dev.mailbatch.local.LocalServer;
import dev.mailbatch.local.emulator.Backend;
import dev.mailbatch.local.emulator.MotoServer;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One chaos run: brings up the local stack the scenario needs (moto unless an emulator is given,
 * Toxiproxy for network faults, the runner with the fault injector, the worker process), starts
 * the fault schedule and the callers, waits for every job to finish, then hands what happened to
 * {@link ChaosAudit}. Whatever it started it stops, on the way out or on Ctrl-C.
 */
final class ChaosRun {
    /** Set when the JVM is stopping (Ctrl-C): what fails after it is the stop, not a finding. */
    private static volatile boolean stopping;

    private ChaosRun() {}

    /** Whether the JVM is stopping (Ctrl-C) and took the run's stack down with it. */
    static boolean stopping() {
        return stopping;
    }

    /** See {@link ChaosHarness#run}. */
    static ChaosReport run(Path root, ChaosScenario s, Map<String, String> extraEnv, PrintStream console)
            throws IOException, InterruptedException {
        Path logDir = root.resolve("infrastructure/target/chaos");
        Files.createDirectories(logDir);
        Map<String, String> env = environment(s, logDir);
        env.putAll(extraEnv);
        Map<String, String> parameters = parameters(s);
        ChaosInjector injector = new ChaosInjector(s);
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
            ChaosCallers callers = new ChaosCallers(api, s);
            ChaosFaults faults = open.add(ChaosFaults.start(
                    s,
                    worker,
                    proxy,
                    new ChaosFaults.Reach(
                            runner.outbox(),
                            injector.ses(),
                            callers::cancelOneRunning,
                            new ChaosFaults.Queues(
                                    runner.backend().sqs(),
                                    runner.resources().queueUrl(),
                                    runner.resources().dlqUrl()),
                            injector)));
            Map<String, List<String>> jobs = callers.submitAll();
            console.printf(
                    "chaos: %d jobs submitted; waiting for them to finish (deadline %d min)%n",
                    jobs.size(), s.deadline().toMinutes());
            callers.awaitCancels();
            callers.awaitFinished(jobs.keySet(), runner, Instant.now().plus(s.deadline()), faults, console);
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
                    callers.cancelled(),
                    callers.submitsRepeated(),
                    Duration.between(start, Instant.now()));
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(onExit);
            } catch (IllegalStateException exiting) {
                // the JVM is stopping: the hook runs
            }
        }
    }

    /** The runner's environment: the outbox's faults, each run's own log directory, the sender. */
    private static Map<String, String> environment(ChaosScenario s, Path logDir) {
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
                logDir.resolve("local-" + s.sender().name().toLowerCase(Locale.ROOT) + "-" + s.seed())
                        .toString());
        if (s.sender() == ChaosScenario.Sender.SES) {
            env.put("SENDER", "ses"); // the runner verifies DEFAULT_FROM with the emulator's SES
            env.put("PROVIDER_URL", "");
            env.put("DEFAULT_FROM", "chaos@mailbatch.example");
            env.put("OUTBOX_FAILURE_RATE", "0"); // SES's throttling is ChaosSes's
        }
        return env;
    }

    /** The template parameters the stack is deployed with: quick retries, small batches, no rate limit. */
    private static Map<String, String> parameters(ChaosScenario s) {
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("MaxDeliveries", Integer.toString(s.maxDeliveries()));
        parameters.put("RetryBaseSeconds", "1");
        parameters.put("RetryMaxSeconds", "4");
        parameters.put("WorkerBatchSize", "5");
        parameters.put("WorkerMaxConcurrency", s.processKills() > 0 ? "2" : "4"); // 20 chunks in flight in all
        parameters.put("QuotaOpenJobs", Integer.toString(Math.max(1, s.jobs()))); // one caller submits every job
        parameters.put("MaxSendRate", "5000"); // the outbox takes any rate
        return parameters;
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
}
